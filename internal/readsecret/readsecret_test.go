package readsecret_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/readsecret"
)

// TestReadSecret reads regular files, pipes that outgrow the first buffer,
// and sources at and over the limit.
func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	fromFile := func(data []byte, limit int) ([]byte, error) {
		name := filepath.Join(dir, "secret")
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		return readsecret.Fd(fd, limit)
	}
	fromPipe := func(data []byte, limit int) ([]byte, error) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		go func() {
			w.Write(data)
			w.Close()
		}()
		return readsecret.Fd(int(r.Fd()), limit)
	}
	for _, size := range []int{0, 1, 4095, 4096, 4097, 100_000} {
		data := bytes.Repeat([]byte("k"), size)
		for name, read := range map[string]func([]byte, int) ([]byte, error){"file": fromFile, "pipe": fromPipe} {
			if got, err := read(data, size); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s of %d bytes, limit %[2]d: got %d bytes, %v", name, size, len(got), err)
			}
			if _, err := read(append(data, 'x'), size); !errors.Is(err, readsecret.ErrTooLong) {
				t.Errorf("%s of %d bytes, limit %d: %v, want ErrTooLong", name, size+1, size, err)
			}
		}
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := readsecret.Fd(fd, 100); !errors.Is(err, unix.EISDIR) {
		t.Errorf("directory: %v, want EISDIR", err)
	}
}
