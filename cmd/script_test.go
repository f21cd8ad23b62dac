package cmd_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/cmd"
	"github.com/secretcat/secretcat/internal/testenv"
	"github.com/secretcat/secretcat/secretfd"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"secretcat": func() {
			// Scripts set it to see the progress line without slow runs.
			if d, err := time.ParseDuration(os.Getenv("SECRETCAT_TEST_PROGRESS_DELAY")); err == nil {
				cmd.SetProgressDelay(d)
			}
			os.Exit(cmd.Main())
		},
		"consumer": consumer,
		// A test age plugin whose identity wraps an X25519 identity and
		// says so through the plugin UI.
		"age-plugin-sctest": testPlugin,
		"seccomp-deny":      seccompDeny,
		"imagerun":          imageRun,
		"memprobe":          memprobe,
		"getfd":             getfd,
	})
}

func TestScripts(t *testing.T) {
	// Scripts check that the child holds only 0, 1, 2 and its secret
	// descriptors, so secretcat must inherit nothing else from the test.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if fd, _ := strconv.Atoi(e.Name()); fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	// Scripts may run secretcat as an unprivileged user: the binaries and
	// the work directories must be reachable by it.
	root := t.TempDir()
	os.Chmod(root, 0o755)
	os.Chmod(filepath.Dir(root), 0o755)
	binDir := filepath.SplitList(os.Getenv("PATH"))[0]
	os.Chmod(filepath.Dir(binDir), 0o755)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	preload := buildPreload(t, repo, root)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		WorkdirRoot:         root,
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SECRETCAT_IDENTITY", "")
			env.Setenv("REPO", repo)
			env.Setenv("SECRETCAT_PRELOAD", preload)
			env.Setenv("GOCACHE", goEnv("GOCACHE"))
			env.Setenv("GOPATH", goEnv("GOPATH"))
			env.Setenv("GOFLAGS", "-buildvcs=false")
			env.Setenv("GOPROXY", goEnv("GOPROXY"))
			return os.Chmod(env.WorkDir, 0o755)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "ptrace-open":
				// Yama absent or at scope 0: same-user processes may ptrace.
				scope, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope")
				return err != nil || strings.TrimSpace(string(scope)) == "0", nil
			case "setpriv":
				_, err := exec.LookPath("setpriv")
				return os.Geteuid() == 0 && err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":    cmdExitCode,
			"static":      cmdStatic,
			"agekeygen":   cmdAgeKeygen,
			"ageenc":      cmdAgeEnc,
			"mkdata":      cmdMkdata,
			"corrupt":     cmdCorrupt,
			"truncate":    cmdTruncate,
			"pluginid":    cmdPluginID,
			"pty":         cmdPty,
			"mkcert":      cmdMkcert,
			"tlsget":      cmdTLSGet,
			"tlsload":     cmdTLSLoad,
			"keyscan":     cmdKeyscan,
			"memscan":     cmdMemscan,
			"coredump":    cmdCoredump,
			"freeport":    cmdFreeport,
			"waitserver":  cmdWaitserver,
			"stopserver":  cmdStopserver,
			"expand":      cmdExpand,
			"secretheaps": cmdSecretheaps,
			"sockpoke":    cmdSockpoke,
			"mdblocks":    cmdMdblocks,
			"reload":      cmdReload,
			"upgrade":     cmdUpgrade,
		},
	})
}

// buildPreload builds the preload library with make, as make build does,
// into a directory under root, and returns its path. Scripts find it
// through SECRETCAT_PRELOAD (secretcat in a script is this test binary, with
// no library next to it).
func buildPreload(t *testing.T, repo, root string) string {
	dir := filepath.Join(root, "preload")
	out, err := exec.Command("make", "-s", "-C", repo, "preload", "BIN="+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("building the preload library (make and a C compiler are needed; .ci/run installs them): %v\n%s", err, out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "libsecretcat-preload.so")
}

// exitcode N PROG [ARG...] runs PROG and expects exit status N; its output
// is checked as exec's is.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// goEnv returns a go env variable, for scripts that build the examples.
func goEnv(name string) string {
	out, _ := exec.Command("go", "env", name).Output()
	return strings.TrimSpace(string(out))
}

// agekeygen [-pq] FILE writes a new identity file as age-keygen does.
func cmdAgeKeygen(ts *testscript.TestScript, neg bool, args []string) {
	pq := len(args) > 0 && args[0] == "-pq"
	if pq {
		args = args[1:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: agekeygen [-pq] FILE")
	}
	var id interface{ String() string }
	var recipient string
	if pq {
		k, err := age.GenerateHybridIdentity()
		ts.Check(err)
		id, recipient = k, k.Recipient().String()
	} else {
		k, err := age.GenerateX25519Identity()
		ts.Check(err)
		id, recipient = k, k.Recipient().String()
	}
	content := fmt.Sprintf("# created: 2026-11-23T00:00:00Z\n# public key: %s\n%s\n", recipient, id.String())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(content), 0o644))
}

// ageenc [-a] (-p PASSPHRASE | -r RECIPIENT | -R SSHPUBFILE | -i IDENTITYFILE)... IN OUT
// encrypts IN to OUT. -w N sets the scrypt work factor of a later -p.
func cmdAgeEnc(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("ageenc does not fail")
	}
	var recipients []age.Recipient
	armored := false
	workFactor := 10
	for len(args) > 2 {
		switch args[0] {
		case "-a":
			armored, args = true, args[1:]
			continue
		case "-p":
			r, err := age.NewScryptRecipient(args[1])
			ts.Check(err)
			r.SetWorkFactor(workFactor)
			recipients = append(recipients, r)
		case "-r":
			r, err := age.ParseX25519Recipient(args[1])
			ts.Check(err)
			recipients = append(recipients, r)
		case "-R": // an SSH public key file
			r, err := agessh.ParseRecipient(strings.TrimSpace(ts.ReadFile(args[1])))
			ts.Check(err)
			recipients = append(recipients, r)
		case "-w": // scrypt work factor of the next -p
			w, err := strconv.Atoi(args[1])
			ts.Check(err)
			workFactor = w
		case "-i":
			ids, err := age.ParseIdentities(strings.NewReader(ts.ReadFile(args[1])))
			ts.Check(err)
			for _, id := range ids {
				switch id := id.(type) {
				case *age.X25519Identity:
					recipients = append(recipients, id.Recipient())
				case *age.HybridIdentity:
					recipients = append(recipients, id.Recipient())
				}
			}
		default:
			ts.Fatalf("ageenc: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: ageenc [-a] (-p PASS | -r RECIPIENT | -i IDFILE)... IN OUT")
	}
	in, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var out bytes.Buffer
	var dst io.Writer = &out
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(&out)
		dst = aw
	}
	w, err := age.Encrypt(dst, recipients...)
	ts.Check(err)
	_, err = w.Write(in)
	ts.Check(err)
	ts.Check(w.Close())
	if aw != nil {
		ts.Check(aw.Close())
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644))
}

// mkdata FILE SIZE writes SIZE pseudo-random bytes (SIZE may end in K or M).
func cmdMkdata(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkdata FILE SIZE")
	}
	mult := 1
	s := args[1]
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	ts.Check(err)
	data := make([]byte, n*mult)
	rng := rand.NewChaCha8([32]byte([]byte(fmt.Sprintf("%-32s", args[0]))))
	rng.Read(data)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// corrupt FILE OFFSET flips the bits of the byte at OFFSET (negative: from
// the end).
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: corrupt FILE OFFSET")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(data)
	}
	data[off] ^= 0xff
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// truncate FILE SIZE cuts FILE to SIZE bytes (negative: that many fewer).
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE SIZE")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	if n < 0 {
		n += st.Size()
	}
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// consumer is the program secretcat runs in the scripts. It writes the
// marker file child-ran, then for every descriptor in SECRETCAT_FDS maps it
// and writes its contents to got.NAME, and reports on standard output what
// it observed: the descriptor's link, whether read(2) is refused, which
// descriptors it holds, and its arguments.
func consumer() {
	os.WriteFile("child-ran", nil, 0o644)
	fmt.Printf("args: %s\n", strings.Join(os.Args[1:], " "))
	for _, k := range []string{secretfd.EnvFd, secretfd.EnvFds, secretfd.EnvFdNames, secretfd.EnvMemory, "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if v, ok := os.LookupEnv(k); ok {
			fmt.Printf("%s=%s\n", k, v)
		}
	}
	if pid := os.Getenv("LISTEN_PID"); pid != "" {
		fmt.Printf("LISTEN_PID is own pid: %v\n", pid == strconv.Itoa(os.Getpid()))
	}
	// Descriptors inherited through execve are exactly those without
	// close-on-exec: the ones this program's runtime opens all have it.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fail(err)
	}
	var inherited []int
	for _, e := range entries {
		n, _ := strconv.Atoi(e.Name())
		if flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			inherited = append(inherited, n)
		}
	}
	sort.Ints(inherited)
	fmt.Printf("fds: %s\n", strings.Trim(fmt.Sprint(inherited), "[]"))

	fdList := strings.Split(os.Getenv(secretfd.EnvFds), ",")
	nameList := strings.Split(os.Getenv(secretfd.EnvFdNames), ":")
	for i, s := range fdList {
		fd, err := strconv.Atoi(s)
		if err != nil {
			fail(err)
		}
		link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		_, readErr := unix.Read(fd, make([]byte, 1))
		m, err := secretfd.Map(fd)
		if err != nil {
			fail(err)
		}
		if err := os.WriteFile("got."+nameList[i], m.Bytes(), 0o644); err != nil {
			fail(err)
		}
		if os.Getenv("CONSUMER_PROBE") != "" && len(m.Bytes()) > 0 {
			probeKernel(fd, m.Bytes())
		}
		fmt.Printf("%s: fd %d, %d bytes, link %s, read: %v\n", nameList[i], fd, len(m.Bytes()), link, readErr)
		m.Close()
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "consumer:", err)
	os.Exit(99)
}

// TestCIHasWhatScriptsNeed makes the scripts' conditional steps ([root],
// [setpriv], [exec:TOOL], found in the scripts themselves) unconditional in
// CI: .ci/run runs as root and installs every tool, so a missing one there
// is a broken CI set-up that would otherwise pass as a silently skipped
// step. The Go tests' own tools (openssl, ssh-keygen, groff) fail their
// tests in CI through testenv; they are listed here too, to say it once.
func TestCIHasWhatScriptsNeed(t *testing.T) {
	if !testenv.CI() {
		t.Skip("only in CI, where .ci/run installs every tool")
	}
	if os.Geteuid() != 0 {
		t.Errorf("CI runs the suite as root (the scripts switch users with setpriv), but euid is %d", os.Geteuid())
	}
	tools := []string{"cc", "make", "setpriv", "openssl", "ssh-keygen", "groff"}
	scripts, _ := filepath.Glob("testdata/script/*.txtar")
	cond := regexp.MustCompile(`\[!?exec:([^\]]+)\]`)
	for _, script := range scripts {
		data, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cond.FindAllStringSubmatch(string(data), -1) {
			tools = append(tools, m[1])
		}
	}
	slices.Sort(tools)
	for _, tool := range slices.Compact(tools) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Errorf("in CI but %s is not installed: what needs it would skip; .ci/run must install it", tool)
		}
	}
}
