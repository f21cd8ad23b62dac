package sops

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
)

// goValue converts a scalar decoded by a library into a node: the text is
// what SOPS would encrypt and feed to the MAC for it.
func goValue(v any) (*node, error) {
	switch v := v.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case string:
		return &node{kind: kindScalar, typ: typeStr, text: []byte(v)}, nil
	case []byte:
		return &node{kind: kindScalar, typ: typeStr, text: v}, nil
	case int:
		return &node{kind: kindScalar, typ: typeInt, text: strconv.AppendInt(nil, int64(v), 10)}, nil
	case int64:
		return &node{kind: kindScalar, typ: typeInt, text: strconv.AppendInt(nil, v, 10)}, nil
	case float64:
		return &node{kind: kindScalar, typ: typeFloat, text: strconv.AppendFloat(nil, v, 'f', -1, 64)}, nil
	case bool:
		return &node{kind: kindScalar, typ: typeBool, text: appendBool(nil, v)}, nil
	case time.Time:
		text, err := v.MarshalText()
		if err != nil {
			return nil, malformed("invalid time: %v", err)
		}
		return &node{kind: kindScalar, typ: typeTime, text: text}, nil
	}
	return nil, malformed("unsupported value of type %T", v)
}

// appendBool appends b as SOPS encrypts booleans: True or False.
func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "True"...)
	}
	return append(dst, "False"...)
}

// parseJSON reads a JSON document with a top-level object, numbers as SOPS
// reads them: integers that fit in 64 bits as integers, others as floats.
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, malformed("invalid JSON: %v", err)
	}
	if t != json.Delim('{') {
		return nil, malformed("invalid JSON: SOPS supports JSON files with a top-level object only")
	}
	return jsonObject(dec)
}

func jsonObject(dec *json.Decoder) (*node, error) {
	m := &node{kind: kindMap}
	for {
		t, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, malformed("invalid JSON: %v", err)
		}
		if t == json.Delim('}') {
			return m, nil
		}
		key, ok := t.(string)
		if !ok {
			return nil, malformed("invalid JSON: expected an object key, got %v", t)
		}
		v, err := jsonValue(dec)
		if err != nil {
			return nil, err
		}
		m.entries = append(m.entries, entry{key: key, val: v})
	}
}

func jsonValue(dec *json.Decoder) (*node, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, malformed("invalid JSON: %v", err)
	}
	switch t {
	case json.Delim('{'):
		return jsonObject(dec)
	case json.Delim('['):
		s := &node{kind: kindSeq}
		for dec.More() {
			v, err := jsonValue(dec)
			if err != nil {
				return nil, err
			}
			s.elems = append(s.elems, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, malformed("invalid JSON: %v", err)
		}
		return s, nil
	}
	if n, ok := t.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return goValue(i)
		}
		f, err := n.Float64()
		if err != nil {
			return nil, malformed("invalid JSON number %s: %v", n, err)
		}
		return goValue(f)
	}
	return goValue(t)
}

// jsonBinary reports whether data, parsed as the object b, is a JSON
// object of exactly the members "data" and "sops", and nothing else: SOPS's
// binary format. b may hold a member twice, as encoding/json reads it; the
// data is checked whole, which parseJSON does not do, with json.Valid, a
// scan that decodes nothing.
func jsonBinary(b *node, data []byte) bool {
	var d, s bool
	for _, e := range b.entries {
		switch e.key {
		case "data":
			d = true
		case "sops":
			s = true
		default:
			return false
		}
	}
	return d && s && json.Valid(data)
}
