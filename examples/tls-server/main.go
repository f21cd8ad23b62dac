// Command tls-server is an HTTPS server whose TLS private key comes from a
// secret descriptor:
//
//	secretcat -i key.txt server.key.pem.age -- tls-server -cert server.crt
//
// The key is parsed from the mapping, then the mapping is closed: Go's TLS
// stack keeps the parsed key in ordinary memory, as every TLS library does.
//
// Under systemd socket activation it takes its listening socket by name
// (-socket-name) from the descriptors that LISTEN_FDS and LISTEN_FDNAMES
// describe, with the key appended after them by secretcat --listen-fds
// (examples/systemd/tls-server-activated.service).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/secretcat/secretcat/secretfd"
)

func main() {
	certFile := flag.String("cert", "server.crt", "certificate chain (PEM)")
	addr := flag.String("addr", "127.0.0.1:8443", "address to listen on")
	addrFile := flag.String("addr-file", "", "write the address listened on to this file")
	socketName := flag.String("socket-name", "", "take the listening socket of this name from systemd socket activation instead of -addr")
	once := flag.Bool("once", false, "serve one request, then exit")
	flag.Parse()

	cert, err := loadKeyPair(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	var ln net.Listener
	if *socketName != "" {
		ln, err = activated(*socketName)
	} else {
		ln, err = net.Listen("tcp", *addr)
	}
	if err != nil {
		log.Fatal(err)
	}
	ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	if *addrFile != "" {
		os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644)
	}
	done := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello over TLS, with a key that never touched the disk")
		if *once {
			// The response goes out before the server stops and exits.
			w.(http.Flusher).Flush()
			close(done)
		}
	})}
	if !*once {
		log.Fatal(srv.Serve(ln))
	}
	// With -once, exit only after the first response has gone out:
	// Shutdown waits for the connection that is serving it.
	go srv.Serve(ln)
	<-done
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// loadKeyPair pairs the certificate file with the key in the secret
// descriptor SECRETCAT_FD.
func loadKeyPair(certFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	fd, err := secretfd.Lookup("")
	if err != nil {
		return tls.Certificate{}, err
	}
	m, err := secretfd.Map(fd)
	if err != nil {
		return tls.Certificate{}, err
	}
	defer m.Close()
	return tls.X509KeyPair(certPEM, m.Bytes())
}

// activated returns the listening socket named name that systemd passed
// (sd_listen_fds(3)): descriptors from 3, LISTEN_FDS of them, named by
// LISTEN_FDNAMES, meant for this process if LISTEN_PID is its PID.
func activated(name string) (net.Listener, error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, fmt.Errorf("-socket-name %s: no sockets passed to this process (LISTEN_PID)", name)
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil {
		return nil, fmt.Errorf("-socket-name %s: LISTEN_FDS: %v", name, err)
	}
	for i, fdName := range strings.Split(os.Getenv("LISTEN_FDNAMES"), ":") {
		if fdName == name && i < n {
			f := os.NewFile(uintptr(3+i), name)
			defer f.Close()
			return net.FileListener(f)
		}
	}
	return nil, fmt.Errorf("-socket-name %s: no such name in LISTEN_FDNAMES=%s", name, os.Getenv("LISTEN_FDNAMES"))
}
