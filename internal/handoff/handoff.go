// Package handoff is the producer side of secretcat open --socket: it sends
// each secret descriptor with its offer line (see secretfd.Offer) and tells
// whether the peer took them.
package handoff

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/secretfd"
)

// Line formats o as one line, in the text or the JSON form that
// secretfd.ParseOffer reads back, without the newline.
func Line(o secretfd.Offer, asJSON bool) string {
	if asJSON {
		b, _ := json.Marshal(o)
		return string(b)
	}
	return fmt.Sprintf("fd=%d name=%s size=%d pid=%d", o.Fd, o.Name, o.Size, o.Pid)
}

// Send writes line, with a newline, over conn with fd attached.
func Send(conn *net.UnixConn, line string, fd int) error {
	_, _, err := conn.WriteMsgUnix([]byte(line+"\n"), unix.UnixRights(fd), nil)
	return err
}

// Taken waits until the peer of conn has read everything sent over it and
// reports whether it did: false when the peer closed the connection with
// data unread, which discards the descriptors that came with the data. It
// returns ctx's error if ctx ends first.
func Taken(ctx context.Context, conn *net.UnixConn) (bool, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false, err
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		// What the peer has not read yet is this socket's send queue
		// (SIOCOUTQ). A peer that closes with data unread sets ECONNRESET
		// on this socket before the kernel drops the data.
		var unread, sockErr int
		var err error
		if cerr := raw.Control(func(fd uintptr) {
			unread, err = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
			if err == nil && unread == 0 {
				sockErr, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
			}
		}); cerr != nil {
			return false, cerr
		}
		if err != nil {
			return false, err
		}
		if unread == 0 {
			return sockErr == 0, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
		}
	}
}
