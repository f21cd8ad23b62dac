package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The OpenSSL secret heap (--openssl-secret-heap): the preload library
// serves every allocation OpenSSL makes in COMMAND from one memfd_secret
// mapping of this size. See preload/secheap*.c and secretcat-run(1).
const (
	// envHeap tells the preload library the heap's size in bytes.
	envHeap = "SECRETCAT_PRELOAD_SECRET_HEAP"
	// heapDefault, the heap's first size, fits nginx and haproxy with
	// room: measured at rest after hundreds of handshakes, about 0.45 MiB
	// per process; each TLS connection in progress adds some 40 KiB, and
	// the heap grows as they need. Twice it, the need for a process that
	// forks, stays within the usual 8 MiB RLIMIT_MEMLOCK.
	heapDefault = 3 << 20
	heapMin     = 64 << 10
	heapMax     = 1 << 30
)

// heapSize is the value of --openssl-secret-heap: 0 when the heap is off.
type heapSize struct{ bytes int64 }

func addHeapFlag(c *cobra.Command, h *heapSize) {
	f := c.Flags()
	f.Var(h, "openssl-secret-heap", "keep all of COMMAND's OpenSSL allocations in a growing secret-memory heap of `SIZE` bytes at first (K, M, G; default 3M); implies --preload")
	flag := f.Lookup("openssl-secret-heap")
	flag.NoOptDefVal, flag.DefValue = "3M", "off"
}

func (h *heapSize) String() string {
	if h.bytes == 0 {
		return ""
	}
	return strconv.FormatInt(h.bytes, 10)
}

func (h *heapSize) Type() string { return "SIZE" }

// Set parses SIZE: bytes, or a whole number of KiB, MiB or GiB written
// with the suffix K, M or G (KiB, MiB, GiB too).
func (h *heapSize) Set(s string) error {
	num, unit := s, int64(1)
	for _, u := range []struct {
		suffix string
		scale  int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = n, u.scale
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > heapMax/unit || n*unit < heapMin {
		return fmt.Errorf("%q is not a heap size from 64K to 1G (bytes, or a number with K, M or G)", s)
	}
	h.bytes = n * unit
	return nil
}

// lockedSizes are the mappings COMMAND's process may hold at once for the
// heap: the arena, and while it forks the copy it makes for the child (the
// part in use, at most all of it).
func (h heapSize) lockedSizes() []int64 {
	if h.bytes == 0 {
		return nil
	}
	return []int64{h.bytes, h.bytes}
}

// describe names the heap in messages about the locked-memory limit.
func (h heapSize) describe() string {
	return fmt.Sprintf("--openssl-secret-heap of %d KiB counted twice (the heap, and room for the copy each fork makes)", h.bytes/1024)
}
