package sops

import (
	"bytes"
	"strings"

	"gopkg.in/ini.v1"
)

// parseINI reads an INI file as SOPS does, with gopkg.in/ini.v1: each
// section a mapping of its keys, its comment first, and each key's comment
// after the key, without its comment characters.
func parseINI(data []byte) (*node, error) {
	f, err := ini.LoadSources(ini.LoadOptions{AllowNonUniqueSections: true}, data)
	if err != nil {
		return nil, malformed("invalid INI: %v", err)
	}
	b := &node{kind: kindMap}
	for _, sec := range f.Sections() {
		m := &node{kind: kindMap}
		if sec.Comment != "" {
			m.entries = append(m.entries, entry{val: &node{kind: kindComment, text: []byte(iniComment(sec.Comment))}})
		}
		for _, k := range sec.Keys() {
			m.entries = append(m.entries, entry{key: k.Name(), val: &node{kind: kindScalar, typ: typeStr, text: []byte(k.Value())}})
			if k.Comment != "" {
				m.entries = append(m.entries, entry{val: &node{kind: kindComment, text: []byte(iniComment(k.Comment))}})
			}
		}
		b.entries = append(b.entries, entry{key: sec.Name(), val: m})
	}
	return b, nil
}

// iniComment strips the comment characters SOPS strips: after a leading
// ";" or "#", every ";", "#" and space that follow.
func iniComment(c string) string {
	switch {
	case strings.HasPrefix(c, ";"):
		return strings.TrimLeft(c, "; ")
	case strings.HasPrefix(c, "#"):
		return strings.TrimLeft(c, "# ")
	}
	return c
}

// iniMetadata unflattens the [sops] section, its values' "\n" made line
// breaks again.
func iniMetadata(m *node) (*node, error) {
	var flat []entry
	for _, e := range m.entries {
		if e.isComment() {
			continue
		}
		v := *e.val
		v.text = bytes.ReplaceAll(v.text, []byte(`\n`), []byte("\n"))
		flat = append(flat, entry{key: e.key, val: &v})
	}
	return unflatten(flat)
}

// iniSection is a section as gopkg.in/ini.v1 writes it for SOPS: its
// comment, and its keys in order, each with the comment that followed it
// in the tree. A key set twice keeps its first place and its last value.
type iniSection struct {
	name    string
	comment []byte
	keys    []iniKey
}

type iniKey struct {
	name    string
	value   []byte
	comment []byte
}

func iniSections(b *node) ([]iniSection, error) {
	var secs []iniSection
	for _, e := range b.entries {
		if e.isComment() {
			continue
		}
		if e.val.kind != kindMap {
			return nil, malformed("error encoding section: section values should always be mappings")
		}
		s := iniSection{name: e.key}
		items := e.val.entries
		if len(items) > 0 && items[0].isComment() {
			s.comment = items[0].val.text
			items = items[1:]
		}
		last := -1
		for _, it := range items {
			if it.isComment() {
				if last >= 0 {
					s.keys[last].comment = it.val.text
				}
				continue
			}
			if it.val.kind == kindMap || it.val.kind == kindSeq {
				return nil, malformed("cannot write the nested value of key %s in an INI file", it.key)
			}
			last = -1
			for i, k := range s.keys {
				if k.name == it.key {
					last = i
				}
			}
			if last < 0 {
				s.keys = append(s.keys, iniKey{name: it.key})
				last = len(s.keys) - 1
			}
			s.keys[last].value = it.val.text
		}
		if emptyLine(s.comment) {
			return nil, malformed("the comment of section [%s] has an empty line, which sops cannot write (it crashes)", s.name)
		}
		for _, k := range s.keys {
			if emptyLine(k.comment) {
				return nil, malformed("the comment before key %s of section [%s] has an empty line, which sops cannot write (it crashes)", k.name, s.name)
			}
		}
		secs = append(secs, s)
	}
	return secs, nil
}

// emptyLine reports whether a non-empty comment has an empty line:
// gopkg.in/ini.v1 indexes the first character of each line.
func emptyLine(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	for line := range bytes.SplitSeq(c, []byte("\n")) {
		if len(line) == 0 {
			return true
		}
	}
	return false
}

// emitINI writes sections as gopkg.in/ini.v1 does with its defaults
// (PrettyFormat, PrettySection): comments as "; " lines, keys aligned on
// " = ", values quoted when they hold what INI would read otherwise, a
// blank line between sections, and no header for a first DEFAULT section.
func emitINI(out *sink, secs []iniSection) {
	for i, s := range secs {
		if len(s.comment) > 0 {
			iniCommentLines(out, s.comment, false)
		}
		if i > 0 || strings.ToUpper(s.name) != ini.DefaultSection {
			out.byte('[')
			out.writeString(s.name)
			out.writeString("]\n")
		} else if len(s.keys) == 0 {
			continue
		}
		align := 0
		for _, k := range s.keys {
			n := len(k.name)
			switch {
			case strings.Contains(k.name, `"`) || strings.ContainsAny(k.name, "=:"):
				n += 2
			case strings.Contains(k.name, "`"):
				n += 6
			}
			align = max(align, n)
		}
		for _, k := range s.keys {
			if len(k.comment) > 0 {
				iniCommentLines(out, k.comment, true)
			}
			name := k.name
			switch {
			case strings.Contains(name, `"`) || strings.ContainsAny(name, "=:"):
				name = "`" + name + "`"
			case strings.Contains(name, "`"):
				name = `"""` + name + `"""`
			}
			out.writeString(name)
			for range align - len(name) {
				out.byte(' ')
			}
			out.writeString(" = ")
			v := k.value
			switch {
			case bytes.ContainsAny(v, "\n`"):
				out.writeString(`"""`)
				out.write(v)
				out.writeString(`"""`)
			case bytes.ContainsAny(v, "#;"):
				out.byte('`')
				out.write(v)
				out.byte('`')
			case len(bytes.TrimSpace(v)) != len(v):
				out.byte('"')
				out.write(v)
				out.byte('"')
			default:
				out.write(v)
			}
			out.byte('\n')
		}
		if i != len(secs)-1 {
			out.byte('\n')
		}
	}
}

// iniCommentLines writes a comment as gopkg.in/ini.v1 does: each line
// starting with "; " unless it starts with "#" or ";" already (then with
// that character and a space); a key's comment lines are trimmed, a
// section's are not.
func iniCommentLines(out *sink, c []byte, trim bool) {
	for line := range bytes.SplitSeq(c, []byte("\n")) {
		if len(line) > 0 && (line[0] == '#' || line[0] == ';') {
			out.byte(line[0])
			out.byte(' ')
			out.write(bytes.TrimSpace(line[1:]))
		} else {
			out.writeString("; ")
			if trim {
				line = bytes.TrimSpace(line)
			}
			out.write(line)
		}
		out.byte('\n')
	}
}
