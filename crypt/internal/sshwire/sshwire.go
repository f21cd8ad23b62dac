// Package sshwire reads and writes the SSH wire encoding (RFC 4251) that
// OpenSSH keys and SSH public keys share.
package sshwire

import "golang.org/x/crypto/cryptobyte"

// ReadString reads an SSH string: a 32-bit length and that many bytes.
func ReadString(s *cryptobyte.String, out *cryptobyte.String) bool {
	var n uint32
	return s.ReadUint32(&n) && s.ReadBytes((*[]byte)(out), int(n))
}

// Encode encodes fields as SSH strings.
func Encode(fields ...[]byte) []byte {
	var b cryptobyte.Builder
	for _, f := range fields {
		b.AddUint32LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(f) })
	}
	return b.BytesOrPanic()
}
