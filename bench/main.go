// Command bench is secretcat's side-by-side benchmark suite (make bench).
//
// It times, on this machine and in one go, secretcat delivering a file to
// "true" against age -d writing to /dev/null and to /dev/shm, and against
// programs that only create a memfd_secret of the same size and write every
// page, on one thread and on all cores: the floor for filling secret memory.
// For small keys it compares secretcat's end-to-end latency with age -d's
// and with running true alone. It prints the results with ratios and
// writes them as Markdown.
//
//	bench -bin bin -o docs/benchmarks.md     # the suite
//	bench fill SIZE THREADS                  # a fill program
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"filippo.io/age"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "fill" {
		fill(os.Args[2], os.Args[3])
		return
	}
	bin := flag.String("bin", "bin", "directory holding secretcat, age and bench")
	out := flag.String("o", "", "write the results as Markdown to `FILE`")
	runs := flag.Int("runs", 9, "timed runs per command for large payloads (small ones get 5x)")
	fixture := flag.String("pem", "testdata/pem/rsa.pkcs8.sha256.aes-256-cbc.pem", "a PKCS#8 key for the small-key runs, with passphrase.txt beside it")
	flag.Parse()
	s, err := newSuite(*bin, *runs)
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(s.dir)
	s.large()
	s.small(*fixture)
	report := s.markdown()
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// fill creates a memfd_secret of size bytes and writes every page, split
// between threads, then exits: the cost of filling secret memory alone.
func fill(sizeArg, threadsArg string) {
	size, err := strconv.Atoi(sizeArg)
	if err != nil {
		log.Fatal(err)
	}
	threads, err := strconv.Atoi(threadsArg)
	if err != nil || threads < 1 {
		log.Fatal("bad thread count")
	}
	fd, err := unix.MemfdSecret(unix.O_CLOEXEC)
	if err != nil {
		log.Fatal(err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		log.Fatal(err)
	}
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		log.Fatal(err)
	}
	page := os.Getpagesize()
	var wg sync.WaitGroup
	for t := range threads {
		lo, hi := size*t/threads, size*(t+1)/threads
		wg.Go(func() {
			runtime.LockOSThread()
			for i := lo; i < hi; i += page {
				mem[i] = 1
			}
		})
	}
	wg.Wait()
}

type result struct {
	group, name, command string
	size                 int64
	best, median         time.Duration // wall-clock time
	maxRSS               int64         // bytes, the largest of the runs
}

type suite struct {
	bin, dir string
	runs     int
	identity string
	results  []result
}

func newSuite(bin string, runs int) (*suite, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	for _, b := range []string{"secretcat", "age", "bench"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("%s: build it first (make bench does)", err)
		}
	}
	dir, err := os.MkdirTemp("", "secretcat-bench")
	if err != nil {
		return nil, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	s := &suite{bin: bin, dir: dir, runs: runs, identity: filepath.Join(dir, "id.txt")}
	return s, os.WriteFile(s.identity, []byte(id.String()+"\n"), 0o600)
}

// encrypt writes size random bytes, encrypted to the suite's identity, to
// a file, streaming.
func (s *suite) encrypt(name string, size int64) string {
	data, _ := os.ReadFile(s.identity)
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(data)))
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(s.dir, name)
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w, err := age.Encrypt(f, id.Recipient())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.CopyN(w, rand.Reader, size); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	return path
}

// large compares delivering large payloads with decrypting them elsewhere
// and with filling secret memory alone.
func (s *suite) large() {
	sizes := []int64{1 << 20, 64 << 20, 256 << 20}
	for _, size := range sizes {
		if !memlockAllows(size) {
			log.Printf("skipping %s: RLIMIT_MEMLOCK is too low for it", human(size))
			continue
		}
		file := s.encrypt(fmt.Sprintf("payload-%d.age", size), size)
		shm := filepath.Join("/dev/shm", fmt.Sprintf("secretcat-bench-%d", os.Getpid()))
		group := "payload " + human(size)
		sz := strconv.FormatInt(size, 10)
		s.time(group, "secretcat FILE -- true", size, s.runs, nil, s.exe("secretcat"), "-i", s.identity, file, "--", "true")
		s.time(group, "age -d FILE > /dev/null", size, s.runs, nil, s.exe("age"), "-d", "-i", s.identity, file)
		s.time(group, "age -d -o /dev/shm/x FILE", size, s.runs, func() { os.Remove(shm) }, s.exe("age"), "-d", "-i", s.identity, "-o", shm, file)
		os.Remove(shm)
		s.time(group, "fill memfd_secret, 1 thread", size, s.runs, nil, s.exe("bench"), "fill", sz, "1")
		s.time(group, fmt.Sprintf("fill memfd_secret, %d threads", runtime.NumCPU()), size, s.runs, nil, s.exe("bench"), "fill", sz, strconv.Itoa(runtime.NumCPU()))
		os.Remove(file)
	}
}

// small compares end-to-end latency for small keys.
func (s *suite) small(fixture string) {
	runs := 5 * s.runs
	key := s.encrypt("key.age", 1<<10)
	group := "1 KiB age key"
	s.time(group, "secretcat k.age -- true", 1<<10, runs, nil, s.exe("secretcat"), "-i", s.identity, key, "--", "true")
	s.time(group, "age -d k.age > /dev/null", 1<<10, runs, nil, s.exe("age"), "-d", "-i", s.identity, key)
	s.time(group, "true", 0, runs, nil, "true")
	if _, err := os.Stat(fixture); err != nil {
		log.Printf("skipping the PEM key: %v", err)
		return
	}
	pass := filepath.Join(filepath.Dir(fixture), "passphrase.txt")
	group = "PKCS#8 key (PBKDF2-SHA256, 2048 iterations)"
	s.time(group, "secretcat --passphrase-file P key.pem -- true", 0, runs, nil, s.exe("secretcat"), "--passphrase-file", pass, fixture, "--", "true")
	if openssl, err := exec.LookPath("openssl"); err == nil {
		s.time(group, "openssl pkey -in key.pem -passin file:P > /dev/null", 0, runs, nil, openssl, "pkey", "-in", fixture, "-passin", "file:"+pass)
	}
}

func (s *suite) exe(name string) string { return filepath.Join(s.bin, name) }

// time runs a command runs times after a warm-up, with standard output to
// /dev/null, and records the median wall time and the largest peak RSS.
func (s *suite) time(group, name string, size int64, runs int, before func(), argv ...string) {
	var walls []time.Duration
	var maxRSS int64
	for i := -1; i < runs; i++ {
		if before != nil {
			before()
		}
		c := exec.Command(argv[0], argv[1:]...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		start := time.Now()
		err := c.Run()
		wall := time.Since(start)
		if err != nil {
			log.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.Bytes())
		}
		if i < 0 {
			continue // warm-up
		}
		walls = append(walls, wall)
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss*1024)
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	r := result{group: group, name: name, command: strings.Join(argv, " "), size: size, best: walls[0], median: walls[len(walls)/2], maxRSS: maxRSS}
	log.Printf("%-28s %-52s best %10s  median %10s  peak RSS %s", group, name, r.best.Round(100*time.Microsecond), r.median.Round(100*time.Microsecond), human(r.maxRSS))
	s.results = append(s.results, r)
}

func (s *suite) markdown() string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# secretcat benchmarks\n\nMade by `make bench` on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "- machine: %s, %d CPUs, %s\n- kernel: %s\n- Go: %s\n- host: %s\n\n", cpuModel(), runtime.NumCPU(), memTotal(), kernel(), runtime.Version(), host)
	b.WriteString("Each command ran once to warm up, then several times. Times are wall-clock: the best run, which is the stable measure on a shared machine, and the median. Peak RSS is the largest `ru_maxrss`. The ratio divides the best time by the best time of the group's reference: the all-cores fill for payloads (the floor: every page of secret memory must be faulted in and leave the direct map), `age -d` to /dev/null for small keys.\n")
	var group string
	var ref time.Duration
	for _, r := range s.results {
		if r.group != group {
			group = r.group
			ref = s.reference(group)
			fmt.Fprintf(&b, "\n## %s\n\n| command | best | median | ratio | peak RSS | RSS beyond the payload |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", group)
		}
		ratio := float64(r.best) / float64(ref)
		beyond := "-"
		if r.size > 0 && strings.HasPrefix(r.name, "secretcat") {
			beyond = human(r.maxRSS - r.size)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %.2fx | %s | %s |\n", r.name, r.best.Round(100*time.Microsecond), r.median.Round(100*time.Microsecond), ratio, human(r.maxRSS), beyond)
	}
	b.WriteString("\n## Targets\n\n")
	for _, t := range s.targets() {
		fmt.Fprintf(&b, "- %s\n", t)
	}
	b.WriteString("\nWhy the numbers are what they are: [performance.md](performance.md).\n\n## Commands\n\nAs run (`FILE` is a temporary age file, `-i` a throw-away identity):\n\n")
	for _, r := range s.results {
		fmt.Fprintf(&b, "- %s\n", "`"+strings.ReplaceAll(r.command, s.dir, "$TMP")+"`")
	}
	return b.String()
}

// targets checks the results against secretcat's performance targets.
func (s *suite) targets() []string {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	var out []string
	var minBeyond, maxBeyond int64 = math.MaxInt64, math.MinInt64
	for _, r := range s.results {
		if !strings.HasPrefix(r.name, "secretcat FILE") {
			continue
		}
		ratio := float64(r.best) / float64(s.reference(r.group))
		if r.size >= 64<<20 {
			out = append(out, fmt.Sprintf("%s: secretcat within 1.25x of the all-cores fill: %.2fx, %s", r.group, ratio, verdict(ratio <= 1.25)))
		}
		minBeyond, maxBeyond = min(minBeyond, r.maxRSS-r.size), max(maxBeyond, r.maxRSS-r.size)
	}
	if maxBeyond >= minBeyond {
		out = append(out, fmt.Sprintf("peak RSS beyond the payload does not grow with it: %s to %s, %s", human(minBeyond), human(maxBeyond), verdict(maxBeyond-minBeyond <= 2<<20)))
	}
	for _, r := range s.results {
		if r.name == "secretcat k.age -- true" {
			ratio := float64(r.best) / float64(s.reference(r.group))
			out = append(out, fmt.Sprintf("1 KiB key: secretcat, which also execs the child, within 1.1x of age -d to /dev/null: %.2fx, %s", ratio, verdict(ratio <= 1.1)))
		}
	}
	return out
}

// reference is the time each result of group is compared with.
func (s *suite) reference(group string) time.Duration {
	var ref time.Duration
	for _, r := range s.results {
		if r.group != group {
			continue
		}
		if strings.HasPrefix(r.name, "fill") && strings.HasSuffix(r.name, fmt.Sprintf("%d threads", runtime.NumCPU())) ||
			strings.HasPrefix(r.name, "age -d k.age") || strings.HasPrefix(r.name, "openssl") {
			return r.best
		}
		if ref == 0 {
			ref = r.best
		}
	}
	return ref
}

func memlockAllows(size int64) bool {
	if os.Geteuid() == 0 {
		return true
	}
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl)
	return rl.Max == unix.RLIM_INFINITY || uint64(size) <= rl.Max
}

func human(n int64) string {
	switch {
	case n >= 1<<20 || n <= -1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case math.Abs(float64(n)) >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	var si unix.Sysinfo_t
	unix.Sysinfo(&si)
	return fmt.Sprintf("%.0f GiB RAM", float64(si.Totalram)*float64(si.Unit)/(1<<30))
}

func kernel() string {
	var u unix.Utsname
	unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:])
}
