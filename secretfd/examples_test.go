package secretfd_test

import (
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/secretcat/secretcat/internal/handoff"
	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
	"github.com/secretcat/secretcat/secretfd"
)

// exampleKey is what the examples' secret files hold.
const exampleKey = "-----BEGIN KEY-----\n"

// socketPath is where the examples' secretcat open --socket listens.
var socketPath string

// TestMain does for the examples what secretcat does for a program: a
// secret file named tls.key at a descriptor named in the environment (run),
// and another offered on a unix socket (open --socket).
func TestMain(m *testing.M) {
	inherited, err := secretFile()
	if err != nil {
		log.Fatal(err)
	}
	fd := strconv.Itoa(inherited.Fd())
	os.Setenv(secretfd.EnvFd, fd)
	os.Setenv(secretfd.EnvFds, fd)
	os.Setenv(secretfd.EnvFdNames, "tls.key")
	if inherited.Fallback() {
		os.Setenv(secretfd.EnvMemory, secretfd.MemoryFallback)
	}
	dir, err := os.MkdirTemp("", "secretfd-example")
	if err != nil {
		log.Fatal(err)
	}
	socketPath = filepath.Join(dir, "key.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: socketPath, Net: "unix"})
	if err != nil {
		log.Fatal(err)
	}
	go offer(l)
	code := m.Run()
	l.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// secretFile makes a sealed secret file holding exampleKey.
func secretFile() (*secretmem.File, error) {
	f, err := secrettest.Create(int64(len(exampleKey)))
	if err != nil {
		return nil, err
	}
	copy(f.Bytes(), exampleKey)
	return f, f.Seal()
}

// offer hands a secret file to each peer that connects to l.
func offer(l *net.UnixListener) {
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			return
		}
		f, err := secretFile()
		if err == nil {
			o := secretfd.Offer{Fd: f.Fd(), Name: "tls.key", Size: f.Size(), Pid: os.Getpid()}
			err = handoff.Send(conn, handoff.Line(o, false), f.Fd())
			f.Close()
		}
		if err != nil {
			log.Print(err)
		}
		conn.Close()
	}
}

// A program run by secretcat (secretcat --name tls.key=... -- PROGRAM)
// finds its secret by name and maps it.
func ExampleLookup() {
	fd, err := secretfd.Lookup("tls.key") // or "" for the first, SECRETCAT_FD
	if err != nil {
		log.Fatal(err)
	}
	m, err := secretfd.Map(fd)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	key := m.Bytes() // use it in place: never copy it to ordinary memory
	fmt.Printf("%d bytes, starting %q\n", len(key), key[:5])
	// Output: 20 bytes, starting "-----"
}

// A program that secretcat did not start receives its secrets from a
// secretcat open --socket PATH.
func ExampleDial() {
	offers, err := secretfd.Dial(socketPath, 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range offers {
		m, err := secretfd.Map(o.Fd)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d bytes\n", o.Name, len(m.Bytes()))
		m.Close()
	}
	// Output: tls.key: 20 bytes
}
