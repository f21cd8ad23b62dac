package sops_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt/internal/cryptest"
	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/sops"
)

// keyring is a set of age identities in a directory, with a sops binary
// that uses them.
type keyring struct {
	dir  string
	sops string
	ids  []*age.X25519Identity
}

func newKeyring(t *testing.T, n int) *keyring {
	k := &keyring{dir: t.TempDir(), sops: cryptest.SopsCLI(t)}
	var text strings.Builder
	for range n {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		k.ids = append(k.ids, id)
		text.WriteString(id.String() + "\n")
	}
	if err := os.WriteFile(filepath.Join(k.dir, "keys.txt"), []byte(text.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return k
}

// run runs sops in the keyring's directory with its identities.
func (k *keyring) run(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := k.try(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// try runs sops and returns its output, or its failure.
func (k *keyring) try(args ...string) ([]byte, error) {
	cmd := exec.Command(k.sops, args...)
	cmd.Dir = k.dir
	cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+filepath.Join(k.dir, "keys.txt"), "HOME="+k.dir, "XDG_CONFIG_HOME="+k.dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sops %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// encrypt writes plain as name and encrypts it with sops to the first
// identity, under a creation rule with the options of rule (lines of
// .sops.yaml such as "encrypted_regex: ^a$"), or under the key groups
// rule gives; it returns the path of the encrypted file, named as name is.
func (k *keyring) encrypt(t *testing.T, name, plain string, rule ...string) string {
	t.Helper()
	src := filepath.Join(k.dir, "plain."+name)
	if err := os.WriteFile(src, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	config := "creation_rules:\n    - path_regex: .*\n"
	if !strings.Contains(strings.Join(rule, "\n"), "key_groups") {
		config += "      age: " + k.ids[0].Recipient().String() + "\n"
	}
	for _, r := range rule {
		config += "      " + strings.ReplaceAll(r, "\n", "\n      ") + "\n"
	}
	configPath := filepath.Join(k.dir, name+".sops.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := k.run(t, "--config", configPath, "encrypt", "--filename-override", name, src)
	path := filepath.Join(k.dir, name)
	if err := os.WriteFile(path, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// decrypt decrypts a document with this package, as secretcat does.
func decrypt(path, extract string, ids ...age.Identity) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := sops.ParseNamed(path, data)
	if err != nil {
		return nil, err
	}
	plan, err := doc.Prepare(sops.Options{Identities: ids, Extract: extract})
	if err != nil {
		return nil, err
	}
	out := make([]byte, plan.Size())
	return out, plan.Decrypt(out)
}

// same checks that this package decrypts path, with extract, to exactly
// what sops decrypt prints, or fails where sops fails.
func (k *keyring) same(t *testing.T, path, extract string) {
	t.Helper()
	args := []string{"decrypt"}
	if extract != "" {
		args = append(args, "--extract", extract)
	}
	want, sopsErr := k.try(append(args, path)...)
	got, err := decrypt(path, extract, k.ids[0])
	if sopsErr != nil {
		if err == nil {
			t.Errorf("%s %s: decrypted, where %v", filepath.Base(path), extract, sopsErr)
		}
		t.Logf("sops fails, and so does secretcat: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("%s %s: %v", filepath.Base(path), extract, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s %s: not what sops decrypt prints: %s\n--- sops:\n%s\n--- secretcat:\n%s", filepath.Base(path), extract, firstDiff(want, got), want, got)
	}
}

// firstDiff shows the first line where two outputs differ.
func firstDiff(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := range min(len(w), len(g)) {
		if !bytes.Equal(w[i], g[i]) {
			return fmt.Sprintf("line %d: sops %q, secretcat %q", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("sops has %d lines, secretcat %d", len(w), len(g))
}

// yamlDoc exercises yaml.v3's emitter: quoting, styles, indentation of
// nested sequences and mappings, comments, numbers and unicode.
const yamlDoc = `# head of the document
name: hello
num: 42
neg: -17
big: 9223372036854775807
flt: 1e3
pi: 3.14
tiny: 1.0e-7
huge: 1.5e300
hex: 0x1F
octal: 0o17
under: 1_000
yes: true
off: false
empty: ""
nothing:
tilde: ~
quoted_true: "true"
quoted_yes: "yes"
quoted_num: "123"
quoted_float: "1.5"
quoted_date: "2024-01-01"
quoted_null: "null"
quoted_octal: "0755"
quoted_base60: "1:20"
colon: "a: b"
hash: "x #y"
lead_dash: "- x"
lead_space: "  padded"
trail_space: "padded  "
single: "it's"
double: 'say "hi"'
backslash: 'C:\path'
merge: "<<"
tab: "a\tb"
unicode: "héllo wörld 日本"
emoji: "🔑 key"
nel: "a\u0085b"
control: "bell\u0007"
date: 2024-01-02
stamp: 2024-01-02T10:20:30.5Z
# before the list
list:
    - a
    - b # inline
    # between items
    - c: d
      e: 5
    - - nested
      - list
    - {}
    - []
empty_map: {}
empty_list: []
nested:
    key: value # inline on a value
    deeper:
        deepest: [1, 2, 3]
        flow: {a: 1, b: two}
    multi: |
        line one
        line two
    keep: |+
        kept

    strip: |-
        stripped
    lead_blank: "\n starts with a break"
    indented: "  two spaces\nthen"
    folded: >
        folded text
        joined
    crlf: "a\r\nb"
    trailing_space_lines: "a \nb"
    str_unencrypted: plain text
    num_unencrypted: 7
"spaced key": 1
"key: colon": 2
? |
    multi
    line key
: complex
# the last comment
`

// TestMatchesSopsYAML compares the documents of every variant with what
// the real sops decrypt prints, byte for byte.
func TestMatchesSopsYAML(t *testing.T) {
	k := newKeyring(t, 1)
	docs := map[string]string{
		"doc.yaml":   yamlDoc,
		"multi.yaml": "a: 1\n# c\n---\nb: two\n---\nc: [x]\n",
		"only.yml":   "# just a comment\nkey: value\n",
	}
	variants := map[string][]string{
		"default":       nil,
		"regex":         {"encrypted_regex: ^(name|pi|list|multi|emoji)$"},
		"unregex":       {"unencrypted_regex: ^(name|nested)$"},
		"suffix":        {"unencrypted_suffix: _unencrypted"},
		"encsuffix":     {"encrypted_suffix: _secret"},
		"comment":       {"encrypted_comment_regex: sops:enc"},
		"uncomment":     {"unencrypted_comment_regex: sops:plain"},
		"maconly":       {"mac_only_encrypted: true", "encrypted_regex: ^(num|list)$"},
		"maconlyplain":  {"mac_only_encrypted: true"},
		"suffixmaconly": {"mac_only_encrypted: true", "unencrypted_suffix: _unencrypted"},
	}
	for name, doc := range docs {
		for v, flags := range variants {
			t.Run(name+"/"+v, func(t *testing.T) {
				ext := filepath.Ext(name)
				path := k.encrypt(t, strings.TrimSuffix(name, ext)+"-"+v+".enc"+ext, doc, flags...)
				k.same(t, path, "")
			})
		}
	}
	path := k.encrypt(t, "extract.yaml", yamlDoc)
	for _, e := range []string{`["name"]`, `["num"]`, `["flt"]`, `["yes"]`, `["nothing"]`, `["emoji"]`, `["list"]`, `["list"][2]`, `["list"][4]`, `["nested"]`, `["nested"]["deeper"]["deepest"]`, `["nested"]["multi"]`, `['date']`, `["empty_map"]`} {
		t.Run("extract"+e, func(t *testing.T) { k.same(t, path, e) })
	}
}

// yamlComments are comments in the places SOPS moves them from and to.
const yamlComments = `# a
# b
first: 1 # inline first
# before second
second:
    # head of the nested map
    x: 1
    # foot of the nested map
# before list
list:
    # head of the list
    - 1 # inline item
    # between
    - 2
    # foot of the list
third:
    - a: 1
      # inside the map in the list
      b: 2
    # after the map in the list
# end 1

# end 2
`

func TestMatchesSopsYAMLComments(t *testing.T) {
	k := newKeyring(t, 1)
	for v, flags := range map[string][]string{"default": nil, "comment": {"encrypted_comment_regex: head"}} {
		t.Run(v, func(t *testing.T) { k.same(t, k.encrypt(t, "comments-"+v+".yaml", yamlComments, flags...), "") })
	}
}

const jsonDoc = `{
	"name": "hello",
	"num": 42,
	"big": 9223372036854775807,
	"bigger": 92233720368547758070,
	"flt": 1e3,
	"pi": 3.14,
	"tiny": 1e-7,
	"huge": 1e21,
	"neg": -0.5,
	"yes": true,
	"no": false,
	"nothing": null,
	"empty": "",
	"html": "<a href=\"x\">&</a>",
	"seps": "line\u2028para\u2029",
	"ctl": "tab\there\u0001\b\f\r\n",
	"unicode": "héllo 日本 🔑",
	"list": [1, "two", {"three": 3}, [], {}],
	"obj": {"a": {"b": {"c": "deep"}}, "e_unencrypted": "plain"},
	"empty_obj": {},
	"empty_list": []
}`

func TestMatchesSopsJSON(t *testing.T) {
	k := newKeyring(t, 1)
	for v, flags := range map[string][]string{
		"default": nil,
		"regex":   {"encrypted_regex: ^(name|list)$"},
		"maconly": {"mac_only_encrypted: true", "encrypted_regex: ^obj$"},
	} {
		t.Run(v, func(t *testing.T) { k.same(t, k.encrypt(t, "doc-"+v+".json", jsonDoc, flags...), "") })
	}
	path := k.encrypt(t, "extract.json", jsonDoc)
	for _, e := range []string{`["name"]`, `["num"]`, `["pi"]`, `["list"]`, `["obj"]`, `["list"][2]`, `["nothing"]`, `["yes"]`} {
		t.Run("extract"+e, func(t *testing.T) { k.same(t, path, e) })
	}
}

const dotenvDoc = `# a comment
NAME=hello
EMPTY=
MULTI=line one\nline two
SPACES=  spaced  =equals
PLAIN_unencrypted=visible
#ENCRYPTED_COMMENT=no
UNICODE=héllo 🔑
`

func TestMatchesSopsDotenv(t *testing.T) {
	k := newKeyring(t, 1)
	for v, flags := range map[string][]string{
		"default": nil,
		"regex":   {"encrypted_regex: ^NAME$"},
		"maconly": {"mac_only_encrypted: true", "encrypted_regex: ^MULTI$"},
	} {
		t.Run(v, func(t *testing.T) { k.same(t, k.encrypt(t, "doc-"+v+".env", dotenvDoc, flags...), "") })
	}
	k.same(t, k.encrypt(t, "extract.env", dotenvDoc), `["NAME"]`)
}

const iniDoc = `; the file's comment
[DEFAULT]
shared = yes

# the database
[database]
user = app
password = p@ss;word
; after the password
host=db.internal
spaced = "  padded  "
hash = a # b
multi = """first
second"""
empty =
very_long_key_name = x
colon:key = v
secret_unencrypted = visible

[other section]
a = 1
`

// iniCrash is a document sops encrypts, and then crashes writing
// decrypted: a key's comment ends up with an empty line.
const iniCrash = `[sec0 x]
; 0x1#;
k-k0 =a
k-k1='a;1
k-k2 =

[sec1 x]
; [  
k.k0 = $
; 
k.k1 =";["

# 
[sec2]
k0 = [a[
k.k1 = 
k-k2 = \
k-k3 = 1"[
; 
k.k4= 

`

func TestMatchesSopsINI(t *testing.T) {
	k := newKeyring(t, 1)
	for v, rule := range map[string][]string{
		"default": nil,
		"regex":   {"encrypted_regex: ^(password|a)$"},
		"maconly": {"mac_only_encrypted: true", "encrypted_regex: ^password$"},
	} {
		t.Run(v, func(t *testing.T) { k.same(t, k.encrypt(t, "doc-"+v+".ini", iniDoc, rule...), "") })
	}
	t.Run("crash", func(t *testing.T) { k.same(t, k.encrypt(t, "crash.ini", iniCrash), "") })
	path := k.encrypt(t, "extract.ini", iniDoc)
	for _, e := range []string{`["database"]["password"]`, `["other section"]`} {
		t.Run("extract"+e, func(t *testing.T) { k.same(t, path, e) })
	}
}

func TestMatchesSopsBinary(t *testing.T) {
	k := newKeyring(t, 1)
	random := make([]byte, 3000)
	rand.Read(random)
	for name, content := range map[string]string{
		"random.bin":   string(random),
		"text.txt":     "a text file\nwith lines\n",
		"empty.secret": "x",
		"noext":        "{\"looks\": \"like json\"}\n",
	} {
		t.Run(name, func(t *testing.T) { k.same(t, k.encrypt(t, name, content), "") })
	}
}

// TestShamir opens a document whose data key is split between three key
// groups, any two of which recover it.
func TestShamir(t *testing.T) {
	k := newKeyring(t, 3)
	groups := fmt.Sprintf("shamir_threshold: 2\nkey_groups:\n    - age: [%s]\n    - age: [%s]\n    - age: [%s]",
		k.ids[0].Recipient(), k.ids[1].Recipient(), k.ids[2].Recipient())
	path := k.encrypt(t, "shamir.yaml", yamlDoc, groups)
	want := k.run(t, "decrypt", path)
	for _, pair := range [][]int{{0, 1}, {1, 2}, {0, 2}, {0, 1, 2}} {
		var ids []age.Identity
		for _, i := range pair {
			ids = append(ids, k.ids[i])
		}
		got, err := decrypt(path, "", ids...)
		if err != nil {
			t.Fatalf("groups %v: %v", pair, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("groups %v: not what sops decrypt prints", pair)
		}
	}
	_, err := decrypt(path, "", k.ids[1])
	if fail.KindOf(err) != fail.Undecryptable || !strings.Contains(err.Error(), "threshold is 2") {
		t.Errorf("one group of three, threshold 2: got %v, want a failure naming the threshold", err)
	}
}

// TestRefused: tampered values, MACs and keys, the wrong identity, none,
// and a file only other kinds of keys open, each fail with its kind.
func TestRefused(t *testing.T) {
	k := newKeyring(t, 1)
	path := k.encrypt(t, "doc.json", jsonDoc)
	enc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(enc, &doc); err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, name string, change func(doc map[string]any)) string {
		var d map[string]any
		json.Unmarshal(enc, &d)
		change(d)
		out, _ := json.Marshal(d)
		p := filepath.Join(k.dir, name)
		os.WriteFile(p, out, 0o600)
		return p
	}
	flip := func(s string) string {
		i := strings.Index(s, "data:") + 6
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	meta := func(d map[string]any) map[string]any { return d["sops"].(map[string]any) }
	other, _ := age.GenerateX25519Identity()
	for _, c := range []struct {
		name   string
		change func(d map[string]any)
		ids    []age.Identity
		kind   fail.Kind
		says   string
	}{
		{"value", func(d map[string]any) { d["name"] = flip(d["name"].(string)) }, nil, fail.Undecryptable, "failed authentication (at name)"},
		{"moved", func(d map[string]any) { d["pi"], d["name"] = d["name"], d["pi"] }, nil, fail.Undecryptable, "failed authentication"},
		{"mac", func(d map[string]any) { meta(d)["mac"] = flip(meta(d)["mac"].(string)) }, nil, fail.Undecryptable, "MAC does not decrypt"},
		{"lastmodified", func(d map[string]any) { meta(d)["lastmodified"] = "2001-01-01T00:00:00Z" }, nil, fail.Undecryptable, "MAC does not decrypt"},
		{"nomac", func(d map[string]any) { delete(meta(d), "mac") }, nil, fail.Undecryptable, "no MAC"},
		{"clear", func(d map[string]any) { d["name"] = "plain" }, nil, fail.Undecryptable, "not in SOPS's ENC"},
		{"removed", func(d map[string]any) { delete(d, "pi") }, nil, fail.Undecryptable, "MAC mismatch"},
		{"added", func(d map[string]any) { d["extra_unencrypted"] = "x" }, nil, fail.Undecryptable, "MAC mismatch"},
		{"wrongkey", func(d map[string]any) {}, []age.Identity{other}, fail.Undecryptable, "no identity matched"},
		{"nokey", func(d map[string]any) {}, []age.Identity{}, fail.NoKey, "no identity was given"},
		{"pgp", func(d map[string]any) {
			delete(meta(d), "age")
			meta(d)["pgp"] = []any{map[string]any{"fp": "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", "enc": "x", "created_at": "2024-01-01T00:00:00Z"}}
		}, nil, fail.Undecryptable, "master keys are: pgp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := write(t, c.name+".json", c.change)
			ids := c.ids
			if ids == nil {
				ids = []age.Identity{k.ids[0]}
			}
			_, err := decrypt(p, "", ids...)
			if fail.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.says) {
				t.Errorf("got %v, want a failure of kind %d saying %q", err, c.kind, c.says)
			}
		})
	}
}

// TestSopsCLI builds the pinned sops CLI (.ci/run runs it first, with a
// long timeout, so that make test finds it built) and checks its version.
func TestSopsCLI(t *testing.T) {
	out, err := exec.Command(cryptest.SopsCLI(t), "--disable-version-check", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "sops " + strings.TrimPrefix(cryptest.SopsVersion, "v"); !strings.HasPrefix(string(out), want+"\n") {
		t.Errorf("sops --version: %q, want %q", out, want)
	}
}
