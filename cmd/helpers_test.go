package cmd_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// testPlugin is age-plugin-sctest: its identity data is an X25519 identity
// string; before unwrapping it shows a message through the client's UI and,
// with SCTEST_PIN set, asks for that PIN.
func testPlugin() {
	p, err := plugin.New("sctest")
	if err != nil {
		fail(err)
	}
	fs := flag.NewFlagSet("age-plugin-sctest", flag.ContinueOnError)
	p.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		fail(err)
	}
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		id, err := age.ParseX25519Identity(string(data))
		if err != nil {
			return nil, err
		}
		return &pluginIdentity{p: p, id: id}, nil
	})
	os.Exit(p.Main())
}

type pluginIdentity struct {
	p  *plugin.Plugin
	id *age.X25519Identity
}

func (i *pluginIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if err := i.p.DisplayMessage("touch the test token"); err != nil {
		return nil, err
	}
	// With SCTEST_PIN set, the token also wants a PIN, asked by the client
	// on the terminal.
	if want := os.Getenv("SCTEST_PIN"); want != "" {
		pin, err := i.p.RequestValue("Enter the token PIN:", true)
		if err != nil {
			return nil, err
		}
		if pin != want {
			return nil, fmt.Errorf("wrong PIN")
		}
	}
	return i.id.Unwrap(stanzas)
}

// pluginid IDFILE OUT writes a plugin identity for age-plugin-sctest that
// wraps the X25519 identity in IDFILE.
func cmdPluginID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: pluginid IDFILE OUT")
	}
	var key string
	for _, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if strings.HasPrefix(line, "AGE-SECRET-KEY-1") {
			key = line
		}
	}
	content := "# a plugin identity\n" + plugin.EncodeIdentity("sctest", []byte(key)) + "\n"
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(content), 0o600))
}

// pty [-status N] [-stderr] ANSWER PROG [ARG...] runs PROG with a new
// pseudo-terminal as its controlling terminal and standard input (and
// standard error, with -stderr). Each time the terminal
// shows a prompt ending in ": ", it types the next comma-separated item of
// ANSWER and Enter (^C types an interrupt and nothing else). PROG's standard
// output and error go to the script's; the terminal transcript follows on
// standard error after "[tty]", then "[echo on]" or "[echo off]" for the
// terminal's state once PROG exits.
func cmdPty(ts *testscript.TestScript, neg bool, args []string) {
	want := 0
	if len(args) > 2 && args[0] == "-status" {
		w, err := strconv.Atoi(args[1])
		ts.Check(err)
		want, args = w, args[2:]
	}
	stderrTTY := len(args) > 2 && args[0] == "-stderr"
	if stderrTTY {
		args = args[1:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: pty [-status N] [-stderr] ANSWER PROG [ARG...]")
	}
	answers := strings.Split(args[0], ",")
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	ts.Check(err)
	defer master.Close()
	ts.Check(unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	ts.Check(err)
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	ts.Check(err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	path, err := exec.LookPath(args[1])
	if err != nil {
		path = ts.MkAbs(args[1])
	}
	c := exec.CommandContext(ctx, path, args[2:]...)
	c.Dir = ts.MkAbs(".")
	c.Env = os.Environ()
	for _, k := range []string{"PATH", "HOME", "SECRETCAT_IDENTITY", "SCTEST_PIN", "SECRETCAT_TEST_PROGRESS_DELAY"} {
		c.Env = append(c.Env, k+"="+ts.Getenv(k))
	}
	var stdout, stderr bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = slave, &stdout, &stderr
	if stderrTTY {
		c.Stderr = slave
	}
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	ts.Check(c.Start())
	slave.Close()

	var transcript bytes.Buffer
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := master.Read(buf)
			mu.Lock()
			transcript.Write(buf[:k])
			prompted := bytes.HasSuffix(bytes.TrimRight(transcript.Bytes(), " "), []byte(":"))
			mu.Unlock()
			if prompted && len(answers) > 0 {
				a := answers[0]
				answers = answers[1:]
				if a == "^C" {
					master.Write([]byte{3})
				} else {
					master.Write([]byte(a + "\r"))
				}
			}
			if err != nil {
				return
			}
		}
	}()
	err = c.Wait()
	echo := "[echo off]"
	if t, terr := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS); terr == nil && t.Lflag&unix.ECHO != 0 {
		echo = "[echo on]"
	}
	master.Close()
	<-done
	mu.Lock()
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprintf(ts.Stderr(), "%s[tty]\n%s\n%s\n", stderr.String(), transcript.String(), echo)
	mu.Unlock()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			got = 128 + int(ws.Signal())
		}
	} else if err != nil {
		ts.Fatalf("pty: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
