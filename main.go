// Command secretcat decrypts age-encrypted files into Linux secret memory
// (memfd_secret(2)) and hands the descriptors to the program that needs them.
package main

import (
	"os"

	"github.com/secretcat/secretcat/cmd"
)

func main() {
	os.Exit(cmd.Main())
}
