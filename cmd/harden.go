package cmd

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// hardening makes this process unreadable while it holds keys and
// plaintext: not dumpable, so that other processes of the same user can
// neither ptrace it nor read /proc/PID/mem (only CAP_SYS_PTRACE can), and
// with no core dump. execve makes COMMAND dumpable again by itself; restore
// gives it back the core limit secretcat was started with.
type hardening struct {
	core unix.Rlimit
}

func harden() (*hardening, error) {
	h := &hardening{}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("making secretcat non-dumpable: %w", err)
	}
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &h.core); err != nil {
		return nil, fmt.Errorf("reading RLIMIT_CORE: %w", err)
	}
	noCore := unix.Rlimit{Cur: 0, Max: h.core.Max}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &noCore); err != nil {
		return nil, fmt.Errorf("disabling core dumps: %w", err)
	}
	return h, nil
}

// restore gives COMMAND the core limit that secretcat had.
func (h *hardening) restore() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &h.core)
}
