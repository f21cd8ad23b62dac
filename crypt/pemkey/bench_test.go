package pemkey_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
	"github.com/secretcat/secretcat/crypt/pemkey"
)

// BenchmarkScryptWorstAccepted times the costliest scrypt parameters that
// secretcat accepts in a PKCS#8 key, the most work a crafted key can ask
// for: the largest N*r within openssl's default memory limit, with p at its
// bound. The key is derived with the fixture's passphrase but parameters it
// was not encrypted with, so each run ends in a wrong-passphrase error.
func BenchmarkScryptWorstAccepted(b *testing.B) {
	const p = 16
	var n, r int
	for logN := 1; logN < 20; logN++ {
		for rr := 1<<18>>logN + 1; rr > 0; rr-- {
			if pemkey.ScryptAllowed(1<<logN, rr, p) {
				if (1<<logN)*rr > n*r {
					n, r = 1<<logN, rr
				}
				break
			}
		}
	}
	if pemkey.ScryptAllowed(n, r, p+1) || pemkey.ScryptAllowed(n, r+1, p) || pemkey.ScryptAllowed(2*n, r, p) {
		b.Fatalf("N=%d r=%d p=%d is not at the bounds", n, r, p)
	}
	data, err := os.ReadFile(filepath.Join(fixtureDir, "rsa.pkcs8.scrypt.aes-256-cbc.pem"))
	if err != nil {
		b.Fatal(err)
	}
	data = withScrypt(b, data, n, r, p)
	opts := cryptest.PEMOptions(cryptest.FixturePassphrase(b, fixtureDir))
	b.Run(fmt.Sprintf("N=%d,r=%d,p=%d", n, r, p), func(b *testing.B) {
		for b.Loop() {
			in, err := crypt.Open("-", bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := in.Prepare(opts); crypt.KindOf(err) != crypt.Undecryptable {
				b.Fatalf("got %v, want a wrong passphrase", err)
			}
		}
	})
}
