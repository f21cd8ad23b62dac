package sops_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/sops"
)

// seeds are documents the sops CLI made, in testdata with the identity
// keys.txt that opens them.
var seeds = []string{"fuzz.yaml", "fuzz.json", "fuzz.env", "fuzz.ini", "fuzz.bin"}

// FuzzSOPS feeds arbitrary documents, seeded with the sops CLI's, to the
// detection and to the parser of every format: nothing may panic. (A
// mutated document fails its MAC, so decryption is left to TestSeeds: under
// -fuzz, the coverage-instrumented X25519 of each unwrap would leave the
// fuzzer a few executions a minute.)
func FuzzSOPS(f *testing.F) {
	for _, name := range seeds {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sops.Detect(data)
		for _, format := range []sops.Format{sops.YAML, sops.JSON, sops.Dotenv, sops.Binary, sops.INI} {
			sops.Parse(data, format)
		}
	})
}

// TestSeeds decrypts the fuzz seeds, whole and --extracted, and checks
// that each plan writes exactly the size it announced.
func TestSeeds(t *testing.T) {
	ids, err := new(agefile.IdentityParser).ParseFile(filepath.Join("testdata", "keys.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range seeds {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		format, _ := sops.FormatForPath(name)
		key := map[sops.Format]string{sops.Dotenv: `["A"]`, sops.INI: `["a"]["x"]`}[format]
		if key == "" {
			key = `["a"]`
		}
		for _, extract := range []string{"", key} {
			doc, err := sops.Parse(data, format)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			plan, err := doc.Prepare(sops.Options{Identities: ids, Extract: extract})
			if extract != "" && format == sops.Binary {
				if err == nil {
					t.Errorf("%s: --extract of a binary document did not fail", name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s %s: %v", name, extract, err)
			}
			out := make([]byte, plan.Size())
			if err := plan.Decrypt(out); err != nil || len(out) == 0 {
				t.Errorf("%s %s: %d bytes, %v", name, extract, len(out), err)
			}
		}
	}
}
