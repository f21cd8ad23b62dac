package crypt

import (
	"errors"
	"io"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/sops"
)

// prepareSOPS reads a SOPS document whole, in the format SOPS reads it in:
// by its name's extension, or, without one that says (standard input, a
// name of another extension), by its content.
func prepareSOPS(in *Input, opts Options) (Plan, error) {
	if in.size > sops.MaxDocument {
		return nil, fail.Malformedf("a SOPS document of %d bytes is too large (the limit is %d MiB)", in.size, sops.MaxDocument>>20)
	}
	data := make([]byte, in.size)
	if _, err := in.r.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, fail.Malformedf("reading: %v", err)
	}
	doc, err := sops.ParseNamed(in.Name, data)
	if err != nil {
		return nil, err
	}
	plan, err := doc.Prepare(sops.Options{Identities: opts.Identities, Scratch: opts.Scratch, Extract: opts.Extract})
	var fe *fail.Error
	if errors.As(err, &fe) && fe.Kind == fail.NoKey {
		fe.Need = fail.NeedSOPSIdentity
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}
