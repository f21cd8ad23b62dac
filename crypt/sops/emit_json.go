package sops

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// jsonValues are the scalars of a JSON document formatted once, before the
// two passes of the emitter: numbers as encoding/json formats them.
type jsonValues map[*node][]byte

// prepareJSON formats the numbers of a JSON tree as json.Marshal does, the
// decrypted ones into secret memory.
func (d *decryptor) prepareJSON(v *node, out jsonValues) error {
	switch v.kind {
	case kindMap:
		for _, e := range v.entries {
			if !e.isComment() {
				if err := d.prepareJSON(e.val, out); err != nil {
					return err
				}
			}
		}
	case kindSeq:
		for _, e := range v.elems {
			if err := d.prepareJSON(e, out); err != nil {
				return err
			}
		}
	case kindScalar:
		s := unsafe.String(unsafe.SliceData(v.text), len(v.text))
		switch v.typ {
		case typeInt:
			i, err := strconv.Atoi(s)
			if err != nil {
				return strconvError(v.typ)
			}
			out[v] = d.format(v, func(dst []byte) []byte { return strconv.AppendInt(dst, int64(i), 10) })
		case typeFloat:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return strconvError(v.typ)
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return undecryptable("a float value is infinite or NaN, which JSON cannot hold")
			}
			out[v] = d.format(v, func(dst []byte) []byte { return appendJSONFloat(dst, f) })
		case typeBool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				return strconvError(v.typ)
			}
			out[v] = d.format(v, func(dst []byte) []byte { return strconv.AppendBool(dst, b) })
		}
	}
	return nil
}

// appendJSONFloat formats f as encoding/json does.
func appendJSONFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9
		b := dst[start:]
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// emitJSON writes a tree as SOPS's JSON store does: encoded with
// encoding/json's rules, indented by json.Indent with a tab, and a final
// line break.
func emitJSON(out *sink, m *node, values jsonValues) {
	emitJSONValue(out, m, values, 0)
	out.byte('\n')
}

func jsonIndent(out *sink, depth int) {
	out.byte('\n')
	for range depth {
		out.byte('\t')
	}
}

func emitJSONValue(out *sink, v *node, values jsonValues, depth int) {
	switch v.kind {
	case kindMap:
		out.byte('{')
		n := 0
		for _, e := range v.entries {
			if e.isComment() {
				continue
			}
			if n > 0 {
				out.byte(',')
			}
			jsonIndent(out, depth+1)
			jsonString(out, []byte(e.key))
			out.writeString(": ")
			emitJSONValue(out, e.val, values, depth+1)
			n++
		}
		if n > 0 {
			jsonIndent(out, depth)
		}
		out.byte('}')
	case kindSeq:
		out.byte('[')
		n := 0
		for _, e := range v.elems {
			if e.kind == kindComment {
				continue
			}
			if n > 0 {
				out.byte(',')
			}
			jsonIndent(out, depth+1)
			emitJSONValue(out, e, values, depth+1)
			n++
		}
		if n > 0 {
			jsonIndent(out, depth)
		}
		out.byte(']')
	case kindNull:
		out.writeString("null")
	case kindScalar:
		if f, ok := values[v]; ok {
			out.write(f)
			return
		}
		jsonString(out, v.text) // strings, and times in RFC 3339
	}
}

// jsonString writes s as encoding/json does, HTML characters escaped.
func jsonString(out *sink, s []byte) {
	const hex = "0123456789abcdef"
	out.byte('"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			out.write(s[start:i])
			switch b {
			case '\\', '"':
				out.byte('\\')
				out.byte(b)
			case '\b':
				out.writeString(`\b`)
			case '\f':
				out.writeString(`\f`)
			case '\n':
				out.writeString(`\n`)
			case '\r':
				out.writeString(`\r`)
			case '\t':
				out.writeString(`\t`)
			default:
				out.writeString(`\u00`)
				out.byte(hex[b>>4])
				out.byte(hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRune(s[i:])
		if c == utf8.RuneError && size == 1 {
			out.write(s[start:i])
			out.writeString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			out.write(s[start:i])
			out.writeString(`\u202`)
			out.byte(hex[c&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	out.write(s[start:])
	out.byte('"')
}

// emitDotenv writes KEY=VALUE lines as SOPS's dotenv store does: line
// breaks in values as \n, comments as "#" lines.
func emitDotenv(out *sink, m *node) error {
	for _, e := range m.entries {
		if e.isComment() {
			out.byte('#')
			out.write(e.val.text)
			out.byte('\n')
			continue
		}
		if e.val.kind == kindMap || e.val.kind == kindSeq {
			return malformed("cannot use complex value in dotenv file; offending key %s", e.key)
		}
		out.writeString(e.key)
		out.byte('=')
		start := 0
		for i, c := range e.val.text {
			if c == '\n' {
				out.write(e.val.text[start:i])
				out.writeString(`\n`)
				start = i + 1
			}
		}
		out.write(e.val.text[start:])
		out.byte('\n')
	}
	return nil
}

// binaryData is the decrypted "data" value of a binary-format document.
func binaryData(m *node) ([]byte, error) {
	for _, e := range m.entries {
		if !e.isComment() && e.key == "data" {
			if e.val.kind != kindScalar || e.val.typ != typeStr {
				return nil, malformed("error emitting binary store: 'data' key in tree does not have a string value")
			}
			return e.val.text, nil
		}
	}
	return nil, malformed("error emitting binary store: no binary data found in tree")
}
