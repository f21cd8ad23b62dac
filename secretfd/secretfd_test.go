package secretfd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secrettest"
)

func TestCreateFillMap(t *testing.T) {
	secrettest.Need(t)
	for _, size := range []int64{0, 1, 4096, 4097, 1 << 20} {
		f, err := Create(size)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Repeat([]byte{0xa5}, int(size))
		copy(f.Bytes(), want)
		if err := f.Seal(); err != nil {
			t.Fatal(err)
		}
		if f.Bytes() != nil {
			t.Error("Seal left the mapping in place")
		}
		if !IsSecret(f.Fd()) {
			t.Error("IsSecret is false for a secret file")
		}
		// A second descriptor, as a consumer would hold.
		fd, err := unix.Dup(f.Fd())
		if err != nil {
			t.Fatal(err)
		}
		m, err := Map(fd)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Bytes(), want) {
			t.Errorf("size %d: mapping differs", size)
		}
		if err := m.Close(); err != nil {
			t.Error(err)
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if err := f.Close(); err != nil {
			t.Error("second Close:", err)
		}
	}
}

func TestMapRejectsOrdinaryFiles(t *testing.T) {
	fd, err := unix.MemfdCreate("plain", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := Map(fd); err == nil || !strings.Contains(err.Error(), "not a secret-memory file") {
		t.Errorf("Map of an ordinary memfd: %v", err)
	}
}

func TestFallbackIsSealed(t *testing.T) {
	f, err := CreateFallback(10)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	copy(f.Bytes(), "0123456789")
	if IsFallback(f.Fd()) {
		t.Error("IsFallback before Seal")
	}
	if err := f.Seal(); err != nil {
		t.Fatal(err)
	}
	if !IsFallback(f.Fd()) || IsSecret(f.Fd()) {
		t.Error("sealed fallback file not recognised")
	}
	if _, err := unix.Pwrite(f.Fd(), []byte("x"), 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("write to a sealed file: %v, want EPERM", err)
	}
	if err := unix.Ftruncate(f.Fd(), 20); !errors.Is(err, unix.EPERM) {
		t.Errorf("grow a sealed file: %v, want EPERM", err)
	}
	t.Setenv(EnvMemory, MemoryFallback)
	fd, _ := unix.Dup(f.Fd())
	m, err := Map(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if string(m.Bytes()) != "0123456789" {
		t.Errorf("fallback contents %q", m.Bytes())
	}
}

func TestReserveAndPlace(t *testing.T) {
	secrettest.Need(t)
	d, err := Scan()
	if err != nil {
		t.Fatal(err)
	}
	// Descriptor numbers well above anything the test holds.
	targets := []int{900, 901}
	slots, err := d.Reserve(900, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer slots.Release()
	for _, fd := range targets {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Fatalf("descriptor %d not reserved close-on-exec: %v", fd, err)
		}
	}
	// A number this process already uses, close-on-exec, is refused, even
	// when it was opened after Scan.
	own, _ := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	defer unix.Close(own)
	var inUse *InUseError
	if _, err := d.Reserve(own, 1); !errors.As(err, &inUse) || inUse.Inherited || inUse.Fd != own {
		t.Errorf("Reserve of a descriptor in use by this process: %v", err)
	}

	a, _ := Create(1)
	b, _ := Create(2)
	a.Seal()
	b.Seal()
	defer a.Close()
	defer b.Close()
	if err := slots.Place([]*File{a, b}); err != nil {
		t.Fatal(err)
	}
	for i, f := range []*File{a, b} {
		if f.Fd() != targets[i] || !IsSecret(f.Fd()) {
			t.Errorf("file %d at descriptor %d, want %d", i, f.Fd(), targets[i])
		}
		flags, _ := unix.FcntlInt(uintptr(f.Fd()), unix.F_GETFD, 0)
		if flags&unix.FD_CLOEXEC != 0 {
			t.Errorf("placed descriptor %d is close-on-exec", f.Fd())
		}
	}
}

// A descriptor open without close-on-exec was inherited: it is never
// replaced, and the first free number is above it.
func TestReserveKeepsInherited(t *testing.T) {
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(null)
	const inherited = 950
	if err := unix.Dup3(null, inherited, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(inherited)
	d, err := Scan()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Inherited, inherited) || slices.Contains(d.Inherited, null) {
		t.Fatalf("Scan found inherited descriptors %v, want %d and not %d", d.Inherited, inherited, null)
	}
	if first, want := d.First(3, 2), d.Inherited[len(d.Inherited)-1]+1; first != want || first <= inherited {
		t.Errorf("First(3, 2) = %d, want %d", first, want)
	}
	var inUse *InUseError
	_, err = d.Reserve(inherited-1, 2)
	if !errors.As(err, &inUse) || !inUse.Inherited || inUse.Fd != inherited || inUse.Link != "/dev/null" {
		t.Fatalf("Reserve over an inherited descriptor: %v", err)
	}
	if want := "descriptor 950 is inherited (/dev/null), and secretcat does not replace a descriptor it inherited"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if isOpen(inherited - 1) {
		t.Error("a refused Reserve left a placeholder")
	}
	if st, err := os.Readlink("/proc/self/fd/950"); err != nil || st != "/dev/null" {
		t.Errorf("the inherited descriptor is now %q, %v", st, err)
	}

	// At the descriptor limit.
	_, err = d.Reserve(d.Limit-1, 2)
	var noFile *NoFileError
	if !errors.As(err, &noFile) || !errors.Is(err, unix.EMFILE) {
		t.Fatalf("Reserve beyond the limit: %v", err)
	}
	if want := fmt.Sprintf("the secret files need descriptors %d to %d", d.Limit-1, d.Limit); err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestEnsureMemlockMessage(t *testing.T) {
	e := &LimitError{Need: 2 << 20, Limit: 1 << 20, Hard: 1 << 20}
	msg := e.Error()
	for _, want := range []string{"2097152 bytes (2048 KiB) is needed", "the limit is 1048576 bytes (1024 KiB)", "ulimit -l", "LimitMEMLOCK=", "limits.conf"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// TestHasIPCLock compares capget(2) with the CapEff line of
// /proc/self/status.
func TestHasIPCLock(t *testing.T) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var capEff uint64
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			if capEff, err = strconv.ParseUint(strings.TrimSpace(hex), 16, 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := HasIPCLock(), capEff&(1<<unix.CAP_IPC_LOCK) != 0; got != want {
		t.Errorf("HasIPCLock() = %v, CapEff says %v", got, want)
	}
}

// TestAvailableKeepsItsFile checks that the secret file Available makes is
// the one the next Create uses, and that a second Available does not leak
// the first.
func TestAvailableKeepsItsFile(t *testing.T) {
	secrettest.Need(t)
	openFds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	before := openFds()
	for range 2 {
		if err := Available(); err != nil {
			t.Fatal(err)
		}
	}
	if n := openFds(); n != before+1 {
		t.Fatalf("%d descriptors open after Available, want %d", n, before+1)
	}
	f, err := Create(4096)
	if err != nil {
		t.Fatal(err)
	}
	if n := openFds(); n != before+1 {
		t.Errorf("%d descriptors open after Create, want %d: Create did not use Available's file", n, before+1)
	}
	f.Bytes()[0] = 1
	f.Close()
	if n := openFds(); n != before {
		t.Errorf("%d descriptors open after Close, want %d", n, before)
	}
}
