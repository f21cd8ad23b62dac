package cmd_test

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// imageRun is "imagerun [-user UID:GID] MEMLOCK DOCKERFILE ROOTFS [ARG...]":
// it runs the last stage of DOCKERFILE from ROOTFS (the image's files) as
// "docker run --ulimit memlock=MEMLOCK:MEMLOCK --cap-drop=ALL IMAGE ARG..."
// would, without a container runtime: ROOTFS as the root directory with a
// /.dockerenv, the stage's USER (or -user), its ENV on an otherwise empty
// environment, every capability dropped from the bounding set (so root
// lacks CAP_IPC_LOCK, as in a container), RLIMIT_MEMLOCK set, and
// ENTRYPOINT followed by ARG... or else CMD.
func imageRun() {
	args := os.Args[1:]
	user := ""
	if len(args) > 1 && args[0] == "-user" {
		user, args = args[1], args[2:]
	}
	if len(args) < 3 {
		fail(fmt.Errorf("usage: imagerun [-user UID:GID] MEMLOCK DOCKERFILE ROOTFS [ARG...]"))
	}
	memlock, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		fail(err)
	}
	stage, err := lastStage(args[1])
	if err != nil {
		fail(err)
	}
	if user == "" {
		user = stage.user
	}
	argv := stage.entrypoint
	if len(args) > 3 {
		argv = append(argv, args[3:]...)
	} else {
		argv = append(argv, stage.cmd...)
	}
	if len(argv) == 0 {
		fail(fmt.Errorf("%s has no ENTRYPOINT or CMD", args[1]))
	}
	if err := os.WriteFile(filepath.Join(args[2], ".dockerenv"), nil, 0o644); err != nil {
		fail(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: memlock, Max: memlock}); err != nil {
		fail(err)
	}
	// The bounding set is per thread: drop it on the thread that execs.
	runtime.LockOSThread()
	if err := syscall.Chroot(args[2]); err != nil {
		fail(err)
	}
	if err := os.Chdir("/"); err != nil {
		fail(err)
	}
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			fail(fmt.Errorf("dropping capability %d: %w", c, err))
		}
	}
	uid, gid := 0, 0
	if user != "" {
		u, g, _ := strings.Cut(user, ":")
		if uid, err = strconv.Atoi(u); err == nil && g != "" {
			gid, err = strconv.Atoi(g)
		}
		if err != nil {
			fail(fmt.Errorf("USER %s: only numeric UID:GID", user))
		}
	}
	if err := unix.Setgroups(nil); err != nil {
		fail(err)
	}
	if err := unix.Setresgid(gid, gid, gid); err != nil {
		fail(err)
	}
	if err := unix.Setresuid(uid, uid, uid); err != nil {
		fail(err)
	}
	env := append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, stage.env...)
	fail(syscall.Exec(argv[0], argv, env))
}

// stage is what imagerun takes from a Dockerfile's last stage.
type stage struct {
	user            string
	env             []string
	entrypoint, cmd []string
}

// lastStage reads USER, ENV (KEY=VALUE form), ENTRYPOINT and CMD (JSON
// form) of the last FROM stage of a Dockerfile.
func lastStage(path string) (stage, error) {
	f, err := os.Open(path)
	if err != nil {
		return stage{}, err
	}
	defer f.Close()
	var s stage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		instr, rest, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			s = stage{}
		case "USER":
			s.user = rest
		case "ENV":
			s.env = append(s.env, strings.Fields(rest)...)
		case "ENTRYPOINT":
			err = json.Unmarshal([]byte(rest), &s.entrypoint)
		case "CMD":
			err = json.Unmarshal([]byte(rest), &s.cmd)
		}
		if err != nil {
			return stage{}, fmt.Errorf("%s: %s: %w", path, instr, err)
		}
	}
	return s, sc.Err()
}

// static FILE... checks that each FILE is a statically linked ELF
// executable: no program interpreter, no shared libraries.
func cmdStatic(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: static FILE...")
	}
	for _, name := range args {
		f, err := elf.Open(ts.MkAbs(name))
		ts.Check(err)
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				ts.Fatalf("%s has a program interpreter: not static", name)
			}
		}
		libs, err := f.ImportedLibraries()
		ts.Check(err)
		if len(libs) > 0 {
			ts.Fatalf("%s needs shared libraries %v", name, libs)
		}
		f.Close()
	}
}
