package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/secretfd"
)

func newDoctorCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check what this system offers for secret memory, and how to fix what is missing",
		Long: `doctor reports the kernel, whether memfd_secret works (it creates, sizes,
maps and writes one page of secret memory), the locked-memory limit that
bounds how much secret memory this user may hold, the seccomp mode, Yama's
ptrace scope, and whether a terminal is available for passphrase prompts,
each with the fix for what is missing.

It exits 0 when secret memory works, 5 when memfd_secret is unavailable and
6 when not even one page fits the locked-memory limit.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			return doctor(c.OutOrStdout())
		},
	}
}

func doctor(w io.Writer) error {
	line := func(what, format string, args ...any) {
		fmt.Fprintf(w, "%-16s %s\n", what+":", fmt.Sprintf(format, args...))
	}
	line("kernel", "%s (memfd_secret needs 5.14 or later; before 6.5 also secretmem.enable=1)", secretfd.KernelRelease())

	probe := secretfd.Probe()
	if probe == nil {
		line("memfd_secret", "works (created, sized, mapped and wrote one page)")
	} else {
		line("memfd_secret", "FAILS: %v", probe)
	}

	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl)
	if secretfd.HasIPCLock() {
		line("RLIMIT_MEMLOCK", "soft %s, hard %s; not binding: this process has CAP_IPC_LOCK", secretfd.FormatLimit(rl.Cur), secretfd.FormatLimit(rl.Max))
	} else {
		line("RLIMIT_MEMLOCK", "soft %s, hard %s: the most secret memory secretcat (up to the hard limit) and its COMMAND can hold; %s",
			secretfd.FormatLimit(rl.Cur), secretfd.FormatLimit(rl.Max), secretfd.MemlockHint)
	}

	switch mode := procStatus("Seccomp"); mode {
	case "0":
		line("seccomp", "off")
	case "2":
		line("seccomp", "filter active (a container or service profile): memfd_secret must be allowed by it")
	case "":
		line("seccomp", "unknown (no Seccomp line in /proc/self/status)")
	default:
		line("seccomp", "mode %s", mode)
	}

	if scope, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		s := strings.TrimSpace(string(scope))
		meaning := map[string]string{
			"0": "any process may ptrace another of the same user",
			"1": "only ancestors may ptrace a process",
			"2": "only CAP_SYS_PTRACE may ptrace",
			"3": "nothing may ptrace",
		}[s]
		line("ptrace_scope", "%s (Yama: %s; secretcat is non-dumpable while it works either way, and secret memory cannot be read through ptrace)", s, meaning)
	} else {
		line("ptrace_scope", "Yama not present (secretcat is non-dumpable while it works)")
	}

	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		tty.Close()
		line("terminal", "/dev/tty is available for passphrase prompts")
	} else {
		line("terminal", "no /dev/tty (%v): pass passphrases with --passphrase-file or --passphrase-fd", errors.Unwrap(err))
	}

	if probe != nil {
		fmt.Fprintln(w, "result:          secret memory does NOT work here")
		return probe
	}
	fmt.Fprintln(w, "result:          secret memory works")
	return nil
}

// procStatus returns the value of a field of /proc/self/status.
func procStatus(field string) string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
