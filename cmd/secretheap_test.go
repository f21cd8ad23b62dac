package cmd_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// keyWindow is the length of the runs of a key's numbers that keyscan
// looks for: long enough never to occur by chance.
const keyWindow = 16

// keyscan KEY FILE... counts, in each FILE (a core dump), the windows of
// the RSA key KEY's p, q and d, big- and little-endian (DER holds numbers
// big-endian, OpenSSL's BIGNUMs little-endian on this machine), and the
// base64 lines of the PEM file KEY. It prints one line per FILE:
//
//	FILE: p N, q N, d N, pem N
func cmdKeyscan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: keyscan KEY FILE...")
	}
	k := newKeyCounter(ts, args[0])
	for _, file := range args[1:] {
		data, err := os.ReadFile(ts.MkAbs(file))
		ts.Check(err)
		if len(data) == 0 {
			ts.Fatalf("%s is empty", file)
		}
		count := map[string]int{}
		k.add(count, data)
		fmt.Fprintf(ts.Stdout(), "%s: %s\n", file, k.format(count))
	}
}

// keyCounter counts, in memory, the windows of an RSA key's p, q and d in
// both byte orders and the base64 lines of its PEM file.
type keyCounter struct {
	windows map[[keyWindow]byte]string
	lines   [][]byte
}

func newKeyCounter(ts *testscript.TestScript, keyFile string) *keyCounter {
	text := []byte(ts.ReadFile(keyFile))
	block, _ := pem.Decode(text)
	if block == nil {
		ts.Fatalf("%s: no PEM", keyFile)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	ts.Check(err)
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		ts.Fatalf("%s: not an RSA key", keyFile)
	}
	// Every window of each number, in both byte orders, names the number.
	k := &keyCounter{windows: map[[keyWindow]byte]string{}}
	for name, n := range map[string][]byte{"p": key.Primes[0].Bytes(), "q": key.Primes[1].Bytes(), "d": key.D.Bytes()} {
		le := slices.Clone(n)
		slices.Reverse(le)
		for _, b := range [][]byte{n, le} {
			for off := 0; off+keyWindow <= len(b); off += keyWindow {
				k.windows[[keyWindow]byte(b[off:off+keyWindow])] = name
			}
		}
	}
	for _, l := range bytes.Split(text, []byte("\n")) {
		if len(l) >= 32 && !bytes.HasPrefix(l, []byte("-----")) {
			k.lines = append(k.lines, l)
		}
	}
	return k
}

// add adds what data holds of the key to count.
func (k *keyCounter) add(count map[string]int, data []byte) {
	for i := 0; i+keyWindow <= len(data); i++ {
		if name, ok := k.windows[[keyWindow]byte(data[i:i+keyWindow])]; ok {
			count[name]++
		}
	}
	for _, l := range k.lines {
		count["pem"] += bytes.Count(data, l)
	}
}

func (k *keyCounter) format(count map[string]int) string {
	return fmt.Sprintf("p %d, q %d, d %d, pem %d", count["p"], count["q"], count["d"], count["pem"])
}

// coredump PIDFILE PREFIX writes core dumps, with gcore, of the nginx
// master whose PID is in PIDFILE (PREFIX.master) and of its newest worker
// (PREFIX.worker; after a reload, older ones may be on their way out).
func cmdCoredump(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: coredump PIDFILE PREFIX")
	}
	master := readPid(ts, args[0])
	workers := children(master)
	if master <= 0 || len(workers) == 0 {
		ts.Fatalf("no nginx master with workers in %s", args[0])
	}
	prefix := ts.MkAbs(args[1])
	for role, p := range map[string]int{"master": master, "worker": slices.Max(workers)} {
		pid := strconv.Itoa(p)
		out, err := exec.Command("gcore", "-o", prefix, pid).CombinedOutput()
		if err != nil {
			ts.Fatalf("gcore %s (%s): %v\n%s", pid, role, err, out)
		}
		ts.Check(os.Rename(prefix+"."+pid, prefix+"."+role))
	}
}

// tlsload [-raw] N CERT ADDR makes N full TLS handshakes (no session
// resumption) with ADDR, each through to an HTTP response, and checks that
// the server presents CERT every time (so it holds the matching key). With
// -raw, for servers that do not speak HTTP (redis, MQTT), each connection
// ends after its handshake. ADDR is host:port, or a file that holds it.
func cmdTLSLoad(ts *testscript.TestScript, neg bool, args []string) {
	raw := len(args) > 0 && args[0] == "-raw"
	if raw {
		args = args[1:]
	}
	if neg || len(args) != 3 {
		ts.Fatalf("usage: tlsload [-raw] N CERT ADDR")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	certPEM := []byte(ts.ReadFile(args[1]))
	block, _ := pem.Decode(certPEM)
	if block == nil {
		ts.Fatalf("%s: no certificate", args[1])
	}
	addr := args[2]
	if data, err := os.ReadFile(ts.MkAbs(addr)); err == nil {
		addr = strings.TrimSpace(string(data))
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	var lastErr error
	for i := 0; i < 600; i++ { // the server may still be starting (30 s)
		var c net.Conn
		if c, lastErr = net.Dial("tcp", addr); lastErr == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Check(lastErr)
	for i := range n {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			ts.Fatalf("handshake %d of %d: %v", i+1, n, err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if got := conn.ConnectionState().PeerCertificates[0].Raw; !bytes.Equal(got, block.Bytes) {
			ts.Fatalf("handshake %d: the server presented another certificate", i+1)
		}
		if raw {
			conn.Close()
			continue
		}
		fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
		var resp [12]byte
		if _, err := conn.Read(resp[:]); err != nil || !bytes.HasPrefix(resp[:], []byte("HTTP/1.")) {
			ts.Fatalf("handshake %d: no HTTP response (%v)", i+1, err)
		}
		conn.Close()
	}
	fmt.Fprintf(ts.Stdout(), "%d handshakes, certificate %s every time\n", n, filepath.Base(args[1]))
}

// freeport VAR sets VAR to a TCP port on 127.0.0.1 that is free now.
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	defer l.Close()
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

// expand IN OUT writes IN to OUT with $VAR and ${VAR} replaced by the
// script's variables (a server's configuration with its port and paths).
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand IN OUT")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(ts.ReadFile(args[0]), ts.Getenv)), 0o644))
}

// secretheaps PIDFILE KIB checks that the server whose master's PID is in
// PIDFILE, and each of its children, has its own writable secret-memory
// mapping of KIB KiB (its OpenSSL secret heap), and prints one line per
// process.
func cmdSecretheaps(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: secretheaps PIDFILE KIB")
	}
	master := readPid(ts, args[0])
	kib, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	if master <= 0 {
		ts.Fatalf("no PID in %s", args[0])
	}
	owner := map[string]string{} // heap inode: process
	for i, p := range append([]int{master}, children(master)...) {
		role, pid := "master", strconv.Itoa(p)
		if i > 0 {
			role = "child"
		}
		maps, err := os.ReadFile("/proc/" + pid + "/maps")
		if i > 0 && (err != nil || !alive(p)) {
			continue // a worker that exited meanwhile (after a reload)
		}
		ts.Check(err)
		inode := ""
		for _, l := range strings.Split(string(maps), "\n") {
			f := strings.Fields(l)
			if len(f) < 6 || f[5] != "/secretmem" || f[1] != "rw-s" {
				continue
			}
			var lo, hi uint64
			if _, err := fmt.Sscanf(f[0], "%x-%x", &lo, &hi); err == nil && hi-lo == kib<<10 {
				inode = f[4]
			}
		}
		if inode == "" {
			ts.Fatalf("%s %s has no secret heap of %d KiB", role, pid, kib)
		}
		if other, shared := owner[inode]; shared {
			ts.Fatalf("%s %s shares its secret heap with %s", role, pid, other)
		}
		owner[inode] = role + " " + pid
		fmt.Fprintf(ts.Stdout(), "%s: own secret heap of %d KiB\n", role, kib)
	}
}
