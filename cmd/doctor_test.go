package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestDoctorJSON checks that doctor --json emits exactly the fields that
// JSON OUTPUT in secretcat-doctor(1) documents, each of its documented
// type.
func TestDoctorJSON(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(manDir, "src", "secretcat-doctor.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n# JSON OUTPUT\n")
	if !ok {
		t.Fatal("secretcat-doctor.md has no JSON OUTPUT section")
	}
	section, _, _ = strings.Cut(section, "\n# ")
	documented := map[string]string{}
	entry := regexp.MustCompile(`(?m)^((?:\*\*[a-z_.]+\*\*(?:, )?)+) \((number|string|boolean|array of strings)\)$`)
	for _, m := range entry.FindAllStringSubmatch(section, -1) {
		for _, name := range regexp.MustCompile(`\*\*([a-z_.]+)\*\*`).FindAllStringSubmatch(m[1], -1) {
			documented[name[1]] = m[2]
		}
	}
	if len(documented) == 0 {
		t.Fatal("no fields found in JSON OUTPUT")
	}

	// doctor probes in a child, /proc/self/exe: this test binary, which
	// runs secretcat when called by that name (TestMain).
	arg0 := os.Args[0]
	os.Args[0] = "secretcat"
	defer func() { os.Args[0] = arg0 }()
	var out bytes.Buffer
	root := NewCommand(os.Stdin)
	root.SetOut(&out)
	root.SetArgs([]string{"doctor", "--json"})
	root.Execute() // the status depends on the machine; the schema does not
	var obj map[string]any
	if err := json.Unmarshal(out.Bytes(), &obj); err != nil {
		t.Fatalf("doctor --json is not one JSON object: %v\n%s", err, out.Bytes())
	}
	emitted := map[string]string{}
	flatten("", obj, emitted)

	for name, typ := range documented {
		if got, ok := emitted[name]; !ok {
			t.Errorf("documented field %s is missing from doctor --json", name)
		} else if got != typ {
			t.Errorf("field %s is a JSON %s, documented as %s", name, got, typ)
		}
	}
	var undocumented []string
	for name := range emitted {
		if _, ok := documented[name]; !ok {
			undocumented = append(undocumented, name)
		}
	}
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Errorf("doctor --json emits fields that JSON OUTPUT does not document: %v", undocumented)
	}
	if obj["schema"] != 1.0 {
		t.Errorf("schema = %v, want 1", obj["schema"])
	}
}

// flatten records the JSON type of every leaf of v under its dotted path.
func flatten(path string, v any, types map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flatten(p, sub, types)
		}
	case []any:
		types[path] = "array of strings"
		for _, e := range v {
			if _, ok := e.(string); !ok {
				types[path] = "array"
			}
		}
	case string:
		types[path] = "string"
	case float64:
		types[path] = "number"
	case bool:
		types[path] = "boolean"
	default:
		types[path] = "null"
	}
}
