package crypt_test

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt"
)

const (
	canarySize   = 4 << 20
	canaryWindow = 32 // bytes hashed per window
	canaryStride = 64 // a window starts every stride bytes of plaintext
	canarySeed   = "secretcat heap hygiene canary..."
)

// canaryStream is the plaintext: a keyed pseudo-random stream that only
// the helper process materialises.
func canaryStream() *rand.ChaCha8 { return rand.NewChaCha8([32]byte([]byte(canarySeed))) }

// TestHelperEncrypt is not a test: run by TestNoPlaintextOnHeap in a child
// process, it encrypts the canary to the recipient in its environment and
// writes the hashes of its windows next to it, so that the testing process
// never generates, and never holds, the plaintext: not even the stack frames
// of the generator.
func TestHelperEncrypt(t *testing.T) {
	out := os.Getenv("SECRETCAT_HELPER_OUT")
	if out == "" {
		t.Skip("helper process for TestNoPlaintextOnHeap")
	}
	r, err := age.ParseX25519Recipient(os.Getenv("SECRETCAT_HELPER_RECIPIENT"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w, err := age.Encrypt(f, r)
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, canarySize)
	canaryStream().Read(plain)
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var hashes []byte
	for off := 0; off+canaryWindow <= canarySize; off += canaryStride {
		hashes = binary.LittleEndian.AppendUint64(hashes, windowHash(plain[off:off+canaryWindow]))
	}
	if err := os.WriteFile(out+".hashes", hashes, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNoPlaintextOnHeap decrypts a random canary into secret memory, then
// scans every readable page of this process except the secret mapping for
// any 95-byte run of the plaintext: none may exist. A positive control
// copies some plaintext to the heap and must find it.
func TestNoPlaintextOnHeap(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "canary.age")
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperEncrypt$")
	helper.Env = append(os.Environ(), "SECRETCAT_HELPER_OUT="+path, "SECRETCAT_HELPER_RECIPIENT="+id.Recipient().String())
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	windows := readWindows(t, path+".hashes")

	file, err := decryptToSecret(path, nil, crypt.Identities{Age: []age.Identity{id}})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	secret := file.Bytes()
	if hits := scanMemory(t, windows, secret); hits != 0 {
		t.Errorf("found %d plaintext windows outside secret memory", hits)
	}

	// Positive control: the scan finds plaintext that is on the heap.
	leak := make([]byte, 4096)
	copy(leak, secret[8192:])
	hits := scanMemory(t, windows, secret)
	clear(leak)
	if hits < 4096/canaryStride-1 {
		t.Errorf("positive control: found %d windows of a 4 KiB heap copy, want at least %d", hits, 4096/canaryStride-1)
	}
}

// rollBase is the base of a polynomial rolling hash over canaryWindow bytes.
const rollBase = 0x100000001b3

var rollOut = func() uint64 {
	p := uint64(1)
	for range canaryWindow {
		p *= rollBase
	}
	return p
}()

func windowHash(w []byte) uint64 {
	var h uint64
	for _, b := range w {
		h = h*rollBase + uint64(b)
	}
	return h
}

// readWindows reads the window hashes written by the helper.
func readWindows(t *testing.T, path string) map[uint64]bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set := make(map[uint64]bool, len(data)/8)
	for i := 0; i+8 <= len(data); i += 8 {
		set[binary.LittleEndian.Uint64(data[i:])] = true
	}
	if len(set) < canarySize/canaryStride-1 {
		t.Fatalf("%d window hashes", len(set))
	}
	return set
}

// scanMemory counts windows of readable memory, outside skip, whose hash is
// a canary window's.
func scanMemory(t *testing.T, windows map[uint64]bool, skip []byte) int {
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer maps.Close()
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	skipStart := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(skip))))
	var regions [][2]uint64
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[1][0] != 'r' || strings.HasSuffix(sc.Text(), "[vvar]") || strings.HasSuffix(sc.Text(), "[vsyscall]") {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		if start == skipStart {
			continue
		}
		regions = append(regions, [2]uint64{start, end})
	}
	hits := 0
	buf := make([]byte, 1<<20)
	for _, r := range regions {
		var h uint64
		var hist [canaryWindow]byte
		n := 0
		for off := r[0]; off < r[1]; off += uint64(len(buf)) {
			chunk := buf[:min(uint64(len(buf)), r[1]-off)]
			if _, err := mem.ReadAt(chunk, int64(off)); err != nil {
				h, n = 0, 0 // unreadable: restart the window
				clear(hist[:])
				continue
			}
			for _, b := range chunk {
				h = h*rollBase + uint64(b) - rollOut*uint64(hist[n%canaryWindow])
				hist[n%canaryWindow] = b
				n++
				if n >= canaryWindow && windows[h] {
					hits++
				}
			}
		}
		clear(hist[:])
	}
	clear(buf)
	return hits
}
