package server

// The reply path: how replies reach the socket, client-output-buffer-limit,
// and what the connections' buffers cost (CLIENT LIST, used_memory).
//
// A batch of commands writes its replies into c.w.B; flush sends them with
// one write(2) on the connection's socket. What the socket does not take
// stays in the connection's own queue: the reply buffer itself is handed to
// the queue (a small remainder is copied), never appended to a bigger
// buffer, and the queue is written with writev(2) as the socket drains.
// An outbound buffer that copies what it buffers and grows by copying (as
// gnet's did) could be neither bounded nor measured cheaply. A connection
// whose socket is full is woken by the write waiter (waiter_linux.go).
//
// A batch stops running commands once it has produced yieldBytes of
// replies; the rest of its input runs on a later turn of the event loop
// (its Wake), so a client fed hundreds of megabytes, reading them or
// not, delays the other clients of its loop by one slice, not the whole.
// As in Redis, a client that does not read still has its commands run and
// their replies kept; client-output-buffer-limit is what bounds it.

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/smallredis/smallredis/internal/eventloop"
	"golang.org/x/sys/unix"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/store"
)

const (
	// yieldBytes of replies end a batch early (see above): a few
	// milliseconds of copying.
	yieldBytes = 4 << 20
	// replyChunk is Redis's PROTO_REPLY_CHUNK_BYTES: the size of a
	// client's static reply buffer, which output limits do not count, and
	// of the chunks small replies are queued in.
	replyChunk = 16 << 10
	// yieldPause is how long a batch that yielded waits before it goes
	// on: long enough for the event loop to poll its other connections.
	yieldPause = 100 * time.Microsecond
	// maxIovecs is how many queued chunks one writev takes.
	maxIovecs = 64
	// maxSpare is the most entries an emptied queue's array may have to be
	// kept for reuse (output.spare).
	maxSpare = 4096
	// connOverhead is what a connection costs besides its buffers.
	connOverhead = int64(unsafe.Sizeof(conn{}) + unsafe.Sizeof(command.Client{}))
)

// output is a connection's reply state. Its fields are touched only by the
// connection's event loop, except inbox (mu) and writable.
type output struct {
	queue [][]byte // replies the socket has not taken, oldest first
	// spare is the array of an emptied queue, every entry cleared, for the
	// next drain: a subscriber's queue empties and refills every batch.
	spare  [][]byte
	off    int   // bytes of queue[0] already written
	queued int64 // bytes in queue not yet written
	held   int64 // bytes the queue's chunks hold (their capacities)

	checkAt   int   // len(c.w.B) at which run calls checkOutput
	softSince int64 // unix seconds when the soft limit was first passed; 0 = below it
	resume    bool  // the batch yielded: run the rest of its input soon
	closing   bool  // over its limit: send nothing more, close
	armed     bool  // waiting for the write waiter
	polled    bool  // the fd is in the write waiter's epoll set

	charged int64           // bytes charged with ChargeClients
	freed   int64           // bytes of queued chunks dropped since account last reported them
	pub     command.Buffers // what was last published with SetBuffers

	writable atomic.Bool // set by the write waiter before it wakes the connection
	// bigBuf: the reply buffer kept is over keepOut; the cron wakes an idle
	// connection so that send drops it.
	bigBuf atomic.Bool
	inbox  inbox
}

// inbox takes output from other goroutines (the MONITOR feed, later pub/sub
// messages) for the connection's loop to queue, so that it is counted and
// limited like replies and keeps its order.
type inbox struct {
	n      atomic.Int32 // nonzero when bufs is not empty (or over), read without the lock on every flush
	mu     sync.Mutex   // guards bufs, closed, bytes, over
	bufs   [][]byte
	spare  [][]byte // a drained bufs slice kept for reuse
	closed bool
	bytes  int64 // in bufs
	// over: what was posted alone passed the client's hard output limit
	// before its loop could take it (a publisher far faster than the
	// subscriber's loop): later posts are dropped, and flush closes the
	// client as over its limit, which it is whatever the queue holds.
	over bool
}

// post hands b to c's loop, waking it when the inbox was empty. hard is c's
// hard output limit (0: none). Ownership: once posted, b is read-only for
// everybody, the poster included, and never pooled or reused: it is queued
// uncopied (pushPosted), one published frame in many subscribers' queues,
// and stays referenced until the socket has taken it or the connection
// drops its output; the garbage collector frees it after the last one.
func (in *inbox) post(c *conn, b []byte, hard int64) {
	if in.queue(b, hard) {
		_ = c.gc.Wake()
	}
}

// queue is post without the wake: it reports whether c's loop must be
// woken (the inbox was empty, or it overflowed), which the caller may do
// later (a publisher wakes its subscribers once per batch of commands).
func (in *inbox) queue(b []byte, hard int64) (wake bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed || in.over {
		return false
	}
	if hard > 0 && in.bytes+int64(len(b)) > hard+replyChunk {
		in.over = true
		in.n.Store(1) // flush must look
		return true
	}
	in.bytes += int64(len(b))
	in.bufs = append(in.bufs, b)
	if len(in.bufs) > 1 {
		return false
	}
	// Only whether there is anything is read without the lock: storing
	// every count would cost an atomic write per message per subscriber.
	in.n.Store(1)
	return true
}

// drain moves what was posted into c's queue. It reports whether the
// inbox overflowed (see inbox.over).
func (in *inbox) drain(c *conn) (over bool) {
	if in.n.Load() == 0 {
		return false
	}
	in.mu.Lock()
	bufs := in.bufs
	in.bufs, in.spare = in.spare[:0], nil
	in.bytes = 0
	in.n.Store(0)
	over = in.over
	in.mu.Unlock()
	o := &c.out
	if len(o.queue) == 0 {
		o.queue = slices.Grow(o.spare[:0], len(bufs))
		if cap(o.queue) <= maxSpare {
			o.spare = o.queue
		}
	}
	for _, b := range bufs {
		o.pushPosted(b)
	}
	clear(bufs)
	in.mu.Lock()
	if in.spare == nil {
		in.spare = bufs[:0] // the next drain's slice: posting reuses it
	}
	in.mu.Unlock()
	return over
}

// close drops what is posted and refuses more.
func (in *inbox) close() {
	in.mu.Lock()
	in.bufs, in.bytes, in.closed = nil, 0, true
	in.n.Store(0)
	in.mu.Unlock()
}

// limits is client-output-buffer-limit, per class.
type limits [3]config.OutputLimit

func (s *Server) loadLimits() {
	var l limits
	for class := range l {
		l[class] = s.cfg.OutputBufferLimit(config.OutputClass(class))
	}
	s.limits.Store(&l)
}

// limitClass is the client-output-buffer-limit class a client is held to,
// as Redis's getClientType: a subscribed client (RESP2 or RESP3) is
// pubsub, MONITOR clients count as normal ones.
func limitClass(c *command.Client) config.OutputClass {
	if c.Subscribed() {
		return config.OutputPubSub
	}
	return config.OutputNormal
}

// usage is what output limits compare: replies not yet sent, less what
// Redis's static reply buffer would hold.
func (c *conn) usage() int64 {
	return max(0, c.out.queued+int64(len(c.w.B))-replyChunk)
}

// checkOutput runs between commands once the batch's replies reach
// c.out.checkAt. It reports whether the batch must stop here: the client
// passed its hard limit, or the batch has produced yieldBytes.
func (s *Server) checkOutput(c *conn) bool {
	if s.overLimit(c) {
		return true
	}
	// A TLS connection has its goroutine to itself: nobody to yield to.
	if len(c.w.B) >= yieldBytes && c.sock >= 0 {
		c.out.resume = true
		return true
	}
	s.setCheckAt(c)
	return false
}

// setCheckAt sets where the next checkOutput happens: before the replies
// can pass the hard limit, and at yieldBytes.
func (s *Server) setCheckAt(c *conn) {
	at := yieldBytes
	if hard := s.limits.Load()[limitClass(c.client)].Hard; hard > 0 {
		at = int(min(int64(at), max(1, hard+replyChunk-c.out.queued)))
	}
	c.out.checkAt = at
}

// overLimit is Redis's checkClientOutputBufferLimits: the hard limit
// closes at once, the soft one after it has been passed for longer than
// its seconds. A client over its limit is marked closing, counted and
// logged as Redis does; its output is dropped by flush.
func (s *Server) overLimit(c *conn) bool {
	o := &c.out
	if o.closing {
		return true
	}
	l := s.limits.Load()[limitClass(c.client)]
	used := c.usage()
	hard := l.Hard > 0 && used >= l.Hard
	soft := false
	if l.Soft > 0 && used >= l.Soft {
		now := store.NowMs() / 1000
		if o.softSince == 0 {
			o.softSince = now
		} else {
			soft = now-o.softSince > int64(l.SoftTime/time.Second)
		}
	} else {
		o.softSince = 0
	}
	if !hard && !soft {
		return false
	}
	o.closing = true
	s.st.Stats.OutputLimitDisconnections.Add(1)
	s.account(c) // the line shows what the client holds now
	s.log.Warn("Client " + c.client.Info(time.Now()) + " scheduled to be closed ASAP for overcoming of output buffer limits.")
	return true
}

// flush ends every OnTraffic: it queues the batch's replies and what other
// goroutines sent, enforces the output limit, writes what the socket
// takes, and updates the connection's accounting. action is what running
// the batch decided; flush returns the action for the event loop.
func (s *Server) flush(c *conn, action eventloop.Action) eventloop.Action {
	o := &c.out
	c.client.WakeDeferred()
	if o.inbox.n.Load() != 0 {
		// What other goroutines sent goes after this batch's replies: a
		// MONITOR feed line after MONITOR's +OK.
		if len(c.w.B) > 0 {
			if o.push(c.w.B, true) {
				c.w.B = nil
			} else {
				c.w.Reset()
			}
		}
		if o.inbox.drain(c) && !o.closing {
			o.closing = true
			s.st.Stats.OutputLimitDisconnections.Add(1)
			s.account(c)
			s.log.Warn("Client " + c.client.Info(time.Now()) + " scheduled to be closed ASAP for overcoming of output buffer limits.")
		}
	}
	if o.closing || (len(c.w.B) > 0 || o.queued > 0) && s.overLimit(c) {
		s.dropOutput(c)
		s.account(c)
		return eventloop.Close
	}
	if o.armed && o.writable.Swap(false) {
		o.armed = false
	}
	err := s.send(c)
	if err == nil && o.queued > 0 && !o.armed && action != eventloop.Close {
		err = s.waiter.arm(c)
	}
	if err != nil {
		s.log.Debug("write error", "client", c.client.Addr, "err", err)
		s.dropOutput(c)
		action = eventloop.Close
	}
	if action == eventloop.Close && o.queued > 0 {
		// Closing with replies the socket has not taken (QUIT after a big
		// reply): write what the socket takes now, then close.
		for i, b := range o.queue {
			if i == 0 {
				b = b[o.off:]
			}
			n, _ := c.gc.Write(b)
			s.st.Stats.NetOutput.Add(c.client.Stripe, int64(n))
		}
		s.dropOutput(c)
	}
	if o.resume && action != eventloop.Close {
		// Not Wake at once: the pause lets the loop's other connections,
		// and the client reading its replies, catch up first.
		o.resume = false
		time.AfterFunc(yieldPause, func() { _ = c.gc.Wake() })
	}
	s.setCheckAt(c)
	s.account(c)
	return action
}

// send moves c.w.B into the queue, or straight to the socket when nothing
// is queued before it, and writes as much of the queue as the socket takes.
func (s *Server) send(c *conn) error {
	o := &c.out
	b := c.w.B
	if len(b) > 0 {
		if len(o.queue) == 0 && !o.armed {
			n, err := s.write(c, b)
			if err != nil {
				return err
			}
			b = b[n:]
		}
		if len(b) > 0 && o.push(b, true) {
			c.w.B = nil // the queue has it now
		} else {
			// A batch that needed a big buffer may well need it again; one
			// that did not, or a connection gone idle (the cron wakes it),
			// gives it back, as Redis's reply buffer shrinks to 16 KB.
			used := len(c.w.B)
			c.w.Reset()
			if n := cap(c.w.B); n > keepBuf || n > keepOut && used <= keepOut && !s.st.KeepReplyBuffers.Load() {
				c.w.B = nil
			}
		}
	} else if cap(c.w.B) > keepOut && !s.st.KeepReplyBuffers.Load() {
		c.w.B = nil
	}
	if big := cap(c.w.B) > keepOut; big != o.bigBuf.Load() {
		o.bigBuf.Store(big)
	}
	if o.armed || len(o.queue) == 0 {
		return nil
	}
	return s.writeQueue(c)
}

// push queues b and reports whether the queue keeps b itself: an owned
// reply buffer of replyChunk or more is handed over whole (the writer must
// start a new one); smaller data is copied into the last chunk or a new
// replyChunk one. Output of other goroutines (not owned) is kept as is,
// its capacity cut so that nothing is ever appended to it.
func (o *output) push(b []byte, owned bool) (kept bool) {
	if len(b) < replyChunk {
		if n := len(o.queue); n > 0 && cap(o.queue[n-1])-len(o.queue[n-1]) >= len(b) {
			o.queue[n-1] = append(o.queue[n-1], b...)
		} else {
			chunk := append(make([]byte, 0, replyChunk), b...)
			o.queue = append(o.queue, chunk)
			o.held += int64(cap(chunk))
		}
		o.queued += int64(len(b))
		return false
	}
	if !owned {
		b = b[:len(b):len(b)]
	}
	o.queue = append(o.queue, b)
	o.queued += int64(len(b))
	o.held += int64(cap(b))
	return true
}

// pushPosted queues b, which another goroutine posted, as it is: posted
// buffers never change (post's contract) and a published message's frame
// is shared by all its subscribers, so copying each into a queue chunk
// would only make fan-out allocate and clear a chunk per subscriber per
// batch. Its capacity is cut so that nothing is ever appended to it; the
// queue only reads it, and drops it once written. It counts in queued (the
// output limits, omem) and held (used_memory) by its length, as a copy
// would.
func (o *output) pushPosted(b []byte) {
	if len(b) == 0 {
		return
	}
	o.queue = append(o.queue, b[:len(b):len(b)])
	o.queued += int64(len(b))
	o.held += int64(len(b))
}

// writeQueue writes queued chunks until the socket is full or the queue
// empty, dropping each chunk once written.
func (s *Server) writeQueue(c *conn) error {
	o := &c.out
	var iov [maxIovecs][]byte
	for len(o.queue) > 0 {
		if c.sock >= 0 && len(o.queue) > 1 && len(o.queue[0])-o.off < replyChunk && len(o.queue[1]) < replyChunk {
			// Small buffers (a subscriber's messages) are gathered into one
			// write: writev of many short iovecs costs the kernel more than
			// the copy, and takes at most maxIovecs of them per call.
			n, total, err := s.writeGathered(c)
			if err != nil {
				return err
			}
			o.consume(n)
			if n < total {
				return nil // the socket is full
			}
			continue
		}
		v := iov[:0]
		total := 0
		for i, b := range o.queue {
			if i == 0 {
				b = b[o.off:]
			}
			if len(v) == maxIovecs {
				break
			}
			v = append(v, b)
			total += len(b)
		}
		var n int
		var err error
		if len(v) == 1 {
			n, err = s.write(c, v[0])
		} else {
			n, err = writev(c, v)
			if n > 0 {
				s.st.Stats.NetOutput.Add(c.client.Stripe, int64(n))
				s.st.Stats.Writes.Add(c.client.Stripe, 1)
			}
		}
		if err != nil {
			return err
		}
		o.consume(n)
		if n < total {
			return nil // the socket is full
		}
	}
	return nil
}

// gatherPool holds the buffers writeGathered copies small queued buffers
// into for one write.
var gatherPool = sync.Pool{New: func() any { b := make([]byte, 0, gatherMax); return &b }}

const gatherMax = 64 << 10

// writeGathered writes the queue's leading small buffers (up to gatherMax
// bytes) with one write, returning what the socket took and what was
// offered.
func (s *Server) writeGathered(c *conn) (n, total int, err error) {
	o := &c.out
	bp := gatherPool.Get().(*[]byte)
	buf := (*bp)[:0]
	for i, b := range o.queue {
		if i == 0 {
			b = b[o.off:]
		}
		if len(b) >= replyChunk || len(buf)+len(b) > gatherMax {
			break
		}
		buf = append(buf, b...)
	}
	n, err = s.write(c, buf)
	total = len(buf)
	*bp = buf[:0]
	gatherPool.Put(bp)
	return n, total, err
}

// consume drops n written bytes from the front of the queue.
func (o *output) consume(n int) {
	o.queued -= int64(n)
	for n > 0 {
		rest := len(o.queue[0]) - o.off
		if n < rest {
			o.off += n
			return
		}
		n -= rest
		o.freed += int64(cap(o.queue[0]))
		o.held -= int64(cap(o.queue[0]))
		if len(o.queue) == 1 && !sameArray(o.queue, o.spare) {
			// The queue outgrew spare's array: spare may still hold copies
			// of entries the new one took over.
			o.spare = nil
		}
		o.queue[0] = nil
		o.queue = o.queue[1:]
		o.off = 0
	}
	if len(o.queue) == 0 {
		o.queue = nil
	}
}

// sameArray reports whether a and b are views of one array (whose every
// entry a's consumer has cleared, for spare): front-slicing keeps the
// array's end.
func sameArray(a, b [][]byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}

// write writes b to c's socket, returning how much it took (0 when full).
func (s *Server) write(c *conn, b []byte) (int, error) {
	if c.sock < 0 {
		n, err := c.gc.Write(b) // TLS: blocks this connection's goroutine until written
		s.st.Stats.NetOutput.Add(c.client.Stripe, int64(n))
		if n > 0 {
			s.st.Stats.Writes.Add(c.client.Stripe, 1)
		}
		return n, err
	}
	n, err := eventloop.Write(c.sock, b)
	s.st.Stats.NetOutput.Add(c.client.Stripe, int64(n))
	if n > 0 {
		s.st.Stats.Writes.Add(c.client.Stripe, 1)
	}
	return n, err
}

func writev(c *conn, v [][]byte) (int, error) {
	if c.sock < 0 {
		n := 0
		for _, b := range v {
			m, err := c.gc.Write(b)
			n += m
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
	for {
		n, err := unix.Writev(c.sock, v)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return 0, nil
		}
		return 0, err
	}
}

// dropOutput discards everything c has not sent (a client closed at its
// limit gets nothing more, as in Redis).
func (s *Server) dropOutput(c *conn) {
	o := &c.out
	o.freed += o.held + int64(cap(c.w.B))
	o.queue, o.spare, o.off, o.queued, o.held = nil, nil, 0, 0, 0
	c.w.B = nil
	o.inbox.close()
}

// account charges the change in c's memory to used_memory and publishes
// its CLIENT LIST fields; it costs a few comparisons when nothing changed.
func (s *Server) account(c *conn) {
	o := &c.out
	// The parser's share is the unfinished request it holds between reads
	// (up to client-query-buffer-limit): input memory too.
	total := connOverhead + int64(cap(c.w.B)) + int64(cap(c.pending)) + int64(c.parser.Buffered()) + o.held + c.client.StateMem()
	if total != o.charged {
		s.st.KS.ChargeClients(total - o.charged)
		grew := total > o.charged
		o.charged = total
		if grew && !o.closing {
			// A client closed for its output limit is not a reason to
			// evict others (Redis's test: "avoid client eviction when
			// client is freed by output buffer limit").
			defer s.evictClients()
		}
	}
	if o.freed > 0 {
		s.noteFreed(o.freed)
		o.freed = 0
	}
	b := command.Buffers{
		QueryFree: int64(cap(c.pending) - len(c.pending)),
		Oll:       int64(len(o.queue)),
		Omem:      o.queued + int64(len(c.w.B)), // the batch's replies, when it is cut short
		Total:     total,
	}
	if b != o.pub {
		o.pub = b
		c.client.SetBuffers(b)
	}
}

// release uncharges a closed connection.
func (s *Server) release(c *conn) {
	s.dropOutput(c)
	s.waiter.forget(c)
	s.st.KS.ChargeClients(-c.out.charged)
	c.out.charged = 0
	s.noteFreed(c.out.freed)
}
