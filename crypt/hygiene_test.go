package crypt_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/secretfd"
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
	if err := os.WriteFile(out+".hashes", hashWindows(plain, canaryStride), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hashWindows hashes the window at every stride of data.
func hashWindows(data []byte, stride int) []byte {
	var hashes []byte
	for off := 0; off+canaryWindow <= len(data); off += stride {
		hashes = binary.LittleEndian.AppendUint64(hashes, windowHash(data[off:off+canaryWindow]))
	}
	return hashes
}

// TestHelperPEMHashes is not a test: run by TestPEMNoPlaintextOnHeap in a
// child process, it hashes the windows of a decrypted key, as DER and as
// PEM text, so that the testing process never reads the key in clear.
func TestHelperPEMHashes(t *testing.T) {
	want := os.Getenv("SECRETCAT_HELPER_PEM")
	if want == "" {
		t.Skip("helper process for TestPEMNoPlaintextOnHeap")
	}
	text, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	var hashes []byte
	if b, _ := pem.Decode(text); b.Type == "OPENSSH PRIVATE KEY" {
		// Only the secret fields: an OpenSSH key carries its public key
		// in clear, in the encrypted file too.
		for _, secret := range sshSecrets(t, text) {
			hashes = append(hashes, hashWindows(secret, 1)...)
		}
	} else {
		// The base64 body, without the BEGIN and END lines, which are
		// public, and the DER.
		body := text[bytes.IndexByte(text, '\n')+1 : bytes.Index(text, []byte("-----END"))]
		hashes = append(hashWindows(body, 8), hashWindows(b.Bytes, 8)...)
	}
	if err := os.WriteFile(os.Getenv("SECRETCAT_HELPER_OUT"), hashes, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshSecrets returns the secret fields of an unencrypted OpenSSH key.
func sshSecrets(t *testing.T, text []byte) [][]byte {
	key, err := ssh.ParseRawPrivateKey(text)
	if err != nil {
		t.Fatal(err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return [][]byte{k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes()}
	case *ecdsa.PrivateKey:
		d, _ := k.Bytes()
		return [][]byte{d}
	case *ed25519.PrivateKey:
		return [][]byte{k.Seed()}
	}
	t.Fatalf("unexpected key type %T", key)
	return nil
}

// TestPEMNoPlaintextOnHeap decrypts PKCS#8 and legacy keys and scans this
// process's readable memory, outside the secret file, for any 40-byte run
// of the key, as DER or as base64 (for OpenSSH keys, of their secret
// fields): the decryption goes through scratch secret memory only.
func TestPEMNoPlaintextOnHeap(t *testing.T) {
	for _, name := range []string{"rsa.pkcs8.sha256.aes-256-cbc.pem", "rsa.legacy.aes256.pem", "rsa.pkcs8.scrypt.aes-256-cbc.pem",
		"rsa.openssh.aes256-ctr.pem", "rsa.openssh.chacha20-poly1305@openssh.com.pem", "ecdsa.openssh.aes256-gcm@openssh.com.pem", "ed25519.openssh.aes256-cbc.pem"} {
		t.Run(name, func(t *testing.T) {
			hashFile := filepath.Join(t.TempDir(), "hashes")
			helper := exec.Command(os.Args[0], "-test.run=^TestHelperPEMHashes$")
			helper.Env = append(os.Environ(), "SECRETCAT_HELPER_PEM="+filepath.Join(fixtureDir, name+".want"), "SECRETCAT_HELPER_OUT="+hashFile)
			if out, err := helper.CombinedOutput(); err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			windows := readWindows(t, hashFile, 1)
			data, err := os.ReadFile(filepath.Join(fixtureDir, name))
			if err != nil {
				t.Fatal(err)
			}
			file, err := decryptToSecret("-", bytes.NewReader(data), pemOptions(fixturePassphrase(t, fixtureDir)))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			if hits := scanMemory(t, windows, file.Bytes()); hits != 0 {
				t.Errorf("found %d windows of the key outside secret memory", hits)
			}
			// Positive control: the decoded key, copied to the heap. It is
			// decoded in place, since pem.Decode would leave a copy of the
			// base64 body behind, for the next key to find.
			text := file.Bytes()
			body := text[bytes.IndexByte(text, '\n')+1 : bytes.Index(text, []byte("-----END"))]
			leak := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
			n, err := base64.StdEncoding.Decode(leak, body)
			if err != nil {
				t.Fatal(err)
			}
			hits := scanMemory(t, windows, file.Bytes())
			clear(leak[:n])
			if hits == 0 {
				t.Error("positive control: a heap copy of the key was not found")
			}
		})
	}
}

// TestNoPlaintextOnHeap decrypts a random canary into secret memory, from a
// file and from a pipe, then scans every readable page of this process
// except the secret mapping for any 95-byte run of the plaintext: none may
// exist. From a pipe, the memory file that holds the ciphertext is scanned
// too. A positive control copies some plaintext to the heap and must find
// it.
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
	windows := readWindows(t, path+".hashes", canarySize/canaryStride-1)
	ids := crypt.Options{Identities: []age.Identity{id}}

	t.Run("file", func(t *testing.T) {
		file, err := decryptToSecret(path, nil, ids)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		checkNoPlaintext(t, windows, file.Bytes())
	})
	t.Run("pipe", func(t *testing.T) {
		ciphertext, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		in, err := crypt.Open("-", pipeOf(t, ciphertext, 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		var file *secretfd.File
		err = in.DecryptTo(ids, func(size int64) ([]byte, error) {
			if file, err = secretfd.Create(size); err != nil {
				return nil, err
			}
			return file.Bytes(), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		spooled := spoolContents(t)
		if len(spooled) != 1 || !bytes.Equal(spooled[0], ciphertext) {
			t.Fatalf("%d memory files, not one holding the ciphertext", len(spooled))
		}
		if hits := countWindows(windows, spooled[0]); hits != 0 {
			t.Errorf("found %d plaintext windows in the memory file of the ciphertext", hits)
		}
		if hits := countWindows(windows, file.Bytes()); hits < canarySize/canaryStride/2 {
			t.Errorf("positive control: found %d windows in the plaintext", hits)
		}
		checkNoPlaintext(t, windows, file.Bytes())
	})
}

// checkNoPlaintext scans this process's memory outside secret for the
// canary's windows, then copies some of secret to the heap and makes sure
// the scan finds it.
func checkNoPlaintext(t *testing.T, windows map[uint64]bool, secret []byte) {
	if hits := scanMemory(t, windows, secret); hits != 0 {
		t.Errorf("found %d plaintext windows outside secret memory", hits)
	}
	leak := make([]byte, 4096)
	copy(leak, secret[8192:])
	hits := scanMemory(t, windows, secret)
	clear(leak)
	if hits < 4096/canaryStride-1 {
		t.Errorf("positive control: found %d windows of a 4 KiB heap copy, want at least %d", hits, 4096/canaryStride-1)
	}
}

// countWindows counts the windows of data whose hash is a canary window's.
func countWindows(windows map[uint64]bool, data []byte) int {
	hits := 0
	for off := 0; off+canaryWindow <= len(data); off++ {
		if windows[windowHash(data[off:off+canaryWindow])] {
			hits++
		}
	}
	return hits
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

// readWindows reads the window hashes written by a helper; there must be
// at least min distinct ones.
func readWindows(t *testing.T, path string, min int) map[uint64]bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set := make(map[uint64]bool, len(data)/8)
	for i := 0; i+8 <= len(data); i += 8 {
		set[binary.LittleEndian.Uint64(data[i:])] = true
	}
	if len(set) < min {
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
	// The last window read, hist, lives on the heap with buf, never on the
	// stack: the runtime may move this goroutine's stack in mid-scan and
	// leave the old one, with the window of a positive control in it,
	// for the next scan to find.
	scratch := make([]byte, 1<<20+canaryWindow)
	buf, hist := scratch[:1<<20], scratch[1<<20:]
	for _, r := range regions {
		var h uint64
		n := 0
		for off := r[0]; off < r[1]; off += uint64(len(buf)) {
			chunk := buf[:min(uint64(len(buf)), r[1]-off)]
			if _, err := mem.ReadAt(chunk, int64(off)); err != nil {
				h, n = 0, 0 // unreadable: restart the window
				clear(hist)
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
		clear(hist)
	}
	clear(scratch)
	return hits
}
