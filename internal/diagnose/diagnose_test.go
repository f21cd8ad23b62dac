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
	Memlock: &secretmem.Memlock{Soft: 8 << 20, Hard: 8 << 20},
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
			CauseEmulator, true, []string{"built for arm64 but the CPU in /proc/cpuinfo is amd64", "virtual machine"}},
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
			CauseMemlock, true, []string{"ulimit -S -l 4"}},
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

// TestMemlock: the advice is for the limit that binds: the soft one, which
// a shell may raise up to the hard one, or the hard one, which only root
// may raise (ulimit -l 4 is no advice under a hard limit of 0).
func TestMemlock(t *testing.T) {
	lim := func(soft, hard uint64) *secretmem.Memlock { return &secretmem.Memlock{Soft: soft, Hard: hard} }
	for _, tc := range []struct {
		name      string
		f         Facts
		need      int64
		says, not []string
	}{
		{"soft binds", Facts{Euid: 1000, Memlock: lim(64<<10, 8<<20)}, 1 << 20,
			[]string{"soft limit binds", "ulimit -S -l 1024", "LimitMEMLOCK=1048576"}, []string{"only root", "docker"}},
		{"soft binds, no hard limit", Facts{Euid: 1000, Memlock: lim(0, unix.RLIM_INFINITY)}, 4096,
			[]string{"soft limit binds", "ulimit -S -l 4"}, []string{"only root"}},
		{"hard limit 0", Facts{Euid: 65534, Memlock: lim(0, 0)}, 4096,
			[]string{"hard limit, 0 bytes, binds, and only root", "LimitMEMLOCK=4096", "memlock 4", "as root", "ulimit -l 4"}, []string{"ulimit -S", "docker"}},
		{"root in a container", Facts{Euid: 0, Memlock: lim(0, 0), Container: []string{"/.dockerenv exists"}}, 4096,
			[]string{"without CAP_IPC_LOCK", "docker run --ulimit memlock=4096:4096"}, nil},
		{"unreadable", Facts{Euid: 1000}, 4096,
			[]string{"cannot be read", "could not be read", "LimitMEMLOCK=4096", "as root", "ulimit -l 4"}, []string{"0 bytes", "hard limit,", "soft limit binds", "ulimit -S"}},
		{"unreadable, doctor", Facts{Euid: 1000}, 0,
			[]string{"could not be read", "LimitMEMLOCK=16777216"}, []string{"0 bytes"}},
		{"doctor, more than the hard limit", Facts{Euid: 1000, Memlock: lim(8<<20, 8<<20)}, 0,
			[]string{"hard limit", "LimitMEMLOCK=16777216"}, nil},
	} {
		a := Memlock(tc.f, tc.need)
		all := strings.Join(append([]string{a.Limit, a.Note, a.Binds}, a.Steps...), "\n")
		for _, s := range tc.says {
			if !strings.Contains(all, s) {
				t.Errorf("%s: advice %q does not say %q", tc.name, all, s)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(all, s) {
				t.Errorf("%s: advice %q says %q", tc.name, all, s)
			}
		}
		for _, line := range append([]string{a.Note, a.Binds}, a.Steps...) {
			if len(line) > 76 {
				t.Errorf("%s: line of %d characters: %q", tc.name, len(line), line)
			}
		}
	}
}
