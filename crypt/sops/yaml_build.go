package sops

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// yamlNodes builds the nodes SOPS's YAML store builds from its tree, with
// the styles yaml.v3 gives scalars when it encodes Go values into nodes.
func (d *decryptor) yamlNodes(branches []*node) ([]*yNode, error) {
	docs := make([]*yNode, len(branches))
	for i, b := range branches {
		y, err := d.yamlMap(b)
		if err != nil {
			return nil, err
		}
		docs[i] = y
	}
	return docs, nil
}

func (d *decryptor) yamlValue(v *node) (*yNode, error) {
	switch v.kind {
	case kindMap:
		return d.yamlMap(v)
	case kindSeq:
		return d.yamlSeq(v)
	case kindNull:
		return &yNode{kind: kindScalar, value: []byte("null")}, nil
	}
	return d.yamlScalar(v)
}

// yamlMap follows SOPS: comments before a key are its head comment (the
// mapping's, before the first key), comments on a value's line its line
// comment, and comments after the last key the last key's foot comment.
func (d *decryptor) yamlMap(m *node) (*yNode, error) {
	y := &yNode{kind: kindMap}
	var head, inline [][]byte
	beginning := true
	for _, e := range m.entries {
		if e.isComment() {
			if e.val.inline {
				inline = append(inline, e.val.text)
			} else {
				head = append(head, e.val.text)
			}
			continue
		}
		if beginning {
			y.head = prependComments(y.head, head)
			head, beginning = nil, false
		}
		k := stringNode([]byte(e.key))
		k.head = prependComments(k.head, head)
		head = nil
		v, err := d.yamlValue(e.val)
		if err != nil {
			return nil, err
		}
		v.line = append(v.line, inline...)
		inline = nil
		y.content = append(y.content, k, v)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if beginning {
			y.head = prependComments(y.head, head)
		} else {
			last := y.content[len(y.content)-2]
			last.foot = append(last.foot, head...)
		}
	}
	return y, nil
}

func (d *decryptor) yamlSeq(s *node) (*yNode, error) {
	y := &yNode{kind: kindSeq}
	var head, inline [][]byte
	beginning := true
	for _, e := range s.elems {
		if e.kind == kindComment {
			if e.inline {
				inline = append(inline, e.text)
			} else {
				head = append(head, e.text)
			}
			continue
		}
		if beginning {
			y.head = prependComments(y.head, head)
			head, beginning = nil, false
		}
		v, err := d.yamlValue(e)
		if err != nil {
			return nil, err
		}
		v.head = prependComments(v.head, head)
		head = nil
		v.line = append(v.line, inline...)
		inline = nil
		y.content = append(y.content, v)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if beginning {
			y.head = prependComments(y.head, head)
		} else {
			last := y.content[len(y.content)-1]
			last.foot = append(last.foot, head...)
		}
	}
	return y, nil
}

// prependComments puts comments before a node's head comment, as SOPS
// does.
func prependComments(to, comments [][]byte) [][]byte {
	if len(comments) == 0 {
		return to
	}
	return append(comments[:len(comments):len(comments)], to...)
}

// yamlScalar formats a scalar as yaml.v3 encodes the Go value SOPS holds
// for it.
func (d *decryptor) yamlScalar(v *node) (*yNode, error) {
	s := unsafe.String(unsafe.SliceData(v.text), len(v.text))
	y := &yNode{kind: kindScalar}
	switch v.typ {
	case typeInt:
		i, err := strconv.Atoi(s)
		if err != nil {
			return nil, strconvError(v.typ)
		}
		y.value = d.format(v, func(dst []byte) []byte { return strconv.AppendInt(dst, int64(i), 10) })
	case typeFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, strconvError(v.typ)
		}
		y.value = d.format(v, func(dst []byte) []byte { return appendYAMLFloat(dst, f) })
	case typeBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, strconvError(v.typ)
		}
		y.value = d.format(v, func(dst []byte) []byte { return strconv.AppendBool(dst, b) })
	case typeTime:
		y.value = v.text
	default:
		if !utf8.Valid(v.text) {
			return nil, undecryptable("a value is not valid UTF-8, which SOPS writes as !!binary: not supported")
		}
		y = stringNode(v.text)
	}
	return y, nil
}

// stringNode is a string as yaml.v3 encodes it into a node. The plain
// string "<<" reads back as the merge key, and is written so: !!merge <<.
func stringNode(v []byte) *yNode {
	style := stringStyle(v)
	return &yNode{kind: kindScalar, value: v, style: style, merge: style == yPlain && string(v) == "<<"}
}

// appendYAMLFloat formats f as yaml.v3 does.
func appendYAMLFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, ".inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-.inf"...)
	case math.IsNaN(f):
		return append(dst, ".nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// stringStyle is the style yaml.v3 gives a string it encodes into a node:
// literal when it has a line break, plain when it reads back as the same
// string, double-quoted otherwise, then whatever the emitter falls back to
// for a value that style cannot hold (the node keeps the style it reads
// back with).
func stringStyle(v []byte) yStyle {
	style := yDouble
	switch {
	case bytes.IndexByte(v, '\n') >= 0:
		style = yLiteral
	case plainIsString(v):
		style = yPlain
	}
	return selectStyle(style, analyzeScalar(v), false, false)
}
