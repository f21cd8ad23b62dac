package pemkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"hash"
	"unsafe"

	"golang.org/x/crypto/scrypt"

	"github.com/secretcat/secretcat/crypt/internal/fail"
)

// Limits on key-derivation work, against files crafted to make secretcat
// spin or exhaust memory. They are far above what openssl and ssh-keygen
// write by default (PBKDF2 2048 iterations, scrypt N=2^14 r=8 p=1, bcrypt 16
// rounds).
const (
	maxPBKDF2Iterations = 10_000_000
	// scrypt's memory is bounded as openssl bounds it by default, at
	// SCRYPT_MAX_MEM (crypto/evp/pbe_scrypt.c), which bounds the work of
	// each of its p lanes; openssl leaves p free within that memory, and
	// secretcat bounds it too.
	opensslScryptMaxMem = 32 << 20
	maxScryptP          = 16
)

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
)

// pbes2Ciphers are the encryption schemes supported within PBES2.
var pbes2Ciphers = map[string]blockCipher{
	"2.16.840.1.101.3.4.1.2":  {"AES-128-CBC", 16, aes.NewCipher},
	"2.16.840.1.101.3.4.1.22": {"AES-192-CBC", 24, aes.NewCipher},
	"2.16.840.1.101.3.4.1.42": {"AES-256-CBC", 32, aes.NewCipher},
	"1.2.840.113549.3.7":      {"DES-EDE3-CBC", 24, des.NewTripleDESCipher},
}

// pbkdf2PRFs are the HMACs of PBKDF2 by their OID.
var pbkdf2PRFs = map[string]func() hash.Hash{
	"1.2.840.113549.2.7":  sha1.New,
	"1.2.840.113549.2.8":  sha256.New224,
	"1.2.840.113549.2.9":  sha256.New,
	"1.2.840.113549.2.10": sha512.New384,
	"1.2.840.113549.2.11": sha512.New,
}

// knownSchemes names encryption schemes that are recognised but refused.
var knownSchemes = map[string]string{
	"1.2.840.113549.1.5.1":    "PBES1 (pbeWithMD2AndDES-CBC)",
	"1.2.840.113549.1.5.3":    "PBES1 (pbeWithMD5AndDES-CBC)",
	"1.2.840.113549.1.5.4":    "PBES1 (pbeWithMD2AndRC2-CBC)",
	"1.2.840.113549.1.5.6":    "PBES1 (pbeWithMD5AndRC2-CBC)",
	"1.2.840.113549.1.5.10":   "PBES1 (pbeWithSHA1AndDES-CBC)",
	"1.2.840.113549.1.5.11":   "PBES1 (pbeWithSHA1AndRC2-CBC)",
	"1.2.840.113549.1.12.1.1": "PKCS#12 pbeWithSHAAnd128BitRC4",
	"1.2.840.113549.1.12.1.2": "PKCS#12 pbeWithSHAAnd40BitRC4",
	"1.2.840.113549.1.12.1.3": "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
	"1.2.840.113549.1.12.1.4": "PKCS#12 pbeWithSHAAnd2-KeyTripleDES-CBC",
	"1.2.840.113549.1.12.1.5": "PKCS#12 pbeWithSHAAnd128BitRC2-CBC",
	"1.2.840.113549.1.12.1.6": "PKCS#12 pbeWithSHAAnd40BitRC2-CBC",
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt                     []byte
	CostParameter            int
	BlockSize                int
	ParallelizationParameter int
	KeyLength                int `asn1:"optional"`
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo into scratch, which has
// room for its ciphertext, and returns the PrivateKeyInfo DER within it.
func decryptPKCS8(der, pass, scratch []byte) ([]byte, error) {
	return decryptPBES2(der, pass, scratch, checkPKCS8Key)
}

// decryptPBES2 decrypts an EncryptedPrivateKeyInfo into scratch, which has
// room for its ciphertext, and returns the plaintext within it, which check
// accepts.
func decryptPBES2(der, pass, scratch []byte, check func([]byte) error) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, fail.Malformedf("not a valid PKCS#8 EncryptedPrivateKeyInfo")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		oid := info.Algorithm.Algorithm.String()
		if name, ok := knownSchemes[oid]; ok {
			oid = name + ", " + oid
		}
		return nil, fail.Malformedf("unsupported scheme %s: re-encrypt the key with PBES2, e.g. openssl pkcs8 -topk8 -v2 aes-256-cbc", oid)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, fail.Malformedf("invalid PBES2 parameters")
	}
	scheme, ok := pbes2Ciphers[params.EncryptionScheme.Algorithm.String()]
	if !ok {
		return nil, fail.Malformedf("unsupported PBES2 cipher %s (supported: AES-128/192/256-CBC, DES-EDE3-CBC)", params.EncryptionScheme.Algorithm)
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(rest) != 0 {
		return nil, fail.Malformedf("invalid %s parameters", scheme.name)
	}
	key, err := pbes2Key(params.KeyDerivationFunc, pass, scheme.keyLen)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return decryptCBCKey(scheme.newFunc, key, iv, info.EncryptedData, scratch, check)
}

// pbes2Key derives the key of a PBES2 encryption scheme.
func pbes2Key(kdf algorithmIdentifier, pass []byte, keyLen int) ([]byte, error) {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
			return nil, fail.Malformedf("invalid PBKDF2 parameters")
		}
		if p.IterationCount < 1 || p.IterationCount > maxPBKDF2Iterations {
			return nil, fail.Malformedf("PBKDF2 iteration count %d is out of bounds (1 to %d)", p.IterationCount, maxPBKDF2Iterations)
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, fail.Malformedf("PBKDF2 key length %d does not fit the cipher's %d", p.KeyLength, keyLen)
		}
		prf := sha1.New
		if p.PRF.Algorithm != nil {
			var ok bool
			if prf, ok = pbkdf2PRFs[p.PRF.Algorithm.String()]; !ok {
				return nil, fail.Malformedf("unsupported PBKDF2 PRF %s (supported: HMAC-SHA1, -SHA224, -SHA256, -SHA384, -SHA512)", p.PRF.Algorithm)
			}
		}
		return pbkdf2.Key(prf, unsafe.String(unsafe.SliceData(pass), len(pass)), p.Salt, p.IterationCount, keyLen)
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
			return nil, fail.Malformedf("invalid scrypt parameters")
		}
		n, r, par := p.CostParameter, p.BlockSize, p.ParallelizationParameter
		if !scryptAllowed(n, r, par) {
			return nil, fail.Malformedf("scrypt parameters N=%d r=%d p=%d are out of bounds: secretcat takes what openssl takes by default, N a power of 2 above 1 and below 2^(16r), at most %d MiB of memory counted as 128*r*(N+2+p) bytes, and also bounds p to %d", n, r, par, opensslScryptMaxMem>>20, maxScryptP)
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, fail.Malformedf("scrypt key length %d does not fit the cipher's %d", p.KeyLength, keyLen)
		}
		return scrypt.Key(pass, p.Salt, n, r, par, keyLen)
	}
	return nil, fail.Malformedf("unsupported PBES2 key derivation %s (supported: PBKDF2, scrypt)", kdf.Algorithm)
}

// scryptAllowed reports whether openssl derives a key with scrypt
// parameters n, r and p under its default memory limit (the checks of
// EVP_PBE_scrypt_ex and of its scrypt KDF), and p is at most maxScryptP.
func scryptAllowed(n, r, p int) bool {
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || p > maxScryptP {
		return false
	}
	// Each of N+2 blocks of V, and each of p of B, is 128*r bytes: with N
	// or r at 2^20, V alone is past the limit, and below that nothing
	// overflows.
	if n >= 1<<20 || r >= 1<<20 {
		return false
	}
	if 16*r <= 63 && n >= 1<<(16*r) { // openssl's bound on N for small r
		return false
	}
	return 128*r*(n+2+p) <= opensslScryptMaxMem
}

// decryptCBCKey decrypts a CBC-encrypted key into scratch, removes the
// padding and checks the result with check (see keycheck.go). CBC keys have
// no MAC: a bad padding or structure means a wrong passphrase (or a corrupt
// key), and the scratch is wiped.
func decryptCBCKey(newCipher func([]byte) (cipher.Block, error), key, iv, ciphertext, scratch []byte, check func([]byte) error) ([]byte, error) {
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(iv) != bs {
		return nil, fail.Malformedf("IV of %d bytes for a cipher with %d-byte blocks", len(iv), bs)
	}
	if len(ciphertext) == 0 || len(ciphertext)%bs != 0 {
		return nil, fail.Malformedf("encrypted key of %d bytes is not a whole number of %d-byte blocks: truncated or corrupted", len(ciphertext), bs)
	}
	out := scratch[:len(ciphertext)]
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ciphertext)
	plain, ok := unpad(out, bs)
	if !ok {
		clear(out)
		return nil, errWrongPassphrase()
	}
	if err := check(plain); err != nil {
		clear(out)
		return nil, err
	}
	return plain, nil
}
