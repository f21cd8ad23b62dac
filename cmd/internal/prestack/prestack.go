// Package prestack grows the main goroutine's stack once, at the start of
// package initialisation, to the size that secretcat's commands need.
//
// A goroutine starts with a 2 KiB stack and grows by copying it to one twice
// as large. A copy walks every frame on the stack and looks up each frame's
// pointer maps in the binary's tables. A process as short-lived as secretcat
// has not yet read those pages, so every copy also costs page faults. Left
// alone, the main goroutine grows twice, with a deep stack each time: once
// during the standard library's initialisation and once while decrypting.
// That is about a tenth of a millisecond of a 1 KiB key's run (see
// docs/performance.md). Growing it here, while only a few frames are on the
// stack, replaces both copies with one cheap copy.
//
// The package imports nothing, so it must stay the first package of
// secretcat's in Go's initialisation order. That order runs a package as
// soon as all its imports have run, choosing by import path among those
// ready, so this package runs before all but a few of the standard library.
// cmd imports it; nothing else refers to it.
package prestack

// frame is the size of grow's frame. Starting from 2 KiB, the runtime doubles
// the stack until the frame fits, which gives 8 KiB: enough for the run,
// open and cat paths with age, PEM and SSH keys.
const frame = 6 << 10

func init() { grow() }

// grow needs a frame of the given size, so calling it grows the stack.
//
//go:noinline
func grow() {
	var b [frame]byte
	use(b[:])
}

// use keeps b, and so grow's frame, from being optimised away.
//
//go:noinline
func use(b []byte) { b[0] = 1 }
