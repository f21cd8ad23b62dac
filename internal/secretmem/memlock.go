package secretmem

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Memlock is a process's RLIMIT_MEMLOCK in bytes; unix.RLIM_INFINITY
// stands for no limit.
type Memlock struct {
	Soft, Hard uint64
}

// ReadMemlock reads this process's RLIMIT_MEMLOCK.
func ReadMemlock() (Memlock, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return Memlock{}, fmt.Errorf("reading RLIMIT_MEMLOCK: %w", err)
	}
	return Memlock{Soft: rl.Cur, Hard: rl.Max}, nil
}

// LimitError reports that the secret files to be created do not fit in the
// locked-memory limit.
type LimitError struct {
	Need int64 // bytes of locked memory needed, rounded to pages
	// Limit is RLIMIT_MEMLOCK after trying to raise the soft limit.
	Limit Memlock
}

// Error states the need and the soft limit; which limit binds, soft or
// hard, is the advice's to say.
func (e *LimitError) Error() string {
	return fmt.Sprintf("secret memory over the locked-memory limit: %s is needed (RLIMIT_MEMLOCK), the limit is %s",
		FormatBytes(e.Need), FormatLimit(e.Limit.Soft))
}

// EnsureMemlock makes sure that sizes, each mapped at once, fit in this
// process's RLIMIT_MEMLOCK. The check uses the total because a consumer that
// inherits the files maps them all under the same limit. When the soft limit
// is too low it is raised towards the hard limit. Processes with
// CAP_IPC_LOCK are not limited.
func EnsureMemlock(sizes ...int64) error {
	var need int64
	for _, s := range sizes {
		need += PageRound(s)
	}
	if need == 0 || HasIPCLock() {
		return nil
	}
	lim, err := ReadMemlock()
	if err != nil {
		return err
	}
	if lim.Soft == unix.RLIM_INFINITY || uint64(need) <= lim.Soft {
		return nil
	}
	if lim.Hard == unix.RLIM_INFINITY || uint64(need) <= lim.Hard {
		raised := unix.Rlimit{Cur: lim.Hard, Max: lim.Hard}
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &raised); err == nil {
			return nil
		}
	}
	return &LimitError{Need: need, Limit: lim}
}

// HasIPCLock reports whether this process has CAP_IPC_LOCK in its effective
// set, which exempts it from RLIMIT_MEMLOCK.
func HasIPCLock() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3: 64 capabilities in two words
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_IPC_LOCK/32].Effective&(1<<(unix.CAP_IPC_LOCK%32)) != 0
}

// FormatLimit formats a resource limit in bytes, or "unlimited".
func FormatLimit(n uint64) string {
	if n == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return FormatBytes(int64(n))
}

// FormatBytes formats n bytes for people, with the exact count and, where it
// helps, KiB (the unit of ulimit -l).
func FormatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d bytes (%d KiB)", n, (n+1023)/1024)
}
