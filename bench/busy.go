package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// busyMemlock is the locked-memory limit the busy servers run with:
// docs/unmodified-programs.md's LimitMEMLOCK=128M for a busy nginx, or the
// hard limit when it is lower and the bench cannot raise it (no
// CAP_SYS_RESOURCE).
const busyMemlock = 128 << 20

// busyResult is one row of the busy-server comparison.
type busyResult struct {
	tlsResult
	heapKiB    int64 // secret heap of the workers at the end of the load, summed
	full       int   // "heap is full" warnings in the error log
	overflowed int64 // bytes of OpenSSL's allocations in ordinary memory, from the error log
}

// busyHandshakes compares nginx (2 workers, an RSA-2048 key, started as
// root under RLIMIT_MEMLOCK of busyMemlock, workers running as nobody) with
// its key from a file and with --openssl-secret-heap at the default size
// (and with workers running as root, whose CAP_IPC_LOCK lifts the limit),
// each loaded in turn by conns concurrent clients that make a full
// handshake and one request per connection: handshakes per second, and how
// much of OpenSSL's memory the heap let into ordinary memory.
func (s *suite) busyHandshakes(rounds int, each time.Duration, conns int) {
	dir, nginx, cert, key, sealed := s.nginxSetup("busy")
	memlock := uint64(busyMemlock)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err == nil && rl.Max < memlock && !canRaise() {
		memlock = rl.Max
	}
	limit := []string{"prlimit", fmt.Sprintf("--memlock=%d:%d", memlock, memlock)}
	heap := append(slices.Clone(limit), s.exe("secretcat"), "--openssl-secret-heap", "--fd", "3", "-i", s.identity, sealed, "--")
	servers := []*nginxServer{
		{name: "nginx, key from a file", argv: limit},
		{name: "secretcat --openssl-secret-heap KEY -- nginx", argv: heap},
		{name: "secretcat --openssl-secret-heap KEY -- nginx -g 'user root;'", argv: slices.Clone(heap), args: []string{"-g", "user root;"}},
	}
	logs := startNginx(servers, dir, nginx, cert, key, 2*conns)
	results := make([]busyResult, len(servers))
	for i, srv := range servers {
		results[i].tlsResult = tlsResult{name: srv.name, command: strings.Join(srv.argv, " ")}
		busyLoad(srv.addr, time.Second, conns) // warm-up
	}
	for range rounds {
		for i, srv := range servers {
			rate, failed := busyLoad(srv.addr, each, conns)
			results[i].rates = append(results[i].rates, rate)
			results[i].failed += failed
			if k := workersHeapKiB(srv.cmd.Process.Pid); k > results[i].heapKiB {
				results[i].heapKiB = k
			}
		}
	}
	for i, srv := range servers {
		srv.stop()
		results[i].full, results[i].overflowed = overflow(logs[i])
		r := results[i]
		log.Printf("%-48s best %6.0f/s  median %6.0f/s  failed %d  heap %d KiB  full %d  overflowed %d bytes",
			r.name, r.best(), r.median(), r.failed, r.heapKiB, r.full, r.overflowed)
	}
	s.busy, s.busyRound, s.busyConns, s.busyMemlock = results, each, conns, memlock
}

// canRaise says whether this process may raise its hard limits
// (CAP_SYS_RESOURCE).
func canRaise() bool {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl) != nil || rl.Max == unix.RLIM_INFINITY {
		return true
	}
	raised := unix.Rlimit{Cur: rl.Cur, Max: rl.Max + 4096}
	if unix.Prlimit(0, unix.RLIMIT_MEMLOCK, &raised, nil) != nil {
		return false
	}
	unix.Prlimit(0, unix.RLIMIT_MEMLOCK, &rl, nil)
	return true
}

// busyLoad keeps conns clients making full handshakes with addr for d, each
// sending one request on its connection and reading the answer, and returns
// the completed handshakes per second and the number that failed.
func busyLoad(addr string, d time.Duration, conns int) (float64, int64) {
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for time.Since(start) < d {
				c, err := dialTLS(addr, 10*time.Second)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, err = io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
				if err == nil {
					_, err = io.ReadAll(c)
				}
				c.Close()
				if err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds(), failed.Load()
}

// workersHeapKiB sums the writable secret-memory mappings (the secret heap)
// of nginx's workers, the children of its master.
func workersHeapKiB(master int) int64 {
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", master, master))
	if err != nil {
		return 0
	}
	var kib int64
	for _, pid := range strings.Fields(string(children)) {
		f, err := os.Open("/proc/" + pid + "/maps")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 6 || fields[1] != "rw-s" || fields[5] != "/secretmem" {
				continue
			}
			lo, hi, _ := strings.Cut(fields[0], "-")
			a, _ := strconv.ParseInt(lo, 16, 64)
			b, _ := strconv.ParseInt(hi, 16, 64)
			kib += (b - a) / 1024
		}
		f.Close()
	}
	return kib
}

var overflowLine = regexp.MustCompile(`(\d+) bytes of OpenSSL's allocations went to ordinary memory`)

// overflow counts the preload library's "heap is full" warnings in an error
// log and sums the bytes it says went to ordinary memory.
func overflow(path string) (full int, bytes int64) {
	text, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	full = strings.Count(string(text), "secret heap is full")
	for _, m := range overflowLine.FindAllStringSubmatch(string(text), -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		bytes += n
	}
	return full, bytes
}

// busyMarkdown is the busy-server comparison's section of the report.
func (s *suite) busyMarkdown() string {
	if len(s.busy) == 0 {
		return ""
	}
	var b strings.Builder
	r0 := s.busy[0]
	fmt.Fprintf(&b, "\n## nginx under load: %d concurrent TLS connections\n\n"+
		"nginx with 2 workers (as nobody, but in the last row) and an RSA-2048 key, started as root with `RLIMIT_MEMLOCK` of %d MiB (the docs recommend `LimitMEMLOCK=128M` for a busy server; lower when this machine allows no more), loaded by %d clients at once from this process, each making a full handshake (no resumption) and one request per connection; the servers take turns, %d rounds of %s each. The heap is the default (3 MiB at first, growing). Heap: the workers' secret heaps at the end of a round, summed (the largest seen). Overflow: what the library reported going to ordinary memory while a heap was full.\n\n"+
		"| server | best | median | ratio | failed | heap | heap full | overflow |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
		s.busyConns, s.busyMemlock>>20, s.busyConns, len(r0.rates), s.busyRound)
	for _, r := range s.busy {
		heap := "-"
		if r.heapKiB > 0 {
			heap = human(r.heapKiB * 1024)
		}
		fmt.Fprintf(&b, "| `%s` | %.0f/s | %.0f/s | %.2fx | %d | %s | %d | %d bytes |\n", r.name, r.best(), r.median(), r.best()/r0.best(), r.failed, heap, r.full, r.overflowed)
	}
	return b.String()
}

// busyTargets: the heap costs a busy nginx at most a tenth of its rate and
// lets nothing into ordinary memory.
func (s *suite) busyTargets() []string {
	var out []string
	for _, r := range s.busy[min(1, len(s.busy)):] {
		ratio := r.best() / s.busy[0].best()
		verdict := "met"
		if ratio < 0.9 || r.overflowed > 0 {
			verdict = "NOT met"
		}
		out = append(out, fmt.Sprintf("%s with %d concurrent connections, RLIMIT_MEMLOCK %d MiB: at least 0.9x the handshakes of the key from a file, nothing in ordinary memory: %.2fx, %d bytes overflowed, %s", r.name, s.busyConns, s.busyMemlock>>20, ratio, r.overflowed, verdict))
	}
	return out
}
