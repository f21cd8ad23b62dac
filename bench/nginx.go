package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// tlsResult is one row of the handshake comparison.
type tlsResult struct {
	name, command string
	rates         []float64 // full handshakes per second, one per round
	failed        int64     // handshakes that did not complete
}

func (r tlsResult) best() float64   { return slices.Max(r.rates) }
func (r tlsResult) median() float64 { s := slices.Sorted(slices.Values(r.rates)); return s[len(s)/2] }

// nginxServer is one nginx under test, listening on addr.
type nginxServer struct {
	name string
	argv []string // before nginx
	args []string // nginx's own, after -c and -e
	addr string
	cmd  *exec.Cmd
}

// handshakes compares full TLS handshakes per second of nginx (2 workers,
// an RSA-2048 key) given its key as a file, through secretcat --preload, and
// with --openssl-secret-heap as well. The three run side by side and are
// loaded in turn, rounds times for each for the given duration.
func (s *suite) handshakes(rounds int, each time.Duration) {
	dir, nginx, cert, key, sealed := s.nginxSetup("nginx")
	secretcat := s.exe("secretcat")
	servers := []*nginxServer{
		{name: "nginx, key from a file"},
		// --fd 3: the configuration names /dev/fd/3, and a descriptor the bench
		// inherited (a shell's) would otherwise move the secret above it.
		{name: "secretcat --preload KEY -- nginx", argv: []string{secretcat, "--preload", "--fd", "3", "-i", s.identity, sealed, "--"}},
		{name: "secretcat --openssl-secret-heap KEY -- nginx", argv: []string{secretcat, "--openssl-secret-heap", "--fd", "3", "-i", s.identity, sealed, "--"}},
	}
	startNginx(servers, dir, nginx, cert, key, 1024)
	for _, srv := range servers {
		defer srv.stop()
	}
	results := make([]tlsResult, len(servers))
	for i, srv := range servers {
		results[i] = tlsResult{name: srv.name, command: strings.Join(srv.argv, " ")}
		handshakeLoad(srv.addr, 300*time.Millisecond) // warm-up
	}
	for range rounds {
		for i, srv := range servers {
			rate, failed := handshakeLoad(srv.addr, each)
			results[i].rates = append(results[i].rates, rate)
			results[i].failed += failed
		}
	}
	for _, r := range results {
		log.Printf("%-56s best %6.0f/s  median %6.0f/s  failed %d", r.name, r.best(), r.median(), r.failed)
	}
	s.tls, s.tlsRound = results, each
}

// nginxSetup makes dir (under the suite's directory) and writes there a
// server key, its certificate and the key sealed with age, and finds nginx.
func (s *suite) nginxSetup(name string) (dir, nginx, cert, key, sealed string) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		log.Fatalf("the nginx benchmarks need nginx (apt-get install nginx-light), or -nginx=false -busy=false: %v", err)
	}
	dir = filepath.Join(s.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	cert, key = writeServerKey(dir)
	sealed = filepath.Join(dir, "key.pem.age")
	pemKey, err := os.Open(key)
	if err != nil {
		log.Fatal(err)
	}
	s.seal(sealed, pemKey)
	pemKey.Close()
	return dir, nginx, cert, key, sealed
}

// startNginx starts each server with its own configuration for conns
// connections per worker, the first with the key from the file key, the
// others at /dev/fd/3, and returns their error logs. On failure nothing is
// left running.
func startNginx(servers []*nginxServer, dir, nginx, cert, key string, conns int) (logs []string) {
	for i, srv := range servers {
		keyPath := key
		if i > 0 {
			keyPath = "/dev/fd/3"
		}
		sub := filepath.Join(dir, fmt.Sprint(i))
		conf := filepath.Join(dir, fmt.Sprintf("nginx%d.conf", i))
		srv.addr = freeAddr()
		writeNginxConf(conf, sub, srv.addr, cert, keyPath, conns)
		logs = append(logs, filepath.Join(sub, "error.log"))
		srv.argv = append(append(srv.argv, nginx, "-c", conf, "-e", logs[i]), srv.args...)
		if err := srv.start(); err != nil {
			for _, started := range servers[:i] {
				started.stop()
			}
			log.Fatal(err)
		}
	}
	return logs
}

// writeServerKey writes an RSA-2048 key and a certificate for 127.0.0.1.
func writeServerKey(dir string) (cert, key string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "secretcat bench"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		log.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		log.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		log.Fatal(err)
	}
	return cert, key
}

// freeAddr is a free TCP port on 127.0.0.1.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeNginxConf writes a configuration for 2 workers of conns connections
// each.
func writeNginxConf(conf, dir, addr, cert, key string, conns int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	text := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_rlimit_nofile %[5]d;
events { worker_connections %[5]d; }
http {
	access_log off;
	client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s;
	uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
	ssl_session_cache off;
	ssl_session_tickets off;
	server {
		listen %[2]s ssl backlog=%[5]d;
		ssl_certificate %[3]s;
		ssl_certificate_key %[4]s;
		location / { return 200 "ok\n"; }
	}
}
`, dir, addr, cert, key, conns)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		log.Fatal(err)
	}
}

// start runs the server and waits until it completes a handshake; on
// failure nothing of it is left running.
func (n *nginxServer) start() error {
	n.cmd = exec.Command(n.argv[0], n.argv[1:]...)
	n.cmd.Stderr = os.Stderr
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("%s: %v", n.name, err)
	}
	for range 100 {
		if c, err := dialTLS(n.addr, 2*time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.stop()
	return fmt.Errorf("%s: no TLS on %s after 5s", n.name, n.addr)
}

// stop ends nginx (its master, by PID; the workers follow it) and waits.
func (n *nginxServer) stop() {
	n.cmd.Process.Signal(syscall.SIGQUIT)
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// dialTLS completes one full handshake (no session resumption) within
// timeout for the connection and 2.5 times it for the handshake; closing it
// resets it, which leaves no TIME_WAIT socket behind.
func dialTLS(addr string, timeout time.Duration) (*tls.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	raw.(*net.TCPConn).SetLinger(0)
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: "127.0.0.1"})
	c.SetDeadline(time.Now().Add(timeout * 5 / 2))
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// handshakeLoad makes full handshakes with addr from 4 connections at a
// time for d, and returns the completed handshakes per second and the
// number that failed.
func handshakeLoad(addr string, d time.Duration) (float64, int64) {
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 {
		wg.Go(func() {
			for time.Since(start) < d {
				c, err := dialTLS(addr, 2*time.Second)
				if err != nil {
					failed.Add(1)
					continue
				}
				c.Close()
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds(), failed.Load()
}

// tlsMarkdown is the handshake comparison's section of the report.
func (s *suite) tlsMarkdown() string {
	if len(s.tls) == 0 {
		return ""
	}
	var b strings.Builder
	r0 := s.tls[0]
	fmt.Fprintf(&b, "\n## nginx: full TLS handshakes per second\n\n"+
		"nginx with 2 workers and an RSA-2048 key, no session resumption, loaded by 4 client connections at a time from this process (TLS 1.3, X25519), the three servers taking turns, %d rounds of %s each. The ratio divides the best rate by the best rate with the key from a file.\n\n"+
		"| server | best | median | ratio | failed |\n| --- | ---: | ---: | ---: | ---: |\n", len(r0.rates), s.tlsRound)
	for _, r := range s.tls {
		fmt.Fprintf(&b, "| `%s` | %.0f/s | %.0f/s | %.2fx | %d |\n", r.name, r.best(), r.median(), r.best()/r0.best(), r.failed)
	}
	return b.String()
}

// tlsTargets checks the handshake rates against the target: the preload
// library and the secret heap cost nginx at most a tenth of its rate.
func (s *suite) tlsTargets() []string {
	var out []string
	for _, r := range s.tls[min(1, len(s.tls)):] {
		ratio := r.best() / s.tls[0].best()
		out = append(out, fmt.Sprintf("%s: at least 0.9x the handshakes of the key from a file, none failed: %.2fx, %d failed, %s", r.name, ratio, r.failed, verdict(ratio >= 0.9 && r.failed == 0)))
	}
	return out
}
