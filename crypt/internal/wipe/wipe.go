// Package wipe erases keys that libraries keep in unexported fields, out of
// reach of their callers.
package wipe

import (
	"crypto/cipher"
	"crypto/ecdh"
	"hash"
	"reflect"
	"unsafe"

	"filippo.io/age"
)

// field zeroes the byte array or byte slice field named name of the
// struct that ptr points to, even when the field is unexported. Libraries keep
// keys in such fields without a way to erase them; this reaches them. It does
// nothing when ptr is not a pointer to a struct with such a field, so that a
// library's change of layout costs the wipe, never correctness. It reports
// whether it wiped.
func field(ptr any, name string) bool {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() || f.Type().Elem().Kind() != reflect.Uint8 {
		return false
	}
	switch f.Kind() {
	case reflect.Array:
		clear(unsafe.Slice((*byte)(unsafe.Pointer(f.UnsafeAddr())), f.Len()))
	case reflect.Slice:
		if f.Len() > 0 {
			clear(unsafe.Slice((*byte)(f.UnsafePointer()), f.Len()))
		}
	default:
		return false
	}
	return true
}

// The fields that field reaches, one function each; each reports
// whether it wiped, which the tests check.

// AEAD erases the key held by a ChaCha20-Poly1305 AEAD.
func AEAD(a cipher.AEAD) bool { return field(a, "key") }

// Scrypt erases the passphrase held by an age scrypt identity.
func Scrypt(id *age.ScryptIdentity) bool { return field(id, "password") }

// SHA512 erases the last input held in the buffer of a crypto/sha512
// digest.
func SHA512(d hash.Hash) bool { return field(d, "x") }

// X25519Key erases the secret key held by a crypto/ecdh key.
func X25519Key(k *ecdh.PrivateKey) bool { return k != nil && field(k, "privateKey") }
