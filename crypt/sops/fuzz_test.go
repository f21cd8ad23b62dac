package sops_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/sops"
)

// FuzzSOPS feeds arbitrary documents, seeded with documents the sops CLI
// made (testdata, with the identity keys.txt that opens them), to the
// detection, the parser of every format and, with the identity, to the
// decryption and the emitters: nothing may panic, and a plan writes exactly
// the size it announced.
func FuzzSOPS(f *testing.F) {
	for _, name := range []string{"fuzz.yaml", "fuzz.json", "fuzz.env", "fuzz.ini", "fuzz.bin"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	ids, err := new(agefile.IdentityParser).ParseFile(filepath.Join("testdata", "keys.txt"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sops.Detect(data)
		for _, format := range []sops.Format{sops.YAML, sops.JSON, sops.Dotenv, sops.Binary, sops.INI} {
			for _, extract := range []string{"", `["a"]`, `["b"][1]`} {
				doc, err := sops.Parse(data, format)
				if err != nil {
					break
				}
				plan, err := doc.Prepare(sops.Options{Identities: ids, Extract: extract})
				if err != nil {
					continue
				}
				out := make([]byte, plan.Size())
				if err := plan.Decrypt(out); err != nil {
					t.Errorf("%s: a prepared plan failed: %v", format, err)
				}
			}
		}
	})
}
