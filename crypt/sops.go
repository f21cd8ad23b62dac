package crypt

import (
	"io"

	"github.com/secretcat/secretcat/crypt/sops"
)

// prepareSOPS reads a SOPS document whole, in the format SOPS reads it in:
// by its name's extension, or, without one that says (standard input, a
// name of another extension), by its content.
func prepareSOPS(in *Input, ids Options) (Plan, error) {
	if in.size > maxPEMFile {
		return nil, malformed("a SOPS document of %d bytes is too large (the limit is %d MiB)", in.size, maxPEMFile>>20)
	}
	data := make([]byte, in.size)
	if _, err := in.r.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, malformed("reading: %v", err)
	}
	format, named := sops.FormatForPath(in.Name)
	if !named {
		format = sops.Detect(data)
	}
	doc, err := sops.Parse(data, format)
	if err != nil {
		return nil, sopsError(err)
	}
	plan, err := doc.Prepare(sops.Options{Identities: ids.Identities, Scratch: ids.Scratch, Extract: ids.Extract})
	if err != nil {
		return nil, sopsError(err)
	}
	return plan, nil
}

// sopsError gives a failure of package sops its Kind.
func sopsError(err error) error {
	switch sops.KindOf(err) {
	case sops.Malformed:
		return &Error{Kind: Malformed, Err: err}
	case sops.NoKey:
		return noKey("%v; pass the matching identity file with -i (or set SECRETCAT_IDENTITY), or put it where sops looks: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, or sops/age/keys.txt in the user's configuration directory", err)
	}
	return &Error{Kind: Undecryptable, Err: err}
}
