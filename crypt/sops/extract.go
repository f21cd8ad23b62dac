package sops

import (
	"strconv"
	"strings"
)

// pathStep is a component of an extract path: a mapping key, or an
// index into a sequence (comments count, as in SOPS) when isIndex.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

// parseExtract parses a path in the syntax of sops decrypt --extract:
// ["key"], ['key'] or [index] components, as in '["hosts"][0]'.
func parseExtract(expr string) ([]pathStep, error) {
	var path []pathStep
	for c := range strings.SplitSeq(expr, "[") {
		if c == "" {
			continue
		}
		if !strings.HasSuffix(c, "]") {
			return nil, malformed("extract path %s: component %s does not end with ]", expr, c)
		}
		c = c[:len(c)-1]
		if c != "" && (c[0] == '"' || c[0] == '\'') {
			if len(c) < 2 {
				return nil, malformed("extract path %s: unterminated string component", expr)
			}
			path = append(path, pathStep{key: c[1 : len(c)-1]})
			continue
		}
		i, err := strconv.Atoi(c)
		if err != nil {
			return nil, malformed("extract path %s: component %q is neither a quoted key nor an index", expr, c)
		}
		path = append(path, pathStep{index: i, isIndex: true})
	}
	return path, nil
}

// truncate finds the value at path in b, as SOPS does.
func truncate(b *node, path []pathStep) (*node, error) {
	cur := b
	for _, p := range path {
		if !p.isIndex {
			if cur.kind != kindMap {
				return nil, malformed("extract path: component [%q] is a key, but that part of the tree is not a mapping", p.key)
			}
			next := lookup(cur, p.key)
			if next == nil {
				return nil, malformed("extract path: component ['%s'] not found", p.key)
			}
			cur = next
			continue
		}
		if cur.kind != kindSeq {
			return nil, malformed("extract path: component [%d] is integer, but tree part is not a slice", p.index)
		}
		if p.index < 0 || p.index >= len(cur.elems) {
			return nil, malformed("extract path: component [%d] accesses out of bounds", p.index)
		}
		cur = cur.elems[p.index]
	}
	return cur, nil
}

// extractEmitter returns how sops decrypt --extract writes the value at
// path: a mapping as a whole document of the format, a string as it is,
// anything else as the format's store writes a single value.
func (p *Plan) extractEmitter(path []pathStep) (func(out *sink) error, error) {
	d := p.d
	v, err := truncate(p.doc.branches[0], path)
	if err != nil {
		return nil, err
	}
	if v.kind == kindMap {
		return p.mappingEmitter(v, func() ([]*yNode, error) {
			y, err := d.yamlMap(v)
			return []*yNode{y}, err
		})
	}
	if v.kind == kindScalar && (v.typ == typeStr || v.typ == typeBytes) {
		return func(out *sink) error { out.write(v.text); return nil }, nil
	}
	switch p.doc.format {
	case YAML:
		y, err := d.yamlValue(v)
		if err != nil {
			return nil, err
		}
		return func(out *sink) error { emitYAML(out, []*yNode{y}); return nil }, nil
	case JSON:
		values := jsonValues{}
		if err := d.prepareJSON(v, values); err != nil {
			return nil, err
		}
		return func(out *sink) error { emitJSONValue(out, v, values, 0); return nil }, nil
	case Dotenv:
		return nil, malformed("extract path: the dotenv format can only extract strings")
	}
	return nil, malformed("extract path: binary files are not structured and extracting a single value is not possible")
}
