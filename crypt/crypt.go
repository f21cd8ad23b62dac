// Package crypt recognises encrypted files by their content and decrypts them
// into memory provided by the caller, once the exact plaintext size is known.
//
// The caller's memory is meant to be a secret-memory mapping: decryption
// writes the plaintext there directly, chunk by chunk, and never into a
// buffer of its own.
package crypt

import (
	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/format"
)

// Format is an encrypted file format recognised by Detect.
type Format = format.Format

// The formats Detect tells apart.
const (
	Unknown  = format.Unknown  // any content that Detect does not recognise
	Age      = format.Age      // the binary age format (age-encryption.org/v1)
	AgeArmor = format.AgeArmor // the ASCII-armored age format
	// PEM is a PEM file holding encrypted private keys (PKCS#8, legacy
	// OpenSSL, OpenSSH), possibly with other blocks such as certificates.
	PEM = format.PEM
	// SOPS is a SOPS document (YAML, JSON, dotenv, INI or binary) whose data key
	// is wrapped for age recipients: see package crypt/sops.
	SOPS = format.SOPS
)

// DetectLen is how many leading bytes tell the age formats apart from the
// rest; Open looks further only for an input they do not recognise.
const DetectLen = format.DetectLen

// Detect recognises the format of an encrypted file from its content. The
// age formats are told by their first bytes (DetectLen bytes are enough);
// PEM anywhere a PEM reader would find a block. File names are never
// considered.
func Detect(data []byte) Format { return format.Detect(data) }

// Kind classifies a decryption failure for the caller's exit status:
// Malformed, Undecryptable or NoKey.
type Kind = fail.Kind

// The kinds of failure.
const (
	// Malformed means the input is not a well-formed file of a supported
	// format: unreadable, unrecognised, bad armor or a malformed header.
	Malformed = fail.Malformed
	// Undecryptable means the file is well formed but could not be
	// decrypted: no identity matched, wrong passphrase, a bad header MAC, or
	// a payload that is truncated, tampered with or corrupted.
	Undecryptable = fail.Undecryptable
	// NoKey means the file needs an identity or a passphrase and none was
	// given: the caller's mistake rather than the file's.
	NoKey = fail.NoKey
)

// Error is a decryption failure of a known Kind. Its message states the
// facts; Need says what the caller could give for the decryption to
// succeed, for the caller to word.
type Error = fail.Error

// Need is what the caller could give for a failed decryption to succeed.
type Need = fail.Need

// The needs an Error can state.
const (
	NeedNothing     = fail.NeedNothing     // nothing the caller gives can help
	NeedIdentity    = fail.NeedIdentity    // an identity matching a recipient of the file
	NeedPassphrase  = fail.NeedPassphrase  // a way to read a passphrase
	NeedUnencrypted = fail.NeedUnencrypted // leave to pass unencrypted keys through
	NeedDERKey      = fail.NeedDERKey      // a single encrypted PKCS#8 or legacy key, for DER output
	// an identity for a SOPS document, given or where sops looks for one
	NeedSOPSIdentity = fail.NeedSOPSIdentity
)

// KindOf returns the Kind of err, or 0 when err is not a decryption failure.
func KindOf(err error) Kind { return fail.KindOf(err) }
