package crypt_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"go.yaml.in/yaml/v3"

	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// TestSOPSNoPlaintextOnHeap decrypts SOPS documents made by the sops CLI,
// in each structured format, and scans for any 32-byte run of their
// values (strings, and a comment), of their data key and of their
// decrypted MAC: the values are decrypted into scratch secret memory and
// the document formatted from there into the destination, and the keys
// are wiped. A positive control copies a value to the heap.
func TestSOPSNoPlaintextOnHeap(t *testing.T) {
	for _, name := range []string{"doc.yaml", "doc.json", "doc.env", "doc.ini", "doc.bin"} {
		t.Run(name, func(t *testing.T) {
			dir := os.Getenv("SECRETCAT_HYGIENE_DIR")
			if dir == "" {
				dir = t.TempDir()
				writeSOPSCase(t, dir, name)
			}
			if isolated(t, "SECRETCAT_HYGIENE_DIR="+dir) {
				return
			}
			windows := readWindows(t, filepath.Join(dir, "windows"), 100)
			ids, err := new(agefile.IdentityParser).ParseFile(filepath.Join(dir, "id.txt"), nil)
			if err != nil {
				t.Fatal(err)
			}
			opts := cryptest.PEMOptions("")
			opts.Passphrase, opts.Identities = nil, ids
			file, err := cryptest.DecryptToSecret(filepath.Join(dir, name), nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			if hits := countWindows(windows, file.Bytes()); hits == 0 {
				t.Fatal("positive control: no window of the values in the plaintext")
			}
			if hits := scanMemory(t, file.Bytes(), windows); hits != 0 {
				t.Errorf("found %d windows of the values, data key or MAC outside secret memory", hits)
			}
			leak := bytes.Clone(file.Bytes())
			hits := scanMemory(t, file.Bytes(), windows)
			clear(leak)
			if hits == 0 {
				t.Error("positive control: a heap copy of the document was not found")
			}
		})
	}
}

// writeSOPSCase encrypts a document of random values with the sops CLI
// into dir, with the identity, and writes the windows of its values, its
// data key and its decrypted MAC.
func writeSOPSCase(t *testing.T, dir, name string) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	cryptest.WriteFile(t, filepath.Join(dir, "id.txt"), []byte(id.String()+"\n"))
	var values [][]byte
	value := func() string {
		v := make([]byte, 96)
		rand.Read(v)
		s := base64.RawURLEncoding.EncodeToString(v)
		values = append(values, []byte(s))
		return s
	}
	var plain strings.Builder
	switch filepath.Ext(name) {
	case ".yaml":
		fmt.Fprintf(&plain, "# %s\n", value())
		for i := range 8 {
			fmt.Fprintf(&plain, "key%d: %s\nlist%d:\n    - %s\n    - n: %s\n", i, value(), i, value(), value())
		}
		fmt.Fprintf(&plain, "multi: |\n    %s\n    %s\n", value(), value())
	case ".json":
		plain.WriteString("{")
		for i := range 8 {
			fmt.Fprintf(&plain, "%q: %q, \"list%d\": [%q, {\"n\": %q}],", fmt.Sprint("key", i), value(), i, value(), value())
		}
		fmt.Fprintf(&plain, "\"html\": \"<%s>\"}", value())
	case ".env":
		fmt.Fprintf(&plain, "#%s\n", value())
		for i := range 8 {
			fmt.Fprintf(&plain, "KEY%d=%s\n", i, value())
		}
	case ".ini":
		for i := range 4 {
			fmt.Fprintf(&plain, "; %s\n[section%d]\na = %s\nb = %s\n\n", value(), i, value(), value())
		}
	default:
		for range 8 {
			plain.WriteString(value() + "\n")
		}
	}
	src := filepath.Join(dir, "plain-"+name)
	cryptest.WriteFile(t, src, []byte(plain.String()))
	cmd := exec.Command(cryptest.SopsCLI(t), "encrypt", "--age", id.Recipient().String(), "--filename-override", name, src)
	cmd.Dir = dir
	enc, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops encrypt: %v", err)
	}
	os.Remove(src)
	cryptest.WriteFile(t, filepath.Join(dir, name), enc)
	key, mac := sopsKeyAndMAC(t, enc, id)
	writeWindows(t, filepath.Join(dir, "windows"), 32, 1, append(values, key, mac)...)
}

// sopsKeyAndMAC unwraps the data key of a SOPS document with id, and
// decrypts its MAC, as the test's own reference.
func sopsKeyAndMAC(t *testing.T, enc []byte, id age.Identity) (key, mac []byte) {
	var meta struct{ Lastmodified, Mac string }
	var ageEnc string
	if bytes.HasPrefix(enc, []byte("{")) || bytes.Contains(enc, []byte("\nsops:")) {
		var doc map[string]any
		if err := yaml.Unmarshal(enc, &doc); err != nil {
			t.Fatal(err)
		}
		sops := doc["sops"].(map[string]any)
		ageEnc = sops["age"].([]any)[0].(map[string]any)["enc"].(string)
		meta.Lastmodified, meta.Mac = sops["lastmodified"].(string), sops["mac"].(string)
	} else { // dotenv, or INI's [sops] section
		for line := range strings.Lines(string(enc)) {
			k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
			k, v = strings.TrimSpace(k), strings.ReplaceAll(strings.TrimSpace(v), `\n`, "\n")
			k = "sops_" + strings.TrimPrefix(k, "sops_")
			switch k {
			case "sops_age__list_0__map_enc":
				ageEnc = v
			case "sops_lastmodified":
				meta.Lastmodified = v
			case "sops_mac":
				meta.Mac = v
			}
		}
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(ageEnc)), id)
	if err != nil {
		t.Fatal(err)
	}
	if key, err = io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:str\]`).FindStringSubmatch(meta.Mac)
	if m == nil {
		t.Fatalf("MAC %q", meta.Mac)
	}
	data, _ := base64.StdEncoding.DecodeString(m[1])
	iv, _ := base64.StdEncoding.DecodeString(m[2])
	tag, _ := base64.StdEncoding.DecodeString(m[3])
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCMWithNonceSize(block, len(iv))
	if mac, err = gcm.Open(nil, iv, append(data, tag...), []byte(meta.Lastmodified)); err != nil {
		t.Fatalf("decrypting the MAC: %v", err)
	}
	return key, mac
}
