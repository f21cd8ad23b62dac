package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/diagnose"
	"github.com/secretcat/secretcat/internal/secretmem"
)

func newDoctorCommand() *cobra.Command {
	var asJSON, probeChild bool
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Check what this system offers for secret memory, and how to fix what is missing",
		Long: `doctor reports the kernel, whether memfd_secret works (it creates, sizes,
maps and writes one page of secret memory, in a child process so that a
seccomp filter that kills with SIGSYS is observed rather than suffered),
why not when it fails, what that cause rests on and how to fix it, the
locked-memory limit that bounds how much secret memory this user may hold,
the seccomp mode, signs of a container, the hibernation side effect, Yama's
ptrace scope, and whether a terminal is available for passphrase prompts.

With --json it prints the same as one JSON object (see JSON OUTPUT in
secretcat-doctor(1)).

It exits 0 when secret memory works, 5 when memfd_secret is unavailable and
6 when not even one page fits the locked-memory limit.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if probeChild {
				return reportProbe(c.OutOrStdout())
			}
			r := examine()
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				r.writeText(c.OutOrStdout())
			}
			if r.probeErr != nil {
				return &exitError{code: r.ExitStatus, err: fmt.Errorf("secret memory does not work here (cause: %s); see the report above", r.Diagnosis.Cause)}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object, for scripts")
	c.Flags().BoolVar(&probeChild, "probe-child", false, "")
	c.Flags().MarkHidden("probe-child")
	return c
}

// report is what doctor found. Its JSON form is the stable schema documented
// in secretcat-doctor(1): fields are only ever added.
type report struct {
	Schema      int               `json:"schema"`
	Works       bool              `json:"works"`
	ExitStatus  int               `json:"exit_status"`
	Arch        string            `json:"arch"`
	Kernel      kernelReport      `json:"kernel"`
	Probe       probeReport       `json:"probe"`
	Diagnosis   diagnosisReport   `json:"diagnosis"`
	Memlock     memlockReport     `json:"memlock"`
	Seccomp     seccompReport     `json:"seccomp"`
	Container   containerReport   `json:"container"`
	Hibernation hibernationReport `json:"hibernation"`
	PtraceScope int               `json:"ptrace_scope"`
	Terminal    bool              `json:"terminal"`

	probeErr error
	facts    diagnose.Facts
}

type kernelReport struct {
	Release         string `json:"release"`
	SecretmemEnable string `json:"secretmem_enable"`
	BootParam       string `json:"boot_param"`
}

type probeReport struct {
	Result  string `json:"result"`
	Error   string `json:"error"`
	InChild bool   `json:"in_child"`
}

type diagnosisReport struct {
	Cause   diagnose.Cause `json:"cause"`
	Certain bool           `json:"certain"`
	Reason  string         `json:"reason"`
	Fix     string         `json:"fix"`
}

type memlockReport struct {
	Soft       int64 `json:"soft"`
	Hard       int64 `json:"hard"`
	CapIPCLock bool  `json:"cap_ipc_lock"`
	Binding    bool  `json:"binding"`
}

type seccompReport struct {
	Mode    int `json:"mode"`
	Filters int `json:"filters"`
}

type containerReport struct {
	Detected bool     `json:"detected"`
	Evidence []string `json:"evidence"`
}

type hibernationReport struct {
	Available        bool `json:"available"`
	BlockedWhileOpen bool `json:"blocked_while_open"`
}

// examine probes secret memory and gathers what explains the result.
func examine() *report {
	r := &report{Schema: 1}
	r.probeErr, r.Probe.InChild = probe()
	f := diagnose.GatherFacts()
	r.facts, r.Arch = f, f.Arch
	r.Kernel = kernelReport{Release: f.Release, SecretmemEnable: f.Secretmem, BootParam: f.BootEnable}
	r.Probe.Result = probeResult(r.probeErr)
	if r.probeErr != nil {
		r.Probe.Error = probeError(r.probeErr)
		r.ExitStatus = exitCode(r.probeErr)
	}
	r.Works = r.probeErr == nil
	d := diagnose.Diagnose(r.probeErr)
	r.Diagnosis = diagnosisReport{Cause: d.Cause, Certain: d.Certain, Reason: d.Reason, Fix: fixWords(d)}

	r.Memlock = memlockReport{Soft: -1, Hard: -1, CapIPCLock: f.IPCLock} // -1: unknown
	if lim := f.Memlock; lim != nil {
		r.Memlock.Soft, r.Memlock.Hard = limitJSON(lim.Soft), limitJSON(lim.Hard)
		r.Memlock.Binding = !f.IPCLock && lim.Soft != unix.RLIM_INFINITY
	}
	r.Seccomp = seccompReport{Mode: f.Seccomp, Filters: f.SeccompFilters}
	r.Container = containerReport{Detected: len(f.Container) > 0, Evidence: append([]string{}, f.Container...)}
	state, _ := os.ReadFile("/sys/power/state")
	r.Hibernation = hibernationReport{Available: strings.Contains(string(state), "disk"), BlockedWhileOpen: true}

	r.PtraceScope = -1
	if scope, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		r.PtraceScope, _ = strconv.Atoi(strings.TrimSpace(string(scope)))
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		tty.Close()
		r.Terminal = true
	}
	return r
}

// limitJSON is a resource limit for JSON: bytes, or -1 for unlimited.
func limitJSON(n uint64) int64 {
	if n == unix.RLIM_INFINITY {
		return -1
	}
	return int64(n)
}

// probeResult names the outcome of a probe for the JSON "probe.result".
func probeResult(err error) string {
	var se *secretmem.Error
	var errno unix.Errno
	switch {
	case err == nil:
		return "works"
	case !errors.As(err, &se):
		return "error"
	case se.Kind == secretmem.OverLimit:
		return "over_limit"
	case se.Kind == secretmem.Refused && !errors.As(err, &errno):
		return "SIGSYS"
	case se.Op == "memfd_secret" && errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return "error"
}

// probeError says in a few words how the probe failed; the diagnosis says
// why.
func probeError(err error) string {
	var se *secretmem.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: %v", se.Op, se.Err)
	}
	return err.Error()
}

// probe runs secretmem.Probe in a child process, which a seccomp filter may
// kill with SIGSYS without killing doctor. Where no child can be started (an
// emulator that cannot run its own binary again, a filter that denies
// execve) it probes in this process; inChild says which.
func probe() (err error, inChild bool) {
	c := &exec.Cmd{Path: "/proc/self/exe", Args: []string{os.Args[0], "doctor", "--probe-child"}}
	out, runErr := c.Output()
	var ee *exec.ExitError
	switch {
	case runErr == nil:
		return nil, true
	case errors.As(runErr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGSYS {
			return diagnose.Killed(), true
		}
		var op string
		var size int64
		var errno int
		if _, err := fmt.Sscanf(string(out), "%s %d %d", &op, &size, &errno); err == nil {
			return secretmem.NewError(op, size, unix.Errno(errno)), true
		}
	}
	return secretmem.Probe(), false
}

// reportProbe is the child side of probe: it probes and writes how the probe
// failed as "OP SIZE ERRNO".
func reportProbe(w io.Writer) error {
	err := secretmem.Probe()
	var se *secretmem.Error
	var errno unix.Errno
	if errors.As(err, &se) && errors.As(err, &errno) {
		fmt.Fprintf(w, "%s %d %d\n", se.Op, se.Size, int(errno))
	}
	return err
}

// writeText writes the report for people: one line per check.
func (r *report) writeText(w io.Writer) {
	line := func(what, format string, args ...any) {
		fmt.Fprintf(w, "%-16s %s\n", what+":", fmt.Sprintf(format, args...))
	}
	line("kernel", "%s (%s)", r.Kernel.Release, kernelState(r.facts))
	if r.Works {
		line("memfd_secret", "works (created, sized, mapped and wrote one page)")
	} else {
		line("memfd_secret", "FAILS: %s", r.Probe.Error)
		certainty := "likely, not proven"
		if r.Diagnosis.Certain {
			certainty = "proven"
		}
		line("cause", "%s (%s): %s", r.Diagnosis.Cause, certainty, r.Diagnosis.Reason)
		line("fix", "%s", r.Diagnosis.Fix)
	}

	soft, hard := secretmem.FormatLimit(uint64(r.Memlock.Soft)), secretmem.FormatLimit(uint64(r.Memlock.Hard))
	switch {
	case r.facts.Memlock == nil:
		line("RLIMIT_MEMLOCK", "cannot be read")
	case r.Memlock.CapIPCLock:
		line("RLIMIT_MEMLOCK", "soft %s, hard %s; not binding: this process has CAP_IPC_LOCK", soft, hard)
	default:
		a := diagnose.Memlock(r.facts, 0)
		line("RLIMIT_MEMLOCK", "soft %s, hard %s: the most secret memory secretcat (up to the hard limit) and its COMMAND can hold; to hold more: %s",
			soft, hard, a.Fix())
	}

	switch r.Seccomp.Mode {
	case 0:
		line("seccomp", "off")
	case 2:
		line("seccomp", "filter active (%d filters; a container or service profile): it must allow memfd_secret; in a systemd unit: %s", r.Seccomp.Filters, diagnose.SystemdFix)
	case -1:
		line("seccomp", "unknown (no Seccomp line in /proc/self/status)")
	default:
		line("seccomp", "mode %d", r.Seccomp.Mode)
	}

	if r.Container.Detected {
		ipc := "has CAP_IPC_LOCK"
		if !r.Memlock.CapIPCLock {
			ipc = "lacks CAP_IPC_LOCK, so RLIMIT_MEMLOCK binds even for root"
		}
		line("container", "detected (%s); this process %s", strings.Join(r.Container.Evidence, ", "), ipc)
	} else {
		line("container", "none detected (no /.dockerenv, /run/.containerenv or $container)")
	}

	offered := "this machine does not offer hibernation"
	if r.Hibernation.Available {
		offered = "this machine offers hibernation"
	}
	line("hibernation", "%s; while any secret descriptor is open (COMMAND holds one for its lifetime) the kernel refuses to hibernate", offered)

	if r.PtraceScope >= 0 {
		meaning := map[int]string{
			0: "any process may ptrace another of the same user",
			1: "only ancestors may ptrace a process",
			2: "only CAP_SYS_PTRACE may ptrace",
			3: "nothing may ptrace",
		}[r.PtraceScope]
		line("ptrace_scope", "%d (Yama: %s; secretcat is non-dumpable while it works either way, and secret memory cannot be read through ptrace)", r.PtraceScope, meaning)
	} else {
		line("ptrace_scope", "Yama not present (secretcat is non-dumpable while it works)")
	}

	if r.Terminal {
		line("terminal", "/dev/tty is available for passphrase prompts")
	} else {
		line("terminal", "no /dev/tty: pass passphrases with --passphrase-file or --passphrase-fd")
	}

	if r.Works {
		fmt.Fprintln(w, "result:          secret memory works")
	} else {
		fmt.Fprintln(w, "result:          secret memory does NOT work here")
	}
}

// kernelState says what the kernel shows of its secret memory.
func kernelState(f diagnose.Facts) string {
	switch f.Secretmem {
	case "Y", "N":
		return fmt.Sprintf("%s is %s", diagnose.SecretmemParam, f.Secretmem)
	case diagnose.SysfsAbsent:
		return "no " + diagnose.SecretmemParam + ": built without CONFIG_SECRETMEM=y"
	case diagnose.SysfsUnreadable:
		return diagnose.SecretmemParam + " exists (only root may read it); memfd_secret needs 5.14 or later, before 6.5 also secretmem.enable=1"
	}
	return "memfd_secret needs 5.14 or later; before 6.5 also secretmem.enable=1"
}
