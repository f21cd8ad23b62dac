// Package wipe erases keys that libraries keep in unexported fields, out of
// reach of their callers.
package wipe

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/sha512"
	"hash"
	"reflect"
	"unsafe"

	"filippo.io/age"
	"filippo.io/bigmod"
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

// ECDHKey erases the secret scalar held by a crypto/ecdh NIST key: its own
// copy and the one of the FIPS module's key inside it. It reports whether
// it reached both.
func ECDHKey(k *ecdh.PrivateKey) bool {
	own := field(k, "privateKey")
	f := reflect.ValueOf(k).Elem().FieldByName("fips")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() || f.Type().Elem().Kind() != reflect.Struct {
		return false
	}
	return own && field(reflect.NewAt(f.Type().Elem(), f.UnsafePointer()).Interface(), "d")
}

// natType is the type of a modulus's numbers.
var natType = reflect.TypeFor[*bigmod.Nat]()

// Modulus zeroes a bigmod.Modulus: its number, its Montgomery constant
// R² mod m and -m⁻¹ mod 2^64 (which gives m mod 2^64 away), all
// unexported. It reports whether it wiped all three.
func Modulus(m *bigmod.Modulus) bool {
	v := reflect.ValueOf(m).Elem()
	wiped := 0
	for _, name := range []string{"nat", "rr"} {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Type() != natType {
			continue
		}
		if !f.IsNil() {
			clear((*bigmod.Nat)(f.UnsafePointer()).Bits())
		}
		wiped++
	}
	if f := v.FieldByName("m0inv"); f.IsValid() && f.Kind() == reflect.Uint {
		*(*uint)(unsafe.Pointer(f.UnsafeAddr())) = 0
		wiped++
	}
	return wiped == 3
}

// SHA512Sum sets h to the SHA-512 digest of secret, through a digest of its
// own that it wipes: sha512.Sum512 leaves the input in the buffer of one on
// the heap.
func SHA512Sum(h *[sha512.Size]byte, secret []byte) {
	d := sha512.New()
	d.Write(secret)
	d.Sum(h[:0])
	SHA512(d)
}

// Deep zeroes, in place, the numeric state that v reaches: arrays and
// slices of integers, and integer fields, through pointers, interfaces and
// nested structs, unexported ones included. Cipher and hash types from the
// standard library keep their keys and buffered input there (an AES key
// schedule, a ChaCha20-Poly1305 key, a SHA-512 block) without a way to
// erase them. Nothing but numbers is written, so a layout change costs the
// wipe of a field, never memory safety; v must not be used afterwards.
func Deep(v any) {
	seen := map[uintptr]bool{}
	deepValue(reflect.ValueOf(v), seen)
}

func deepValue(v reflect.Value, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		deepValue(v.Elem(), seen)
	case reflect.Interface:
		if !v.IsNil() {
			deepValue(v.Elem(), seen)
		}
	case reflect.Struct:
		if !v.CanAddr() {
			return
		}
		for i := range v.NumField() {
			deepValue(v.Field(i), seen)
		}
	case reflect.Array:
		if !v.CanAddr() || v.Len() == 0 {
			return
		}
		if numeric(v.Type().Elem().Kind()) {
			clear(unsafe.Slice((*byte)(unsafe.Pointer(v.UnsafeAddr())), v.Type().Size()))
			return
		}
		for i := range v.Len() {
			deepValue(v.Index(i), seen)
		}
	case reflect.Slice:
		if v.Len() == 0 || !numeric(v.Type().Elem().Kind()) {
			return
		}
		clear(unsafe.Slice((*byte)(v.UnsafePointer()), uintptr(v.Cap())*v.Type().Elem().Size()))
	default:
		if numeric(v.Kind()) && v.CanAddr() {
			clear(unsafe.Slice((*byte)(unsafe.Pointer(v.UnsafeAddr())), v.Type().Size()))
		}
	}
}

func numeric(k reflect.Kind) bool {
	return reflect.Int <= k && k <= reflect.Uint64 || k == reflect.Uintptr
}
