package prestack

import (
	"testing"
	"unsafe"
)

// moves reports whether a call needing a frame of frame bytes copied the
// stack of a new goroutine, after calling prepare on it.
func moves(prepare func()) bool {
	moved := make(chan bool)
	go func() {
		prepare()
		var marker byte
		before := uintptr(unsafe.Pointer(&marker))
		grow()
		moved <- uintptr(unsafe.Pointer(&marker)) != before
	}()
	return <-moved
}

func TestGrowLeavesRoom(t *testing.T) {
	// The control: a fresh goroutine's stack is too small for the frame,
	// and the copy moves marker. Without it the test could not tell.
	if !moves(func() {}) {
		t.Fatal("a fresh goroutine's stack was not copied for a frame of frame bytes: the test cannot see copies")
	}
	if moves(grow) {
		t.Error("after grow, a frame of frame bytes still copied the stack")
	}
}
