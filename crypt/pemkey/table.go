package pemkey

import "crypto/cipher"

// table is a constant lookup table. It is a slice rather than a map: the
// compiler lays slices of constants out in the binary, while package-level
// maps are built by code at start-up, on every run, whether they are used or
// not.
type table[V any] []struct {
	key string
	val V
}

func (t table[V]) get(key string) (V, bool) {
	for _, e := range t {
		if e.key == key {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

// blockCipher is a CBC cipher of an encrypted PEM key.
type blockCipher struct {
	name    string // for messages, where the table's key is an OID
	keyLen  int
	newFunc func([]byte) (cipher.Block, error)
}
