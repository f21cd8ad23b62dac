package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The locked-memory limits of the busy-server comparison.
const (
	// recommendedMemlock is the LimitMEMLOCK= docs/unmodified-programs.md
	// recommends for a busy server whose workers run without CAP_IPC_LOCK.
	recommendedMemlock = 128 << 20
	// usualMemlock is systemd's default LimitMEMLOCK=.
	usualMemlock = 8 << 20
)

// recommended is the recommended limit as a unit file sets it.
var recommended = fmt.Sprintf("LimitMEMLOCK=%dM", recommendedMemlock>>20)

// busyCase is one nginx of the busy-server comparison. Its master runs as
// root (CAP_IPC_LOCK) in every case; its workers as nobody, bound by
// memlock, or as root, bound by nothing.
type busyCase struct {
	heap     bool   // --openssl-secret-heap, at its default size
	root     bool   // workers as root
	memlock  uint64 // RLIMIT_MEMLOCK, soft and hard
	measured bool   // the recommended limit itself: its overflow is the target
}

// busyResult is one row of the busy-server comparison.
type busyResult struct {
	tlsResult
	busyCase
	procs      map[int]*procPeak // nginx's master and workers, by PID
	full       int               // "heap is full" warnings in the error log
	overflowed int64             // bytes of OpenSSL's allocations in ordinary memory, from the error log
}

// procPeak is what one nginx process held at most while it was loaded.
type procPeak struct {
	master           bool
	mapped, resident int64 // bytes of secret heap mapped, and of it in memory (touched)
	fds, idleFDs     int   // open descriptors, most and fewest seen
}

// busyHandshakes compares nginx (2 workers, an RSA-2048 key) with its key
// from a file and with --openssl-secret-heap at the default size, each
// loaded in turn by conns concurrent clients that make a full handshake and
// one request per connection: handshakes per second, the secret heap of
// each process at its largest, and how much of OpenSSL's memory went to
// ordinary memory. The heap runs under the recommended LimitMEMLOCK= when
// this machine allows it, and else with workers as root, unbound; and in
// both cases under the usual 8 MiB, to show what a limit below the
// recommendation does.
func (s *suite) busyHandshakes(rounds int, each time.Duration, conns int) {
	dir, nginx, cert, key, sealed := s.nginxSetup("busy")
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		log.Fatal(err)
	}
	s.busyHard = rl.Max
	usual := min(uint64(usualMemlock), rl.Max)
	cases := []busyCase{{memlock: usual}}
	if rl.Max >= recommendedMemlock || canRaise() {
		cases[0].memlock = recommendedMemlock
		cases = append(cases,
			busyCase{heap: true, memlock: recommendedMemlock, measured: true},
			busyCase{heap: true, memlock: usual})
	} else {
		cases = append(cases,
			busyCase{heap: true, memlock: usual},
			busyCase{heap: true, root: true, memlock: usual})
	}
	servers := make([]*nginxServer, len(cases))
	for i, c := range cases {
		argv := []string{"prlimit", fmt.Sprintf("--memlock=%d:%d", c.memlock, c.memlock)}
		if c.heap {
			argv = append(argv, s.exe("secretcat"), "--openssl-secret-heap", "--fd", "3", "-i", s.identity, sealed, "--")
		}
		servers[i] = &nginxServer{name: c.title(), argv: argv}
		if c.root {
			servers[i].args = []string{"-g", "user root;"}
		}
	}
	logs := startNginx(servers, dir, nginx, cert, key, 2*conns)
	results := make([]busyResult, len(servers))
	for i, srv := range servers {
		results[i] = busyResult{tlsResult: tlsResult{name: srv.name, command: strings.Join(srv.argv, " ")}, busyCase: cases[i], procs: map[int]*procPeak{}}
		busyLoad(srv.addr, time.Second, conns) // warm-up
	}
	for range rounds {
		for i, srv := range servers {
			stop, watched := make(chan struct{}), make(chan struct{})
			go func() { results[i].watch(srv.cmd.Process.Pid, stop); close(watched) }()
			rate, failed := busyLoad(srv.addr, each, conns)
			close(stop)
			<-watched
			results[i].rates = append(results[i].rates, rate)
			results[i].failed += failed
		}
	}
	for i, srv := range servers {
		srv.stop()
		results[i].full, results[i].overflowed = overflow(logs[i])
		r := results[i]
		m, w := r.peaks()
		log.Printf("%-56s memlock %3d MiB, workers as %-6s best %6.0f/s  median %6.0f/s  failed %d  heap: master %s, largest worker %s mapped (%s touched, %d descriptors)  full %d  overflowed %d bytes",
			r.name, r.memlock>>20, r.user(), r.best(), r.median(), r.failed, human(m.mapped), human(w.mapped), human(w.resident), w.fds-w.idleFDs, r.full, r.overflowed)
	}
	s.busy, s.busyRound, s.busyConns = results, each, conns
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

// watch samples nginx's master and its workers every 250 ms until stop is
// closed, keeping what each held at most.
func (r *busyResult) watch(master int, stop <-chan struct{}) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		pids := []int{master}
		if children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", master, master)); err == nil {
			for _, f := range strings.Fields(string(children)) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
		}
		for _, pid := range pids {
			p := r.procs[pid]
			if p == nil {
				p = &procPeak{master: pid == master, idleFDs: 1 << 30}
				r.procs[pid] = p
			}
			p.sample(pid)
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// sample reads the process's secret heap from /proc/PID/smaps (its
// writable shared mappings of /secretmem: the arena and what it grew by),
// and counts its descriptors.
func (p *procPeak) sample(pid int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return // gone
	}
	defer f.Close()
	var mapped, resident int64
	inHeap := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"): // a mapping's first line
			inHeap = len(fields) >= 6 && fields[1] == "rw-s" && fields[5] == "/secretmem"
		case inHeap && fields[0] == "Size:":
			mapped += kiB(fields)
		case inHeap && fields[0] == "Rss:":
			resident += kiB(fields)
		}
	}
	p.mapped, p.resident = max(p.mapped, mapped), max(p.resident, resident)
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		p.fds, p.idleFDs = max(p.fds, len(fds)), min(p.idleFDs, len(fds))
	}
}

// kiB is the bytes of a "Name: N kB" line of /proc.
func kiB(fields []string) int64 {
	n, _ := strconv.ParseInt(fields[1], 10, 64)
	return n << 10
}

// peaks returns the master's largest values and the largest of any worker
// (each field the largest over the workers), with fds the most descriptors
// a process held beyond its fewest: its connections at once.
func (r *busyResult) peaks() (master, worker procPeak) {
	for _, p := range r.procs {
		q := &worker
		if p.master {
			q = &master
		}
		q.mapped, q.resident = max(q.mapped, p.mapped), max(q.resident, p.resident)
		q.fds, q.idleFDs = max(q.fds, p.fds-p.idleFDs), 0
	}
	return master, worker
}

// title is the command, shortly.
func (c busyCase) title() string {
	switch {
	case !c.heap:
		return "nginx, key from a file"
	case c.root:
		return "secretcat --openssl-secret-heap KEY -- nginx -g 'user root;'"
	}
	return "secretcat --openssl-secret-heap KEY -- nginx"
}

// user is who nginx's workers run as.
func (c busyCase) user() string {
	if c.root {
		return "root"
	}
	return "nobody"
}

// heapCap is how far a worker's secret heap may grow under memlock without
// CAP_IPC_LOCK: half of it (secheap_grow.c's sc_heap_room).
func heapCap(memlock uint64) int64 { return int64(memlock / 2) }

var overflowLine = regexp.MustCompile(`(\d+) bytes of OpenSSL's allocations went to ordinary memory`)

// overflow counts the preload library's "heap is full" warnings in an error
// log and sums the bytes it says went to ordinary memory: each process
// reports, as it exits, the sizes of the allocations it gave from libc's
// malloc because its heap was full and could not grow.
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
		"nginx with 2 workers and an RSA-2048 key, its master started as root under the `RLIMIT_MEMLOCK` of the row (soft and hard), loaded by %d clients at once from this process, each making a full handshake (no resumption) and one request per connection; the servers take turns, %d rounds of %s each. The heap is the default (3 MiB at first, growing: without `CAP_IPC_LOCK` up to half of `RLIMIT_MEMLOCK`). "+
		"Heap: sampled every 250 ms during the load from `/proc/PID/smaps`, the writable `/secretmem` mappings (the arena and its growth): mapped is what counts against `RLIMIT_MEMLOCK`, touched the pages of it in memory; the master's, and the largest of any worker's. Connections: the most descriptors one worker held at once beyond its fewest. "+
		"Overflow: what the library reported, as each process exited, going to libc's malloc because its heap was full and could not grow (the sizes of those allocations, summed over the run: bytes allocated, not held at once).\n\n",
		s.busyConns, s.busyConns, len(r0.rates), s.busyRound)
	if s.busy[1].measured {
		fmt.Fprintf(&b, "The recommended `%s` ran: the second row, workers as nobody under it; the last row shows the usual %s.\n\n",
			recommended, memlockWords(s.busy[2].memlock))
	} else {
		fmt.Fprintf(&b, "This machine's hard `RLIMIT_MEMLOCK` is %s and this process cannot raise it (no `CAP_SYS_RESOURCE`), so the recommended `%s` did **not** run. In its place the last row runs the workers as root: `CAP_IPC_LOCK` lifts the limit, and their heap shows what a busy worker needs, to compare with the %s a worker's heap may grow to under `%s`.\n\n",
			memlockWords(s.busyHard), recommended, human(heapCap(recommendedMemlock)), recommended)
	}
	b.WriteString("| server | workers as | `RLIMIT_MEMLOCK` | best | median | ratio | failed | master heap | worker heap: mapped | touched | connections | heap full | overflow |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range s.busy {
		mheap, wheap, wtouched := "-", "-", "-"
		m, w := r.peaks()
		if r.heap {
			mheap, wheap, wtouched = human(m.mapped), human(w.mapped), human(w.resident)
		}
		limit := memlockWords(r.memlock)
		if r.root {
			limit += " (not binding)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %.0f/s | %.0f/s | %.2fx | %d | %s | %s | %s | %d | %d | %d bytes |\n",
			r.name, r.user(), limit, r.best(), r.median(), r.best()/r0.best(), r.failed, mheap, wheap, wtouched, w.fds, r.full, r.overflowed)
	}
	return b.String()
}

// memlockWords is a limit as the table says it.
func memlockWords(n uint64) string {
	if n == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return human(int64(n))
}

// busyTargets: the heap costs a busy nginx at most a tenth of its rate, and
// under the recommended limit lets nothing into ordinary memory. Below the
// recommendation the overflow is shown, not judged.
func (s *suite) busyTargets() []string {
	var out []string
	for _, r := range s.busy[min(1, len(s.busy)):] {
		ratio := r.best() / s.busy[0].best()
		m, w := r.peaks()
		peak := max(m.mapped, w.mapped)
		switch {
		case r.measured:
			out = append(out, fmt.Sprintf("%s, %d concurrent connections, workers as nobody under the recommended %s (measured): at least 0.9x the handshakes of the key from a file and 0 bytes overflowed: %.2fx, %d bytes overflowed (largest worker heap %s), %s",
				r.name, s.busyConns, recommended, ratio, r.overflowed, human(w.mapped), verdict(ratio >= 0.9 && r.overflowed == 0)))
		case r.root:
			limit := heapCap(recommendedMemlock)
			claim := fmt.Sprintf("peak %s mapped per process <= %s cap at %s: 0 bytes would overflow", human(peak), human(limit), recommended)
			if peak > limit {
				claim = fmt.Sprintf("peak %s mapped per process > %s cap at %s: it would overflow", human(peak), human(limit), recommended)
			}
			out = append(out, fmt.Sprintf("%s, %d concurrent connections, %s NOT run (hard limit %s, no CAP_SYS_RESOURCE); workers as root (CAP_IPC_LOCK, unbound) instead: at least 0.9x the handshakes of the key from a file: %.2fx, %s; %s (%d bytes overflowed unbound), %s",
				r.name, s.busyConns, recommended, memlockWords(s.busyHard), ratio, verdict(ratio >= 0.9), claim, r.overflowed, verdict(peak <= limit && r.overflowed == 0)))
		default:
			out = append(out, fmt.Sprintf("%s, %d concurrent connections, workers as nobody under %s, below the recommendation (shown, not a target for overflow): at least 0.9x the handshakes of the key from a file: %.2fx, %s; %d bytes overflowed, the heap stopping at %s per worker",
				r.name, s.busyConns, memlockWords(r.memlock), ratio, verdict(ratio >= 0.9), r.overflowed, human(w.mapped)))
		}
	}
	return out
}
