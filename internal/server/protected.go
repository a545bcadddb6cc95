package server

import (
	"net"

	"github.com/smallredis/smallredis/internal/command"
)

// deniedReply is what protected mode answers before closing.
var deniedReply = []byte("-" + command.ErrProtectedMode + "\r\n")

// isLocal reports whether a client's address is one Redis 7.0 trusts as
// local: a unix socket, or exactly 127.0.0.1 or ::1. Redis 7.0 compares
// the address text, so other 127.x.y.z sources are not local (Redis 7.2
// widened this to 127.0.0.0/8); we keep 7.0's rule, which the difftest
// redis-server follows.
func isLocal(a net.Addr) bool {
	switch a := a.(type) {
	case *net.UnixAddr:
		return true
	case *net.TCPAddr:
		return a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.IP.Equal(net.IPv6loopback)
	}
	return false
}

// protectedModeRefuses reports whether protected mode turns this
// connection away. As in Redis 7.0 it applies whatever bind says, while
// protected-mode is yes and the default user has no password; both are
// read per connection, so CONFIG SET takes effect for the next one.
func (s *Server) protectedModeRefuses(t transport) bool {
	return s.cfg.ProtectedMode() && s.st.DefaultNoPass() && !isLocal(t.RemoteAddr())
}
