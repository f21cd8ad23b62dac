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
