package cmd_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// memscanChunk is how much of a mapping memscan reads at once; chunks
// overlap by memscanOverlap bytes so that no window or PEM line is missed at
// a boundary.
const (
	memscanChunk   = 64 << 20
	memscanOverlap = 128
	// memscanMax bounds one readable mapping: a larger one is a test
	// mistake to be looked at, not something to read.
	memscanMax = 8 << 30
)

var pageSize = uint64(os.Getpagesize())

// memscan KEY PIDFILE counts, in the memory of the process whose PID is in
// PIDFILE and of all its descendants, what keyscan counts in a core dump:
// the windows of the RSA key KEY's p, q and d and the lines of its PEM. It
// reads each readable mapping through /proc/PID/mem instead of writing a
// core file: a server that reserves terabytes of address space (MariaDB
// does) would fill the disk with one. Secret memory cannot be read, and is
// not in a core dump either: those mappings are skipped. It prints one line
// per process and a total:
//
//	processes: N
//	all: p N, q N, d N, pem N
func cmdMemscan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: memscan KEY PIDFILE")
	}
	k := newKeyCounter(ts, args[0])
	root := livePid(ts, args[1])
	pids := []int{root}
	for i := 0; i < len(pids); i++ {
		pids = append(pids, children(pids[i])...)
	}
	total := map[string]int{}
	scanned, start := 0, time.Now()
	for _, pid := range pids {
		count := map[string]int{}
		if err := scanProcess(k, pid, count); err != nil {
			if !alive(pid) {
				continue // a worker that exited meanwhile
			}
			ts.Fatalf("process %d: %v", pid, err)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		ts.Logf("process %d (%s): %s", pid, strings.TrimSpace(string(comm)), k.format(count))
		for name, n := range count {
			total[name] += n
		}
		scanned++
	}
	ts.Logf("scanned %d processes in %v", scanned, time.Since(start))
	fmt.Fprintf(ts.Stdout(), "processes: %d\nall: %s\n", scanned, k.format(total))
}

// scanProcess adds what the readable, non-secret mappings of pid hold of
// the key to count.
func scanProcess(k *keyCounter, pid int, count map[string]int) error {
	maps, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return err
	}
	defer maps.Close()
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return err
	}
	defer mem.Close()
	pagemap, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return err
	}
	defer pagemap.Close()
	buf := make([]byte, memscanChunk+memscanOverlap)
	lines := bufio.NewScanner(maps)
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) < 5 || f[1][0] != 'r' {
			continue
		}
		if len(f) >= 6 && (strings.HasPrefix(f[5], "/secretmem") || f[5] == "[vvar]" || f[5] == "[vsyscall]") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("bad line in maps: %q", lines.Text())
		}
		if end-start > memscanMax {
			return fmt.Errorf("a readable mapping of %d bytes at %s", end-start, f[0])
		}
		if err := scanResident(k, mem, pagemap, start, end, buf, count); err != nil {
			return err
		}
	}
	return lines.Err()
}

// scanResident adds to count what the pages of [start, end) that are in
// memory or swapped out hold of the key: a page never touched holds nothing,
// and reading it (thread stacks, reserved arenas) would only cost time.
func scanResident(k *keyCounter, mem, pagemap *os.File, start, end uint64, buf []byte, count map[string]int) error {
	entries := make([]byte, (end-start)/pageSize*8)
	if _, err := pagemap.ReadAt(entries, int64(start/pageSize*8)); err != nil {
		return fmt.Errorf("pagemap: %v", err)
	}
	used := func(i uint64) bool { // present (bit 63) or swapped (bit 62)
		return binary.LittleEndian.Uint64(entries[i*8:])>>62 != 0
	}
	pages := (end - start) / pageSize
	for i := uint64(0); i < pages; {
		if !used(i) {
			i++
			continue
		}
		j := i
		for j < pages && used(j) && (j-i)*pageSize < memscanChunk {
			j++
		}
		// The run, and a little of what follows, for a window across its end.
		from, to := start+i*pageSize, min(start+j*pageSize+memscanOverlap, end)
		got, _ := mem.ReadAt(buf[:to-from], int64(from))
		k.add(count, buf[:got]) // short where a page may not be read (EIO)
		i = j
	}
	return nil
}
