package cmd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/secretfd"
)

// getfd is "getfd PID FD NAME": it takes descriptor FD from process PID with
// pidfd_getfd(2), maps it and writes its contents to got.NAME.
func getfd() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: getfd PID FD NAME"))
	}
	pid, _ := strconv.Atoi(os.Args[1])
	target, _ := strconv.Atoi(os.Args[2])
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		fail(fmt.Errorf("pidfd_open: %w", err))
	}
	fd, err := unix.PidfdGetfd(pidfd, target, 0)
	if err != nil {
		fail(fmt.Errorf("pidfd_getfd: %w", err))
	}
	m, err := secretfd.Map(fd)
	if err != nil {
		fail(err)
	}
	defer m.Close()
	if err := os.WriteFile("got."+os.Args[3], m.Bytes(), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("took fd %d of %d: %d bytes\n", target, pid, len(m.Bytes()))
}

// mkcert CERT KEY writes a self-signed ECDSA certificate for 127.0.0.1 and
// its unencrypted PKCS#8 key.
func cmdMkcert(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkcert CERT KEY")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "secretcat test server"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600))
}

// tlsget CERT ADDRFILE waits for ADDRFILE, then makes an HTTPS request to
// the address in it, trusting only CERT, and prints the body and the
// server certificate's common name.
func cmdTLSGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tlsget CERT ADDRFILE")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(ts.ReadFile(args[0])))
	var addr []byte
	for i := 0; i < 200 && len(addr) == 0; i++ {
		addr, _ = os.ReadFile(ts.MkAbs(args[1]))
		time.Sleep(50 * time.Millisecond)
	}
	if len(addr) == 0 {
		ts.Fatalf("no address in %s", args[1])
	}
	conn, err := tls.Dial("tcp", strings.TrimSpace(string(addr)), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	ts.Check(err)
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := io.ReadAll(conn)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "peer: %s\n%s\n", conn.ConnectionState().PeerCertificates[0].Subject.CommonName, resp)
}

// sockpoke PATH connects to the unix socket at PATH, once it exists, and
// closes the connection at once, reading nothing.
func cmdSockpoke(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sockpoke PATH")
	}
	addr := &net.UnixAddr{Name: ts.MkAbs(args[0]), Net: "unix"}
	for i := 0; ; i++ {
		conn, err := net.DialUnix("unix", nil, addr)
		if err == nil {
			conn.Close()
			return
		}
		if i == 200 {
			ts.Fatalf("sockpoke: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
