// Command consumer shows how a program reads a secret that secretcat hands
// it: find the descriptor, map it, use the bytes, unmap. It prints what it
// holds, which a real program would never do, and shows that read(2) is
// refused.
//
//	secretcat -i key.txt secret.age -- consumer            # inherited
//	secretcat open --socket /tmp/s -i key.txt secret.age &
//	consumer -socket /tmp/s                                 # received
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/secretfd"
)

func main() {
	socket := flag.String("socket", "", "receive the descriptor from secretcat open --socket `PATH`")
	flag.Parse()
	fd, err := secretfd.Lookup("") // SECRETCAT_FD
	if *socket != "" {
		var offers []secretfd.Offer
		if offers, err = secretfd.Dial(*socket, 10*time.Second); err == nil {
			fd = offers[0].Fd
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	_, readErr := unix.Read(fd, make([]byte, 16))
	fmt.Printf("read(2) on fd %d: %v (secret memory can only be mapped)\n", fd, readErr)

	m, err := secretfd.Map(fd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	defer m.Close()
	fmt.Printf("mmap(2) of fd %d, %d bytes: %s", fd, len(m.Bytes()), m.Bytes())
}
