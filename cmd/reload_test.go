package cmd_test

import (
	"slices"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// reload PIDFILE [SIGNAL] sends SIGHUP (or SIGNAL: USR1 is apache2's
// graceful restart) to the server master that PIDFILE names and waits, up to serverDeadline, until the reload is done: every worker it
// had before has exited and as many new ones run.
func cmdReload(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: reload PIDFILE [SIGNAL]")
	}
	sig := signalArg(ts, args[1:], syscall.SIGHUP)
	master := livePid(ts, args[0])
	old := children(master)
	if len(old) == 0 {
		ts.Fatalf("server %d has no workers to replace", master)
	}
	ts.Check(syscall.Kill(master, sig))
	deadline := time.Now().Add(serverDeadline)
	for {
		var fresh []int
		for _, p := range children(master) {
			if !slices.Contains(old, p) && alive(p) {
				fresh = append(fresh, p)
			}
		}
		if !anyAlive(old) && len(fresh) > 0 {
			ts.Logf("workers %v replaced by %v", old, fresh)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("server %d did not reload within %v: workers before %v, new %v", master, serverDeadline, old, fresh)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// upgrade PIDFILE does nginx's binary upgrade of the master PIDFILE names,
// as Debian's `invoke-rc.d nginx upgrade` does: SIGUSR2 makes the master
// move its PID to PIDFILE.oldbin and run its binary again; once that new
// master has written PIDFILE and started as many workers as the old one
// had, SIGQUIT stops the old master and its workers. It waits up to
// serverDeadline for each step.
func cmdUpgrade(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: upgrade PIDFILE")
	}
	file := args[0]
	old := livePid(ts, file)
	deadline := time.Now().Add(serverDeadline)
	workers := children(old)
	for ; len(workers) == 0; workers = children(old) {
		if time.Now().After(deadline) {
			ts.Fatalf("server %d started no workers within %v", old, serverDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Check(syscall.Kill(old, syscall.SIGUSR2))
	binary := 0
	for deadline := time.Now().Add(serverDeadline); ; time.Sleep(20 * time.Millisecond) {
		binary = readPid(ts, file)
		if binary != old && alive(binary) && readPid(ts, file+".oldbin") == old && len(children(binary)) >= len(workers) {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no new master within %v of SIGUSR2 to %d (PID file: %d, %s.oldbin: %d): see the server's log",
				serverDeadline, old, binary, file, readPid(ts, file+".oldbin"))
		}
	}
	ts.Logf("new master %d with workers %v", binary, children(binary))
	ts.Check(syscall.Kill(old, syscall.SIGQUIT))
	for deadline := time.Now().Add(serverDeadline); anyAlive(append(workers, old)); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			ts.Fatalf("the old master %d or its workers %v still run %v after SIGQUIT", old, workers, serverDeadline)
		}
	}
	if !alive(binary) {
		ts.Fatalf("the new master %d exited with the old one", binary)
	}
}
