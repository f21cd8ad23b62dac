package crypt_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// chunk is the plaintext size of an age payload chunk.
const chunk = 64 << 10

// encryptTo returns plaintext encrypted to id, armored or not.
func encryptTo(t testing.TB, id *age.X25519Identity, plaintext []byte, armored bool) []byte {
	var buf bytes.Buffer
	dst := io.Writer(&buf)
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(&buf)
		dst = aw
	}
	w, err := age.Encrypt(dst, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if aw != nil {
		aw.Close()
	}
	return buf.Bytes()
}

// pipeOf returns the read end of a pipe that a goroutine fills with data,
// in writes of step bytes, then closes.
func pipeOf(t testing.TB, data []byte, step int) *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() {
		defer w.Close()
		for len(data) > 0 {
			n := min(step, len(data))
			if _, err := w.Write(data[:n]); err != nil {
				return
			}
			data = data[n:]
		}
	}()
	return r
}

// sources are the ways a stream reaches crypt.Open: standard input as a
// pipe written in large and in small pieces, a FIFO named as FILE, a
// socket (no splice), and a regular file as standard input, read in place
// from its offset.
var sources = []struct {
	name string
	open func(t *testing.T, data []byte) (*crypt.Input, error)
}{
	{"pipe", func(t *testing.T, data []byte) (*crypt.Input, error) {
		return crypt.Open("-", pipeOf(t, data, 1<<20))
	}},
	{"pipe in small writes", func(t *testing.T, data []byte) (*crypt.Input, error) {
		return crypt.Open("-", pipeOf(t, data, 1000))
	}},
	{"fifo", func(t *testing.T, data []byte) (*crypt.Input, error) {
		path := filepath.Join(t.TempDir(), "fifo")
		if err := unix.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
				f.Write(data)
				f.Close()
			}
		}()
		return crypt.Open(path, nil)
	}},
	{"socket", func(t *testing.T, data []byte) (*crypt.Input, error) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
		t.Cleanup(func() { r.Close() })
		go func() {
			w.Write(data)
			w.Close()
		}()
		return crypt.Open("-", r)
	}},
	{"regular stdin at an offset", func(t *testing.T, data []byte) (*crypt.Input, error) {
		f, err := os.Create(filepath.Join(t.TempDir(), "stdin"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		f.WriteString("already read")
		f.Write(data)
		f.Seek(int64(len("already read")), io.SeekStart)
		return crypt.Open("-", f)
	}},
}

// decryptInput decrypts in into a heap buffer (plaintext in tests only).
func decryptInput(in *crypt.Input, err error, id age.Identity) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var mem []byte
	err = cryptest.DecryptTo(in, crypt.Options{Identities: []age.Identity{id}}, func(size int64) ([]byte, error) {
		mem = make([]byte, size)
		return mem, nil
	})
	if err != nil && !bytes.Equal(mem, make([]byte, len(mem))) {
		return nil, fmt.Errorf("failure left plaintext behind: %v", err)
	}
	return mem, err
}

// TestStreamSizes decrypts streams of every size class around the chunk
// boundaries, binary and armored, from every kind of source.
func TestStreamSizes(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{})
	for _, size := range []int{0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 2*chunk + 1, 3<<20 + 17} {
		plaintext := make([]byte, size)
		rng.Read(plaintext)
		for _, armored := range []bool{false, true} {
			data := encryptTo(t, id, plaintext, armored)
			for _, src := range sources {
				t.Run(fmt.Sprintf("%d/armored=%v/%s", size, armored, src.name), func(t *testing.T) {
					in, err := src.open(t, data)
					got, err := decryptInput(in, err, id)
					if err != nil || !bytes.Equal(got, plaintext) {
						t.Fatalf("got %d bytes, %v", len(got), err)
					}
				})
			}
		}
	}
}

// TestStreamTruncated cuts a stream of two and a half chunks in its
// header, its nonce, at and inside chunks, and one byte short: each is
// refused with its kind, and nothing is left in the destination.
func TestStreamTruncated(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	data := encryptTo(t, id, bytes.Repeat([]byte("p"), 2*chunk+chunk/2), false)
	header := bytes.Index(data, []byte("\n---")) + 1
	header += bytes.IndexByte(data[header:], '\n') + 1
	enc := chunk + 16
	for _, cut := range []int{0, 1, 20, header - 1, header, header + 8, header + 16, header + 17,
		header + 16 + enc/2, header + 16 + enc, header + 16 + 2*enc, len(data) - 1} {
		for _, src := range sources {
			t.Run(fmt.Sprintf("%d/%s", cut, src.name), func(t *testing.T) {
				in, err := src.open(t, data[:cut])
				_, err = decryptInput(in, err, id)
				if err == nil || crypt.KindOf(err) == 0 {
					t.Fatalf("cut at %d of %d: %v", cut, len(data), err)
				}
			})
		}
	}
}

// spoolFiles returns the descriptors of this process's memory files of
// ciphertext.
func spoolFiles(t *testing.T) []int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for _, e := range entries {
		link, _ := os.Readlink("/proc/self/fd/" + e.Name())
		if strings.HasPrefix(link, "/memfd:secretcat-ciphertext") {
			fd, _ := strconv.Atoi(e.Name())
			fds = append(fds, fd)
		}
	}
	return fds
}

// spoolSizes returns the sizes of the memory files of ciphertext.
func spoolSizes(t *testing.T) []int64 {
	var sizes []int64
	for _, fd := range spoolFiles(t) {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, st.Size)
	}
	return sizes
}

// spoolContents returns the contents of the memory files of ciphertext.
func spoolContents(t *testing.T) [][]byte {
	var contents [][]byte
	for _, fd := range spoolFiles(t) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, data)
	}
	return contents
}

// TestStreamHeldOnce reads 16 MiB of ciphertext from a pipe: it is held
// once, in one memory file of its size, outside the heap, until the input
// is closed. An armored stream is held de-armored, once too.
func TestStreamHeldOnce(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	plaintext := make([]byte, 16<<20)
	binary := encryptTo(t, id, plaintext, false)
	for _, armored := range []bool{false, true} {
		data := binary
		if armored {
			data = encryptTo(t, id, plaintext, true)
		}
		pipe := pipeOf(t, data, 1<<20)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		in, err := crypt.Open("-", pipe)
		if err != nil {
			t.Fatal(err)
		}
		// A binary stream allocates next to nothing; age's armor reader
		// allocates each line it reads, but keeps none.
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; !armored && grew > 1<<20 {
			t.Errorf("reading %d bytes allocated %d bytes", len(data), grew)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
			t.Errorf("armored=%v: reading %d bytes left %d bytes on the heap", armored, len(data), grew)
		}
		// The size of the ciphertext, de-armored: the payload of an armored
		// file is that of the binary one, whose header differs by its keys.
		if sizes := spoolSizes(t); len(sizes) != 1 || sizes[0] < int64(len(plaintext)) || sizes[0] > int64(len(binary))+64 {
			t.Errorf("armored=%v: memory files %v for %d bytes of ciphertext", armored, sizes, len(binary))
		}
		if got, err := decryptInput(in, nil, id); err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("armored=%v: got %d bytes, %v", armored, len(got), err)
		}
		if sizes := spoolSizes(t); len(sizes) != 0 {
			t.Errorf("armored=%v: memory files %v left after Close", armored, sizes)
		}
	}
}

// TestProgress counts every plaintext byte of a payload decrypted by
// several workers.
func TestProgress(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	plaintext := make([]byte, 40*chunk+5)
	in, err := crypt.Open("-", bytes.NewReader(encryptTo(t, id, plaintext, false)))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var done atomic.Int64
	err = cryptest.DecryptTo(in, crypt.Options{Identities: []age.Identity{id}, Progress: &done}, func(size int64) ([]byte, error) {
		return make([]byte, size), nil
	})
	if err != nil || done.Load() != int64(len(plaintext)) {
		t.Fatalf("counted %d of %d bytes, %v", done.Load(), len(plaintext), err)
	}
}
