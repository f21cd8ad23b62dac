package sops

// sink receives a plaintext document: it counts its bytes (buf nil), or
// writes them into buf, which must then be exactly that large. Emitters
// run twice, once to size the destination and once to fill it, so that no
// buffer of theirs ever holds plaintext.
type sink struct {
	buf []byte
	n   int
}

func (s *sink) write(p []byte) {
	if s.buf != nil {
		copy(s.buf[s.n:], p)
	}
	s.n += len(p)
}

func (s *sink) writeString(p string) {
	if s.buf != nil {
		copy(s.buf[s.n:], p)
	}
	s.n += len(p)
}

func (s *sink) byte(c byte) {
	if s.buf != nil && s.n < len(s.buf) {
		s.buf[s.n] = c
	}
	s.n++
}
