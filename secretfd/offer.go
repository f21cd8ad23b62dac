package secretfd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Offer describes a secret descriptor that secretcat open holds for a
// consumer that is not its child. On its standard output, one line per
// descriptor, either as text
//
//	fd=5 name=key size=21 pid=1234
//
// or, with --json, as a JSON object on one line:
//
//	{"fd":5,"name":"key","size":21,"pid":1234}
//
// Fd is the number in secretcat's process (PID Pid). Over a unix socket each
// line travels with its descriptor (SCM_RIGHTS), and Receive replaces Fd
// with the number the descriptor got in the receiving process.
type Offer struct {
	Fd   int    `json:"fd"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	Pid  int    `json:"pid"`
}

// ParseOffer parses a line in either format.
func ParseOffer(line string) (Offer, error) {
	var o Offer
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "{") {
		err := json.Unmarshal([]byte(line), &o)
		return o, err
	}
	seen := 0
	for _, field := range strings.Fields(line) {
		k, v, _ := strings.Cut(field, "=")
		var err error
		switch k {
		case "fd":
			o.Fd, err = strconv.Atoi(v)
		case "name":
			o.Name = v
		case "size":
			o.Size, err = strconv.ParseInt(v, 10, 64)
		case "pid":
			o.Pid, err = strconv.Atoi(v)
		default:
			continue
		}
		if err != nil {
			return o, fmt.Errorf("offer %q: bad %s", line, k)
		}
		seen++
	}
	if seen != 4 {
		return o, fmt.Errorf("offer %q: want fd=, name=, size= and pid=", line)
	}
	return o, nil
}

// maxLine bounds an offer line.
const maxLine = 4096

// Receive reads one offer and the descriptor that travels with it from
// conn. It returns io.EOF once the sender has closed the connection.
func Receive(conn *net.UnixConn) (Offer, error) {
	buf := make([]byte, maxLine)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	return received(buf[:n], oob[:oobn], err)
}

// received makes an offer of the line and the control message that one
// receive call read, or of the error it returned: io.EOF when it read
// nothing. Every descriptor that came with the line ends up close-on-exec,
// and closed unless it is the offer's.
func received(line, oob []byte, err error) (Offer, error) {
	if len(line) == 0 && (err == nil || errors.Is(err, io.EOF)) {
		return Offer{}, io.EOF
	}
	if err != nil {
		return Offer{}, err
	}
	var fds []int
	if msgs, err := unix.ParseSocketControlMessage(oob); err == nil {
		for _, m := range msgs {
			if got, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
	}
	o, err := ParseOffer(string(line))
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		if err == nil {
			err = fmt.Errorf("offer %q came with %d descriptors, want 1", strings.TrimSpace(string(line)), len(fds))
		}
		return Offer{}, err
	}
	o.Fd = fds[0]
	return o, nil
}

// Dial connects to a secretcat open --socket PATH and receives every offer,
// each with its descriptor, until secretcat closes the connection. For a
// consumer started alongside secretcat open, it waits up to wait for the
// socket to appear and listen.
//
// Dial makes its system calls itself rather than through package net, whose
// poller would open descriptors of its own: the only descriptors Dial leaves
// open are the offers', all close-on-exec, so that a caller knows which
// numbers are free.
func Dial(path string, wait time.Duration) ([]Offer, error) {
	sock, err := dialWait(path, wait)
	if err != nil {
		return nil, err
	}
	defer unix.Close(sock)
	var offers []Offer
	buf := make([]byte, maxLine)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		o, err := received(buf[:max(n, 0)], oob[:max(oobn, 0)], err)
		if errors.Is(err, io.EOF) && len(offers) > 0 {
			return offers, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s closed the connection without offering a descriptor (secretcat open serves only peers of its own uid, and only as many as it was told to)", path)
		}
		if err != nil {
			for _, o := range offers {
				unix.Close(o.Fd)
			}
			return nil, fmt.Errorf("receiving from %s: %w", path, err)
		}
		offers = append(offers, o)
	}
}

// dialWait connects a close-on-exec unix socket to path, trying again for up
// to wait while the path does not exist yet or nobody listens on it yet.
func dialWait(path string, wait time.Duration) (int, error) {
	deadline := time.Now().Add(wait)
	for {
		sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, fmt.Errorf("connecting to %s: %w", path, err)
		}
		err = unix.Connect(sock, &unix.SockaddrUnix{Name: path})
		if err == nil {
			return sock, nil
		}
		unix.Close(sock)
		err = fmt.Errorf("connect %s: %w", path, err)
		notYet := errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED)
		if !notYet {
			return -1, err
		}
		if time.Now().After(deadline) {
			if wait > 0 {
				return -1, fmt.Errorf("no secretcat open listened on %s within %v: %w", path, wait, err)
			}
			return -1, fmt.Errorf("no secretcat open listens on %s: %w", path, err)
		}
		// Not time.Sleep: its timer would start the runtime's poller,
		// which opens descriptors of its own.
		nap := unix.NsecToTimespec(int64(20 * time.Millisecond))
		unix.Nanosleep(&nap, nil)
	}
}
