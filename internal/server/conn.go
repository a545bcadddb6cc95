package server

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/resp"
)

// conn is one client connection. Everything but woken is touched only by
// the connection's event loop.
type conn struct {
	gc     gnet.Conn
	client *command.Client
	parser resp.Parser
	w      resp.Writer
	ctx    command.Ctx

	// pending holds input not yet executed: a partial command, or the
	// rest of a batch while the connection waits (CLIENT PAUSE).
	pending []byte
	qbuf    atomic.Int64 // len(pending), for other clients' CLIENT LIST
	blocked bool
	woken   atomic.Bool
}

// Buffers larger than this are dropped after use so one big value does not
// pin memory for the connection's lifetime.
const keepBuf = 1 << 20

// OnOpen registers a client or rejects it past maxclients.
func (s *Server) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	if s.stopping.Load() {
		return nil, gnet.Close
	}
	s.st.Stats.Connections.Add(1)
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	if n >= s.cfg.MaxClients() {
		s.st.Stats.Rejected.Add(1)
		return []byte("-" + command.ErrMaxClients + "\r\n"), gnet.Close
	}
	if ka := s.cfg.TCPKeepAlive(); ka > 0 {
		_ = gc.SetKeepAlivePeriod(ka)
	}
	id := s.nextID.Add(1)
	c := &conn{gc: gc}
	c.client = command.NewClient(id, gc.RemoteAddr().String(), gc.LocalAddr().String(), gc.Fd())
	c.client.Authed = s.cfg.RequirePass() == ""
	c.client.Kill = func() { _ = gc.Close() }
	c.client.Send = func(b []byte) { _ = gc.AsyncWrite(b, nil) }
	c.client.QueryBuf = func() int { return int(c.qbuf.Load()) }
	c.w.Proto = 2
	c.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen()
	gc.SetContext(c)
	s.mu.Lock()
	s.conns[id] = c
	s.mu.Unlock()
	return nil, gnet.None
}

// OnClose unregisters the client.
func (s *Server) OnClose(gc gnet.Conn, _ error) gnet.Action {
	c, ok := gc.Context().(*conn)
	if !ok {
		return gnet.None
	}
	s.mu.Lock()
	delete(s.conns, c.client.ID)
	s.mu.Unlock()
	s.st.RemoveClient(c.client)
	return gnet.None
}

// OnTraffic runs every complete command the connection has sent and
// writes all their replies at once.
func (s *Server) OnTraffic(gc gnet.Conn) gnet.Action {
	defer s.recoverTraffic(gc)
	c := gc.Context().(*conn)
	data, _ := gc.Next(-1)
	s.st.Stats.NetInput.Add(int64(len(data)))
	if c.blocked && !c.woken.Swap(false) {
		c.pending = append(c.pending, data...)
		return s.checkQueryBuf(c)
	}
	c.blocked = false
	buf, pooled := data, false
	if len(c.pending) > 0 {
		c.pending = append(c.pending, data...)
		buf, pooled = c.pending, true
	}
	action := s.run(c, buf, pooled)
	if len(c.w.B) > 0 {
		s.st.Stats.NetOutput.Add(int64(len(c.w.B)))
		_, _ = gc.Write(c.w.B)
		c.w.Reset()
		if cap(c.w.B) > keepBuf {
			c.w.B = nil
		}
	}
	return action
}

// recoverTraffic is the last resort behind Exec's own recovery: a panic
// elsewhere in the connection's input path closes that connection instead
// of the whole server.
func (s *Server) recoverTraffic(gc gnet.Conn) {
	if r := recover(); r != nil {
		s.st.Stats.Panics.Add(1)
		s.log.Error("recovered a panic in a connection's event handler; closing it",
			"client", gc.RemoteAddr().String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		_ = gc.Close()
	}
}

// run executes the commands in buf. inPending says buf is c.pending (so
// what is left is moved to its front rather than copied in).
func (s *Server) run(c *conn, buf []byte, inPending bool) gnet.Action {
	c.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen()
	for len(buf) > 0 {
		args, n, err := c.parser.Parse(buf)
		if err != nil {
			c.w.Error(err.Error())
			s.log.Debug("protocol error", "client", c.client.Addr, "err", err)
			return gnet.Close
		}
		if n == 0 {
			break // a partial command: wait for the rest
		}
		if len(args) == 0 {
			buf = buf[n:]
			continue
		}
		if c.client.Monitor && !isMonitorSafe(args[0]) {
			// A MONITOR connection only streams; as in Redis, its input
			// is ignored except QUIT and RESET.
			buf = buf[n:]
			continue
		}
		if wait := s.st.Exec(c.client, &c.ctx, args, &c.w); wait > 0 {
			c.blocked = true
			s.st.WhenUnpaused(c.client, func() {
				c.woken.Store(true)
				_ = c.gc.Wake(nil)
			})
			break
		}
		buf = buf[n:]
		c.w.Proto = c.client.Proto
		if c.client.CloseAfterReply || c.client.Killed() {
			return gnet.Close
		}
	}
	// Keep what was not executed.
	if inPending {
		c.pending = c.pending[:copy(c.pending, buf)]
	} else {
		c.pending = append(c.pending[:0], buf...)
	}
	if len(c.pending) == 0 && cap(c.pending) > keepBuf {
		c.pending = nil
	}
	return s.checkQueryBuf(c)
}

// checkQueryBuf enforces client-query-buffer-limit on unexecuted input.
func (s *Server) checkQueryBuf(c *conn) gnet.Action {
	c.qbuf.Store(int64(len(c.pending)))
	if int64(len(c.pending)) > s.cfg.QueryBufferLimit() {
		s.log.Warn("closing client that reached the query buffer limit",
			"client", c.client.Addr, "qbuf", len(c.pending))
		return gnet.Close
	}
	return gnet.None
}

func isMonitorSafe(name []byte) bool {
	n := string(name)
	return strings.EqualFold(n, "quit") || strings.EqualFold(n, "reset")
}
