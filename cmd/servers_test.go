package cmd_test

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// Servers that scripts start (nginx, haproxy) listen on 127.0.0.1 only, are
// waited for and stopped within serverDeadline, and are killed by PID when
// a script ends without stopping them.
const serverDeadline = 15 * time.Second

// waitserver PIDFILE ADDR waits until PIDFILE names a running process and
// ADDR accepts connections, sets SERVER_PID to that process, and makes sure
// it is gone when the script ends.
func cmdWaitserver(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitserver PIDFILE ADDR")
	}
	deadline := time.Now().Add(serverDeadline)
	pid := 0
	for {
		if pid == 0 {
			pid = readPid(ts, args[0])
		}
		if pid > 0 && alive(pid) {
			if c, err := net.DialTimeout("tcp", args[1], time.Second); err == nil {
				c.Close()
				break
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no server with a PID in %s listening on %s after %v", args[0], args[1], serverDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Setenv("SERVER_PID", strconv.Itoa(pid))
	ts.Defer(func() { stopServer(pid, syscall.SIGTERM) })
}

// stopserver PIDFILE [SIGNAL] sends SIGTERM (or SIGNAL: USR1, QUIT) to the
// process PIDFILE names and waits until it and the children it had are
// gone; it fails if they had to be killed.
func cmdStopserver(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: stopserver PIDFILE [SIGNAL]")
	}
	sig := signalArg(ts, args[1:], syscall.SIGTERM)
	pid := readPid(ts, args[0])
	if pid <= 0 {
		ts.Fatalf("no PID in %s", args[0])
	}
	if !stopServer(pid, sig) {
		ts.Fatalf("process %d did not stop within %v of %v: killed", pid, serverDeadline, sig)
	}
}

// stopServer stops pid and its children, with sig first, and reports
// whether sig was enough.
func stopServer(pid int, sig syscall.Signal) bool {
	family := append(children(pid), pid)
	syscall.Kill(pid, sig)
	for deadline := time.Now().Add(serverDeadline); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !anyAlive(family) {
			return true
		}
	}
	for _, p := range family {
		syscall.Kill(p, syscall.SIGKILL)
	}
	return false
}

func readPid(ts *testscript.TestScript, file string) int {
	b, err := os.ReadFile(ts.MkAbs(file))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// livePid returns the PID in file, failing the script unless that process
// runs.
func livePid(ts *testscript.TestScript, file string) int {
	pid := readPid(ts, file)
	if pid <= 0 || !alive(pid) {
		ts.Fatalf("no process runs with the PID in %s", file)
	}
	return pid
}

// procStat returns the state and parent of pid from /proc/PID/stat.
func procStat(pid int) (state byte, ppid int, ok bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	_, after, _ := strings.Cut(string(stat), ") ") // the name may hold spaces
	fields := strings.Fields(after)
	if len(fields) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return fields[0][0], ppid, true
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z' && state != 'X'
}

func anyAlive(pids []int) bool {
	for _, p := range pids {
		if alive(p) {
			return true
		}
	}
	return false
}

// children lists the processes whose parent is pid (a server's workers).
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(p); ok && ppid == pid {
			kids = append(kids, p)
		}
	}
	return kids
}

// signalArg returns the signal a script names by its name without "SIG"
// (HUP, USR1) as the first of rest, or def when rest is empty.
func signalArg(ts *testscript.TestScript, rest []string, def syscall.Signal) syscall.Signal {
	if len(rest) == 0 {
		return def
	}
	sig := unix.SignalNum("SIG" + rest[0])
	if sig == 0 {
		ts.Fatalf("unknown signal %s", rest[0])
	}
	return sig
}
