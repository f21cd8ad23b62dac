package pemkey_test

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/secretcat/secretcat/crypt/pemkey"
)

// Wycheproof's vectors for the password-based encryption of PKCS#8 keys:
// PBKDF2 with each HMAC, and PBES2 with each HMAC and AES key size. Every
// vector is valid; the one whose iteration count is past secretcat's bound
// must be refused as such.

// The Wycheproof module, pinned. It is not a dependency of the module: its
// 100 MiB of vectors would be embedded into the test binary, whose memory
// the hygiene tests scan. Like Go's own crypto tests (cryptotest.FetchModule),
// the tests fetch it through the Go module proxy, and check its hash.
const (
	wycheproofModule  = "github.com/c2sp/wycheproof"
	wycheproofVersion = "v0.0.0-20260902155932-3fa63dd0344a"
	wycheproofSum     = "h1:pNbL2nztRsWfW/ispAwsvcDFxs9Id38uIsR2/Up5G2c="
)

// wycheproofVectors fetches the pinned module and returns its vectors.
func wycheproofVectors(t *testing.T) fs.FS {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "mod", "download", "-json", wycheproofModule+"@"+wycheproofVersion).Output()
	var mod struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &mod); err != nil || jerr != nil || mod.Error != "" {
		t.Fatalf("fetching %s@%s through the module proxy: %v %v %s", wycheproofModule, wycheproofVersion, err, jerr, mod.Error)
	}
	if mod.Sum != wycheproofSum {
		t.Fatalf("%s@%s has hash %s, want %s", wycheproofModule, wycheproofVersion, mod.Sum, wycheproofSum)
	}
	return os.DirFS(filepath.Join(mod.Dir, "testvectors_v1"))
}

type wycheproofFile[T any] struct {
	Algorithm     string
	NumberOfTests int
	TestGroups    []struct{ Tests []T }
}

type pbkdf2Vector struct {
	TcID           int
	Comment        string
	Password, Salt hexBytes
	IterationCount int
	DkLen          int
	Dk             hexBytes
	Result         string
}

type pbes2Vector struct {
	TcID                    int
	Comment                 string
	Password, Salt, IV, Msg hexBytes
	Ct                      hexBytes
	IterationCount          int
	Result                  string
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b, err := hex.DecodeString(s)
	*h = b
	return err
}

// readWycheproof reads the vectors of the files matching pattern; there
// must be want of them, as the files say and as the pinned module holds.
func readWycheproof[T any](t *testing.T, pattern string, want int) map[string][]T {
	vectors := wycheproofVectors(t)
	names, err := fs.Glob(vectors, pattern)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]T{}
	n := 0
	for _, name := range names {
		data, err := fs.ReadFile(vectors, name)
		if err != nil {
			t.Fatal(err)
		}
		var f wycheproofFile[T]
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got int
		for _, g := range f.TestGroups {
			files[name] = append(files[name], g.Tests...)
			got += len(g.Tests)
		}
		if got != f.NumberOfTests {
			t.Fatalf("%s: %d vectors, the file says %d", name, got, f.NumberOfTests)
		}
		n += got
	}
	if n != want {
		t.Fatalf("%s: %d vectors in %d files, want %d", pattern, n, len(names), want)
	}
	return files
}

// prfOIDs are the HMACs of PBKDF2 by the name Wycheproof's files give them.
var prfOIDs = map[string]asn1.ObjectIdentifier{
	"hmacsha1":   {1, 2, 840, 113549, 2, 7},
	"hmacsha224": {1, 2, 840, 113549, 2, 8},
	"hmacsha256": {1, 2, 840, 113549, 2, 9},
	"hmacsha384": {1, 2, 840, 113549, 2, 10},
	"hmacsha512": {1, 2, 840, 113549, 2, 11},
}

// pbkdf2Params encodes PBKDF2-params for prf ("hmacsha256"...).
func pbkdf2Params(t *testing.T, salt []byte, iterations int, prf string) []byte {
	oid, ok := prfOIDs[prf]
	if !ok {
		t.Fatalf("unknown PRF %q", prf)
	}
	type algID struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	der, err := asn1.Marshal(struct {
		Salt       []byte
		Iterations int
		PRF        algID
	}{salt, iterations, algID{oid, asn1.NullRawValue}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestWycheproofPBKDF2(t *testing.T) {
	for name, tests := range readWycheproof[pbkdf2Vector](t, "pbkdf2_*_test.json", 298) {
		prf := strings.TrimSuffix(strings.TrimPrefix(name, "pbkdf2_"), "_test.json")
		for _, v := range tests {
			dk, err := pemkey.PBKDF2(pbkdf2Params(t, v.Salt, v.IterationCount, prf), v.Password, v.DkLen)
			if v.IterationCount > 10_000_000 {
				if err == nil || !strings.Contains(err.Error(), "out of bounds") {
					t.Errorf("%s #%d (%s), %d iterations: got %v, want refused", name, v.TcID, v.Comment, v.IterationCount, err)
				}
				continue
			}
			if err != nil || !bytes.Equal(dk, v.Dk) {
				t.Errorf("%s #%d (%s): got %x, %v; want %x", name, v.TcID, v.Comment, dk, err, v.Dk)
			}
		}
	}
}

func TestWycheproofPBES2(t *testing.T) {
	aesOIDs := map[string]asn1.ObjectIdentifier{
		"aes_128": {2, 16, 840, 1, 101, 3, 4, 1, 2},
		"aes_192": {2, 16, 840, 1, 101, 3, 4, 1, 22},
		"aes_256": {2, 16, 840, 1, 101, 3, 4, 1, 42},
	}
	type algID struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	for name, tests := range readWycheproof[pbes2Vector](t, "pbes2_*_test.json", 1260) {
		// pbes2_hmacsha256_aes_128_test.json
		parts := strings.Split(strings.TrimSuffix(name, "_test.json"), "_")
		prf, aes := parts[1], aesOIDs[parts[2]+"_"+parts[3]]
		for _, v := range tests {
			iv, _ := asn1.Marshal(v.IV)
			params, err := asn1.Marshal(struct{ KDF, Enc algID }{
				algID{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}, asn1.RawValue{FullBytes: pbkdf2Params(t, v.Salt, v.IterationCount, prf)}},
				algID{aes, asn1.RawValue{FullBytes: iv}},
			})
			if err != nil {
				t.Fatal(err)
			}
			der, err := asn1.Marshal(struct {
				Algorithm algID
				Data      []byte
			}{algID{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}, asn1.RawValue{FullBytes: params}}, v.Ct})
			if err != nil {
				t.Fatal(err)
			}
			msg, err := pemkey.DecryptPBES2(der, v.Password)
			if err != nil || !bytes.Equal(msg, v.Msg) {
				t.Errorf("%s #%d (%s): got %x, %v; want %x", name, v.TcID, v.Comment, msg, err, v.Msg)
			}
		}
	}
}
