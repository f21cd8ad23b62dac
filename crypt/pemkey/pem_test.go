package pemkey_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
	"github.com/secretcat/secretcat/crypt/pemkey"
	"github.com/secretcat/secretcat/internal/testenv"
)

const fixtureDir = "../../testdata/pem"

// TestPEMFixtures decrypts every committed fixture and compares the result
// with what openssl or ssh-keygen printed for it.
func TestPEMFixtures(t *testing.T) {
	checkFixtures(t, fixtureDir)
}

// TestPEMFreshFixtures makes new fixtures with this machine's openssl and
// ssh-keygen, so that the check is not only against frozen files.
func TestPEMFreshFixtures(t *testing.T) {
	testenv.Tool(t, "openssl")
	testenv.Tool(t, "ssh-keygen")
	dir := t.TempDir()
	gen, _ := filepath.Abs(filepath.Join(fixtureDir, "gen.sh"))
	if out, err := exec.Command("sh", gen, dir).CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	checkFixtures(t, dir)
}

func checkFixtures(t *testing.T, dir string) {
	pass := cryptest.FixturePassphrase(t, dir)
	wants, _ := filepath.Glob(filepath.Join(dir, "*.pem.want"))
	if len(wants) < 60 {
		t.Fatalf("%d fixtures in %s", len(wants), dir)
	}
	for _, want := range wants {
		name := strings.TrimSuffix(filepath.Base(want), ".want")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			wantData, _ := os.ReadFile(want)
			got := decryptPEM(t, data, cryptest.PEMOptions(pass))
			if strings.Contains(name, ".openssh.") {
				got, wantData = zeroCheckInts(t, got), zeroCheckInts(t, wantData)
			}
			if !bytes.Equal(got, wantData) {
				t.Fatalf("output differs from the tools'\ngot:\n%s\nwant:\n%s", got, wantData)
			}
			parseKeys(t, got)
			checkRefusals(t, data, pass)
		})
	}
}

// decryptPEM decrypts data and returns a copy of the secret file's contents.
func decryptPEM(t *testing.T, data []byte, opts crypt.Options) []byte {
	t.Helper()
	f, err := cryptest.DecryptToSecret("-", bytes.NewReader(data), opts)
	if f != nil {
		defer f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(f.Bytes())
}

// zeroCheckInts zeroes the random check integers of an unencrypted
// OpenSSH key: ssh-keygen -p draws new ones.
func zeroCheckInts(t *testing.T, p []byte) []byte {
	b, _ := pem.Decode(p)
	if b == nil {
		t.Fatalf("not PEM: %q", p)
	}
	blob := b.Bytes
	off := len("openssh-key-v1\x00")
	for range 3 { // cipher, KDF, KDF options
		off += 4 + int(binary.BigEndian.Uint32(blob[off:]))
	}
	off += 4                                            // number of keys
	off += 4 + int(binary.BigEndian.Uint32(blob[off:])) // public key
	off += 4                                            // private section length
	clear(blob[off : off+8])
	// Re-encode as ssh-keygen does, 70 columns.
	enc := base64.StdEncoding.EncodeToString(blob)
	var out strings.Builder
	out.WriteString("-----BEGIN OPENSSH PRIVATE KEY-----\n")
	for len(enc) > 0 {
		n := min(70, len(enc))
		out.WriteString(enc[:n] + "\n")
		enc = enc[n:]
	}
	out.WriteString("-----END OPENSSH PRIVATE KEY-----\n")
	return []byte(out.String())
}

// parseKeys checks that every key in p parses with the standard parsers.
func parseKeys(t *testing.T, p []byte) {
	for rest := p; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return
		}
		var err error
		switch b.Type {
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY":
			err = parseKey(b.Type, b.Bytes)
		case "OPENSSH PRIVATE KEY":
			_, err = ssh.ParseRawPrivateKey(pem.EncodeToMemory(b))
		case "CERTIFICATE":
			_, err = x509.ParseCertificate(b.Bytes)
		}
		if err != nil {
			t.Errorf("%s does not parse: %v", b.Type, err)
		}
	}
}

// checkRefusals: a wrong passphrase, a tampered ciphertext and a truncated
// file all fail, with the documented kinds.
func checkRefusals(t *testing.T, data []byte, pass string) {
	expect := func(what string, data []byte, opts crypt.Options, kinds ...crypt.Kind) {
		t.Helper()
		in, err := crypt.Open("-", bytes.NewReader(data))
		if err == nil {
			_, err = in.Prepare(opts)
		}
		if err == nil {
			t.Errorf("%s: decrypted", what)
			return
		}
		for _, k := range kinds {
			if crypt.KindOf(err) == k {
				return
			}
		}
		t.Errorf("%s: error of kind %d: %v", what, crypt.KindOf(err), err)
	}
	expect("wrong passphrase", data, cryptest.PEMOptions(pass+"x"), crypt.Undecryptable)

	// Flip a bit where every format must notice it, whatever the key's
	// random bytes: see tamperedAt.
	b, _ := pem.Decode(lastEncrypted(data))
	body := bytes.Clone(b.Bytes)
	body[tamperedAt(b)] ^= 0x01
	tampered := bytes.Replace(data, pem.EncodeToMemory(b)[len("-----BEGIN "+b.Type+"-----\n"):], pem.EncodeToMemory(&pem.Block{Type: b.Type, Headers: b.Headers, Bytes: body})[len("-----BEGIN "+b.Type+"-----\n"):], 1)
	if !bytes.Equal(tampered, data) {
		expect("tampered", tampered, cryptest.PEMOptions(pass), crypt.Undecryptable, crypt.Malformed)
	}
	expect("truncated", data[:len(data)*2/3], cryptest.PEMOptions(pass), crypt.Undecryptable)
}

// tamperedAt returns the offset in b.Bytes of a ciphertext byte whose
// flipped low bit decryption must always refuse. Flipping the last byte
// would not do for CBC: it turns the final block into random bytes, whose
// padding is valid one time in about 256.
//   - OpenSSH: the first byte of the encrypted section, which (with CTR)
//     flips a byte of the first check integer, garbles it (CBC: the two
//     differ but one time in 2^32), or breaks the tag (GCM, ChaCha20).
//   - PKCS#8 and legacy OpenSSL, CBC: the last byte of the next-to-last
//     block, which flips the last padding byte and only it: N becomes
//     N^1, which never has N^1 bytes of N^1 before it.
func tamperedAt(b *pem.Block) int {
	blob := b.Bytes
	if b.Type == "OPENSSH PRIVATE KEY" {
		off := len("openssh-key-v1\x00")
		for range 3 { // cipher, KDF, KDF options
			off += 4 + int(binary.BigEndian.Uint32(blob[off:]))
		}
		off += 4                                            // number of keys
		off += 4 + int(binary.BigEndian.Uint32(blob[off:])) // public key
		return off + 4                                      // after the section's length
	}
	blockSize := 16 // AES
	desEDE3CBC := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07}
	if strings.HasPrefix(b.Headers["DEK-Info"], "DES") || bytes.Contains(blob, desEDE3CBC) {
		blockSize = 8
	}
	return len(blob) - 1 - blockSize
}

// lastEncrypted returns the last PEM block of data that is encrypted.
func lastEncrypted(data []byte) []byte {
	var last []byte
	for rest := data; ; {
		b, next := pem.Decode(rest)
		if b == nil {
			return last
		}
		if b.Type != "CERTIFICATE" {
			last = rest[bytes.Index(rest, []byte("-----BEGIN")) : len(rest)-len(next)]
		}
		rest = next
	}
}

func TestPEMRefused(t *testing.T) {
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, tc := range []struct {
		name, file, want string
		kind             crypt.Kind
		need             crypt.Need
		opts             func(*crypt.Options)
	}{
		{"PKCS#12 scheme", "unsupported.pbes1.pem", "unsupported scheme PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC", crypt.Malformed, crypt.NeedNothing, nil},
		{"certificate only", "certificate-only.pem", "no encrypted private key in this PEM file, only one CERTIFICATE: secretcat decrypts", crypt.Malformed, crypt.NeedUnencrypted, nil},
		{"unencrypted key only", "unencrypted.pem", "only one unencrypted PRIVATE KEY:", crypt.Malformed, crypt.NeedUnencrypted, nil},
		{"DER of a bundle", "bundle.pem", "no DER form: the file has 3 PEM blocks", crypt.Malformed, crypt.NeedDERKey, func(o *crypt.Options) { o.DER = true }},
		{"DER of OpenSSH", "ed25519.openssh.aes256-ctr.pem", "no DER form: an OpenSSH key has none", crypt.Malformed, crypt.NeedDERKey, func(o *crypt.Options) { o.DER = true }},
		{"no passphrase source", "rsa.legacy.aes128.pem", "no passphrase source", crypt.Undecryptable, crypt.NeedPassphrase, func(o *crypt.Options) { o.Passphrase = nil }},
		{"an empty passphrase", "rsa.legacy.aes128.pem", "the passphrase is empty", crypt.Malformed, crypt.NeedNothing, func(o *crypt.Options) {
			o.Passphrase = func() ([]byte, error) { return []byte{}, nil }
		}},
		{"unknown DEK-Info cipher", "", "unsupported DEK-Info cipher \"CAMELLIA-256-CBC\"", crypt.Malformed, crypt.NeedNothing, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(nil)
			if tc.file != "" {
				data = read(tc.file)
			} else {
				data = bytes.Replace(read("rsa.legacy.aes256.pem"), []byte("AES-256-CBC"), []byte("CAMELLIA-256-CBC"), 1)
			}
			opts := cryptest.PEMOptions(pass)
			if tc.opts != nil {
				tc.opts(&opts)
			}
			in, err := crypt.Open("-", bytes.NewReader(data))
			if err == nil {
				_, err = in.Prepare(opts)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || crypt.KindOf(err) != tc.kind {
				t.Errorf("got %v (kind %d), want %q (kind %d)", err, crypt.KindOf(err), tc.want, tc.kind)
			}
			if ce := (*crypt.Error)(nil); errors.As(err, &ce) && ce.Need != tc.need {
				t.Errorf("%v: need %d, want %d", err, ce.Need, tc.need)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("%v: a library message names a flag", err)
			}
		})
	}
}

var endOfBlock = regexp.MustCompile(`-----END [A-Z ]+-----\n?$`)

// TestPEMTruncated: a PEM file cut anywhere from its first BEGIN line to
// its last END line is truncated, status 4 as for a truncated age file, and
// a block whose base64 is corrupted is malformed.
func TestPEMTruncated(t *testing.T) {
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	for _, name := range []string{"rsa.legacy.aes128.pem", "ec.pkcs8.sha256.aes-256-cbc.pem", "ed25519.openssh.aes256-ctr.pem", "bundle.pem"} {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for cut := len("-----BEGIN "); cut < len(data)-1; cut++ {
			// The bundle, cut right after a block, is a shorter bundle.
			if endOfBlock.Match(data[:cut]) {
				continue
			}
			in, err := crypt.Open("-", bytes.NewReader(data[:cut]))
			if err == nil {
				_, err = in.Prepare(cryptest.PEMOptions(pass))
			}
			if err == nil || crypt.KindOf(err) != crypt.Undecryptable || !strings.Contains(err.Error(), "the file is truncated: ") {
				t.Fatalf("%s cut at %d of %d: %v (kind %d)", name, cut, len(data), err, crypt.KindOf(err))
			}
		}
	}
	data, _ := os.ReadFile(filepath.Join(fixtureDir, "rsa.legacy.aes128.pem"))
	corrupt := bytes.Replace(data, []byte("\n\n"), []byte("\n\n*"), 1) // the first line of base64
	in, _ := crypt.Open("-", bytes.NewReader(corrupt))
	if _, err := in.Prepare(cryptest.PEMOptions(pass)); crypt.KindOf(err) != crypt.Malformed || !strings.Contains(err.Error(), "base64 or headers are corrupted") {
		t.Errorf("corrupted base64: %v", err)
	}
}

func TestPEMAllowUnencryptedAndDER(t *testing.T) {
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	plain, _ := os.ReadFile(filepath.Join(fixtureDir, "unencrypted.pem"))
	opts := cryptest.PEMOptions(pass)
	opts.AllowUnencrypted = true
	if got := decryptPEM(t, plain, opts); !bytes.Equal(got, plain) {
		t.Error("--allow-unencrypted changed the file")
	}
	for _, name := range []string{"rsa.pkcs8.sha256.aes-256-cbc.pem", "ec.legacy.aes256.pem"} {
		data, _ := os.ReadFile(filepath.Join(fixtureDir, name))
		want, _ := os.ReadFile(filepath.Join(fixtureDir, name+".want"))
		wb, _ := pem.Decode(want)
		opts := cryptest.PEMOptions(pass)
		opts.DER = true
		if got := decryptPEM(t, data, opts); !bytes.Equal(got, wb.Bytes) {
			t.Errorf("%s: --der output differs from the key's DER", name)
		}
	}
}

// TestPEMAfterText decrypts keys that follow other text, past the first
// bytes of the file, as openssl's Bag Attributes do: a PEM reader finds
// them, and so does secretcat.
func TestPEMAfterText(t *testing.T) {
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	for _, name := range []string{"rsa.pkcs8.sha256.aes-256-cbc.pem", "bundle.pem"} {
		for _, n := range []int{0, 400, 600, 70_000} {
			data := append(cryptest.BagAttributes(n), cryptest.MustRead(t, filepath.Join(fixtureDir, name))...)
			if got := decryptPEM(t, data, cryptest.PEMOptions(pass)); !bytes.Equal(got, cryptest.MustRead(t, filepath.Join(fixtureDir, name+".want"))) {
				t.Errorf("%s after %d bytes of text: output differs from the tools'", name, len(data))
			}
		}
	}
}

// TestPEMKDFBounds: key-derivation parameters beyond the bounds are refused
// before any work is done.
func TestPEMKDFBounds(t *testing.T) {
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	pbkdf2, _ := os.ReadFile(filepath.Join(fixtureDir, "rsa.pkcs8.sha256.aes-256-cbc.pem"))
	scrypt, _ := os.ReadFile(filepath.Join(fixtureDir, "rsa.pkcs8.scrypt.aes-256-cbc.pem"))
	openssh, _ := os.ReadFile(filepath.Join(fixtureDir, "ed25519.openssh.aes256-ctr.pem"))
	for _, tc := range []struct {
		name string
		data []byte
		from []byte // DER bytes to replace in the block
		to   []byte
		want string
	}{
		{"PBKDF2 iterations", withIterations(t, pbkdf2, 20_000_000), nil, nil, "PBKDF2 iteration count 20000000 is out of bounds"},
		{"scrypt N", scrypt, []byte{0x02, 0x02, 0x04, 0x00}, []byte{0x02, 0x02, 0x7f, 0xff}, "scrypt parameters N=32767"},
		{"scrypt memory", withScrypt(t, scrypt, 1<<15, 8, 1), nil, nil, "scrypt parameters N=32768 r=8 p=1 are out of bounds: secretcat takes what openssl takes by default, N a power of 2 above 1 and below 2^(16r), at most 32 MiB"},
		{"scrypt p", withScrypt(t, scrypt, 1<<10, 8, 17), nil, nil, "scrypt parameters N=1024 r=8 p=17 are out of bounds"},
		{"bcrypt rounds", openssh, []byte{0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01}, []byte{0x00, 0x0f, 0x42, 0x40, 0x00, 0x00, 0x00, 0x01}, "bcrypt rounds 1000000 out of bounds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := pem.Decode(tc.data)
			if !bytes.Contains(b.Bytes, tc.from) {
				t.Fatalf("fixture lacks %x", tc.from)
			}
			if tc.from != nil {
				b.Bytes = bytes.Replace(b.Bytes, tc.from, tc.to, 1)
			}
			in, _ := crypt.Open("-", bytes.NewReader(pem.EncodeToMemory(b)))
			_, err := in.Prepare(cryptest.PEMOptions(pass))
			if err == nil || !strings.Contains(err.Error(), tc.want) || crypt.KindOf(err) != crypt.Malformed {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

type algID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// withKDF re-encodes a PBES2 PKCS#8 key with the parameters of its key
// derivation changed by edit, which is given them as params to decode
// into and returns the new ones to encode.
func withKDF[P any](t testing.TB, data []byte, edit func(*P)) []byte {
	var info struct {
		Algorithm algID
		Data      []byte
	}
	var pbes2 struct{ KDF, Enc algID }
	var kdf P
	b, _ := pem.Decode(data)
	_, err1 := asn1.Unmarshal(b.Bytes, &info)
	_, err2 := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &pbes2)
	_, err3 := asn1.Unmarshal(pbes2.KDF.Parameters.FullBytes, &kdf)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	edit(&kdf)
	remarshal := func(v any) asn1.RawValue {
		der, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return asn1.RawValue{FullBytes: der}
	}
	pbes2.KDF.Parameters = remarshal(kdf)
	info.Algorithm.Parameters = remarshal(pbes2)
	b.Bytes = remarshal(info).FullBytes
	return pem.EncodeToMemory(b)
}

// withIterations re-encodes a PBES2/PBKDF2 PKCS#8 key with another
// iteration count.
func withIterations(t testing.TB, data []byte, iter int) []byte {
	type pbkdf2Params struct {
		Salt      []byte
		Iter      int
		KeyLength int   `asn1:"optional"`
		PRF       algID `asn1:"optional"`
	}
	return withKDF(t, data, func(p *pbkdf2Params) { p.Iter = iter })
}

// withScrypt re-encodes a PBES2/scrypt PKCS#8 key with other parameters.
func withScrypt(t testing.TB, data []byte, n, r, p int) []byte {
	type scryptParams struct {
		Salt      []byte
		N, R, P   int
		KeyLength int `asn1:"optional"`
	}
	return withKDF(t, data, func(s *scryptParams) { s.N, s.R, s.P = n, r, p })
}

// TestScryptBoundsAsOpenSSL checks secretcat's bounds on scrypt parameters
// against this machine's openssl, with its default memory limit, which
// encrypts a key only with parameters it can decrypt it with: the two agree
// but for p, which openssl leaves free and secretcat bounds to 16.
func TestScryptBoundsAsOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed to check the scrypt bounds against it")
	}
	key := filepath.Join(fixtureDir, "ed25519.pkcs8.scrypt.aes-256-cbc.pem.want")
	for _, c := range [][3]int{
		// Accepted by openssl: at the bound on N for r up to 3 (N below
		// 2^(16r)), at the memory limit (128*r*(N+2+p) bytes), and p past
		// secretcat's bound. (Each accepted case costs openssl the work.)
		{1 << 15, 1, 1}, {2, 52428, 1}, {2, 1, 16}, {2, 1, 17},
		// Refused by openssl: one step past the bound on N, and past the
		// memory limit by N, r or p.
		{1 << 16, 1, 1}, {2, 52429, 1}, {1 << 15, 8, 1}, {1 << 17, 2, 1}, {1 << 12, 64, 1}, {1 << 10, 255, 3}, {1 << 11, 127, 15},
	} {
		n, r, p := c[0], c[1], c[2]
		cmd := exec.Command(openssl, "pkcs8", "-topk8", "-in", key, "-passout", "pass:x", "-scrypt",
			"-scrypt_N", strconv.Itoa(n), "-scrypt_r", strconv.Itoa(r), "-scrypt_p", strconv.Itoa(p))
		out, err := cmd.CombinedOutput()
		opensslTakes := err == nil
		if !opensslTakes && !bytes.Contains(out, []byte("memory limit exceeded")) {
			t.Fatalf("openssl with N=%d r=%d p=%d: %v\n%s", n, r, p, err, out)
		}
		if want := opensslTakes && p <= 16; pemkey.ScryptAllowed(n, r, p) != want {
			t.Errorf("N=%d r=%d p=%d: secretcat allows it: %v; openssl: %v", n, r, p, !want, opensslTakes)
		}
	}
}

// craftedOpenSSH is an OPENSSH PRIVATE KEY with the given header fields,
// a 51-byte public key and 66 bytes of "encrypted" key.
func craftedOpenSSH(cipher, kdf, kdfOptions string) []byte {
	str := func(b []byte, s string) []byte { return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...) }
	blob := []byte("openssh-key-v1\x00")
	blob = str(str(str(blob, cipher), kdf), kdfOptions)
	blob = binary.BigEndian.AppendUint32(blob, 1)
	blob = str(blob, string(make([]byte, 51)))
	blob = str(blob, string(make([]byte, 66)))
	return pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: blob})
}

// craftedOpenSSHHeaders are OpenSSH keys whose cipher, KDF and options are
// shorter than the "none", "none" and empty options of the unencrypted key
// that decryption writes in their place.
var craftedOpenSSHHeaders = [][3]string{{"", "", ""}, {"x", "", ""}, {"aes256-ctr", "", ""}, {"", "bcrypt", ""}, {"abc", "de", ""}}

// TestOpenSSHCraftedHeader: such keys are malformed, and do not run the
// decryption past its buffer.
func TestOpenSSHCraftedHeader(t *testing.T) {
	for _, h := range craftedOpenSSHHeaders {
		in, err := crypt.Open("-", bytes.NewReader(craftedOpenSSH(h[0], h[1], h[2])))
		if err != nil {
			t.Fatal(err)
		}
		_, err = in.Prepare(cryptest.PEMOptions("pass"))
		if crypt.KindOf(err) != crypt.Malformed {
			t.Errorf("cipher %q, KDF %q, options %q: got %v (kind %d), want a malformed key", h[0], h[1], h[2], err, crypt.KindOf(err))
		}
	}
}

// FuzzPEM feeds arbitrary PEM files to the PEM path: it must never panic
// and every failure must have a kind.
func FuzzPEM(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.pem"))
	for _, name := range files {
		data, _ := os.ReadFile(name)
		f.Add(data)
	}
	for _, h := range craftedOpenSSHHeaders {
		f.Add(craftedOpenSSH(h[0], h[1], h[2]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := crypt.Options{
			Passphrase: func() ([]byte, error) { return []byte("fixture passphrase"), nil },
			Scratch:    func(size int64) ([]byte, func(), error) { return make([]byte, size), func() {}, nil },
		}
		in, err := crypt.Open("-", bytes.NewReader(data))
		if err != nil {
			return
		}
		err = cryptest.DecryptTo(in, opts, func(size int64) ([]byte, error) { return make([]byte, size), nil })
		if err != nil && crypt.KindOf(err) == 0 {
			t.Fatalf("error without a kind: %v", err)
		}
	})
}
