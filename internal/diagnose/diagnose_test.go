package diagnose

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
)

// host is a machine where secret memory works: amd64, Linux 6.18, no
// filter, root reads the parameter.
var host = Facts{
	Release: "6.18.44", Version: "#1 SMP PREEMPT_DYNAMIC", Arch: "amd64", CPUArch: "amd64",
	Comm: "secretcat", Secretmem: "Y", Seccomp: 0, SeccompFilters: 0, Euid: 1000,
}

// TestDiagnose checks each cause against the facts that prove it or leave it
// as the likeliest, for each way memfd_secret fails.
func TestDiagnose(t *testing.T) {
	enosys := secretmem.NewError("memfd_secret", 0, unix.ENOSYS)
	eperm := secretmem.NewError("memfd_secret", 0, unix.EPERM)
	with := func(change func(*Facts)) Facts {
		f := host
		change(&f)
		return f
	}
	for _, tc := range []struct {
		name    string
		facts   Facts
		err     error
		cause   Cause
		certain bool
		says    []string
	}{
		{"works", host, nil, CauseNone, true, nil},
		{"too old", with(func(f *Facts) { f.Release, f.Secretmem = "5.10.0-21-amd64", SysfsAbsent }), enosys,
			CauseKernelTooOld, true, []string{"older than 5.14", "upgrade"}},
		{"not built", with(func(f *Facts) { f.Secretmem = SysfsAbsent }), enosys,
			CauseNotBuilt, true, []string{"CONFIG_SECRETMEM=y", SecretmemParam}},
		{"off in sysfs", with(func(f *Facts) { f.Release, f.Secretmem = "6.1.0-18-amd64", "N" }), enosys,
			CauseBootFlagOff, true, []string{"is N", "secretmem.enable=1"}},
		{"off by boot parameter, unreadable", with(func(f *Facts) { f.Secretmem, f.BootEnable = SysfsUnreadable, "0" }), enosys,
			CauseBootFlagOff, true, []string{"booted with secretmem.enable=0", "secretmem.enable=1"}},
		{"off by default before 6.5", with(func(f *Facts) { f.Release, f.Secretmem = "6.1.0-18-amd64", SysfsUnreadable }), enosys,
			CauseBootFlagOff, false, []string{"secretmem.enable=1"}},
		{"on by parameter before 6.5, no filter", with(func(f *Facts) { f.Release, f.Secretmem, f.BootEnable = "6.1.0", SysfsUnreadable, "1" }), enosys,
			CauseSandbox, false, []string{"emulator (qemu-user) or a sandbox (gVisor)"}},
		{"qemu-user by CPU", with(func(f *Facts) { f.Arch = "arm64" }), enosys,
			CauseEmulator, true, []string{"built for arm64 but the CPU in /proc/cpuinfo is amd64", "--allow-fallback"}},
		{"qemu-user by name", with(func(f *Facts) { f.Arch, f.CPUArch, f.Comm = "riscv64", "", "qemu-riscv64-st" }), enosys,
			CauseEmulator, true, []string{"qemu-riscv64-st"}},
		{"gVisor", with(func(f *Facts) { f.Release, f.Version, f.Secretmem = "4.4.0", gVisorVersion, SysfsUnknown }), enosys,
			CauseSandbox, true, []string{"gVisor", "runc"}},
		{"seccomp answering ENOSYS", with(func(f *Facts) { f.Seccomp, f.SeccompFilters = 2, 1 }), enosys,
			CauseSeccomp, false, []string{"is Y", "Seccomp_filters: 1", SystemdFix}},
		{"seccomp answering ENOSYS, unprivileged", with(func(f *Facts) { f.Seccomp, f.SeccompFilters, f.Secretmem = 2, 3, SysfsUnreadable }), enosys,
			CauseSeccomp, false, []string{"only root may read", SystemdFix}},
		{"arm64 without rodata=full", with(func(f *Facts) { f.Arch, f.CPUArch, f.Rodata = "arm64", "arm64", "on" }), enosys,
			CauseRodata, true, []string{"rodata=full"}},
		{"seccomp EPERM", with(func(f *Facts) { f.Seccomp, f.SeccompFilters = 2, 1 }), eperm,
			CauseSeccomp, true, []string{"never fails with operation not permitted", SystemdFix}},
		{"EPERM without a filter", host, eperm, CauseUnknown, false, []string{"security module"}},
		{"SIGSYS", host, Killed(), CauseSeccomp, true, []string{"SIGSYS", SystemdFix}},
		{"memlock in a container", with(func(f *Facts) { f.Euid, f.Container = 0, []string{"/.dockerenv exists"} }), secretmem.NewError("mmap", 16<<20, unix.EAGAIN),
			CauseMemlock, true, []string{"without CAP_IPC_LOCK", "--ulimit memlock=16777216:16777216", "LimitMEMLOCK=16777216", "ulimit -l 16384"}},
		{"memlock as a user", host, secretmem.NewError("mmap", 4096, unix.EAGAIN),
			CauseMemlock, true, []string{"ulimit -l 4"}},
	} {
		d := diagnose(tc.facts, tc.err)
		if d.Cause != tc.cause || d.Certain != tc.certain {
			t.Errorf("%s: cause %s (certain %v), want %s (certain %v): %s", tc.name, d.Cause, d.Certain, tc.cause, tc.certain, d.Reason)
		}
		for _, s := range tc.says {
			if !strings.Contains(d.Reason+" "+d.Fix, s) {
				t.Errorf("%s: diagnosis %q / %q does not say %q", tc.name, d.Reason, d.Fix, s)
			}
		}
		if tc.cause == CauseMemlock && strings.Contains(d.Fix, "docker") != (tc.facts.Euid == 0) {
			t.Errorf("%s: container advice %q", tc.name, d.Fix)
		}
	}
}

func TestCPUArch(t *testing.T) {
	for _, tc := range []struct{ cpuinfo, want string }{
		{"processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme\n", "amd64"},
		{"processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n", "arm64"},
		{"processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\n", "riscv64"},
		{"", ""},
	} {
		if got := cpuArch(tc.cpuinfo); got != tc.want {
			t.Errorf("cpuArch(%q) = %q, want %q", tc.cpuinfo, got, tc.want)
		}
	}
}

// TestDiagnoseHere diagnoses this machine: secret memory works, or, where
// SECRETCAT_EXPECT_CAUSE names the cause (make cross-test sets "emulator"
// under qemu-user), it fails for that cause.
func TestDiagnoseHere(t *testing.T) {
	err := secretmem.Probe()
	d := Diagnose(err)
	if want := Cause(os.Getenv("SECRETCAT_EXPECT_CAUSE")); want != "" {
		if d.Cause != want || !d.Certain {
			t.Fatalf("diagnosis %s (certain %v): %s; want %s, certain", d.Cause, d.Certain, d.Reason, want)
		}
		if !strings.Contains(Hint(err), d.Reason) {
			t.Errorf("the hint %q does not carry the diagnosis %q", Hint(err), d.Reason)
		}
		return
	}
	if err != nil {
		secrettest.Need(t)
		t.Fatalf("secret memory fails although memfd_secret works: %v", err)
	}
	if d.Cause != CauseNone {
		t.Errorf("secret memory works, yet the diagnosis is %s", d.Cause)
	}
}

func TestMemlockHint(t *testing.T) {
	e := &secretmem.LimitError{Need: 2 << 20, Limit: 1 << 20, Hard: 1 << 20}
	msg := e.Error() + Hint(e)
	for _, want := range []string{"2097152 bytes (2048 KiB) is needed", "the limit is 1048576 bytes (1024 KiB)", "ulimit -l", "LimitMEMLOCK=", "limits.conf"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
