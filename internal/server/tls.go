package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/smallredis/smallredis/internal/eventloop"

	"github.com/smallredis/smallredis/internal/config"
)

// The TLS port. The epoll event loops do not carry TLS, so tls-port is
// served by a goroutine per connection on crypto/tls; each connection still
// runs the event loop connections' code (open, traffic, closed in conn.go) through a
// tlsConn transport, so every command, limit and CLIENT feature behaves
// the same on both ports.

// tlsHandshakeTimeout bounds how long a connection may take to complete the
// handshake before it is dropped, so silent sockets cannot pile up.
const tlsHandshakeTimeout = 10 * time.Second

// errTLSUpdate is CONFIG SET's reason when new tls-* values cannot be
// honoured; the details go to the log, as in Redis.
var errTLSUpdate = errors.New("Unable to update TLS configuration. Check server logs.")

// tlsListener accepts on the tls-port addresses.
type tlsListener struct {
	s   *Server
	ctx atomic.Pointer[tlsContext] // replaced by CONFIG SET of a tls-* directive
	ls  []net.Listener
	wg  sync.WaitGroup // accept loops and connections

	mu   sync.Mutex // guards live, done
	live map[net.Conn]struct{}
	done bool
	once sync.Once
}

// listenTLS builds the TLS context and binds the TLS port; errors are
// fatal at start-up.
func (s *Server) listenTLS() (*tlsListener, error) {
	ctx, warns, err := buildTLS(s.cfg.TLS())
	if err != nil {
		return nil, errors.New("Failed to configure TLS: " + err.Error())
	}
	for _, w := range warns {
		s.log.Warn(w)
	}
	l := &tlsListener{s: s, live: map[net.Conn]struct{}{}}
	l.ctx.Store(ctx)
	for _, a := range s.addrs(s.cfg.TLSPort()) {
		network, addr, _ := strings.Cut(a, "://")
		ln, err := net.Listen(network, addr)
		if err != nil {
			l.stop()
			return nil, fmt.Errorf("tls-port: %w", err)
		}
		l.ls = append(l.ls, ln)
	}
	s.cfg.OnApply(func() error {
		ctx, warns, err := buildTLS(s.cfg.TLS())
		if err != nil {
			s.log.Warn("Failed applying new TLS configuration; keeping the previous one", "err", err)
			return errTLSUpdate
		}
		for _, w := range warns {
			s.log.Warn(w)
		}
		l.ctx.Store(ctx)
		return nil
	}, config.TLSContextParams...)
	return l, nil
}

// serve starts the accept loops.
func (l *tlsListener) serve() {
	for _, ln := range l.ls {
		l.wg.Add(1)
		go l.accept(ln)
	}
}

func (l *tlsListener) accept(ln net.Listener) {
	defer l.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, as
			// net/http does, rather than spin.
			l.s.log.Warn("accepting a TLS connection", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !l.track(nc) {
			nc.Close()
			return
		}
		l.wg.Add(1)
		go l.handle(nc)
	}
}

// track records a live connection so stop can close it; false once stopping.
func (l *tlsListener) track(nc net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return false
	}
	l.live[nc] = struct{}{}
	return true
}

// stop closes the listeners and every connection, and waits for their
// goroutines.
func (l *tlsListener) stop() {
	l.once.Do(func() {
		for _, ln := range l.ls {
			ln.Close()
		}
		l.mu.Lock()
		l.done = true
		for nc := range l.live {
			nc.Close()
		}
		l.mu.Unlock()
	})
	l.wg.Wait()
}

// handle runs one TLS connection: handshake, then the same code event loop
// connections run, one read at a time.
func (l *tlsListener) handle(nc net.Conn) {
	s := l.s
	defer l.wg.Done()
	s.SharePoller(1)
	defer s.SharePoller(-1)
	defer func() {
		l.mu.Lock()
		delete(l.live, nc)
		l.mu.Unlock()
	}()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		if ka := s.cfg.TCPKeepAlive(); ka > 0 {
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(ka)
		}
	}
	tc := tls.Server(nc, l.ctx.Load().forAuth(s.cfg.TLS().AuthClients))
	_ = nc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		// A plaintext client, a missing or untrusted client certificate:
		// closed without being served.
		s.log.Debug("TLS handshake failed", "client", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})

	t := &tlsConn{tc: tc, raw: nc, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c, reject := s.open(t, fdOf(nc))
	if c == nil {
		if reject != nil {
			_, _ = tc.Write(reject)
		}
		t.closeGracefully()
		return
	}
	// Other goroutines' output (MONITOR, pub/sub) is queued by the TLS
	// connection itself, held to the hard output limit (a subscriber that
	// never reads).
	c.client.Send = func(b []byte) {
		if hard := s.limits.Load()[limitClass(c.client)].Hard; hard > 0 && int64(t.OutboundBuffered()+len(b)) > hard+replyChunk {
			if c.tlsOver.CompareAndSwap(false, true) {
				s.st.Stats.OutputLimitDisconnections.Add(1)
				s.log.Warn("Client " + c.client.Info(time.Now()) + " scheduled to be closed ASAP for overcoming of output buffer limits.")
				_ = t.Close()
			}
			return
		}
		_ = t.AsyncWrite(b)
	}
	defer s.closed(c)
	defer func() {
		if r := recover(); r != nil {
			s.trafficPanicked(r, t)
		}
	}()
	buf := make([]byte, 16<<10) // a TLS record carries at most 16 KiB
	for {
		n, err := tc.Read(buf)
		if n > 0 {
			t.begin()
			action := s.traffic(c, buf[:n])
			for action == eventloop.None && c.blocked {
				// CLIENT PAUSE: what is left waits in c.pending until
				// run's timer wakes us; unread input waits in the socket.
				t.end()
				select {
				case <-t.wake:
				case <-t.done:
					return
				}
				t.begin()
				action = s.traffic(c, nil)
			}
			t.end()
			if action != eventloop.None {
				t.closeGracefully()
				return
			}
		}
		if err != nil {
			t.Close()
			return
		}
	}
}

// fdOf is the socket's descriptor, for CLIENT LIST's fd=.
func fdOf(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// tlsConn is a TLS connection as a transport. Its own goroutine reads,
// runs commands and writes replies (Write blocks: a slow reader slows only
// its own goroutine); other goroutines' AsyncWrites (MONITOR) are queued
// and written by a short-lived flusher, or by the connection itself after
// the batch it is running, so they never block the sender and never
// overtake a reply being built (MONITOR's +OK comes before the feed), as
// an event loop connection's Client.Send.
type tlsConn struct {
	tc   *tls.Conn
	raw  net.Conn
	wake chan struct{} // Wake's signal, buffered
	done chan struct{} // closed by Close
	once sync.Once

	wmu      sync.Mutex   // serializes writes to tc
	inflight atomic.Int64 // bytes of the write in progress

	mu       sync.Mutex // guards queue, busy, flushing
	queue    []byte     // AsyncWrite data not yet written
	busy     bool       // the connection's goroutine is running a batch
	flushing bool       // a flusher goroutine is running
}

func (t *tlsConn) Write(b []byte) (int, error) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	t.inflight.Store(int64(len(b)))
	defer t.inflight.Store(0)
	return t.tc.Write(b)
}

// OutboundBuffered counts queued AsyncWrite bytes and the write in
// progress (a blocked Write holds the peer's unread reply). Safe from any
// goroutine.
func (t *tlsConn) OutboundBuffered() int {
	t.mu.Lock()
	n := len(t.queue)
	t.mu.Unlock()
	return n + int(t.inflight.Load())
}

// AsyncWrite queues b. Callbacks are not supported: cb must be nil (the
// server never passes one).
func (t *tlsConn) AsyncWrite(b []byte) error {
	t.mu.Lock()
	select {
	case <-t.done:
		t.mu.Unlock()
		return net.ErrClosed
	default:
	}
	t.queue = append(t.queue, b...)
	start := !t.busy && !t.flushing
	t.flushing = t.flushing || start
	t.mu.Unlock()
	if start {
		go t.flush()
	}
	return nil
}

// begin and end bracket a batch run by the connection's goroutine: queued
// writes wait for its replies.
func (t *tlsConn) begin() {
	t.mu.Lock()
	t.busy = true
	t.mu.Unlock()
}

func (t *tlsConn) end() {
	t.mu.Lock()
	t.busy = false
	start := len(t.queue) > 0 && !t.flushing
	t.flushing = t.flushing || start
	t.mu.Unlock()
	if start {
		go t.flush()
	}
}

// flush writes the queue until it is empty or a batch starts.
func (t *tlsConn) flush() {
	for {
		t.mu.Lock()
		q := t.queue
		if len(q) == 0 || t.busy {
			t.flushing = false
			t.mu.Unlock()
			return
		}
		t.queue = nil
		t.mu.Unlock()
		if _, err := t.Write(q); err != nil {
			t.mu.Lock()
			t.flushing, t.queue = false, nil
			t.mu.Unlock()
			t.Close()
			return
		}
	}
}

func (t *tlsConn) Wake() error {
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close closes the socket without TLS's close_notify, which could block
// the calling goroutine (CLIENT KILL from another connection) on a peer
// that does not read; the connection's goroutine sees it and exits.
func (t *tlsConn) Close() error {
	t.once.Do(func() { close(t.done) })
	return t.raw.Close()
}

// closeGracefully is the connection's own close (QUIT, errors): it sends
// close_notify first.
func (t *tlsConn) closeGracefully() {
	t.once.Do(func() { close(t.done) })
	_ = t.tc.Close()
}

func (t *tlsConn) RemoteAddr() net.Addr { return t.raw.RemoteAddr() }
func (t *tlsConn) LocalAddr() net.Addr  { return t.raw.LocalAddr() }
