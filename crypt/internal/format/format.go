// Package format tells encrypted file formats apart by their content.
package format

import (
	"bytes"

	"github.com/secretcat/secretcat/crypt/sops"
)

// Format is an encrypted file format recognised by Detect.
type Format int

const (
	// Unknown is any content that Detect does not recognise.
	Unknown Format = iota
	// Age is the binary age format (age-encryption.org/v1).
	Age
	// AgeArmor is the ASCII-armored age format.
	AgeArmor
	// PEM is a PEM file holding encrypted private keys (PKCS#8, legacy
	// OpenSSL, OpenSSH), possibly with other blocks such as certificates.
	PEM
	// SOPS is a SOPS document whose data key is wrapped for age
	// recipients.
	SOPS
)

const (
	// AgeIntro starts the binary age format.
	AgeIntro = "age-encryption.org/"
	// ArmorHead starts the armored age format.
	ArmorHead = "-----BEGIN AGE ENCRYPTED FILE-----"
	// PEMBegin starts the first line of a PEM block.
	PEMBegin = "-----BEGIN "
)

// Detect recognises the format of an encrypted file from its content. The
// age formats are told by their first bytes (DetectLen bytes are enough);
// PEM anywhere a PEM reader would find a block, after other text such as
// the Bag Attributes that openssl writes before a key. A line that begins
// age's armor where age does not look for it (after other text, in lower
// case, spaced out, or of another type) is armored age, to be judged, and
// refused, as such. File names are never considered.
func Detect(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte(AgeIntro)):
		return Age
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(ArmorHead)):
		return AgeArmor
	case sops.Detect(data) != 0: // before armor lines: SOPS wraps its data key in them
		return SOPS
	}
	pem := false
	for line := range bytes.Lines(data) {
		if ageArmorLine(line) {
			return AgeArmor
		}
		// Where PEM readers (encoding/pem, openssl) look for a block: at
		// the start of a line, not inside one, as in a certificate quoted
		// in JSON.
		pem = pem || bytes.HasPrefix(line, []byte(PEMBegin))
	}
	if pem {
		return PEM
	}
	return Unknown
}

// ageArmorLine reports whether line, without its spaces and tabs and in
// upper case, begins age's armor: "-----BEGINAGE".
func ageArmorLine(line []byte) bool {
	const begin = "-----BEGINAGE"
	n := 0
	for _, c := range line {
		switch {
		case n == len(begin):
			return true
		case c == ' ' || c == '\t':
		case 'a' <= c && c <= 'z' && c-'a'+'A' == begin[n], c == begin[n]:
			n++
		default:
			return false
		}
	}
	return n == len(begin)
}

// DetectLen is how many leading bytes tell the age formats apart from the
// rest; crypt.Open looks further only for an input they do not recognise.
const DetectLen = 512
