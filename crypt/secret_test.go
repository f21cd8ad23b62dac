package crypt_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/secretcat/secretcat/internal/secrettest"
)

func TestMain(m *testing.M) {
	why, err := secrettest.Unavailable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if why != "" {
		fmt.Fprintf(os.Stderr, "crypt tests decrypt into fallback memory: %s\n", why)
	}
	os.Exit(m.Run())
}

// fixtureDir holds the PEM and OpenSSH key fixtures.
const fixtureDir = "../testdata/pem"
