package fdplace

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
)

func TestReserveAndPlace(t *testing.T) {
	secrettest.Need(t)
	d, err := Scan()
	if err != nil {
		t.Fatal(err)
	}
	// Descriptor numbers well above anything the test holds.
	targets := []int{900, 901}
	slots, err := d.Reserve(Run(900, 2))
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
	if _, err := d.Reserve([]int{own}); !errors.As(err, &inUse) || inUse.Inherited || inUse.Fd != own {
		t.Errorf("Reserve of a descriptor in use by this process: %v", err)
	}

	a, _ := secretmem.Create(1)
	b, _ := secretmem.Create(2)
	a.Seal()
	b.Seal()
	defer a.Close()
	defer b.Close()
	if err := slots.Place([]*secretmem.File{a, b}); err != nil {
		t.Fatal(err)
	}
	for i, f := range []*secretmem.File{a, b} {
		if f.Fd() != targets[i] || !secretmem.IsSecret(f.Fd()) {
			t.Errorf("file %d at descriptor %d, want %d", i, f.Fd(), targets[i])
		}
		flags, _ := unix.FcntlInt(uintptr(f.Fd()), unix.F_GETFD, 0)
		if flags&unix.FD_CLOEXEC != 0 {
			t.Errorf("placed descriptor %d is close-on-exec", f.Fd())
		}
	}
}

// A descriptor open without close-on-exec was inherited: it is never
// replaced, and free numbers below it are used first.
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
	if free := d.Free(3, 2); free[1] >= inherited || isOpen(free[0]) || isOpen(free[1]) {
		t.Errorf("Free(3, 2) = %v, want the lowest free pair, below the inherited %d", free, inherited)
	}
	var inUse *InUseError
	_, err = d.Reserve(Run(inherited-1, 2))
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
	_, err = d.Reserve(Run(d.Limit-1, 2))
	var noFile *NoFileError
	if !errors.As(err, &noFile) || !errors.Is(err, unix.EMFILE) {
		t.Fatalf("Reserve beyond the limit: %v", err)
	}
	if want := fmt.Sprintf("the secret files need descriptors %d to %d", d.Limit-1, d.Limit); err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

// Adopt refuses a descriptor that is not secret memory, and closes every
// descriptor it was given, so that nothing received survives a refusal.
func TestAdoptRefusesOrdinaryFiles(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	if _, err := Adopt([]int{p[0]}, true, 0); err == nil || !strings.Contains(err.Error(), "not secret memory") {
		t.Fatalf("Adopt(pipe) = %v, want not secret memory", err)
	}
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFD, 0); err == nil {
		t.Errorf("Adopt left the refused descriptor %d open", p[0])
	}
}

// Free takes the lowest free numbers, whatever is open in between or
// above: a configuration that names /dev/fd/3 finds the first secret there
// whenever 3 is free. Inherited and own descriptors are both in the way.
func TestFreeLowest(t *testing.T) {
	for _, c := range []struct {
		inherited, own []int
		count          int
		want           []int
	}{
		{nil, nil, 1, []int{3}},
		{[]int{10, 251}, nil, 1, []int{3}}, // leaked by a shell
		{[]int{10, 251}, nil, 2, []int{3, 4}},
		{[]int{3}, nil, 1, []int{4}}, // the key goes elsewhere
		{[]int{3, 10, 251}, nil, 1, []int{4}},
		{[]int{4}, nil, 2, []int{3, 5}},            // 3 is free, 4 is not
		{[]int{3, 5}, []int{4}, 1, []int{6}},       // own ones too
		{[]int{3, 5}, nil, 1, []int{4}},            // between inherited ones
		{[]int{3, 5}, nil, 2, []int{4, 6}},         // around them
		{[]int{5, 3}, []int{7, 6}, 2, []int{4, 8}}, // in any order
	} {
		d := &Descriptors{Inherited: c.inherited, own: c.own, Limit: 1024}
		if got := d.Free(3, c.count); !slices.Equal(got, c.want) {
			t.Errorf("inherited %v, own %v: Free(3, %d) = %v, want %v", c.inherited, c.own, c.count, got, c.want)
		}
	}
}
