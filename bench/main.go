// Command bench is secretcat's side-by-side benchmark suite (make bench).
//
// It times, on this machine and in one go, secretcat delivering a file to
// "true", from the file and from a pipe, against age -d writing to
// /dev/null and to /dev/shm, and against programs that only create a
// memfd_secret of the same size and write every page, on one thread and on
// all cores: the floor for filling secret memory.
// For small keys it compares secretcat's end-to-end latency with age -d's
// and with running true alone, and for a small SOPS document with sops
// decrypt's and sops exec-file's (with bin/sops, which make bench builds). It prints the results with ratios and
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
	"slices"
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
	runs := flag.Int("runs", 9, fmt.Sprintf("timed rounds for large payloads (small keys get %d times as many)", smallFactor))
	fixture := flag.String("pem", "testdata/pem/rsa.pkcs8.sha256.aes-256-cbc.pem", "a PKCS#8 key for the small-key runs, with passphrase.txt beside it")
	large := flag.Bool("large", true, "compare delivering large payloads (-large=false -nginx=false runs the small keys alone)")
	nginx := flag.Bool("nginx", true, "compare nginx's TLS handshakes per second with its key from a file, --preload and --openssl-secret-heap")
	hsRounds := flag.Int("handshake-rounds", 5, "rounds of handshake load for each nginx")
	hsTime := flag.Duration("handshake-time", 3*time.Second, "how long each round of handshake load lasts")
	onlyHandshakes := flag.Bool("only-handshakes", false, "run the nginx handshake comparison alone")
	busy := flag.Bool("busy", true, "compare nginx under many concurrent TLS connections with its key from a file and with --openssl-secret-heap")
	busyConns := flag.Int("busy-conns", 1000, "concurrent client connections of the busy-server comparison")
	busyRounds := flag.Int("busy-rounds", 3, "rounds of load for each busy server")
	busyTime := flag.Duration("busy-time", 5*time.Second, "how long each round of busy load lasts")
	onlyBusy := flag.Bool("only-busy", false, "run the busy-server comparison alone")
	flag.Parse()
	s, err := newSuite(*bin, *runs)
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(s.dir)
	if !*onlyHandshakes && !*onlyBusy {
		if *large {
			s.large()
		}
		s.small(*fixture)
		s.sops()
	}
	if (*nginx && !*onlyBusy) || *onlyHandshakes {
		s.handshakes(*hsRounds, *hsTime)
	}
	if (*busy && !*onlyHandshakes) || *onlyBusy {
		s.busyHandshakes(*busyRounds, *busyTime, *busyConns)
	}
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
	held                 int64         // bytes of ciphertext in a memory file, the largest seen
}

type suite struct {
	bin, dir  string
	runs      int
	identity  string
	recipient age.Recipient
	results   []result
	tls       []tlsResult
	tlsRound  time.Duration
	busy      []busyResult
	busyRound time.Duration
	busyConns int
	busyHard  uint64 // the hard RLIMIT_MEMLOCK the bench ran under
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
	s := &suite{bin: bin, dir: dir, runs: runs, identity: filepath.Join(dir, "id.txt"), recipient: id.Recipient()}
	// The identity file as age-keygen writes it.
	file := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", time.Now().Format(time.RFC3339), id.Recipient(), id)
	return s, os.WriteFile(s.identity, []byte(file), 0o600)
}

// encrypt writes size random bytes, encrypted to the suite's identity, to
// a file, streaming.
func (s *suite) encrypt(name string, size int64) string {
	path := filepath.Join(s.dir, name)
	s.seal(path, io.LimitReader(rand.Reader, size))
	return path
}

// seal writes what r holds, encrypted to the suite's identity, to path.
func (s *suite) seal(path string, r io.Reader) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w, err := age.Encrypt(f, s.recipient)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(w, r); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
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
		sz := strconv.FormatInt(size, 10)
		s.measure("payload "+human(size), s.runs,
			command{name: "secretcat FILE -- true", size: size, argv: []string{s.exe("secretcat"), "-i", s.identity, file, "--", "true"}},
			command{name: "cat FILE | secretcat - -- true", size: size, pipeFrom: file, argv: []string{s.exe("secretcat"), "-i", s.identity, "-", "--", "true"}},
			command{name: "age -d FILE > /dev/null", argv: []string{s.exe("age"), "-d", "-i", s.identity, file}},
			command{name: "age -d -o /dev/shm/x FILE", before: func() { os.Remove(shm) }, argv: []string{s.exe("age"), "-d", "-i", s.identity, "-o", shm, file}},
			command{name: "fill memfd_secret, 1 thread", argv: []string{s.exe("bench"), "fill", sz, "1"}},
			command{name: fmt.Sprintf("fill memfd_secret, %d threads", runtime.NumCPU()), argv: []string{s.exe("bench"), "fill", sz, strconv.Itoa(runtime.NumCPU())}},
		)
		os.Remove(shm)
		os.Remove(file)
	}
}

// smallFactor is how many more rounds small keys get than payloads: their
// runs are short, and their differences too.
const smallFactor = 20

// small compares end-to-end latency for small keys.
func (s *suite) small(fixture string) {
	runs := smallFactor * s.runs
	key := s.encrypt("key.age", 1<<10)
	s.measure("1 KiB age key", runs,
		command{name: "secretcat k.age -- true", size: 1 << 10, argv: []string{s.exe("secretcat"), "-i", s.identity, key, "--", "true"}},
		command{name: "age -d k.age > /dev/null", argv: []string{s.exe("age"), "-d", "-i", s.identity, key}},
		command{name: "true", argv: []string{"true"}},
	)
	if _, err := os.Stat(fixture); err != nil {
		log.Printf("skipping the PEM key: %v", err)
		return
	}
	pass := filepath.Join(filepath.Dir(fixture), "passphrase.txt")
	cmds := []command{{name: "secretcat --passphrase-file P key.pem -- true", argv: []string{s.exe("secretcat"), "--passphrase-file", pass, fixture, "--", "true"}}}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		cmds = append(cmds, command{name: "openssl pkey -in key.pem -passin file:P > /dev/null", argv: []string{openssl, "pkey", "-in", fixture, "-passin", "file:" + pass}})
	}
	s.measure("PKCS#8 key (PBKDF2-SHA256, 2048 iterations)", runs, cmds...)
}

// sopsDocument is a small secrets file as sops users keep them.
const sopsDocument = `# the app's secrets
database:
    host: db.internal
    user: app
    password: "correct horse battery staple"
    port: 5432
api:
    token: tok_8f14e45fceea167a5a36dedd4bea2543
    endpoints:
        - https://a.example/v1
        - https://b.example/v1
tls:
    key: |
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIPqZ0FyRjRWuA3uYHq2WE3mmzuFeeBl41dMN4VqUCPIb
        -----END PRIVATE KEY-----
debug: false
`

// sops compares delivering a small SOPS document with sops's own ways of
// handing it to a program: decrypt to standard output, and exec-file (a
// FIFO).
func (s *suite) sops() {
	sops := s.exe("sops")
	if _, err := os.Stat(sops); err != nil {
		log.Printf("skipping SOPS: %v (make bench builds it)", err)
		return
	}
	plain := filepath.Join(s.dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte(sopsDocument), 0o600); err != nil {
		log.Fatal(err)
	}
	enc, err := exec.Command(sops, "encrypt", "--age", fmt.Sprint(s.recipient), plain).Output()
	if err != nil {
		log.Fatalf("sops encrypt: %v", err)
	}
	os.Remove(plain)
	file := filepath.Join(s.dir, "secrets.enc.yaml")
	if err := os.WriteFile(file, enc, 0o600); err != nil {
		log.Fatal(err)
	}
	env := []string{"SOPS_AGE_KEY_FILE=" + s.identity}
	s.measure("small SOPS document (YAML)", smallFactor*s.runs,
		command{name: "secretcat secrets.enc.yaml -- true", env: env, argv: []string{s.exe("secretcat"), file, "--", "true"}},
		command{name: "sops decrypt secrets.enc.yaml > /dev/null", env: env, argv: []string{sops, "decrypt", file}},
		// exec-file's command must open the FIFO, or sops fails writing it.
		command{name: "sops exec-file secrets.enc.yaml 'cat {}'", env: env, argv: []string{sops, "exec-file", file, "cat {}"}},
		command{name: "true", argv: []string{"true"}},
	)
}

func (s *suite) exe(name string) string { return filepath.Join(s.bin, name) }

// command is one row of a group: what to run, and for secretcat the
// payload size, to tell its memory beyond the payload.
type command struct {
	name     string
	size     int64
	env      []string // added to the environment
	before   func()   // run before each run, untimed
	pipeFrom string   // a file that cat writes to the command's standard input
	argv     []string
}

// run runs cmd once, with standard output to /dev/null, and returns its
// wall time from the start of the first process to the end of the last,
// its peak RSS, and how much ciphertext it held in a memory file.
func (cmd command) run() (wall time.Duration, rss, held int64, err error) {
	c := exec.Command(cmd.argv[0], cmd.argv[1:]...)
	if cmd.env != nil {
		c.Env = append(os.Environ(), cmd.env...)
	}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	var feeder *exec.Cmd
	start := time.Now()
	if cmd.pipeFrom != "" {
		feeder = exec.Command("cat", cmd.pipeFrom)
		r, w, err := os.Pipe()
		if err != nil {
			return 0, 0, 0, err
		}
		feeder.Stdout, c.Stdin = w, r
		err = feeder.Start()
		w.Close()
		if err != nil {
			r.Close()
			return 0, 0, 0, err
		}
		defer r.Close()
	}
	if err := c.Start(); err != nil {
		return 0, 0, 0, err
	}
	done := make(chan struct{})
	heldc := make(chan int64)
	go func() { heldc <- watchHeld(c.Process.Pid, done) }()
	err = c.Wait()
	if feeder != nil {
		if ferr := feeder.Wait(); err == nil && ferr != nil {
			err = fmt.Errorf("cat: %v", ferr)
		}
	}
	wall = time.Since(start)
	close(done)
	held = <-heldc
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.argv, " "), err, stderr.Bytes())
	}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024
	}
	return wall, rss, held, nil
}

// watchHeld samples, until done, the size of the memory files in which
// process pid holds ciphertext (secretcat's /memfd:secretcat-ciphertext),
// which its RSS does not show since they are not mapped, and returns the
// largest total seen.
func watchHeld(pid int, done <-chan struct{}) int64 {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	var largest int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		var total int64
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			link, _ := os.Readlink(filepath.Join(dir, e.Name()))
			if strings.HasPrefix(link, "/memfd:secretcat-ciphertext") {
				if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
					total += st.Size()
				}
			}
		}
		largest = max(largest, total)
		select {
		case <-done:
			return largest
		case <-tick.C:
		}
	}
}

// measure runs a group's commands in turn, a warm-up round and then runs
// rounds, with standard output to /dev/null, and records each command's
// wall times and largest peak RSS. Taking turns, rather than running each
// command's runs together, spreads the other tenants' load on a shared
// machine over all the commands compared.
func (s *suite) measure(group string, runs int, cmds ...command) {
	walls := make([][]time.Duration, len(cmds))
	maxRSS := make([]int64, len(cmds))
	maxHeld := make([]int64, len(cmds))
	for i := -1; i < runs; i++ {
		for j, cmd := range cmds {
			if cmd.before != nil {
				cmd.before()
			}
			wall, rss, held, err := cmd.run()
			if err != nil {
				log.Fatal(err)
			}
			if i < 0 {
				continue // warm-up
			}
			walls[j] = append(walls[j], wall)
			maxRSS[j] = max(maxRSS[j], rss)
			maxHeld[j] = max(maxHeld[j], held)
		}
	}
	for j, cmd := range cmds {
		w := walls[j]
		slices.Sort(w)
		line := strings.Join(cmd.argv, " ")
		if cmd.pipeFrom != "" {
			line = "cat " + cmd.pipeFrom + " | " + line
		}
		r := result{group: group, name: cmd.name, command: line, size: cmd.size, best: w[0], median: w[len(w)/2], maxRSS: maxRSS[j], held: maxHeld[j]}
		log.Printf("%-28s %-52s best %10s  median %10s  peak RSS %s  held %s", group, cmd.name, r.best.Round(100*time.Microsecond), r.median.Round(100*time.Microsecond), human(r.maxRSS), human(r.held))
		s.results = append(s.results, r)
	}
}

func (s *suite) markdown() string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# secretcat benchmarks\n\nMade by `make bench` on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "- machine: %s, %d CPUs, %s\n- kernel: %s\n- Go: %s\n- host: %s\n\n", cpuModel(), runtime.NumCPU(), memTotal(), kernel(), runtime.Version(), host)
	fmt.Fprintf(&b, "The commands of a group ran in turn, a warm-up round and then many rounds (%d for payloads, %d for small keys), so that the load of other tenants spreads over all of them. Times are wall-clock: the best run, which is the stable measure on a shared machine, and the median. Peak RSS is the largest `ru_maxrss`; ciphertext held is the largest memory file of ciphertext (`/memfd:secretcat-ciphertext`, not mapped, so not in the RSS) seen in `/proc/PID/fd` every 2 ms, with `cat` feeding a pipe. The ratio divides the best time by the best time of the group's reference: the all-cores fill for payloads (the floor: every page of secret memory must be faulted in and leave the direct map), `age -d` to /dev/null for small keys.\n", s.runs, smallFactor*s.runs)
	var group string
	var ref time.Duration
	for _, r := range s.results {
		if r.group != group {
			group = r.group
			ref = s.reference(group)
			fmt.Fprintf(&b, "\n## %s\n\n| command | best | median | ratio | peak RSS | RSS beyond the payload | ciphertext held |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n", group)
		}
		ratio := float64(r.best) / float64(ref)
		beyond, held := "-", "-"
		if r.size > 0 && strings.Contains(r.name, "secretcat") {
			beyond = human(r.maxRSS - r.size)
		}
		if r.held > 0 {
			held = human(r.held)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %.2fx | %s | %s | %s |\n", r.name, r.best.Round(100*time.Microsecond), r.median.Round(100*time.Microsecond), ratio, human(r.maxRSS), beyond, held)
	}
	b.WriteString(s.tlsMarkdown())
	b.WriteString(s.busyMarkdown())
	b.WriteString("\n## Targets\n\n")
	for _, t := range s.targets() {
		fmt.Fprintf(&b, "- %s\n", t)
	}
	b.WriteString("\nWhy the numbers are what they are: [performance.md](performance.md).\n\n## Commands\n\nAs run (`FILE` is a temporary age file, `-i` a throw-away identity file as age-keygen writes it):\n\n")
	for _, r := range s.results {
		fmt.Fprintf(&b, "- %s\n", "`"+strings.ReplaceAll(r.command, s.dir, "$TMP")+"`")
	}
	for _, r := range s.tls {
		fmt.Fprintf(&b, "- %s\n", "`"+strings.ReplaceAll(r.command, s.dir, "$TMP")+"`")
	}
	for _, r := range s.busy {
		fmt.Fprintf(&b, "- %s\n", "`"+strings.ReplaceAll(r.command, s.dir, "$TMP")+"`")
	}
	return b.String()
}

// targets checks the results against secretcat's performance targets.
func (s *suite) targets() []string {
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
		if r.name != "cat FILE | secretcat - -- true" || r.size < 64<<20 {
			continue
		}
		file := s.find(r.group, "secretcat FILE -- true")
		ratio := float64(r.best) / float64(file.best)
		out = append(out, fmt.Sprintf("%s: from a pipe within 1.3x of the same file read from disk: %.2fx, %s", r.group, ratio, verdict(ratio <= 1.3)))
		// One copy of the ciphertext: the payload plus 16 bytes a chunk
		// and a header of a few hundred bytes.
		once := r.held >= r.size && r.held <= r.size+r.size/4096+4096
		out = append(out, fmt.Sprintf("%s: from a pipe, one copy of the ciphertext held (%s) and RSS beyond the payload as from the file (%s, file %s): %s",
			r.group, human(r.held), human(r.maxRSS-r.size), human(file.maxRSS-file.size), verdict(once && r.maxRSS-file.maxRSS <= 2<<20)))
	}
	// Small keys: secretcat also execs the child, so it is held to age -d
	// plus one exec of true.
	if len(s.results) > 0 { // not with -only-handshakes or -only-busy
		sc, ad, tr := s.find("1 KiB age key", "secretcat k.age -- true").best, s.find("1 KiB age key", "age -d k.age > /dev/null").best, s.find("1 KiB age key", "true").best
		ratio := float64(sc) / float64(ad+tr)
		out = append(out, fmt.Sprintf("1 KiB key: `secretcat k.age -- true` no slower than `age -d` plus one exec of `true`: %s against %s + %s, %.2fx, %s",
			sc.Round(100*time.Microsecond), ad.Round(100*time.Microsecond), tr.Round(100*time.Microsecond), ratio, verdict(ratio <= 1)))
	}
	if sc := s.findAny("small SOPS document (YAML)", "secretcat secrets.enc.yaml -- true"); sc != nil {
		sd := s.find("small SOPS document (YAML)", "sops decrypt secrets.enc.yaml > /dev/null").best
		ratio := float64(sc.best) / float64(sd)
		out = append(out, fmt.Sprintf("small SOPS document: `secretcat secrets.enc.yaml -- true` no slower than `sops decrypt` alone: %s against %s, %.2fx, %s",
			sc.best.Round(100*time.Microsecond), sd.Round(100*time.Microsecond), ratio, verdict(ratio <= 1)))
	}
	out = append(out, s.tlsTargets()...)
	return append(out, s.busyTargets()...)
}

// verdict says whether a target is met.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// findAny returns the result of the command called name in group, or nil
// when the group did not run.
func (s *suite) findAny(group, name string) *result {
	for i, r := range s.results {
		if r.group == group && r.name == name {
			return &s.results[i]
		}
	}
	return nil
}

// find returns the result of the command called name in group.
func (s *suite) find(group, name string) result {
	for _, r := range s.results {
		if r.group == group && r.name == name {
			return r
		}
	}
	log.Fatalf("no result for %s in %s", name, group)
	return result{}
}

// reference is the time each result of group is compared with.
func (s *suite) reference(group string) time.Duration {
	var ref time.Duration
	for _, r := range s.results {
		if r.group != group {
			continue
		}
		if strings.HasPrefix(r.name, "fill") && strings.HasSuffix(r.name, fmt.Sprintf("%d threads", runtime.NumCPU())) ||
			strings.HasPrefix(r.name, "age -d k.age") || strings.HasPrefix(r.name, "openssl") || strings.HasPrefix(r.name, "sops decrypt") {
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
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		return false
	}
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
