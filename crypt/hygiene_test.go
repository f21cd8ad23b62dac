package crypt_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
	"github.com/secretcat/secretcat/internal/secretmem"
)

// The hygiene tests decrypt or parse a secret and then scan every readable
// page of the process, except the secret mapping, for windows of it: there
// must be none. Each case runs in a fresh process of the test binary
// (isolated), which finds only what its own case left behind: nothing that
// another test, or a positive control, left in the memory of this one. The
// testing process makes the case's files and the hashes of its windows, and
// never scans.

// isolated runs the calling test or subtest alone in a fresh process of
// the test binary, with env added to its environment, and reports true:
// the caller returns. In that process it reports false, and the caller runs
// the case.
func isolated(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Getenv("SECRETCAT_ISOLATED") == t.Name() {
		return false
	}
	var run []string
	for _, part := range strings.Split(t.Name(), "/") {
		run = append(run, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(run, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), env...), "SECRETCAT_ISOLATED="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("isolated run: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name()+" ")) {
		t.Fatalf("isolated run did not pass %s:\n%s", t.Name(), out)
	}
	t.Logf("isolated run:\n%s", out)
	return true
}

const (
	canarySize   = 4 << 20
	canaryStride = 64 // a window starts every stride bytes of plaintext
)

// TestNoPlaintextOnHeap decrypts a random canary into secret memory, from a
// file and from a pipe, then scans every readable page of the process except
// the secret mapping for any 32-byte run of the plaintext (each 95-byte run
// holds a window): none may exist. From a pipe, the memory file that holds
// the ciphertext is scanned too. A positive control copies some plaintext
// to the heap and must find it.
func TestNoPlaintextOnHeap(t *testing.T) {
	dir := os.Getenv("SECRETCAT_HYGIENE_DIR")
	if dir == "" {
		dir = t.TempDir()
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		cryptest.WriteFile(t, filepath.Join(dir, "id.txt"), []byte(id.String()+"\n"))
		plain := make([]byte, canarySize)
		rand.Read(plain)
		var file bytes.Buffer
		w, err := age.Encrypt(&file, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		w.Close()
		cryptest.WriteFile(t, filepath.Join(dir, "canary.age"), file.Bytes())
		writeWindows(t, filepath.Join(dir, "windows"), 32, canaryStride, plain)
	}
	path := filepath.Join(dir, "canary.age")
	setUp := func(t *testing.T) (windowSet, crypt.Options) {
		windows := readWindows(t, filepath.Join(dir, "windows"), canarySize/canaryStride-1)
		ids, err := new(agefile.IdentityParser).ParseFile(filepath.Join(dir, "id.txt"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return windows, crypt.Options{Identities: ids}
	}
	t.Run("file", func(t *testing.T) {
		if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
			return
		}
		windows, ids := setUp(t)
		file, err := cryptest.DecryptToSecret(path, nil, ids)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		checkNoPlaintext(t, windows, file.Bytes())
	})
	t.Run("pipe", func(t *testing.T) {
		if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
			return
		}
		windows, ids := setUp(t)
		ciphertext, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		in, err := crypt.Open("-", pipeOf(t, ciphertext, 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		var file *secretmem.File
		err = cryptest.DecryptTo(in, ids, func(size int64) ([]byte, error) {
			if file, err = secretmem.Create(size); err != nil {
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
func checkNoPlaintext(t *testing.T, windows windowSet, secret []byte) {
	if hits := scanMemory(t, secret, windows); hits != 0 {
		t.Errorf("found %d plaintext windows outside secret memory", hits)
	}
	leak := make([]byte, 4096)
	copy(leak, secret[8192:])
	hits := scanMemory(t, secret, windows)
	clear(leak)
	if hits < 4096/canaryStride-1 {
		t.Errorf("positive control: found %d windows of a 4 KiB heap copy, want at least %d", hits, 4096/canaryStride-1)
	}
}

// countWindows counts the windows of data whose hash is one of w's.
func countWindows(w windowSet, data []byte) int {
	hits := 0
	for off := 0; off+w.size <= len(data); off++ {
		if w.has(windowHash(data[off : off+w.size])) {
			hits++
		}
	}
	return hits
}

// TestPEMNoPlaintextOnHeap decrypts PKCS#8, legacy and OpenSSH keys and
// scans for any 32-byte run of the key, as DER or as base64 (for OpenSSH
// keys, of their secret fields): the decryption goes through scratch secret
// memory only.
func TestPEMNoPlaintextOnHeap(t *testing.T) {
	for _, name := range []string{"rsa.pkcs8.sha256.aes-256-cbc.pem", "rsa.legacy.aes256.pem", "rsa.pkcs8.scrypt.aes-256-cbc.pem",
		"rsa.openssh.aes256-ctr.pem", "rsa.openssh.chacha20-poly1305@openssh.com.pem", "ecdsa.openssh.aes256-gcm@openssh.com.pem", "ed25519.openssh.aes256-cbc.pem"} {
		t.Run(name, func(t *testing.T) {
			dir := os.Getenv("SECRETCAT_HYGIENE_DIR")
			if dir == "" {
				dir = t.TempDir()
				writeKeyWindows(t, filepath.Join(dir, "windows"), cryptest.MustRead(t, filepath.Join(fixtureDir, name+".want")))
			}
			if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
				return
			}
			windows := readWindows(t, filepath.Join(dir, "windows"), 1)
			file, err := cryptest.DecryptToSecret(filepath.Join(fixtureDir, name), nil, cryptest.PEMOptions(cryptest.FixturePassphrase(t, fixtureDir)))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			if hits := scanMemory(t, file.Bytes(), windows); hits != 0 {
				t.Errorf("found %d windows of the key outside secret memory", hits)
			}
			// Positive control: the decoded key, copied to the heap.
			text := file.Bytes()
			body := text[bytes.IndexByte(text, '\n')+1 : bytes.Index(text, []byte("-----END"))]
			leak := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
			n, err := base64.StdEncoding.Decode(leak, body)
			if err != nil {
				t.Fatal(err)
			}
			hits := scanMemory(t, file.Bytes(), windows)
			clear(leak[:n])
			if hits == 0 {
				t.Error("positive control: a heap copy of the key was not found")
			}
		})
	}
}

// writeKeyWindows writes the windows of an unencrypted PEM key: for an
// OpenSSH key, of its secret fields only, since it carries its public key
// in clear, encrypted too; for others, of its base64 body, without the
// BEGIN and END lines, which are public, and of its DER. For an RSA key,
// also of its secret numbers as the key check's big numbers hold them on
// a little-endian machine: limbs of 64 bits, least significant first, so
// the bytes of the number in reverse.
func writeKeyWindows(t *testing.T, path string, text []byte) {
	b, _ := pem.Decode(text)
	limbs := rsaLimbs(t, text)
	if b.Type == "OPENSSH PRIVATE KEY" {
		writeWindows(t, path, 32, 1, append(sshSecrets(t, text), limbs...)...)
		return
	}
	body := text[bytes.IndexByte(text, '\n')+1 : bytes.Index(text, []byte("-----END"))]
	writeWindows(t, path, 32, 8, append([][]byte{body, b.Bytes}, limbs...)...)
}

// rsaLimbs returns the secret exponents of an RSA key, d and the CRT
// values, byte-reversed; nothing for other keys. (Not p and q: bigmod's
// temporaries can leave p-1 on the stack, which docs/memory.md says.)
func rsaLimbs(t *testing.T, text []byte) [][]byte {
	key, err := ssh.ParseRawPrivateKey(text)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil
	}
	var out [][]byte
	for _, n := range []*big.Int{k.D, k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv} {
		b := n.Bytes()
		slices.Reverse(b)
		out = append(out, b)
	}
	return out
}

// sshSecrets returns the secret fields of an unencrypted private key.
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
	case ed25519.PrivateKey:
		return [][]byte{k.Seed()}
	}
	t.Fatalf("unexpected key type %T", key)
	return nil
}

// TestIdentityNotOnHeap parses an age identity file of X25519 keys, unwraps
// a file key with each and wipes the identities, then scans for any 16-byte
// run of the keys' text: the file's text may not be left. (The keys decoded
// from it are not scanned for: crypto/ecdh leaves copies of them in its
// frames on the stack, out of reach; see docs/memory.md.)
func TestIdentityNotOnHeap(t *testing.T) {
	// Enough identities that reading their file takes more than one read
	// buffer: io.ReadAll would leave the ones it outgrew on the heap.
	const n = 8
	dir := os.Getenv("SECRETCAT_HYGIENE_DIR")
	if dir == "" {
		dir = t.TempDir()
		var file, text [][]byte
		for i := range n {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			s := id.String()
			file = append(file, []byte("# public key: "+id.Recipient().String()+"\n"+s+"\n"))
			text = append(text, []byte(s[len("AGE-SECRET-KEY-1"):]))
			cryptest.WriteFile(t, filepath.Join(dir, "file"+strconv.Itoa(i)+".age"), sealTo(t, id.Recipient()))
		}
		cryptest.WriteFile(t, filepath.Join(dir, "id.txt"), bytes.Join(file, nil))
		writeWindows(t, filepath.Join(dir, "text"), 16, 1, text...)
	}
	path := filepath.Join(dir, "id.txt")
	for _, source := range []string{"file", "stdin"} {
		t.Run(source, func(t *testing.T) {
			if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
				return
			}
			text := readWindows(t, filepath.Join(dir, "text"), n*43)
			var ids []age.Identity
			var err error
			if source == "file" {
				ids, err = new(agefile.IdentityParser).ParseFile(path, nil)
			} else {
				// -i -: cat writes the pipe, so that the file's text is in no
				// memory of this process but what secretcat reads.
				cat := exec.Command("cat", path)
				out, perr := cat.StdoutPipe()
				if perr != nil || cat.Start() != nil {
					t.Fatal("cannot run cat")
				}
				ids, err = new(agefile.IdentityParser).ParseFile("-", out.(*os.File))
				cat.Wait()
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				f, err := cryptest.DecryptToSecret(filepath.Join(dir, "file"+strconv.Itoa(i)+".age"), nil, crypt.Options{Identities: ids})
				if err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			agefile.WipeIdentities(ids)
			if hits := scanMemory(t, nil, text); hits != 0 {
				t.Errorf("found %d windows of the identities' text outside secret memory", hits)
			}
			// Positive control: the file's text, read to the heap.
			leak, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			hits := scanMemory(t, nil, text)
			clear(leak)
			if hits < n*43 {
				t.Errorf("positive control: found %d windows of the identity file's text on the heap", hits)
			}
		})
	}
}

// sealTo is a small age file encrypted to r.
func sealTo(t *testing.T, r age.Recipient) []byte {
	var file bytes.Buffer
	w, err := age.Encrypt(&file, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("not secret"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return file.Bytes()
}

// TestSSHIdentityNotOnHeap parses encrypted Ed25519 SSH keys as
// identities, unwraps a file key with each and wipes it, then scans for any
// 16-byte run of the key's seed: none may be left. Not scanned, because what
// is left is out of secretcat's reach (docs/memory.md): RSA keys, whose
// values crypto/rsa converts to big-endian bytes for its own copy of the key
// and drops on the heap; unencrypted Ed25519 keys, whose seed stays in a
// copy of a crypto/sha512 digest on the stack of the goroutine that parsed
// the file; and the X25519 scalars, of which crypto/ecdh leaves copies on
// the stack.
func TestSSHIdentityNotOnHeap(t *testing.T) {
	for _, name := range []string{"ed25519.openssh.chacha20-poly1305@openssh.com.pem", "ed25519.pkcs8.sha256.aes-256-cbc.pem"} {
		t.Run(name, func(t *testing.T) {
			dir := os.Getenv("SECRETCAT_HYGIENE_DIR")
			plainName := strings.TrimSuffix(name, ".want") + ".want"
			if dir == "" {
				dir = t.TempDir()
				plain := cryptest.MustRead(t, filepath.Join(fixtureDir, plainName))
				secrets := sshSecrets(t, plain)
				writeWindows(t, filepath.Join(dir, "key"), 16, 1, secrets...)
				cryptest.WriteFile(t, filepath.Join(dir, "id"), cryptest.MustRead(t, filepath.Join(fixtureDir, name)))
				pub, _ := ssh.ParsePublicKey(cryptest.SSHPublicBlob(t, plain))
				cryptest.WriteFile(t, filepath.Join(dir, "id.pub"), ssh.MarshalAuthorizedKey(pub))
				r, err := agessh.ParseRecipient(string(ssh.MarshalAuthorizedKey(pub)))
				if err != nil {
					t.Fatal(err)
				}
				cryptest.WriteFile(t, filepath.Join(dir, "file.age"), sealTo(t, r))
			}
			if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
				return
			}
			key := readWindows(t, filepath.Join(dir, "key"), 1)
			pass := cryptest.FixturePassphrase(t, fixtureDir)
			p := &agefile.IdentityParser{Prompt: func(string) ([]byte, error) { return []byte(pass), nil }}
			ids, err := p.ParseFile(filepath.Join(dir, "id"), nil)
			if err != nil {
				t.Fatal(err)
			}
			f, err := cryptest.DecryptToSecret(filepath.Join(dir, "file.age"), nil, crypt.Options{Identities: ids})
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			agefile.WipeIdentities(ids)
			if hits := scanMemory(t, nil, key); hits != 0 {
				t.Errorf("found %d windows of the key outside secret memory", hits)
			}
			// Positive control: the unencrypted key, decoded on the heap.
			leak, _ := pem.Decode(cryptest.MustRead(t, filepath.Join(fixtureDir, plainName)))
			hits := scanMemory(t, nil, key)
			clear(leak.Bytes)
			if hits == 0 {
				t.Error("positive control: a heap copy of the key file was not found")
			}
		})
	}
}

// resident splits regions into their runs of pages in memory, as mincore(2)
// tells: a page never touched, most of the runtime's reserved heap, holds
// zeros and no secret, and reading it only costs the scan time. (A page
// swapped out would be missed; the test machines have no swap.)
func resident(regions [][2]uint64) [][2]uint64 {
	page := uint64(os.Getpagesize())
	var runs [][2]uint64
	for _, r := range regions {
		vec := make([]byte, (r[1]-r[0]+page-1)/page)
		if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(r[0]), uintptr(r[1]-r[0]), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
			runs = append(runs, r) // scanned whole
			continue
		}
		for i := 0; i < len(vec); {
			if vec[i]&1 == 0 {
				i++
				continue
			}
			j := i
			for j < len(vec) && vec[j]&1 != 0 {
				j++
			}
			runs = append(runs, [2]uint64{r[0] + uint64(i)*page, r[0] + uint64(j)*page})
			i = j
		}
	}
	return runs
}

// windowSet is the hashes of windows of size bytes of some secrets, with a
// bitmap of their top bits that spares the scan most map lookups.
type windowSet struct {
	size   int
	hashes map[uint64]bool
	filter []uint64
}

func (w *windowSet) add(h uint64) {
	w.hashes[h] = true
	w.filter[h>>48] |= 1 << (h >> 42 & 63)
}

func (w *windowSet) has(h uint64) bool {
	return w.filter[h>>48]&(1<<(h>>42&63)) != 0 && w.hashes[h]
}

// rollBase is the base of a polynomial rolling hash.
const rollBase = 0x100000001b3

func windowHash(w []byte) uint64 {
	var h uint64
	for _, b := range w {
		h = h*rollBase + uint64(b)
	}
	return h
}

// writeWindows writes the window size and the hashes of the windows of
// size bytes that start every stride bytes of each secret.
func writeWindows(t *testing.T, path string, size, stride int, secrets ...[]byte) {
	out := binary.LittleEndian.AppendUint64(nil, uint64(size))
	for _, s := range secrets {
		for off := 0; off+size <= len(s); off += stride {
			out = binary.LittleEndian.AppendUint64(out, windowHash(s[off:off+size]))
		}
	}
	cryptest.WriteFile(t, path, out)
}

// readWindows reads the windows written by writeWindows; there must be at
// least min distinct ones.
func readWindows(t *testing.T, path string, min int) windowSet {
	data := cryptest.MustRead(t, path)
	w := windowSet{size: int(binary.LittleEndian.Uint64(data)), hashes: make(map[uint64]bool, len(data)/8), filter: make([]uint64, 1<<16)}
	for i := 8; i+8 <= len(data); i += 8 {
		w.add(binary.LittleEndian.Uint64(data[i:]))
	}
	if len(w.hashes) < min {
		t.Fatalf("%d window hashes in %s, want at least %d", len(w.hashes), path, min)
	}
	return w
}

// scanMemory counts windows of readable memory, outside skip, whose hash is
// one of the sets', in one pass over memory.
func scanMemory(t *testing.T, skip []byte, sets ...windowSet) int {
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
		if skip != nil && start == skipStart {
			continue
		}
		regions = append(regions, [2]uint64{start, end})
	}
	const ring = 64 // the longest window
	out := make([]uint64, len(sets))
	for i, s := range sets {
		if s.size > ring {
			t.Fatalf("window of %d bytes", s.size)
		}
		out[i] = 1
		for range s.size {
			out[i] *= rollBase
		}
	}
	hits := 0
	// The last bytes read, hist, live on the heap with buf, never on the
	// stack: the runtime may move this goroutine's stack in mid-scan and
	// leave the old one, with the window of a positive control in it, for
	// the next scan to find.
	scratch := make([]byte, 1<<20+ring)
	buf, hist := scratch[:1<<20], scratch[1<<20:]
	h := make([]uint64, len(sets))
	for _, r := range resident(regions) {
		n := 0
		clear(h)
		clear(hist)
		for off := r[0]; off < r[1]; off += uint64(len(buf)) {
			chunk := buf[:min(uint64(len(buf)), r[1]-off)]
			if _, err := mem.ReadAt(chunk, int64(off)); err != nil {
				n = 0 // unreadable: restart the windows
				clear(h)
				clear(hist)
				continue
			}
			for _, b := range chunk {
				for i, s := range sets {
					h[i] = h[i]*rollBase + uint64(b) - out[i]*uint64(hist[(n-s.size)&(ring-1)])
					if n+1 >= s.size && s.has(h[i]) {
						hits++
					}
				}
				hist[n&(ring-1)] = b
				n++
			}
		}
	}
	clear(scratch)
	return hits
}

// TestUnencryptedPEMNotOnHeap passes an unencrypted PEM key through with
// AllowUnencrypted, from a file and from a pipe, then scans for its text
// and DER outside the secret file: it is read into scratch secret memory,
// never the heap, and the memory file that holds a pipe's contents is
// emptied once it is read.
func TestUnencryptedPEMNotOnHeap(t *testing.T) {
	dir := os.Getenv("SECRETCAT_HYGIENE_DIR")
	if dir == "" {
		dir = t.TempDir()
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		text := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		cryptest.WriteFile(t, filepath.Join(dir, "key.pem"), text)
		writeKeyWindows(t, filepath.Join(dir, "windows"), text)
	}
	path := filepath.Join(dir, "key.pem")
	opts := cryptest.PEMOptions("")
	opts.AllowUnencrypted = true
	check := func(t *testing.T, file *secretmem.File) {
		windows := readWindows(t, filepath.Join(dir, "windows"), 100)
		if hits := scanMemory(t, file.Bytes(), windows); hits != 0 {
			t.Errorf("found %d windows of the key outside secret memory", hits)
		}
		leak := bytes.Clone(file.Bytes())
		hits := scanMemory(t, file.Bytes(), windows)
		clear(leak)
		if hits == 0 {
			t.Error("positive control: a heap copy of the key was not found")
		}
	}
	t.Run("file", func(t *testing.T) {
		if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
			return
		}
		file, err := cryptest.DecryptToSecret(path, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		check(t, file)
	})
	t.Run("pipe", func(t *testing.T) {
		if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
			return
		}
		// cat writes the pipe: the key passes through no memory of this
		// process but secretcat's own reading.
		cat := exec.Command("cat", path)
		out, err := cat.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.Start(); err != nil {
			t.Fatal(err)
		}
		defer cat.Wait()
		file, err := cryptest.DecryptToSecret("-", out.(*os.File), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		for _, s := range spoolContents(t) {
			if len(s) != 0 {
				t.Errorf("a memory file still holds %d bytes of the key", len(s))
			}
		}
		check(t, file)
	})
}
