// Command tls-server is an HTTPS server whose TLS private key comes from a
// secret descriptor:
//
//	secretcat -i key.txt server.key.pem.age -- tls-server -cert server.crt
//
// The key is parsed from the mapping, then the mapping is closed: Go's TLS
// stack keeps the parsed key in ordinary memory, as every TLS library does.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
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
