package sops

import (
	"reflect"
	"unsafe"
)

// wipeDeep zeroes, in place, the numeric state that v reaches: arrays and
// slices of integers, and integer fields, through pointers, interfaces and
// nested structs, unexported ones included. Cipher and hash types from the
// standard library keep their keys and buffered input there (an AES key
// schedule, a ChaCha20-Poly1305 key, a SHA-512 block) without a way to
// erase them. Nothing but numbers is written, so a layout change costs the
// wipe of a field, never memory safety; v must not be used afterwards.
func wipeDeep(v any) {
	seen := map[uintptr]bool{}
	wipeValue(reflect.ValueOf(v), seen)
}

func wipeValue(v reflect.Value, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		wipeValue(v.Elem(), seen)
	case reflect.Interface:
		if !v.IsNil() {
			wipeValue(v.Elem(), seen)
		}
	case reflect.Struct:
		if !v.CanAddr() {
			return
		}
		for i := range v.NumField() {
			wipeValue(v.Field(i), seen)
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
			wipeValue(v.Index(i), seen)
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

// wipeAEAD erases the key of an AEAD.
func wipeAEAD(a any) { wipeDeep(a) }
