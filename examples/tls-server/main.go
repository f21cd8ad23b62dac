// Command tls-server is an HTTPS server whose TLS private key comes from a
// secret descriptor:
//
//	secretcat -i key.txt server.key.pem.age -- tls-server -cert server.crt
//
// The key is parsed from the mapping, then the mapping is closed: Go's TLS
// stack keeps the parsed key in ordinary memory, as every TLS library does.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/secretcat/secretcat/secretfd"
)

func main() {
	certFile := flag.String("cert", "server.crt", "certificate chain (PEM)")
	addr := flag.String("addr", "127.0.0.1:8443", "address to listen on")
	addrFile := flag.String("addr-file", "", "write the address listened on to this file")
	once := flag.Bool("once", false, "serve one request, then exit")
	flag.Parse()

	cert, err := loadKeyPair(*certFile)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := tls.Listen("tcp", *addr, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644)
	}
	done := make(chan struct{})
	http.Serve(onceListener(ln, *once, done), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello over TLS, with a key that never touched the disk")
		if *once {
			// Out to the client before the server stops and exits.
			w.(http.Flusher).Flush()
			close(done)
		}
	}))
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

// onceListener stops accepting after the first response when once is set.
func onceListener(ln net.Listener, once bool, done chan struct{}) net.Listener {
	if once {
		go func() { <-done; ln.Close() }()
	}
	return ln
}
