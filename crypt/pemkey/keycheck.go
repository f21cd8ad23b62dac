package pemkey

import (
	"bytes"
	"encoding/asn1"
	"encoding/binary"
	"math/bits"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/secretcat/secretcat/crypt/internal/fail"
)

// A key encrypted with CBC (PKCS#8 PBES2, legacy OpenSSL) has no MAC: a
// wrong passphrase or a corrupted file decrypts to garbage that only its
// padding and structure can tell from a key. So every decrypted key is
// checked, in place and without copies of its bytes: strict DER, the fields
// its algorithm has, the lengths and ranges of its numbers, the cheap
// consistency checks between them, and then the key whole, as openssl pkey
// -check checks it, with constant-time arithmetic on numbers that are wiped
// after (keycheck_rsa.go, keycheck_ec.go). A key that fails is never
// delivered; nor is a key of an algorithm that cannot be checked. Ed448 and
// X448 keys, which the standard library lacks, are checked for their
// length only.

// keyAlgorithm checks the private key of a PKCS#8 algorithm: params is what
// follows the OID in the AlgorithmIdentifier (empty when absent), key the
// contents of the privateKey OCTET STRING, pub the public key of a
// OneAsymmetricKey (nil when absent).
type keyAlgorithm struct {
	name  string
	check func(params, key, pub cryptobyte.String) bool
}

// pkcs8Algorithms are the PKCS#8 key algorithms whose keys are checked, by
// OID: those that openssl reads and writes.
var pkcs8Algorithms = map[string]keyAlgorithm{
	"1.2.840.113549.1.1.1":  {"RSA", checkRSAPKCS8},
	"1.2.840.113549.1.1.10": {"RSA-PSS", checkRSAPSSPKCS8},
	"1.2.840.10045.2.1":     {"EC", checkECPKCS8},
	"1.3.101.110":           {"X25519", curveKey(32, x25519Derives)},
	"1.3.101.111":           {"X448", curveKey(56, nil)},
	"1.3.101.112":           {"Ed25519", curveKey(32, ed25519Derives)},
	"1.3.101.113":           {"Ed448", curveKey(57, nil)},
	"1.2.840.10040.4.1":     {"DSA", checkDSAPKCS8},
	"1.2.840.113549.1.3.1":  {"DH", checkDHPKCS8},
	"1.2.840.10046.2.1":     {"X9.42 DH", checkDHXPKCS8},
}

// supportedKeys lists the key types that are checked, for messages.
const supportedKeys = "RSA, RSA-PSS, EC on P-224, P-256, P-384 or P-521, Ed25519, X25519, Ed448, X448, DSA, DH"

// checkPKCS8Key checks a decrypted PKCS#8 PrivateKeyInfo (or
// OneAsymmetricKey) and the private key inside it.
func checkPKCS8Key(der []byte) error {
	oid, params, key, pub, ok := ReadPrivateKeyInfo(der)
	if !ok {
		return errBadKey("PKCS#8 PrivateKeyInfo")
	}
	alg, ok := pkcs8Algorithms[oid.String()]
	if !ok {
		return fail.Undecryptablef("wrong passphrase or corrupt key: the decrypted key is of an algorithm that secretcat cannot check, and keys are checked because CBC encryption has no MAC (supported: %s)", supportedKeys)
	}
	if !alg.check(params, key, pub) {
		return errBadKey(alg.name + " private key")
	}
	return nil
}

// traditionalKeys are the PEM labels of OpenSSL's traditional key formats,
// with their checks.
var traditionalKeys = map[string]func([]byte) bool{
	"RSA PRIVATE KEY": checkRSAPrivateKey,
	"EC PRIVATE KEY":  func(der []byte) bool { return checkECPrivateKey(nil, der) },
	"DSA PRIVATE KEY": checkDSAPrivateKey,
}

// checkTraditionalKey checks a decrypted legacy OpenSSL key of the type its
// PEM label names: RSAPrivateKey, ECPrivateKey, DSA's six integers, or a
// PKCS#8 PrivateKeyInfo under "PRIVATE KEY".
func checkTraditionalKey(label string, der []byte) error {
	if label == "PRIVATE KEY" {
		return checkPKCS8Key(der)
	}
	check, ok := traditionalKeys[label]
	if !ok {
		return fail.Undecryptablef("%q is not a key type that secretcat can check after decryption (supported: RSA, EC and DSA PRIVATE KEY, and PKCS#8)", label)
	}
	if !check(der) {
		return errBadKey(label)
	}
	return nil
}

// errBadKey says that the decrypted bytes are not the key they should be.
func errBadKey(what string) error {
	return fail.Undecryptablef("wrong passphrase or corrupt key: the decrypted data is not a valid %s", what)
}

// ReadPrivateKeyInfo reads a PKCS#8 PrivateKeyInfo or OneAsymmetricKey,
// SEQUENCE { INTEGER 0|1, AlgorithmIdentifier, OCTET STRING, [0] attributes
// OPTIONAL, [1] publicKey OPTIONAL (version 1 only) }, with nothing after,
// and returns its algorithm, its parameters (what follows the OID) and its
// private key and its public key (nil when absent, the BIT STRING's bits
// when whole bytes), within der.
func ReadPrivateKeyInfo(der []byte) (oid asn1.ObjectIdentifier, params, key, pub cryptobyte.String, ok bool) {
	in := cryptobyte.String(der)
	var seq, alg cryptobyte.String
	var version int
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&version) || (version != 0 && version != 1) ||
		!seq.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) ||
		!seq.ReadASN1(&key, cbasn1.OCTET_STRING) || len(key) == 0 ||
		!seq.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, nil, nil, nil, false
	}
	if version == 1 {
		var bits cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&bits, &present, cbasn1.Tag(1).ContextSpecific()) || present && !validBitString(bits) {
			return nil, nil, nil, nil, false
		}
		if present && bits[0] == 0 {
			pub = bits[1:]
		}
	}
	if !seq.Empty() {
		return nil, nil, nil, nil, false
	}
	return oid, alg, key, pub, true
}

// validBitString checks the contents of a BIT STRING: the count of unused
// bits, 0 to 7, and 0 when there are no bits.
func validBitString(b cryptobyte.String) bool {
	return len(b) > 0 && b[0] <= 7 && (len(b) > 1 || b[0] == 0)
}

// readUnsigned reads a DER INTEGER that is not negative and returns its
// magnitude without leading zeros, within s: empty for zero. A negative or
// non-minimal encoding fails.
func readUnsigned(s *cryptobyte.String, out *cryptobyte.String) bool {
	var v cryptobyte.String
	if !s.ReadASN1(&v, cbasn1.INTEGER) || len(v) == 0 || v[0]&0x80 != 0 {
		return false
	}
	if v[0] == 0 {
		if len(v) > 1 && v[1]&0x80 == 0 {
			return false
		}
		v = v[1:]
	}
	*out = v
	return true
}

// readPositive reads a DER INTEGER greater than zero.
func readPositive(s *cryptobyte.String, out *cryptobyte.String) bool {
	return readUnsigned(s, out) && len(*out) > 0
}

// less compares two magnitudes without leading zeros: a < b.
func less(a, b []byte) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return bytes.Compare(a, b) < 0
}

// bitLen is the bit length of a magnitude without leading zeros.
func bitLen(a []byte) int {
	if len(a) == 0 {
		return 0
	}
	return (len(a)-1)*8 + bits.Len8(a[0])
}

// low64 is a magnitude modulo 2^64.
func low64(a []byte) uint64 {
	var w [8]byte
	copy(w[8-min(8, len(a)):], a[max(0, len(a)-8):])
	return binary.BigEndian.Uint64(w[:])
}

// odd reports whether a magnitude is odd.
func odd(a []byte) bool { return len(a) > 0 && a[len(a)-1]&1 == 1 }

// checkRSAPKCS8: rsaEncryption's parameters are NULL or absent.
func checkRSAPKCS8(params, key, _ cryptobyte.String) bool {
	return (params.Empty() || bytes.Equal(params, []byte{0x05, 0x00})) && checkRSAPrivateKey(key)
}

// checkRSAPSSPKCS8: RSASSA-PSS's parameters are a SEQUENCE or absent.
func checkRSAPSSPKCS8(params, key, _ cryptobyte.String) bool {
	return (params.Empty() || params.PeekASN1Tag(cbasn1.SEQUENCE)) && checkRSAPrivateKey(key)
}

// checkRSAPrivateKey checks an RSAPrivateKey: version 0 and the eight
// integers n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p, or
// version 1 and more primes after them, each with its exponent and
// coefficient. Every number must be positive (the CRT values may be 0
// here, and are refused by rsaKey.consistent, as by openssl) and less than
// its modulus; the primes and e odd; the product of the primes have the
// length of n and equal it modulo 2^64; and each private exponent be the
// inverse of e modulo the powers of 2 that divide its modulus, which the
// bits of a corrupted block almost never are. Then the key is checked
// whole (keycheck_rsa.go).
func checkRSAPrivateKey(der []byte) bool {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	k := rsaKey{crt: true, primes: make([]rsaPrime, 2, maxRSAPrimes)}
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&version) || (version != 0 && version != 1) ||
		!readPositive(&seq, &k.n) || !readPositive(&seq, &k.e) ||
		!readPositive(&seq, &k.d) ||
		!readPositive(&seq, &k.primes[0].r) || !readPositive(&seq, &k.primes[1].r) ||
		!readUnsigned(&seq, &k.primes[0].exp) || !readUnsigned(&seq, &k.primes[1].exp) ||
		!readUnsigned(&seq, &k.qInv) {
		return false
	}
	if version == 1 {
		// OtherPrimeInfos: SEQUENCE SIZE (1..MAX) OF SEQUENCE { prime,
		// exponent, coefficient }.
		var others cryptobyte.String
		if !seq.ReadASN1(&others, cbasn1.SEQUENCE) || others.Empty() {
			return false
		}
		for !others.Empty() {
			var info cryptobyte.String
			var p rsaPrime
			if len(k.primes) == maxRSAPrimes || !others.ReadASN1(&info, cbasn1.SEQUENCE) ||
				!readPositive(&info, &p.r) || !readUnsigned(&info, &p.exp) ||
				!readUnsigned(&info, &p.coeff) || !info.Empty() || !less(p.coeff, p.r) {
				return false
			}
			k.primes = append(k.primes, p)
		}
	}
	return seq.Empty() && k.cheapChecks() && k.consistent()
}

// cheapChecks checks an RSA key without arithmetic on its numbers, fast
// and in place: most corrupted keys fail here.
func (k *rsaKey) cheapChecks() bool {
	if !odd(k.n) || !odd(k.e) || bitLen(k.e) < 2 || !less(k.e, k.n) || !less(k.d, k.n) || !less(k.qInv, k.primes[0].r) {
		return false
	}
	r := rsaProduct{n: k.n, e: low64(k.e), prod: 1}
	for _, p := range k.primes {
		if !r.add(p.r, p.exp) {
			return false
		}
	}
	return r.complete(k.d)
}

// rsaProduct accumulates the cheap checks of an RSA key's primes.
type rsaProduct struct {
	n      []byte
	e      uint64 // e mod 2^64
	prod   uint64 // the product of the primes mod 2^64
	bits   int    // the sum of their bit lengths
	primes int
	twos   int // the largest power of 2 dividing p-1 for a prime p, up to 64
}

// add takes a prime and its CRT exponent (0 when left out), which must be
// less than it and invert e modulo the power of 2 that divides p-1.
func (r *rsaProduct) add(p, exp []byte) bool {
	if !odd(p) || bitLen(p) < 2 || !less(exp, p) {
		return false
	}
	t := min(64, bits.TrailingZeros64(low64(p)-1))
	if len(exp) > 0 && !invertsMod2k(r.e, low64(exp), t) {
		return false
	}
	r.prod *= low64(p)
	r.bits += bitLen(p)
	r.primes++
	r.twos = max(r.twos, t)
	return true
}

// complete checks the product of the primes against n, and d against the
// lcm of the p-1, modulo its power of 2.
func (r *rsaProduct) complete(d []byte) bool {
	nBits := bitLen(r.n)
	return r.prod == low64(r.n) && nBits <= r.bits && nBits > r.bits-r.primes &&
		invertsMod2k(r.e, low64(d), r.twos)
}

// invertsMod2k reports whether a*b = 1 modulo 2^k, for k up to 64.
func invertsMod2k(a, b uint64, k int) bool {
	mask := uint64(1)<<k - 1 // all ones for k = 64, where the shift gives 0
	return (a*b)&mask == 1&mask
}

// checkECPKCS8: id-ecPublicKey's parameters name the curve; the key is an
// ECPrivateKey.
func checkECPKCS8(params, key, _ cryptobyte.String) bool {
	var curve cryptobyte.String
	return params.ReadASN1Element(&curve, cbasn1.OBJECT_IDENTIFIER) && params.Empty() && checkECPrivateKey(curve, key)
}

// checkECPrivateKey checks an ECPrivateKey, SEQUENCE { 1, OCTET STRING
// privateKey, [0] curve OPTIONAL, [1] publicKey OPTIONAL }, on a known
// named curve: curve (an OID, from PKCS#8) or its own [0], which must agree
// when both are there. The private key is a scalar from 1 to the order less
// one (with or without leading zeros: writers differ); the public key,
// when there, the scalar times the generator. Keys with explicit curve
// parameters are refused.
func checkECPrivateKey(curve, der []byte) bool {
	in := cryptobyte.String(der)
	var seq, priv, params, pub cryptobyte.String
	var version int
	var hasParams, hasPub bool
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&version) || version != 1 ||
		!seq.ReadASN1(&priv, cbasn1.OCTET_STRING) ||
		!seq.ReadOptionalASN1(&params, &hasParams, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!seq.ReadOptionalASN1(&pub, &hasPub, cbasn1.Tag(1).Constructed().ContextSpecific()) ||
		!seq.Empty() {
		return false
	}
	if hasParams {
		var own cryptobyte.String
		if !params.ReadASN1Element(&own, cbasn1.OBJECT_IDENTIFIER) || !params.Empty() || curve != nil && !bytes.Equal(curve, own) {
			return false
		}
		curve = own
	}
	var oid asn1.ObjectIdentifier
	if curve == nil || !(*cryptobyte.String)(&curve).ReadASN1ObjectIdentifier(&oid) {
		return false
	}
	c, ok := ecCurves[oid.String()]
	if !ok {
		return false
	}
	scalar := bytes.TrimLeft(priv, "\x00")
	if len(scalar) == 0 || !less(scalar, c.Params().N.Bytes()) {
		return false
	}
	if !hasPub {
		return true
	}
	var point cryptobyte.String
	return pub.ReadASN1(&point, cbasn1.BIT_STRING) && pub.Empty() && len(point) > 1 && point[0] == 0 &&
		c.derives(scalar, point[1:])
}

// curveKey checks the keys of RFC 8410 (X25519, X448, Ed25519, Ed448): no
// parameters, a CurvePrivateKey, an OCTET STRING of size bytes, and the
// public key, when there is one, that derives gives from it (Ed448 and
// X448, which the standard library lacks, have no derives: their public
// keys are not checked).
func curveKey(size int, derives func(priv, pub []byte) bool) func(params, key, pub cryptobyte.String) bool {
	return func(params, key, pub cryptobyte.String) bool {
		var k cryptobyte.String
		return params.Empty() && key.ReadASN1(&k, cbasn1.OCTET_STRING) && key.Empty() && len(k) == size &&
			(pub == nil || derives == nil || derives(k, pub))
	}
}

// checkDSAPrivateKey checks OpenSSL's traditional DSA key, SEQUENCE { 0,
// p, q, g, y, x }, whole (keycheck_ffc.go).
func checkDSAPrivateKey(der []byte) bool {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	var k ffcKey
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&version) || version != 0 {
		return false
	}
	var y, x cryptobyte.String
	ok := readDSAParams(&seq, &k) && readPositive(&seq, &y) && readPositive(&seq, &x) && seq.Empty()
	k.y, k.x = y, x
	return ok && k.consistent()
}

// checkDSAPKCS8: Dss-Parms SEQUENCE { p, q, g } and the private key x, an
// INTEGER from 1 to q-1.
func checkDSAPKCS8(params, key, _ cryptobyte.String) bool {
	var seq, x cryptobyte.String
	var k ffcKey
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() ||
		!readDSAParams(&seq, &k) || !seq.Empty() || !readPositive(&key, &x) || !key.Empty() {
		return false
	}
	k.x = x
	return k.consistent()
}

// readDSAParams reads DSA's p, q and g into k.
func readDSAParams(s *cryptobyte.String, k *ffcKey) bool {
	var p, q, g cryptobyte.String
	ok := readPositive(s, &p) && readPositive(s, &q) && readPositive(s, &g)
	k.p, k.q, k.g = p, q, g
	return ok
}

// checkDHPKCS8: PKCS#3 DHParameter SEQUENCE { p, g, privateValueLength
// OPTIONAL } and the private key x, from 1 to p-1.
func checkDHPKCS8(params, key, _ cryptobyte.String) bool {
	var seq, p, g, x cryptobyte.String
	var length int
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() ||
		!readPositive(&seq, &p) || !readPositive(&seq, &g) || !odd(p) || !less(g, p) {
		return false
	}
	if !seq.Empty() && (!seq.ReadASN1Integer(&length) || !seq.Empty()) {
		return false
	}
	return readPositive(&key, &x) && key.Empty() && less(x, p)
}

// checkDHXPKCS8: X9.42 DomainParameters SEQUENCE { p, g, q, j OPTIONAL,
// validationParms OPTIONAL } and the private key x, from 1 to q-1: the
// group and key checked whole (keycheck_ffc.go).
func checkDHXPKCS8(params, key, _ cryptobyte.String) bool {
	var seq, p, g, q, x cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() ||
		!readPositive(&seq, &p) || !readPositive(&seq, &g) || !readPositive(&seq, &q) ||
		!seq.SkipOptionalASN1(cbasn1.INTEGER) || !seq.SkipOptionalASN1(cbasn1.SEQUENCE) || !seq.Empty() ||
		!readPositive(&key, &x) || !key.Empty() {
		return false
	}
	k := ffcKey{p: p, q: q, g: g, x: x}
	return k.consistent()
}
