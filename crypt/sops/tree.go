package sops

// kind is what a node of a document is.
type kind uint8

const (
	kindNull    kind = iota // a null value, never encrypted
	kindScalar              // a string, number, boolean or timestamp
	kindMap                 // entries: keys and comments, in order
	kindSeq                 // elements and comments, in order
	kindComment             // a comment line, "#" left out
)

// Scalar types, as SOPS names them in the type field of encrypted values.
const (
	typeStr     = "str"
	typeInt     = "int"
	typeFloat   = "float"
	typeBool    = "bool"
	typeTime    = "time"
	typeBytes   = "bytes"
	typeComment = "comment"
)

// node is a value of a document, as SOPS's tree holds it.
type node struct {
	kind    kind
	entries []entry // kindMap
	elems   []*node // kindSeq
	// typ is a scalar's type, and text its value as SOPS encrypts it and
	// feeds it to the MAC: integers in decimal, floats in shortest 'f'
	// form, booleans as True or False, times in RFC 3339. It is the
	// document's own text for a value left in clear (an encrypted value's
	// ENC[AES256_GCM,...] until it is decrypted), and secret memory once
	// an encrypted value is decrypted. A comment's text follows its "#".
	typ    string
	text   []byte
	inline bool // a comment that follows a value on its line
	secret bool // text is decrypted plaintext, in secret memory
}

// entry is a key and its value, or a comment (a kindComment val) among the
// entries of a mapping.
type entry struct {
	key string
	val *node
}

func (e entry) isComment() bool { return e.val.kind == kindComment }
