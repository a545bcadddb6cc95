package server

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/eventloop"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/resp"
)

// conn is one client connection. Everything but woken (and what output.go
// says of out) is touched only by the connection's event loop (for the TLS
// port, its goroutine).
//
// Input path: the event loop's read buffer is valid only during
// OnTraffic, so the commands in it are parsed and run there, their
// arguments aliasing it. A request the buffer ends in the middle of is
// kept by the parser, which copies what it needs once and continues from
// there on the next read: nothing is re-parsed or re-copied per read.
type conn struct {
	gc transport // an *eventloop.Conn, or a *tlsConn for the TLS port
	// sock is the socket output.go writes replies to directly, -1 for a
	// TLS connection, whose replies must go through its transport.
	sock   int
	client *command.Client
	parser resp.Parser // holds a partial request between reads
	w      resp.Writer
	ctx    command.Ctx

	// While the connection waits (CLIENT PAUSE), held is the parsed command
	// that must wait, detached from the read buffer, and pending the input
	// after it, not yet parsed.
	held    [][]byte
	pending []byte
	qbuf    atomic.Int64 // len(pending) + parser.Partial(): CLIENT LIST qbuf, as Redis counts it
	blocked bool
	woken   atomic.Bool
	tlsOver atomic.Bool // a TLS connection's queued output passed its hard limit

	out output // replies not yet sent, limits, accounting (output.go)
}

// Buffers larger than this are dropped after use so one big value does not
// pin memory for the connection's lifetime.
const keepBuf = 1 << 20

// keepOut is the reply buffer a connection keeps between batches that do
// not need more; past it, only while the batches keep filling it.
const keepOut = 64 << 10

// OnOpen registers a client or rejects it: past maxclients, or in
// protected mode (see protected.go). As in Redis, a rejected connection
// counts in rejected_connections, not total_connections_received.
func (s *Server) OnOpen(gc *eventloop.Conn) ([]byte, bool) {
	c, reject := s.open(gc, gc.Fd())
	if c == nil {
		return reject, false
	}
	if ka := s.cfg.TCPKeepAlive(); ka > 0 {
		_ = gc.SetKeepAlivePeriod(ka)
	}
	c.sock = gc.Fd()
	c.client.Stripe = gc.Loop()
	c.client.Send = func(b []byte) {
		c.out.inbox.post(c, b, s.limits.Load()[limitClass(c.client)].Hard)
	}
	c.client.Queue = func(b []byte) bool {
		return c.out.inbox.queue(b, s.limits.Load()[limitClass(c.client)].Hard)
	}
	c.client.WakeOutput = func() { _ = gc.Wake() }
	gc.SetContext(c)
	return nil, true
}

// OnMove follows a connection to the event loop it was handed to: its
// statistics and its gate slot go with its new loop.
func (s *Server) OnMove(gc *eventloop.Conn) {
	gc.Context().(*conn).client.Stripe = gc.Loop()
}

// open registers a client on any transport (event loop or TLS). A nil conn means
// refused, with the bytes to send before closing (nil: just close).
func (s *Server) open(t transport, fd int) (*conn, []byte) {
	if s.stopping.Load() {
		return nil, nil
	}
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	if n >= s.cfg.MaxClients() {
		s.st.Stats.Rejected.Add(1)
		return nil, []byte("-" + command.ErrMaxClients + "\r\n")
	}
	if s.protectedModeRefuses(t) {
		s.st.Stats.Rejected.Add(1)
		s.log.Debug("protected mode: refused a non-local client", "client", t.RemoteAddr().String())
		return nil, deniedReply
	}
	s.st.Stats.Connections.Add(1)
	id := s.nextID.Add(1)
	c := &conn{gc: t, sock: -1}
	c.client = command.NewClient(id, t.RemoteAddr().String(), t.LocalAddr().String(), fd)
	// A TLS connection's goroutine can run on any P: spread them. OnOpen
	// gives an event loop's connection its loop's stripe instead.
	c.client.Stripe = int(id)
	c.client.Authed = s.st.StartsAuthed()
	c.client.Local = isLocal(t.RemoteAddr())
	c.client.Kill = func() { _ = t.Close() }
	c.client.BatchGate = true // runBatch ends every batch with EndBatch
	c.client.Wake = func() {
		c.woken.Store(true)
		_ = c.gc.Wake()
	}
	c.client.QueryBuf = func() int { return int(c.qbuf.Load()) }
	c.client.ArgOwned = c.parser.Owned
	c.w.Proto = 2
	c.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen()
	s.setCheckAt(c)
	s.account(c)
	s.mu.Lock()
	s.conns[id] = c
	s.mu.Unlock()
	return c, nil
}

// OnClose unregisters the client.
func (s *Server) OnClose(gc *eventloop.Conn) {
	if c, ok := gc.Context().(*conn); ok {
		s.closed(c)
	}
}

// closed unregisters a client once its connection is closed.
func (s *Server) closed(c *conn) {
	s.mu.Lock()
	delete(s.conns, c.client.ID)
	// With the delete: evictClients, which reads the total under s.mu,
	// must never count memory of a client it can no longer find (it would
	// evict others for it).
	s.st.KS.ChargeClients(-c.out.charged)
	c.out.charged = 0
	s.mu.Unlock()
	s.st.RemoveClient(c.client)
	s.release(c)
}

// OnTraffic runs every complete command the connection has sent and
// writes all their replies at once (flush, in output.go). It also runs when
// the connection is woken: to resume after CLIENT PAUSE or a batch that
// yielded, or to write output.
func (s *Server) OnTraffic(gc *eventloop.Conn, data []byte) eventloop.Action {
	defer s.recoverTraffic(gc)
	return s.traffic(gc.Context().(*conn), data)
}

// traffic is OnTraffic on any transport: data is what arrived (nil when
// woken from a wait).
func (s *Server) traffic(c *conn, data []byte) eventloop.Action {
	if c.client.Killed() {
		// CLIENT KILL from another loop closes the socket asynchronously;
		// what arrived meanwhile must not run (Redis frees the client at
		// once).
		return eventloop.Close
	}
	if len(data) > 0 {
		s.st.Stats.NetInput.Add(c.client.Stripe, int64(len(data)))
		s.st.Stats.Reads.Add(c.client.Stripe, 1)
	}
	if len(data) > 0 && s.cfg.MaxMemoryClients() > 0 {
		// Client eviction counts a request's arguments before it runs, as
		// Redis counts its query buffer after each read: the read that
		// completes a 3 MB MSET must not slip under maxmemory-clients.
		s.st.KS.ChargeClients(int64(len(data)))
		c.out.charged += int64(len(data)) // account corrects it after the batch
		s.evictClients()
		if c.client.Killed() {
			return eventloop.Close
		}
	}
	if c.blocked && !c.woken.Swap(false) {
		c.pending = append(c.pending, data...)
		return s.flush(c, s.checkQueryBuf(c))
	}
	c.blocked = false
	if !s.st.TakeBlockedReply(c.client, &c.w) {
		// Woken, but its blocking command still waits for a key.
		c.blocked = true
		c.pending = append(c.pending, data...)
		return s.flush(c, s.checkQueryBuf(c))
	}
	buf, pooled := data, false
	if len(c.pending) > 0 {
		c.pending = append(c.pending, data...)
		buf, pooled = c.pending, true
	}
	return s.flush(c, s.runBatch(c, buf, pooled))
}

// runBatch runs what buf holds and then lets go of the world gate if the
// batch's atomic commands kept it (command.Server.EndBatch), before the
// replies are written; also when a panic ends the batch.
func (s *Server) runBatch(c *conn, buf []byte, pooled bool) eventloop.Action {
	defer s.st.EndBatch(c.client)
	return s.run(c, buf, pooled)
}

// recoverTraffic is the last resort behind Exec's own recovery: a panic
// elsewhere in the connection's input path closes that connection instead
// of the whole server.
func (s *Server) recoverTraffic(gc *eventloop.Conn) {
	if r := recover(); r != nil {
		s.trafficPanicked(r, gc)
	}
}

// trafficPanicked logs and counts a panic recovered in a connection's
// input path (an event loop or a TLS connection's goroutine) and closes it.
func (s *Server) trafficPanicked(r any, t transport) {
	s.st.Stats.Panics.Add(1)
	s.log.Error("recovered a panic in a connection's event handler; closing it",
		"client", t.RemoteAddr().String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	_ = t.Close()
}

// prefetch asks for the table slots of the keys of the pipelined requests
// in buf (up to maxPrefetch), so their cache misses overlap instead of
// each command waiting for its own. A single request has nothing to
// overlap with: it is left alone.
func (s *Server) prefetch(c *conn, buf []byte) {
	key, n := resp.PeekKey(buf)
	if n == 0 || n == len(buf) {
		return
	}
	db := s.st.KS.DB(c.client.DB())
	var keys [maxPrefetch][]byte
	i := 0
	for ; n > 0 && i < maxPrefetch; i++ {
		db.Prefetch(key)
		keys[i] = key
		buf = buf[n:]
		key, n = resp.PeekKey(buf)
	}
	// The slots asked for first have arrived by now: their records next.
	for _, k := range keys[:i] {
		db.PrefetchRecord(k)
	}
}

// maxPrefetch bounds the lookahead: a deep pipeline's later requests would
// be evicted from the cache again before their turn.
const maxPrefetch = 32

// run executes the held command, if any, then the commands in buf.
// inPending says buf is c.pending (so what is left is moved to its front
// rather than copied in).
func (s *Server) run(c *conn, buf []byte, inPending bool) eventloop.Action {
	c.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen()
	if c.out.inbox.n.Load() != 0 && len(c.w.B) == 0 {
		// Posted before this batch ran (invalidations, MONITOR lines): it
		// goes before the batch's replies, where Redis had written it.
		c.out.inbox.drain(c)
	}
	args, detached := c.held, c.held != nil
	c.held = nil
	s.prefetch(c, buf)
	for {
		if args == nil {
			if len(buf) == 0 {
				break
			}
			// Redis's limits before AUTH; AUTH lifts them for what follows.
			c.parser.AuthRequired = s.st.AuthRequired(c.client)
			var n int
			var err error
			args, n, err = c.parser.Parse(buf)
			if err != nil {
				c.w.Error(err.Error())
				s.log.Debug("protocol error", "client", c.client.Addr, "err", err)
				return eventloop.Close
			}
			buf = buf[n:]
			if len(args) == 0 {
				break // buf ended inside a request: the parser keeps it
			}
			detached = false
		}
		if c.client.Monitor && !isMonitorSafe(args[0]) {
			// A MONITOR connection only streams; as in Redis, its input
			// is ignored except QUIT and RESET.
			args = nil
			continue
		}
		if wait := s.st.Exec(c.client, &c.ctx, args, &c.w); wait > 0 {
			if !detached {
				resp.Detach(args) // it runs after this read's buffer is gone
			}
			c.held = args
			c.blocked = true
			s.st.WhenUnpaused(c.client, func() {
				c.woken.Store(true)
				_ = c.gc.Wake()
			})
			break
		}
		args = nil
		if c.client.Blocking() {
			// Parked until a key, its timeout, CLIENT UNBLOCK or the
			// connection's close ends the wait (TakeBlockedReply).
			c.blocked = true
			break
		}
		c.w.Proto = c.client.Proto
		if c.client.CloseAfterReply || c.client.Killed() {
			return eventloop.Close
		}
		if len(c.w.B) >= c.out.checkAt && s.checkOutput(c) {
			break // over the output limit, or time to let other clients run
		}
	}
	// Keep what was not parsed (the connection is waiting).
	if inPending {
		c.pending = c.pending[:copy(c.pending, buf)]
	} else {
		c.pending = append(c.pending[:0], buf...)
	}
	if len(c.pending) == 0 && cap(c.pending) > keepBuf {
		c.pending = nil
	}
	if c.parser.Awaiting() >= bigAwait {
		if ec, ok := c.gc.(*eventloop.Conn); ok {
			ec.ReadAgain()
		}
	}
	return s.checkQueryBuf(c)
}

// bigAwait is the rest of an argument from which the connection's loop
// reads on at once (eventloop.Conn.ReadAgain).
const bigAwait = 64 << 10

// checkQueryBuf enforces client-query-buffer-limit on unexecuted input:
// the unparsed input, the partial request the parser holds and the commands
// a transaction has queued.
func (s *Server) checkQueryBuf(c *conn) eventloop.Action {
	qbuf := int64(len(c.pending) + c.parser.Buffered())
	c.qbuf.Store(int64(len(c.pending) + c.parser.Partial())) // as Redis's qbuf
	if qbuf+c.client.MultiMem() > s.cfg.QueryBufferLimit() {
		s.log.Warn("closing client that reached the query buffer limit",
			"client", c.client.Addr, "qbuf", qbuf)
		return eventloop.Close
	}
	return eventloop.None
}

func isMonitorSafe(name []byte) bool {
	n := string(name)
	return strings.EqualFold(n, "quit") || strings.EqualFold(n, "reset")
}
