package server

import (
	"net"

	"github.com/smallredis/smallredis/internal/eventloop"
)

// transport is what a conn needs from its socket: an *eventloop.Conn for
// the plain port, a *tlsConn for the TLS port, so both run the same open,
// traffic and close code. Write is called only by the connection's own
// event loop or goroutine; Wake and Close by any goroutine.
type transport interface {
	Write(b []byte) (int, error)
	// Wake makes the connection run its pending input (after a wait) and
	// flush what other goroutines queued for it.
	Wake() error
	Close() error
	RemoteAddr() net.Addr
	LocalAddr() net.Addr
}

var _ transport = (*eventloop.Conn)(nil)
