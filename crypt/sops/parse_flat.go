package sops

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// parseDotenv reads KEY=VALUE lines as SOPS does: lines end at "\n", empty
// lines are skipped, a line starting with "#" is a comment, and "\n" in a
// value stands for a line break.
func parseDotenv(data []byte) (*node, error) {
	b := &node{kind: kindMap}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			b.entries = append(b.entries, entry{val: &node{kind: kindComment, text: line[1:]}})
			continue
		}
		key, value, ok := bytes.Cut(line, []byte("="))
		if !ok {
			return nil, malformed("invalid dotenv line %q: expected KEY=VALUE", line)
		}
		value = bytes.ReplaceAll(value, []byte(`\n`), []byte("\n"))
		b.entries = append(b.entries, entry{key: string(key), val: &node{kind: kindScalar, typ: typeStr, text: value}})
	}
	return b, nil
}

// SOPS flattens its metadata into keys in the dotenv and INI formats:
// "age__list_0__map_enc" is the enc of the first element of age.
const (
	mapSeparator  = "__map_"
	listSeparator = "__list_"
	sopsPrefix    = "sops_"
)

// takeFlatMetadata removes the entries of b whose keys start with prefix
// and returns them, prefix removed, unflattened into a mapping.
func takeFlatMetadata(b *node, prefix string) (*node, error) {
	var flat []entry
	kept := b.entries[:0]
	for _, e := range b.entries {
		if !e.isComment() && strings.HasPrefix(e.key, prefix) {
			flat = append(flat, entry{key: e.key[len(prefix):], val: e.val})
			continue
		}
		kept = append(kept, e)
	}
	b.entries = kept
	if flat == nil {
		return nil, malformed("no sops metadata found")
	}
	return unflatten(flat)
}

// flatNode is a node of a tree of flattened keys under construction.
type flatNode struct {
	value *node
	keys  map[string]*flatNode
	index map[int]*flatNode
}

// unflatten rebuilds the mapping that flattened entries come from.
func unflatten(flat []entry) (*node, error) {
	root := &flatNode{}
	for _, e := range flat {
		at := root
		for _, tok := range flatTokens(e.key) {
			at = at.child(tok)
		}
		if at.value != nil {
			return nil, malformed("sops metadata: duplicate key %q", e.key)
		}
		at.value = e.val
	}
	return root.build()
}

// flatToken is a component of a flattened key: a mapping key, or a list
// index when list is set.
type flatToken struct {
	key   string
	index int
	list  bool
}

func flatTokens(key string) []flatToken {
	var toks []flatToken
	cur := flatToken{}
	start := 0
	finish := func(end int) {
		s := key[start:end]
		if cur.list {
			cur.index, _ = strconv.Atoi(s)
		} else {
			cur.key = s
		}
		toks = append(toks, cur)
	}
	for i := 0; i < len(key); {
		switch {
		case strings.HasPrefix(key[i:], mapSeparator):
			finish(i)
			i += len(mapSeparator)
			cur, start = flatToken{}, i
		case strings.HasPrefix(key[i:], listSeparator):
			finish(i)
			i += len(listSeparator)
			cur, start = flatToken{list: true}, i
		default:
			i++
		}
	}
	finish(len(key))
	return toks
}

func (f *flatNode) child(t flatToken) *flatNode {
	if t.list {
		if f.index == nil {
			f.index = map[int]*flatNode{}
		}
		if f.index[t.index] == nil {
			f.index[t.index] = &flatNode{}
		}
		return f.index[t.index]
	}
	if f.keys == nil {
		f.keys = map[string]*flatNode{}
	}
	if f.keys[t.key] == nil {
		f.keys[t.key] = &flatNode{}
	}
	return f.keys[t.key]
}

func (f *flatNode) build() (*node, error) {
	switch {
	case f.value != nil && (f.keys != nil || f.index != nil), f.keys != nil && f.index != nil:
		return nil, malformed("sops metadata: a flattened key is both a value and a container")
	case f.value != nil:
		return f.value, nil
	case f.index != nil:
		s := &node{kind: kindSeq}
		for i := range len(f.index) {
			c, ok := f.index[i]
			if !ok {
				return nil, malformed("sops metadata: incomplete list")
			}
			v, err := c.build()
			if err != nil {
				return nil, err
			}
			s.elems = append(s.elems, v)
		}
		return s, nil
	}
	m := &node{kind: kindMap}
	keys := make([]string, 0, len(f.keys))
	for k := range f.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := f.keys[k].build()
		if err != nil {
			return nil, err
		}
		m.entries = append(m.entries, entry{key: k, val: v})
	}
	return m, nil
}
