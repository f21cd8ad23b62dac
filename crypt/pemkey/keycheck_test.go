package pemkey_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
	"github.com/secretcat/secretcat/crypt/pemkey"
	"github.com/secretcat/secretcat/internal/testenv"
)

// TestMutatedKeys is the fault campaign of issue 15: single-byte mutations
// of CBC-encrypted keys, PKCS#8 and legacy. CBC has no MAC: a mutated
// ciphertext byte garbles one block of the decrypted key and flips a byte
// of the next, and a mutated IV flips a byte of the first. Whatever
// secretcat delivers must still be a key, as parseKey (the standard
// library's parsers and a strict DER reading of the rest) reads it, and as
// openssl pkey -check accepts it, for a sample.
func TestMutatedKeys(t *testing.T) {
	openssl := testenv.Optional(t, "openssl", "delivered keys are not read with openssl pkey")
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	// Bytes XORed into each position, as many as make about a thousand
	// mutations of each key.
	masks := []byte{0x01, 0x80, 0xff, 0x10, 0x5a, 0x02, 0xa5, 0x40, 0x08, 0x33}
	for _, name := range []string{
		"rsa.pkcs8.sha256.aes-256-cbc.pem",
		"ec.pkcs8.sha256.aes-256-cbc.pem",
		"ed25519.pkcs8.sha256.aes-256-cbc.pem",
		"x25519.pkcs8.sha256.aes-256-cbc.pem",
		"ed448.pkcs8.sha256.aes-256-cbc.pem",
		"x448.pkcs8.sha256.aes-256-cbc.pem",
		"rsapss.pkcs8.sha256.aes-256-cbc.pem",
		"dsa.pkcs8.sha256.aes-256-cbc.pem",
		"dh.pkcs8.sha256.aes-256-cbc.pem",
		"dhx.pkcs8.sha256.aes-256-cbc.pem",
		"rsa.legacy.aes256.pem",
		"ec.legacy.aes256.pem",
		"dsa.legacy.aes256.pem",
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(fixtureDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(name, ".pkcs8.") {
				data = cheapPKCS8(t, data, filepath.Join(fixtureDir, name+".want"), pass)
			}
			b, _ := pem.Decode(data)
			perByte := min(len(masks), max(2, 1000/len(b.Bytes)))
			var tried, delivered, sampled int
			for i := range b.Bytes {
				for _, mask := range masks[:perByte] {
					mutated := &pem.Block{Type: b.Type, Headers: b.Headers, Bytes: bytes.Clone(b.Bytes)}
					mutated.Bytes[i] ^= mask
					label, der, err := decryptKey(pem.EncodeToMemory(mutated), pass)
					tried++
					if err != nil {
						if k := crypt.KindOf(err); k != crypt.Undecryptable && k != crypt.Malformed {
							t.Fatalf("byte %d ^ %#02x: error of kind %d: %v", i, mask, k, err)
						}
						continue
					}
					delivered++
					if err := parseKey(label, der); err != nil {
						t.Errorf("byte %d ^ %#02x: delivered a %s that is not a key: %v", i, mask, label, err)
						continue
					}
					// openssl pkey -check for one delivered key in 100: it takes
					// milliseconds a key.
					if openssl != "" && delivered%100 == 1 {
						sampled++
						cmd := exec.Command(openssl, "pkey", "-check", "-noout")
						cmd.Stdin = bytes.NewReader(pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der}))
						if out, err := cmd.CombinedOutput(); err != nil {
							t.Errorf("byte %d ^ %#02x: delivered a %s that openssl pkey refuses: %v\n%s", i, mask, label, err, out)
						}
					}
				}
			}
			t.Logf("%d mutations, %d delivered, %d of them checked with openssl", tried, delivered, sampled)
		})
	}
}

// cheapPKCS8 re-encrypts the key of a PBES2 fixture with PBKDF2-SHA256 and
// AES-256-CBC with a single PBKDF2 iteration, so that thousands of its
// mutations decrypt in a second or two; the layout stays openssl's.
func cheapPKCS8(t *testing.T, data []byte, wantFile, pass string) []byte {
	type algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	var info struct {
		Algorithm algorithm
		Data      []byte
	}
	var pbes2 struct{ KDF, Enc algorithm }
	var kdf struct{ Salt []byte }
	var iv []byte
	b, _ := pem.Decode(withIterations(t, data, 1))
	want, _ := os.ReadFile(wantFile)
	plain, _ := pem.Decode(want)
	if b == nil || plain == nil {
		t.Fatal("not PEM")
	}
	if _, err := asn1.Unmarshal(b.Bytes, &info); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &pbes2); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(pbes2.KDF.Parameters.FullBytes, &kdf); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(pbes2.Enc.Parameters.FullBytes, &iv); err != nil {
		t.Fatal(err)
	}
	key, err := pbkdf2.Key(sha256.New, pass, kdf.Salt, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(plain.Bytes)%aes.BlockSize
	info.Data = append(bytes.Clone(plain.Bytes), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(info.Data, info.Data)
	if b.Bytes, err = asn1.Marshal(info); err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(b)
}

// TestKeyCheckRefuses: keys that are well-formed DER but not valid keys, or
// that cannot be checked, are refused as a wrong passphrase would be.
func TestKeyCheckRefuses(t *testing.T) {
	fixture := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(data)
		return b.Bytes
	}
	rsaKey := fixture("rsa.legacy.aes256.pem.want")
	var rsaInts struct {
		Version                     int
		N, E, D, P, Q, Dp, Dq, Qinv *big.Int
	}
	if err := unmarshal(rsaKey, &rsaInts); err != nil {
		t.Fatal(err)
	}
	rsaWith := func(change func()) []byte {
		saved := rsaInts
		change()
		der, err := asn1.Marshal(rsaInts)
		rsaInts = saved
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	plus := func(x *big.Int, n int64) *big.Int { return new(big.Int).Add(x, big.NewInt(n)) }
	pkcs8 := func(alg, params, key []byte) []byte {
		der, err := asn1.Marshal(struct {
			Version int
			Algo    asn1.RawValue
			Key     []byte
		}{0, asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: append(alg, params...)}, key})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	oid := func(o asn1.ObjectIdentifier) []byte {
		der, _ := asn1.Marshal(o)
		return der
	}
	var ecKey struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if err := unmarshal(fixture("ec.legacy.aes256.pem.want"), &ecKey); err != nil {
		t.Fatal(err)
	}
	ecOn := func(curve asn1.ObjectIdentifier) []byte {
		k := ecKey
		k.Curve = curve
		der, _ := asn1.Marshal(k)
		return der
	}
	secp256k1 := asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPoint, err := other.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ecWithPoint := func(point []byte) []byte {
		k := ecKey
		k.PublicKey = asn1.BitString{Bytes: point, BitLength: 8 * len(point)}
		der, _ := asn1.Marshal(k)
		return der
	}
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	ed25519v1 := func(pub []byte) []byte {
		key, _ := asn1.Marshal(seed)
		der, err := asn1.Marshal(struct {
			Version int
			Algo    pkix.AlgorithmIdentifier
			Key     []byte
			Pub     asn1.BitString `asn1:"tag:1"`
		}{1, pkix.AlgorithmIdentifier{Algorithm: oidEd25519}, key, asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	edPub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		name, label string
		der         []byte
		want        string
	}{
		{"RSA as it is", "RSA PRIVATE KEY", rsaKey, ""},
		{"RSA modulus changed", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.N = plus(rsaInts.N, 2) }), "not a valid RSA PRIVATE KEY"},
		{"RSA d mod (p-1) changed", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.Dp = plus(rsaInts.Dp, 2) }), "not a valid RSA PRIVATE KEY"},
		{"RSA d even", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.D = plus(rsaInts.D, 1) }), "not a valid RSA PRIVATE KEY"},
		{"RSA negative e", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.E = big.NewInt(-65537) }), "not a valid RSA PRIVATE KEY"},
		{"RSA without CRT values", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.Dp, rsaInts.Dq, rsaInts.Qinv = new(big.Int), new(big.Int), new(big.Int) }), "not a valid RSA PRIVATE KEY"},
		{"RSA q^-1 mod p changed", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.Qinv = plus(rsaInts.Qinv, 1) }), "not a valid RSA PRIVATE KEY"},
		{"RSA d changed by 2^64·λ(n)", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.D = plus(rsaInts.D, 1<<62) }), "not a valid RSA PRIVATE KEY"},
		{"RSA with a composite p", "RSA PRIVATE KEY", compositeRSA(t), "not a valid RSA PRIVATE KEY"},
		{"RSA version 1 without more primes", "RSA PRIVATE KEY", rsaWith(func() { rsaInts.Version = 1 }), "not a valid RSA PRIVATE KEY"},
		{"RSA in PKCS#8 with a bad modulus", "PRIVATE KEY", pkcs8(oid(oidRSA), []byte{5, 0}, rsaWith(func() { rsaInts.N = plus(rsaInts.N, 256) })), "not a valid RSA private key"},
		{"EC as it is", "EC PRIVATE KEY", fixture("ec.legacy.aes256.pem.want"), ""},
		{"EC with the public point of another key", "EC PRIVATE KEY", ecWithPoint(otherPoint), "not a valid EC PRIVATE KEY"},
		{"Ed25519 with its public key", "PRIVATE KEY", ed25519v1(edPub), ""},
		{"Ed25519 with another public key", "PRIVATE KEY", ed25519v1(bytes.Repeat([]byte{9}, 32)), "not a valid Ed25519 private key"},
		{"EC on secp256k1", "EC PRIVATE KEY", ecOn(secp256k1), "not a valid EC PRIVATE KEY"},
		{"EC with explicit parameters", "PRIVATE KEY", pkcs8(oid(oidEC), []byte{0x30, 0}, ecOn(nil)), "not a valid EC private key"},
		{"unknown algorithm", "PRIVATE KEY", pkcs8(oid(asn1.ObjectIdentifier{1, 2, 3, 4}), nil, []byte{4, 1, 0}), "cannot check"},
		{"Ed25519 of 31 bytes", "PRIVATE KEY", pkcs8(oid(oidEd25519), nil, append([]byte{4, 31}, make([]byte, 31)...)), "not a valid Ed25519 private key"},
		{"unknown label", "FOO PRIVATE KEY", rsaKey, "not a key type that secretcat can check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pemkey.CheckTraditionalKey(tc.label, tc.der)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || crypt.KindOf(err) != crypt.Undecryptable):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// compositeRSA makes an RSA key whose numbers all agree, but whose p is
// the product of two primes: openssl pkey -check refuses it ("p not
// prime"), and so must secretcat.
func compositeRSA(t *testing.T) []byte {
	one, e := big.NewInt(1), big.NewInt(65537)
	for {
		p1, err1 := rand.Prime(rand.Reader, 256)
		p2, err2 := rand.Prime(rand.Reader, 256)
		q, err3 := rand.Prime(rand.Reader, 512)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		p := new(big.Int).Mul(p1, p2)
		pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
		lambda := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), gcd)
		d := new(big.Int).ModInverse(e, lambda)
		if d == nil {
			continue
		}
		der, err := asn1.Marshal(struct {
			Version                     int
			N, E, D, P, Q, Dp, Dq, Qinv *big.Int
		}{0, new(big.Int).Mul(p, q), e, d, p, q, new(big.Int).Mod(d, pm1), new(big.Int).Mod(d, qm1), new(big.Int).ModInverse(q, p)})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
}

// decryptKey decrypts a PEM file holding one encrypted key and returns the
// label and DER of the key delivered.
func decryptKey(data []byte, pass string) (string, []byte, error) {
	opts := crypt.Options{
		Passphrase: func() ([]byte, error) { return []byte(pass), nil },
		Scratch:    func(size int64) ([]byte, func(), error) { return make([]byte, size), func() {}, nil },
	}
	in, err := crypt.Open("-", bytes.NewReader(data))
	if err != nil {
		return "", nil, err
	}
	var out []byte
	err = cryptest.DecryptTo(in, opts, func(size int64) ([]byte, error) {
		out = make([]byte, size)
		return out, nil
	})
	if err != nil {
		return "", nil, err
	}
	b, rest := pem.Decode(out)
	if b == nil || len(rest) != 0 {
		return "", nil, fmt.Errorf("delivered %q, not one PEM block", out)
	}
	return b.Type, b.Bytes, nil
}

// parseKey is the test's reader of unencrypted keys, independent of
// crypt's checks: the standard library's parsers where it has them, and
// encoding/asn1's strict DER with the ranges that openssl needs for the
// others.
func parseKey(label string, der []byte) error {
	switch label {
	case "PRIVATE KEY":
		return parsePKCS8(der)
	case "RSA PRIVATE KEY":
		return parseRSA(der)
	case "EC PRIVATE KEY":
		if _, err := x509.ParseECPrivateKey(der); err != nil {
			return err
		}
		return checkECPublicKey(nil, der)
	case "DSA PRIVATE KEY":
		var k struct {
			Version       int
			P, Q, G, Y, X *big.Int
		}
		if err := unmarshal(der, &k); err != nil {
			return err
		}
		if k.Version != 0 {
			return errors.New("DSA key version is not 0")
		}
		return inRange(k.X, k.Q, k.Y, k.P, k.G, k.P)
	}
	return fmt.Errorf("unexpected label %q", label)
}

var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidX25519  = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidX448    = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448   = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidDSA     = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidDH      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 3, 1}
	oidDHX     = asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}
)

func parsePKCS8(der []byte) error {
	var k struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
		Attributes asn1.RawValue  `asn1:"optional,tag:0"`
		PublicKey  asn1.BitString `asn1:"optional,tag:1"`
	}
	if err := unmarshal(der, &k); err != nil {
		return err
	}
	params := k.Algo.Parameters.FullBytes
	alg := k.Algo.Algorithm
	switch {
	case alg.Equal(oidRSA), alg.Equal(oidRSAPSS):
		return parseRSA(k.PrivateKey)
	case alg.Equal(oidEC), alg.Equal(oidEd25519), alg.Equal(oidX25519):
		if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
			return err
		}
		if alg.Equal(oidEC) {
			return checkECPublicKey(params, k.PrivateKey)
		}
		return nil
	case alg.Equal(oidEd448), alg.Equal(oidX448):
		var key []byte
		if err := unmarshal(k.PrivateKey, &key); err != nil {
			return err
		}
		if want := map[bool]int{true: 57, false: 56}[alg.Equal(oidEd448)]; len(key) != want || len(params) != 0 {
			return fmt.Errorf("%d-byte key, %d bytes of parameters", len(key), len(params))
		}
		return nil
	case alg.Equal(oidDSA):
		var p struct{ P, Q, G *big.Int }
		return parseGroupKey(params, &p, k.PrivateKey, &p.G, &p.P, &p.Q)
	case alg.Equal(oidDH):
		var p struct {
			P, G   *big.Int
			Length int `asn1:"optional"`
		}
		return parseGroupKey(params, &p, k.PrivateKey, &p.G, &p.P, &p.P)
	case alg.Equal(oidDHX):
		var p struct {
			P, G, Q    *big.Int
			J          *big.Int      `asn1:"optional"`
			Validation asn1.RawValue `asn1:"optional"`
		}
		return parseGroupKey(params, &p, k.PrivateKey, &p.G, &p.P, &p.Q)
	}
	return fmt.Errorf("unexpected algorithm %v", alg)
}

// parseGroupKey reads the parameters of a DSA or DH key into params, whose
// fields g, p and bound point into, and its private key x: 0 < g < p,
// 0 < x < bound.
func parseGroupKey(der []byte, params any, key []byte, g, p, bound **big.Int) error {
	var x *big.Int
	if err := unmarshal(der, params); err != nil {
		return err
	}
	if err := unmarshal(key, &x); err != nil {
		return err
	}
	return inRange(*g, *p, x, *bound)
}

// parseRSA reads an RSAPrivateKey as openssl does: the integers, positive,
// without checking that they make a key.
func parseRSA(der []byte) error {
	var k struct {
		Version                     int
		N, E, D, P, Q, Dp, Dq, Qinv *big.Int
		Other                       []struct{ R, D, T *big.Int } `asn1:"optional"`
	}
	if err := unmarshal(der, &k); err != nil {
		return err
	}
	if k.Version != 0 && k.Version != 1 || (k.Version == 1) != (len(k.Other) > 0) {
		return fmt.Errorf("RSA key version %d with %d more primes", k.Version, len(k.Other))
	}
	for _, x := range []*big.Int{k.N, k.E, k.D, k.P, k.Q} {
		if x.Sign() <= 0 {
			return errors.New("an RSA key number is not positive")
		}
	}
	return nil
}

// checkECPublicKey checks that the public key of an ECPrivateKey, if it has
// one, is a point on its curve, as openssl does when it reads the key.
// params are the PKCS#8 algorithm parameters, if any.
func checkECPublicKey(params, der []byte) error {
	var k struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if err := unmarshal(der, &k); err != nil {
		return err
	}
	if params != nil {
		if _, err := asn1.Unmarshal(params, &k.Curve); err != nil {
			return err
		}
	}
	curves := map[string]elliptic.Curve{
		"1.3.132.0.33": elliptic.P224(), "1.2.840.10045.3.1.7": elliptic.P256(),
		"1.3.132.0.34": elliptic.P384(), "1.3.132.0.35": elliptic.P521(),
	}
	c := curves[k.Curve.String()]
	if c == nil {
		return fmt.Errorf("unknown curve %v", k.Curve)
	}
	if k.PublicKey.BitLength == 0 {
		return nil
	}
	if x, _ := elliptic.Unmarshal(c, k.PublicKey.Bytes); x == nil {
		return errors.New("the public key is not a point of the curve")
	}
	return nil
}

// unmarshal is asn1.Unmarshal with nothing left over.
func unmarshal(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err == nil && len(rest) != 0 {
		err = errors.New("trailing data")
	}
	return err
}

// inRange checks pairs of numbers: 0 < x < bound.
func inRange(pairs ...*big.Int) error {
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i].Sign() <= 0 || pairs[i].Cmp(pairs[i+1]) >= 0 {
			return fmt.Errorf("a number is out of its range")
		}
	}
	return nil
}

// FuzzKeyCheck: the checks of decrypted keys never panic, fail with the
// kind of a wrong passphrase, and let through only what parseKey reads as a
// key.
func FuzzKeyCheck(f *testing.F) {
	wants, _ := filepath.Glob(filepath.Join(fixtureDir, "*.pem.want"))
	for _, name := range wants {
		data, _ := os.ReadFile(name)
		if b, _ := pem.Decode(data); b != nil && strings.HasSuffix(b.Type, "PRIVATE KEY") && b.Type != "OPENSSH PRIVATE KEY" {
			f.Add(b.Type, b.Bytes)
		}
	}
	f.Fuzz(func(t *testing.T, label string, der []byte) {
		err := pemkey.CheckTraditionalKey(label, der)
		if err != nil {
			if crypt.KindOf(err) != crypt.Undecryptable {
				t.Fatalf("error of kind %d: %v", crypt.KindOf(err), err)
			}
			return
		}
		if err := parseKey(label, der); err != nil {
			t.Fatalf("accepted a %s that is not a key: %v", label, err)
		}
	})
}

// TestOpenSSHConsistencyOnDelivery: an OpenSSH key whose one flaw is a
// composite prime passes OpenSSHPrivateEnd, the check SSH identities get,
// and is refused when delivered. The consistency check, with its primality
// tests, runs for delivered keys only.
func TestOpenSSHConsistencyOnDelivery(t *testing.T) {
	const pass = "composite"
	b, err := ssh.MarshalPrivateKeyWithPassphrase(cryptest.CompositePrimeRSAKey(t), "composite", []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := decryptKey(pem.EncodeToMemory(b), pass); crypt.KindOf(err) != crypt.Undecryptable {
		t.Errorf("delivered: got %v, want the key refused as undecryptable", err)
	}
	h, err := pemkey.ParseOpenSSH(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Decrypt([]byte(pass), make([]byte, len(h.Encrypted))); err != nil {
		t.Errorf("as an identity: got %v, want the key decrypted without the consistency check", err)
	}
}
