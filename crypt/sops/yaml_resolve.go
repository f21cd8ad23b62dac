package sops

import (
	"strconv"
	"time"
	"unsafe"
)

// This file decides, as go.yaml.in/yaml/v3 decides when it encodes a
// string, whether a string can be written as a plain scalar: whether,
// unquoted, it would read back as a string. yaml.v3 asks its resolver,
// which calls strconv and time.Parse; their errors copy the input onto the
// heap, and the input here is plaintext. These checks read the bytes in
// place and call the library parsers only on input they accept.

// plainIsString reports whether s, written plain, reads back as a string,
// and is neither a YAML 1.1 base-60 float nor an old boolean (yaml.v3
// quotes those too).
func plainIsString(s []byte) bool {
	if resolvesNonString(s) {
		return false
	}
	return !isOldBool(s) && !isBase60Float(s)
}

// specialPlain are the plain scalars yaml.v3 resolves from a table:
// booleans, nulls, infinities and NaN. (Its merge key "<<" is in the table
// too, but never looked up: only scalars starting with a sign, a digit,
// a dot or one of "yYnNtTfFoO~" are.)
var specialPlain = []string{
	"true", "True", "TRUE", "false", "False", "FALSE",
	"", "~", "null", "Null", "NULL",
	".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
}

func resolvesNonString(s []byte) bool {
	str := unsafe.String(unsafe.SliceData(s), len(s))
	for _, sp := range specialPlain {
		if str == sp {
			return true
		}
	}
	if len(s) == 0 {
		return true
	}
	switch c := s[0]; {
	case c == '.':
		return floatSyntax(s) && floatInRange(s)
	case c == '+' || c == '-' || '0' <= c && c <= '9':
		return timestampLike(s) || numberLike(s)
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// floatSyntax matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
// (yaml.v3's yamlStyleFloat), which also covers what strconv.ParseFloat
// accepts of a plain scalar starting with ".".
func floatSyntax(s []byte) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		frac := 0
		for i < len(s) && isDigit(s[i]) {
			i, frac = i+1, frac+1
		}
		if digits == 0 && frac == 0 {
			return false
		}
	} else if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// floatInRange reports whether a number of floatSyntax parses as a finite
// float64: strconv.ParseFloat fails with ErrRange beyond the largest one.
// Only numbers at the edge are handed to ParseFloat.
func floatInRange(s []byte) bool {
	mant, exp := 0, 0 // decimal exponent of the first significant digit
	seenPoint, significant := false, false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	for ; i < len(s) && s[i] != 'e' && s[i] != 'E'; i++ {
		switch {
		case s[i] == '.':
			seenPoint = true
		case s[i] != '0' || significant:
			if !significant {
				significant = true
				mant = 0
			}
			if !seenPoint {
				mant++
			}
		case seenPoint: // a leading zero after the point
			mant--
		}
	}
	if !significant {
		return true // zero
	}
	if i < len(s) {
		e, neg := 0, false
		i++
		if s[i] == '+' || s[i] == '-' {
			neg = s[i] == '-'
			i++
		}
		for ; i < len(s); i++ {
			if e < 1e6 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if neg {
			e = -e
		}
		exp = e
	}
	magnitude := mant - 1 + exp
	switch {
	case magnitude < 308:
		return true
	case magnitude > 308:
		return false
	}
	_, err := strconv.ParseFloat(unsafe.String(&s[0], len(s)), 64)
	return err == nil
}

// numberLike reports whether a plain scalar starting with a sign or digit
// resolves to an integer or a float in yaml.v3: underscores removed, an
// integer in Go's syntax with base prefix (0x, 0o, 0b, or 0 for octal)
// that fits 64 bits signed or unsigned, a YAML float, or 0b/0o/-0b/-0o
// binary and octal.
func numberLike(s []byte) bool {
	var buf [64]byte
	plain := buf[:0]
	for _, c := range s {
		if c != '_' {
			if len(plain) == len(buf) {
				plain = nil
				break
			}
			plain = append(plain, c)
		}
	}
	defer clear(buf[:])
	if plain == nil { // longer than any 64-bit integer: a float, or a string
		long := make([]byte, 0, len(s))
		for _, c := range s {
			if c != '_' {
				long = append(long, c)
			}
		}
		ok := floatSyntax(long) && floatInRange(long)
		clear(long)
		return ok
	}
	if intSyntaxFits(plain) {
		return true
	}
	return floatSyntax(plain) && floatInRange(plain)
}

// intSyntaxFits reports whether strconv.ParseInt(s, 0, 64) or
// strconv.ParseUint(s, 0, 64) succeeds on s (underscores removed), or
// yaml.v3's own 0b/0o handling does.
func intSyntaxFits(s []byte) bool {
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	signed := i > 0
	base := uint64(10)
	switch {
	case len(s)-i >= 2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X'):
		base, i = 16, i+2
	case len(s)-i >= 2 && s[i] == '0' && (s[i+1] == 'o' || s[i+1] == 'O'):
		base, i = 8, i+2
	case len(s)-i >= 2 && s[i] == '0' && (s[i+1] == 'b' || s[i+1] == 'B'):
		base, i = 2, i+2
	case len(s)-i >= 2 && s[i] == '0':
		base, i = 8, i+1
	}
	if i == len(s) {
		return false
	}
	var v uint64
	overflow := false
	for ; i < len(s); i++ {
		d, ok := digitValue(s[i])
		if !ok || d >= base {
			return false
		}
		if v > (1<<64-1-d)/base {
			overflow = true
		}
		v = v*base + d
	}
	if overflow {
		return false
	}
	switch {
	case neg:
		return v <= 1<<63
	case signed: // ParseUint refuses a sign; ParseInt takes "+"
		return v <= 1<<63-1
	}
	return true
}

func digitValue(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// timestampLike reports whether s parses in one of yaml.v3's timestamp
// layouts: 2006-1-2T15:4:5.999999999Z07:00 (or with t), 2006-1-2
// 15:4:5.999999999, or 2006-1-2. The shape is checked in place; only a
// string of that shape is handed to time.Parse, for the ranges.
func timestampLike(s []byte) bool {
	i := 0
	num := func(min, max int) bool {
		n := 0
		for i < len(s) && isDigit(s[i]) && n < max {
			i, n = i+1, n+1
		}
		return n >= min
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	if !num(4, 4) || !lit('-') || !num(1, 2) || !lit('-') || !num(1, 2) {
		return false
	}
	if i == len(s) {
		return parses("2006-1-2", s)
	}
	sep := s[i]
	if sep != 'T' && sep != 't' && sep != ' ' {
		return false
	}
	i++
	if !num(1, 2) || !lit(':') || !num(1, 2) || !lit(':') || !num(1, 2) {
		return false
	}
	if lit('.') && !num(1, 9) {
		return false
	}
	if sep == ' ' {
		return i == len(s) && parses("2006-1-2 15:4:5.999999999", s)
	}
	switch {
	case lit('Z'):
	case lit('+'), lit('-'):
		if !num(2, 2) || !lit(':') || !num(2, 2) {
			return false
		}
	default:
		return false
	}
	if i != len(s) {
		return false
	}
	if sep == 'T' {
		return parses("2006-1-2T15:4:5.999999999Z07:00", s)
	}
	return parses("2006-1-2t15:4:5.999999999Z07:00", s)
}

func parses(layout string, s []byte) bool {
	_, err := time.Parse(layout, unsafe.String(&s[0], len(s)))
	return err == nil
}

// isOldBool is a YAML 1.1 boolean, which yaml.v3 quotes.
func isOldBool(s []byte) bool {
	switch unsafe.String(unsafe.SliceData(s), len(s)) {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

// isBase60Float matches ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$,
// a YAML 1.1 sexagesimal number, which yaml.v3 quotes.
func isBase60Float(s []byte) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) || !isDigit(s[i]) {
		return false
	}
	for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
		i++
	}
	groups := 0
	for i < len(s) && s[i] == ':' {
		i++
		n := 0
		start := i
		for i < len(s) && isDigit(s[i]) && n < 2 {
			i, n = i+1, n+1
		}
		// [0-5]?[0-9]: one digit, or two of which the first is 0-5 (a
		// longer run fails on the character after the group).
		if n == 0 || n == 2 && s[start] > '5' {
			return false
		}
		groups++
	}
	if groups == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && (isDigit(s[i]) || s[i] == '_') {
			i++
		}
	}
	return i == len(s)
}
