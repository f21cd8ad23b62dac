package pemkey_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// mutationDir holds the keys of the campaign, made by its gen.sh with the
// cheapest key derivations, so that a mutant decrypts in a millisecond.
const mutationDir = "../../testdata/mutation"

// TestMutationCampaign is issue 22's campaign, in the suite: random
// mutants (a flipped bit, or a byte XORed with a random value) of
// encrypted keys without a MAC, PKCS#8 and legacy RSA and EC keys and
// OpenSSH keys with aes256-ctr and aes256-cbc. Every mutant must be
// refused as undecryptable or malformed, or be delivered as a key that the
// reference tools accept: openssl pkey -check for PEM keys, ssh-keygen -y
// for OpenSSH keys, run on each delivered key. SECRETCAT_MUTANTS sets the
// number of mutants of each format and cipher (default 300, shared by its
// keys; make fuzz runs more) and SECRETCAT_MUTATION_SEED the seed (default
// 22).
func TestMutationCampaign(t *testing.T) {
	count := envInt(t, "SECRETCAT_MUTANTS", 300)
	seed := envInt(t, "SECRETCAT_MUTATION_SEED", 22)
	openssl, errOpenSSL := exec.LookPath("openssl")
	sshKeygen, errKeygen := exec.LookPath("ssh-keygen")
	if errOpenSSL != nil || errKeygen != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl and ssh-keygen are needed (.ci/run installs them)")
		}
		t.Skip("needs openssl and ssh-keygen, the reference tools")
	}
	pass := cryptest.FixturePassphrase(t, mutationDir)
	names, err := filepath.Glob(filepath.Join(mutationDir, "*.pem"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no keys in %s: %v", mutationDir, err)
	}
	// The keys of a format and cipher: rsa.openssh.aes256-ctr.pem is of
	// openssh.aes256-ctr.pem.
	group := func(path string) string { _, g, _ := strings.Cut(filepath.Base(path), "."); return g }
	keys := map[string]int{}
	for _, path := range names {
		keys[group(path)]++
	}
	for _, path := range names {
		count := count / keys[group(path)]
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := cryptest.MustRead(t, path)
			b, _ := pem.Decode(data)
			if _, _, err := decryptKey(data, pass); err != nil {
				t.Fatalf("the key itself is refused: %v", err)
			}
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(len(data))))
			positions := mutable(t, b)
			checked := map[[32]byte]bool{}
			var delivered int
			for range count {
				m := &pem.Block{Type: b.Type, Headers: maps.Clone(b.Headers), Bytes: bytes.Clone(b.Bytes)}
				what := mutate(rng, m, positions)
				label, der, err := decryptKey(pem.EncodeToMemory(m), pass)
				if err != nil {
					if k := crypt.KindOf(err); k != crypt.Undecryptable && k != crypt.Malformed {
						t.Fatalf("%s: error of kind %d: %v", what, k, err)
					}
					continue
				}
				delivered++
				key := pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der})
				if checked[sha256.Sum256(key)] {
					continue
				}
				checked[sha256.Sum256(key)] = true
				if out, err := reference(t, openssl, sshKeygen, label, key); err != nil {
					t.Errorf("%s: delivered a %s that the reference refuses: %v\n%s", what, label, err, out)
				}
			}
			t.Logf("seed %d: %d mutants, %d delivered, %d distinct keys checked", seed, count, delivered, len(checked))
		})
	}
}

// envInt reads a positive number from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// mutable lists the positions of b's bytes that the campaign mutates:
// all, but for the bcrypt rounds of an OpenSSH key, whose mutants would
// only cost time (up to maxBcryptRounds, seconds each). A legacy key's IV,
// in its DEK-Info header, is mutated too (see mutate).
func mutable(t *testing.T, b *pem.Block) []int {
	var skip [2]int
	if b.Type == "OPENSSH PRIVATE KEY" {
		// magic, cipher, kdf, then the kdf options, whose last 4 bytes are
		// the rounds.
		off := len("openssh-key-v1\x00")
		for range 3 {
			off += 4 + int(binary.BigEndian.Uint32(b.Bytes[off:]))
		}
		skip = [2]int{off - 4, off}
		if binary.BigEndian.Uint32(b.Bytes[off-4:]) != 1 {
			t.Fatal("the OpenSSH key's bcrypt rounds are not 1: regenerate it with gen.sh")
		}
	}
	var positions []int
	for i := range b.Bytes {
		if i < skip[0] || i >= skip[1] {
			positions = append(positions, i)
		}
	}
	return positions
}

// mutate flips a bit of m, or XORs one of its bytes with a random value,
// and says what it did. A legacy key's IV is one of the places.
func mutate(rng *rand.Rand, m *pem.Block, positions []int) string {
	target, where := m.Bytes, "byte"
	var ivHex, cipherName string
	if dek, ok := m.Headers["DEK-Info"]; ok && rng.IntN(len(positions)+16) < 16 {
		cipherName, ivHex, _ = strings.Cut(dek, ",")
		target, _ = hex.DecodeString(ivHex)
		where = "IV byte"
		positions = nil
	}
	i := rng.IntN(len(target))
	if positions != nil {
		i = positions[rng.IntN(len(positions))]
	}
	mask := byte(1) << rng.IntN(8)
	if rng.IntN(2) == 0 {
		mask = byte(1 + rng.IntN(255))
	}
	target[i] ^= mask
	if ivHex != "" {
		m.Headers["DEK-Info"] = cipherName + "," + strings.ToUpper(hex.EncodeToString(target))
	}
	return fmt.Sprintf("%s %d ^ %#02x", where, i, mask)
}

// reference runs the reference tool on a delivered key: ssh-keygen -y on
// an OpenSSH key, openssl pkey -check on the others.
func reference(t *testing.T, openssl, sshKeygen, label string, key []byte) ([]byte, error) {
	if label == "OPENSSH PRIVATE KEY" {
		path := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(path, key, 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(sshKeygen, "-y", "-f", path).CombinedOutput()
	}
	cmd := exec.Command(openssl, "pkey", "-check", "-noout")
	cmd.Stdin = bytes.NewReader(key)
	return cmd.CombinedOutput()
}

// TestOpenSSHCommentFlips flips bit 5 of each byte at the end of a CTR
// key's private section, where its comment ("ed25519 mutant") and padding
// are: a letter changes case, which ssh-keygen takes, but the space
// becomes a NUL, which it refuses in a comment, and so must secretcat.
func TestOpenSSHCommentFlips(t *testing.T) {
	sshKeygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ssh-keygen is needed (.ci/run installs it)")
		}
		t.Skip("needs ssh-keygen, the reference")
	}
	pass := cryptest.FixturePassphrase(t, mutationDir)
	b, _ := pem.Decode(cryptest.MustRead(t, filepath.Join(mutationDir, "ed25519.openssh.aes256-ctr.pem")))
	var delivered int
	for i := len(b.Bytes) - 32; i < len(b.Bytes); i++ {
		m := &pem.Block{Type: b.Type, Bytes: bytes.Clone(b.Bytes)}
		m.Bytes[i] ^= 0x20
		label, der, err := decryptKey(pem.EncodeToMemory(m), pass)
		if err != nil {
			continue
		}
		delivered++
		if bytes.Contains(der, []byte("ed25519\x00mutant")) {
			t.Errorf("byte %d: delivered a comment with a NUL", i)
		}
		if out, err := reference(t, "", sshKeygen, label, pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der})); err != nil {
			t.Errorf("byte %d: ssh-keygen refuses the delivered key: %v\n%s", i, err, out)
		}
	}
	if delivered == 0 {
		t.Error("no flip of the comment was delivered: the test no longer reaches it")
	}
}
