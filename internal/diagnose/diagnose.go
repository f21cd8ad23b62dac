// Package diagnose explains why secret memory is unavailable on this
// system: it gathers the facts (GatherFacts) and tells from them the cause
// and the fix (Diagnose). It runs only when the CLI asks.
package diagnose

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
)

// Cause names what keeps secret memory from working. The values are stable:
// they are the "cause" field of secretcat doctor --json.
type Cause string

// Causes a Diagnosis can name.
const (
	CauseNone         Cause = "none"                     // secret memory works
	CauseKernelTooOld Cause = "kernel_too_old"           // Linux before 5.14
	CauseNotBuilt     Cause = "kernel_without_secretmem" // built without CONFIG_SECRETMEM=y
	CauseBootFlagOff  Cause = "boot_flag_off"            // secretmem.enable is off
	CauseRodata       Cause = "arm64_rodata_not_full"    // arm64 booted without rodata=full
	CauseEmulator     Cause = "emulator"                 // qemu-user or another CPU emulator
	CauseSandbox      Cause = "sandbox"                  // gVisor or another system-call sandbox
	CauseSeccomp      Cause = "seccomp"                  // a seccomp filter
	CauseMemlock      Cause = "memlock"                  // RLIMIT_MEMLOCK is too low
	CauseUnknown      Cause = "unknown"                  // none of the above can be shown
)

// Diagnosis says why secret memory failed: the cause, whether the facts prove
// it or only leave it as the likeliest, and what to do.
type Diagnosis struct {
	Cause   Cause
	Certain bool   // the facts prove Cause; otherwise it is the likeliest they leave
	Reason  string // the facts, and what they prove or leave open
	Fix     string // what to do about it
	// Fallback says that accepting ordinary memory in place of secret
	// memory is the other way out, where Fix needs another machine.
	Fallback bool
}

// Values of Facts.Secretmem besides the parameter's own "Y" and "N".
const (
	SysfsAbsent     = "absent"     // /sys/module is there but secretmem is not: not built in
	SysfsUnreadable = "unreadable" // the parameter exists (so it is built in) but only root reads it
	SysfsUnknown    = "unknown"    // no /sys/module to look at
)

// SecretmemParam is where the kernel shows whether secret memory is enabled.
const SecretmemParam = "/sys/module/secretmem/parameters/enable"

// SystemdFix is the systemd unit line that lets a hardened service call
// memfd_secret: @system-service does not include it.
const SystemdFix = "SystemCallFilter=@system-service memfd_secret"

// Facts are what a diagnosis rests on, as GatherFacts reads them from the
// running system.
type Facts struct {
	Release        string // uname -r
	Version        string // uname -v
	Arch           string // the architecture secretcat was built for (GOARCH)
	CPUArch        string // the GOARCH of the CPU /proc/cpuinfo describes, "" when unknown
	Comm           string // the Name line of /proc/self/status: the host program's name
	Secretmem      string // "Y", "N", SysfsAbsent, SysfsUnreadable or SysfsUnknown
	BootEnable     string // secretmem.enable= on the kernel command line, "" when not given
	Rodata         string // rodata= on the kernel command line, "" when not given
	Seccomp        int    // the Seccomp mode of /proc/self/status: 0 off, 2 filter, -1 unknown
	SeccompFilters int    // Seccomp_filters of /proc/self/status, -1 unknown
	Euid           int
	IPCLock        bool     // CAP_IPC_LOCK in the effective set
	Container      []string // what shows that this runs in a container, nil when nothing does
	// Memlock is RLIMIT_MEMLOCK, nil when it cannot be read.
	Memlock *secretmem.Memlock
}

// GatherFacts reads the facts a diagnosis needs from the running system.
func GatherFacts() Facts {
	f := Facts{
		Release: KernelRelease(), Arch: runtime.GOARCH,
		Seccomp: -1, SeccompFilters: -1,
		Euid: os.Geteuid(), IPCLock: secretmem.HasIPCLock(),
		Container: containerEvidence(),
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		f.Version = unix.ByteSliceToString(u.Version[:])
	}
	if lim, err := secretmem.ReadMemlock(); err == nil {
		f.Memlock = &lim
	}
	if cpuinfo, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		f.CPUArch = cpuArch(string(cpuinfo))
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		f.Comm = statusField(string(status), "Name")
		if n, err := strconv.Atoi(statusField(string(status), "Seccomp")); err == nil {
			f.Seccomp = n
		}
		if n, err := strconv.Atoi(statusField(string(status), "Seccomp_filters")); err == nil {
			f.SeccompFilters = n
		}
	}
	f.Secretmem = secretmemParam()
	if cmdline, err := os.ReadFile("/proc/cmdline"); err == nil {
		for _, arg := range strings.Fields(string(cmdline)) {
			if v, ok := strings.CutPrefix(arg, "secretmem.enable="); ok {
				f.BootEnable = v
			} else if v, ok := strings.CutPrefix(arg, "rodata="); ok {
				f.Rodata = v
			}
		}
	}
	return f
}

// secretmemParam reads SecretmemParam, telling apart a kernel without
// secret memory from a parameter only root may read.
func secretmemParam() string {
	v, err := os.ReadFile(SecretmemParam)
	switch {
	case err == nil:
		return strings.TrimSpace(string(v))
	case errors.Is(err, os.ErrPermission):
		return SysfsUnreadable
	}
	if _, err := os.Stat("/sys/module"); err == nil {
		return SysfsAbsent
	}
	return SysfsUnknown
}

// statusField returns a field of a /proc/PID/status text.
func statusField(status, field string) string {
	for _, l := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// cpuArch names, as a GOARCH, the CPU a /proc/cpuinfo text describes. An
// emulator such as qemu-user passes the host's through.
func cpuArch(cpuinfo string) string {
	has := func(key string) bool {
		return strings.HasPrefix(cpuinfo, key) || strings.Contains(cpuinfo, "\n"+key)
	}
	switch {
	case has("vendor_id") && has("flags"):
		return "amd64"
	case has("CPU implementer"):
		return "arm64"
	case has("isa") && has("mmu"):
		return "riscv64"
	}
	return ""
}

// containerEvidence lists what shows that this process runs in a container.
func containerEvidence() []string {
	var ev []string
	for _, path := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(path); err == nil {
			ev = append(ev, path+" exists")
		}
	}
	if v := os.Getenv("container"); v != "" {
		ev = append(ev, "container="+v+" in the environment")
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		ev = append(ev, "KUBERNETES_SERVICE_HOST in the environment")
	}
	return ev
}

// gVisorVersion is the fixed uname -v of gVisor's kernel.
const gVisorVersion = "#1 SMP Sun Jan 10 15:06:54 PST 2016"

// errKilled stands for a probe that seccomp killed with SIGSYS.
var errKilled = errors.New("killed by SIGSYS (bad system call)")

// Killed is the error of a memfd_secret call that a seccomp filter answered
// by killing the process with SIGSYS, as a child that probed it observed.
func Killed() *secretmem.Error {
	return &secretmem.Error{Op: "memfd_secret", Kind: secretmem.Refused, Err: errKilled}
}

// Diagnose explains err, a failure of Create, Available or Probe, from the
// facts of the running system.
func Diagnose(err error) Diagnosis {
	return diagnose(GatherFacts(), err)
}

func diagnose(f Facts, err error) Diagnosis {
	var e *secretmem.Error
	if err == nil {
		return Diagnosis{Cause: CauseNone, Certain: true, Reason: "secret memory works"}
	}
	if !errors.As(err, &e) {
		return Diagnosis{Cause: CauseUnknown, Reason: err.Error(), Fix: "see the error"}
	}
	switch e.Kind {
	case secretmem.OverLimit:
		return memlockDiagnosis(f, secretmem.PageRound(e.Size))
	case secretmem.Refused:
		return refusedDiagnosis(f, e)
	case secretmem.Unsupported:
		return unsupportedDiagnosis(f)
	}
	return Diagnosis{Cause: CauseUnknown, Reason: fmt.Sprintf("%s failed: %v", e.Op, e.Err), Fix: "see the error"}
}

// seccompFix says how to allow memfd_secret in the filters that block it.
const seccompFix = "allow memfd_secret in the filter: in a systemd unit, " + SystemdFix +
	"; in a container, a seccomp profile that allows memfd_secret (the default profiles of Docker, Podman and containerd do)"

func filters(f Facts) string {
	if f.SeccompFilters < 0 {
		return "a seccomp filter is active"
	}
	return fmt.Sprintf("a seccomp filter is active (Seccomp_filters: %d in /proc/self/status)", f.SeccompFilters)
}

func refusedDiagnosis(f Facts, e *secretmem.Error) Diagnosis {
	if errors.Is(e.Err, errKilled) {
		return Diagnosis{Cause: CauseSeccomp, Certain: true,
			Reason: "memfd_secret killed the process with SIGSYS, which only a seccomp filter does", Fix: seccompFix}
	}
	if f.Seccomp == 2 {
		return Diagnosis{Cause: CauseSeccomp, Certain: true,
			Reason: fmt.Sprintf("memfd_secret never fails with %v by itself and %s", e.Err, filters(f)), Fix: seccompFix}
	}
	return Diagnosis{Cause: CauseUnknown,
		Reason: fmt.Sprintf("memfd_secret never fails with %v by itself, and no seccomp filter shows in /proc/self/status: a Linux security module may deny it", e.Err),
		Fix:    "check the audit log for a denial of memfd_secret and allow it (" + SystemdFix + " in a systemd unit)"}
}

// enabled reports whether the kernel's secret memory is switched on, and
// whether that is read from the kernel rather than inferred from its version
// and command line.
func enabled(f Facts, major, minor int) (on, read bool) {
	switch f.Secretmem {
	case "Y", "1":
		return true, true
	case "N", "0":
		return false, true
	}
	if on, ok := bootBool(f.BootEnable); ok {
		return on, false
	}
	return major > 6 || (major == 6 && minor >= 5), false
}

// bootBool parses a boolean kernel parameter as the kernel does; ok is false
// when v is empty or not a boolean.
func bootBool(v string) (on, ok bool) {
	switch strings.ToLower(v) {
	case "1", "y", "yes", "on", "true":
		return true, true
	case "0", "n", "no", "off", "false":
		return false, true
	}
	return false, false
}

// nativeFix is the fix for a missing memfd_secret that no kernel setting
// cures; accepting ordinary memory (Diagnosis.Fallback) is the other.
const nativeFix = "run secretcat on the host or a virtual machine with its own Linux kernel"

func unsupportedDiagnosis(f Facts) Diagnosis {
	switch {
	case f.CPUArch != "" && f.CPUArch != f.Arch:
		return Diagnosis{Cause: CauseEmulator, Certain: true,
			Reason: fmt.Sprintf("secretcat is built for %s but the CPU in /proc/cpuinfo is %s: a CPU emulator (qemu-user) runs it, and it does not implement memfd_secret", f.Arch, f.CPUArch),
			Fix:    nativeFix, Fallback: true}
	case strings.HasPrefix(f.Comm, "qemu-"):
		return Diagnosis{Cause: CauseEmulator, Certain: true,
			Reason: fmt.Sprintf("the process is %s: qemu-user runs secretcat, and it does not implement memfd_secret", f.Comm),
			Fix:    nativeFix, Fallback: true}
	case f.Version == gVisorVersion:
		return Diagnosis{Cause: CauseSandbox, Certain: true,
			Reason: "uname -v shows gVisor's kernel, which does not implement memfd_secret",
			Fix:    "run the container with a runtime that uses the host kernel (runc, crun)", Fallback: true}
	}
	major, minor := parseRelease(f.Release)
	switch {
	case major == 0:
		return Diagnosis{Cause: CauseUnknown,
			Reason: fmt.Sprintf("memfd_secret is not implemented and the kernel release %q says nothing about it", f.Release),
			Fix:    "use Linux 5.14 or later built with CONFIG_SECRETMEM=y, outside emulators and sandboxes"}
	case major < 5 || (major == 5 && minor < 14):
		return Diagnosis{Cause: CauseKernelTooOld, Certain: true,
			Reason: fmt.Sprintf("kernel %s is older than 5.14, which introduced memfd_secret", f.Release),
			Fix:    "upgrade to Linux 5.14 or later (6.5 or later enables secret memory by default)"}
	case f.Secretmem == SysfsAbsent:
		return Diagnosis{Cause: CauseNotBuilt, Certain: true,
			Reason: fmt.Sprintf("kernel %s has no %s: it was built without CONFIG_SECRETMEM=y", f.Release, SecretmemParam),
			Fix:    "use a kernel built with CONFIG_SECRETMEM=y"}
	}
	on, read := enabled(f, major, minor)
	switch {
	case !on:
		how := "boots with secret memory off"
		if read {
			how = fmt.Sprintf("has secret memory off (%s is %s)", SecretmemParam, f.Secretmem)
		} else if f.BootEnable != "" {
			how = fmt.Sprintf("was booted with secretmem.enable=%s", f.BootEnable)
		} else {
			how = "turns secret memory on only when booted with secretmem.enable=1 (before 6.5), and the kernel command line lacks it"
		}
		return Diagnosis{Cause: CauseBootFlagOff, Certain: read || f.BootEnable != "",
			Reason: fmt.Sprintf("kernel %s %s", f.Release, how),
			Fix:    "add secretmem.enable=1 to the kernel command line and reboot"}
	case f.Arch == "arm64" && f.Rodata != "" && f.Rodata != "full":
		return Diagnosis{Cause: CauseRodata, Certain: true,
			Reason: fmt.Sprintf("on arm64 secret memory needs rodata=full, and the kernel was booted with rodata=%s", f.Rodata),
			Fix:    "boot without rodata= (full is the default) or with rodata=full"}
	}
	state := fmt.Sprintf("kernel %s has secret memory on (%s is %s)", f.Release, SecretmemParam, f.Secretmem)
	if !read {
		state = fmt.Sprintf("kernel %s should have secret memory on (%s, which only root may read, exists and the version enables it by default)", f.Release, SecretmemParam)
	}
	if f.Seccomp == 2 {
		return Diagnosis{Cause: CauseSeccomp, Certain: false,
			Reason: fmt.Sprintf("%s and %s: it most likely answers ENOSYS for memfd_secret, as filters do for system calls they do not know (an emulator or sandbox would too, but none shows)", state, filters(f)),
			Fix:    seccompFix}
	}
	return Diagnosis{Cause: CauseSandbox, Certain: false,
		Reason: fmt.Sprintf("%s and no seccomp filter is active, so something between secretcat and the kernel answers ENOSYS: an emulator (qemu-user) or a sandbox (gVisor)", state),
		Fix:    nativeFix}
}

func memlockDiagnosis(f Facts, need int64) Diagnosis {
	m := Memlock(f, need)
	reason := fmt.Sprintf("the secret memory needs %s of locked memory and %s", secretmem.FormatBytes(need), m.Limit)
	if m.Note != "" {
		reason += "; " + m.Note
	}
	return Diagnosis{Cause: CauseMemlock, Certain: true, Reason: reason, Fix: m.Fix()}
}

// MemlockAdvice says how to let a process lock more memory, for the limit
// that binds.
type MemlockAdvice struct {
	Limit string   // RLIMIT_MEMLOCK, as "RLIMIT_MEMLOCK is 64 KiB (hard limit 8 MiB)"
	Note  string   // why the limit binds for root, when it does; else ""
	Binds string   // which limit binds, and who can raise it
	Steps []string // ways to raise it, each on its own: a shell, a unit, a container
}

// Fix is the advice on one line: the limit that binds, then the ways to
// raise it.
func (a MemlockAdvice) Fix() string { return a.Binds + ": " + strings.Join(a.Steps, "; ") }

// Memlock advises how to let this process lock need bytes (0: more than
// the hard limit allows), from the facts f.
func Memlock(f Facts, need int64) MemlockAdvice {
	var a MemlockAdvice
	if f.Euid == 0 && !f.IPCLock {
		a.Note = "root is bound too: secretcat runs without CAP_IPC_LOCK (containers drop it)"
	}
	// The hard limit, unknown when RLIMIT_MEMLOCK cannot be read: then the
	// ways that raise both limits are the advice.
	var hard uint64
	if f.Memlock != nil {
		hard = f.Memlock.Hard
		a.Limit = fmt.Sprintf("RLIMIT_MEMLOCK is %s (hard limit %s)", secretmem.FormatLimit(f.Memlock.Soft), secretmem.FormatLimit(hard))
	} else {
		a.Limit = "RLIMIT_MEMLOCK cannot be read"
	}
	n := secretmem.PageRound(need)
	if n == 0 {
		n = max(16<<20, secretmem.PageRound(int64(min(hard, 1<<40))*2))
	}
	kib := (n + 1023) / 1024
	unit := fmt.Sprintf("in a systemd unit: LimitMEMLOCK=%d", n)
	rootSteps := []string{unit,
		fmt.Sprintf("for logins: '* - memlock %d' in /etc/security/limits.conf", kib),
		fmt.Sprintf("as root, in the shell that starts secretcat: ulimit -l %d", kib)}
	switch {
	case f.Memlock == nil:
		a.Binds = "the limit could not be read (getrlimit failed), so raise both"
		a.Steps = rootSteps
	case hard != unix.RLIM_INFINITY && uint64(n) > hard:
		a.Binds = fmt.Sprintf("the hard limit, %s, binds, and only root can raise it", secretmem.FormatLimit(hard))
		a.Steps = rootSteps
	default:
		a.Binds = "the soft limit binds, and the hard limit allows more"
		a.Steps = []string{fmt.Sprintf("in the shell that starts secretcat: ulimit -S -l %d", kib), unit}
	}
	if len(f.Container) > 0 || a.Note != "" {
		a.Steps = append(a.Steps, fmt.Sprintf("in a container: docker run --ulimit memlock=%d:%d (podman alike)", n, n))
	}
	return a
}

// KernelRelease returns the running kernel's release string, as uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

func parseRelease(r string) (major, minor int) {
	fmt.Sscanf(r, "%d.%d", &major, &minor)
	return major, minor
}
