// Package sops reads SOPS documents (github.com/getsops/sops): YAML, JSON,
// dotenv and INI files whose values are encrypted with AES-256-GCM under a
// data key that is wrapped for age recipients, and whole files in SOPS's
// "binary" form. It unwraps the data key with age identities, checks the
// document's MAC over every value, and writes exactly what `sops decrypt`
// prints into memory provided by the caller.
//
// The ciphertext document is parsed with ordinary libraries; no plaintext
// ever reaches them. Values are decrypted into scratch memory of the
// caller's (secret memory, in secretcat), and the plaintext document is
// formatted from there into the destination by this package's own
// emitters, which reproduce those of SOPS byte for byte.
package sops

import (
	"bytes"
	"strings"

	"github.com/secretcat/secretcat/crypt/internal/fail"
)

// Format is a SOPS store format.
type Format int

const (
	// Binary is a whole file wrapped in a JSON document's "data" value.
	Binary Format = iota + 1
	// Dotenv is a file of KEY=VALUE lines.
	Dotenv
	// INI is an INI file of sections.
	INI
	// JSON is a JSON document with a top-level object.
	JSON
	// YAML is a stream of YAML documents, each a mapping.
	YAML
)

func (f Format) String() string {
	switch f {
	case Binary:
		return "binary"
	case Dotenv:
		return "dotenv"
	case INI:
		return "ini"
	case JSON:
		return "json"
	case YAML:
		return "yaml"
	}
	return "unknown"
}

// FormatForPath is the format SOPS reads a file in, by its name: .yaml and
// .yml are YAML, .json JSON, .env dotenv, .ini INI, anything else binary.
// It reports false when the name says nothing (the binary default).
func FormatForPath(path string) (Format, bool) {
	switch {
	case strings.HasSuffix(path, ".yaml"), strings.HasSuffix(path, ".yml"):
		return YAML, true
	case strings.HasSuffix(path, ".json"):
		return JSON, true
	case strings.HasSuffix(path, ".env"):
		return Dotenv, true
	case strings.HasSuffix(path, ".ini"):
		return INI, true
	}
	return Binary, false
}

// Detect recognises a SOPS document by its content and returns the format
// its content is in, or 0: JSON for a JSON object with a "sops" member
// (which may be the binary form, as only parsing tells: see Parse), YAML
// for a mapping with a top-level "sops" key, dotenv lines with "sops_"
// keys, or an INI file with a [sops] section. It looks only for the marks,
// cheaply; parsing decides. The marks come before the data key's armored
// age in each format, so that a first block of the file that holds the
// armor holds them too.
func Detect(data []byte) Format {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if !bytes.Contains(data, []byte(`"sops"`)) {
			return 0
		}
		return JSON
	}
	for line := range bytes.Lines(data) {
		switch {
		case bytes.Equal(bytes.TrimRight(line, " \t\r\n"), []byte("sops:")):
			return YAML
		case bytes.Equal(bytes.TrimSpace(line), []byte("[sops]")):
			return INI
		case dotenvMetadata(line):
			return Dotenv
		}
	}
	return 0
}

// dotenvMetadata reports whether line is a sops_KEY=VALUE line.
func dotenvMetadata(line []byte) bool {
	key, _, ok := bytes.Cut(line, []byte("="))
	if !ok || !bytes.HasPrefix(key, []byte(sopsPrefix)) || len(key) == len(sopsPrefix) {
		return false
	}
	for _, c := range key[len(sopsPrefix):] {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Failures are crypt's typed errors: Malformed for a document that is not
// a well-formed SOPS document, Undecryptable for one that could not be
// decrypted or whose MAC does not match, NoKey for want of an identity.
var (
	malformed     = fail.Malformedf
	undecryptable = fail.Undecryptablef
	noKey         = fail.NoKeyf
)
