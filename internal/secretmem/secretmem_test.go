package secretmem_test

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	. "github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
	"github.com/secretcat/secretcat/secretfd"
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
		m, err := secretfd.Map(fd)
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
	t.Setenv(secretfd.EnvMemory, secretfd.MemoryFallback)
	fd, _ := unix.Dup(f.Fd())
	m, err := secretfd.Map(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if string(m.Bytes()) != "0123456789" {
		t.Errorf("fallback contents %q", m.Bytes())
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

// TestAvailableLeavesNothingOpen: Available probes and closes what it made.
func TestAvailableLeavesNothingOpen(t *testing.T) {
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
	if n := openFds(); n != before {
		t.Fatalf("%d descriptors open after Available, want %d", n, before)
	}
}

// BenchmarkAvailable is the cost of the check that secretcat makes before
// it decrypts anything: one memfd_secret and one close.
func BenchmarkAvailable(b *testing.B) {
	for b.Loop() {
		if err := Available(); err != nil {
			b.Fatal(err)
		}
	}
}
