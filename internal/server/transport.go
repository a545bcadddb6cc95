package server

import (
	"net"

	"github.com/panjf2000/gnet/v2"
)

// transport is what a conn needs from its socket: a gnet.Conn for the
// plain port, a *tlsConn for the TLS port, so both run the same open,
// traffic and close code. Write is called only by the connection's own
// event loop or goroutine; AsyncWrite, Wake and Close by any goroutine.
type transport interface {
	Write(b []byte) (int, error)
	// AsyncWrite queues b to be written after what the connection is
	// writing now; it never blocks on the peer.
	AsyncWrite(b []byte, cb gnet.AsyncCallback) error
	// Wake makes the connection run its pending input (after a wait).
	Wake(cb gnet.AsyncCallback) error
	Close() error
	// OutboundBuffered is how many reply bytes wait to reach the socket
	// (for output buffer limits and CLIENT LIST omem).
	OutboundBuffered() int
	RemoteAddr() net.Addr
	LocalAddr() net.Addr
}

var _ transport = gnet.Conn(nil)
