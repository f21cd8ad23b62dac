package handoff

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
	"github.com/secretcat/secretcat/secretfd"
)

// TestOfferLines: secretfd.ParseOffer reads back both forms of Line.
func TestOfferLines(t *testing.T) {
	o := secretfd.Offer{Fd: 5, Name: "tls.key", Size: 227, Pid: 42}
	for _, asJSON := range []bool{false, true} {
		line := Line(o, asJSON)
		got, err := secretfd.ParseOffer(line)
		if err != nil || got != o {
			t.Errorf("ParseOffer(%q) = %+v, %v", line, got, err)
		}
	}
	if Line(o, false) != "fd=5 name=tls.key size=227 pid=42" {
		t.Errorf("text line %q", Line(o, false))
	}
}

// connPair returns two connected unix stream sockets.
func connPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "sock")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	return conn(pair[0]), conn(pair[1])
}

// TestTaken: a hand-off counts once the peer has read everything, not when
// it closes the connection with the descriptors unread, and not while it
// has read nothing.
func TestTaken(t *testing.T) {
	secrettest.Need(t)
	f, err := secretmem.Create(5)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := Line(secretfd.Offer{Fd: f.Fd(), Name: "k", Size: 5, Pid: os.Getpid()}, false)
	for _, peer := range []string{"reads", "leaves", "idles"} {
		a, b := connPair(t)
		if err := Send(a, line, f.Fd()); err != nil {
			t.Fatal(err)
		}
		a.CloseWrite()
		switch peer {
		case "reads":
			o, err := secretfd.Receive(b)
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(o.Fd)
		case "leaves":
			b.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		taken, err := Taken(ctx, a)
		cancel()
		if want := peer == "reads"; taken != want || (peer == "idles") != (err != nil) {
			t.Errorf("peer %s: Taken = %v, %v", peer, taken, err)
		}
		a.Close()
		b.Close()
	}
}

func TestSendReceive(t *testing.T) {
	secrettest.Need(t)
	a, b := connPair(t)
	defer b.Close()

	files := []*secretmem.File{}
	for _, content := range []string{"first", "second!"} {
		f, err := secretmem.Create(int64(len(content)))
		if err != nil {
			t.Fatal(err)
		}
		copy(f.Bytes(), content)
		f.Seal()
		defer f.Close()
		files = append(files, f)
		o := secretfd.Offer{Fd: f.Fd(), Name: content, Size: f.Size(), Pid: os.Getpid()}
		if err := Send(a, Line(o, false), f.Fd()); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for _, want := range []string{"first", "second!"} {
		o, err := secretfd.Receive(b)
		if err != nil {
			t.Fatal(err)
		}
		m, err := secretfd.Map(o.Fd)
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != want || string(m.Bytes()) != want {
			t.Errorf("received %+v holding %q, want %q", o, m.Bytes(), want)
		}
		m.Close()
	}
	if _, err := secretfd.Receive(b); err == nil {
		t.Error("Receive after the sender closed: no error")
	}
}
