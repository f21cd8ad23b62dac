package crypt_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
)

// fallback says why secret memory is unavailable here (qemu-user under make
// cross-test), "" where it works: then the tests decrypt into fallback
// memory, where parsing and decryption behave alike.
var fallback string

func TestMain(m *testing.M) {
	why, err := secrettest.Unavailable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if why != "" {
		fmt.Fprintf(os.Stderr, "crypt tests decrypt into fallback memory: %s\n", why)
	}
	fallback = why
	os.Exit(m.Run())
}

// createSecret makes the file a test decrypts into: secret memory, as
// secretcat uses, or fallback memory where there is none.
func createSecret(size int64) (*secretmem.File, error) {
	if fallback != "" {
		return secretmem.CreateFallback(size)
	}
	return secretmem.Create(size)
}
