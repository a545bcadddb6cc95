// Package eventloop owns the plain TCP network engine: listening sockets,
// epoll event loops, the connections on them, and which loop serves which
// connection.
//
// There is one loop per P the process may ever use, but connections live
// only on the first Active loops, and Active follows the Ps the scheduler
// has now (package procs lowers GOMAXPROCS while the load is light). Two
// loops sharing one P make a ready loop wait for the P while the other
// runs, which costs latency and a thread hand-off per wake-up; one loop
// per P in use costs neither. When the Ps change, loops hand connections
// to each other between reads (SetActive), so a load that grows on
// connections opened while it was light still reaches every core.
//
// A loop reads what a socket has into its own buffer and gives it to the
// Handler, which must be done with it when OnTraffic returns. Writes are
// the Handler's business (it writes to Conn.Fd itself); other goroutines
// reach a connection only through Wake and Close, which queue a task for
// the connection's loop. The package knows nothing of the protocol, of
// commands or of the store.
package eventloop

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Action is what the Handler wants done with a connection after an event.
type Action int

const (
	None  Action = iota // keep serving it
	Close               // close it
)

// Handler is the protocol side. Every method runs on the connection's
// loop; a connection's calls never overlap.
type Handler interface {
	// OnOpen accepts a new connection, or refuses it with bytes to send
	// before it is closed (ok false; reject may be nil).
	OnOpen(c *Conn) (reject []byte, ok bool)
	// OnTraffic gets what arrived (valid only until it returns), or nil
	// when the connection was woken.
	OnTraffic(c *Conn, data []byte) Action
	// OnMove tells that c now runs on loop c.Loop().
	OnMove(c *Conn)
	// OnClose runs once, before the socket is closed.
	OnClose(c *Conn)
}

// Conn is one accepted connection.
type Conn struct {
	fd     int
	remote net.Addr
	local  net.Addr
	ctx    any
	idx    int // the loop's index; its loop only

	owner   atomic.Pointer[loop] // where Wake and Close send their tasks
	wakeQ   atomic.Bool          // a wake is queued
	closeQ  atomic.Bool          // a close is queued
	closed  bool                 // its loop only
	counted *loop                // the loop whose n counts it
	again   bool                 // ReadAgain was called; its loop only
}

func (c *Conn) Fd() int              { return c.fd }
func (c *Conn) RemoteAddr() net.Addr { return c.remote }
func (c *Conn) LocalAddr() net.Addr  { return c.local }
func (c *Conn) Context() any         { return c.ctx }
func (c *Conn) SetContext(v any)     { c.ctx = v }

// ReadAgain, called from OnTraffic, has c read again at once when the
// read filled the buffer, before the loop serves anyone else: the handler
// is inside a request too big for one read (as Redis reads the rest of a
// big argument in one go), so the request arrives whole in one turn rather
// than 64 KiB per round of the loop. Bounded by maxReadAgain.
func (c *Conn) ReadAgain() { c.again = true }

// maxReadAgain bounds ReadAgain's reads in one turn (16 MiB).
const maxReadAgain = 256

// Loop is the index of the loop serving c (from its own loop only).
func (c *Conn) Loop() int { return c.idx }

// Wake makes c's loop call OnTraffic(c, nil) soon. Safe from any
// goroutine; wakes queued before the call runs make one call.
func (c *Conn) Wake() error {
	if c.wakeQ.CompareAndSwap(false, true) {
		c.owner.Load().post(task{kind: taskWake, c: c})
	}
	return nil
}

// Close makes c's loop close it. Safe from any goroutine.
func (c *Conn) Close() error {
	if c.closeQ.CompareAndSwap(false, true) {
		c.owner.Load().post(task{kind: taskClose, c: c})
	}
	return nil
}

// Write writes b to the socket as far as it takes it, without waiting
// (from c's own loop only).
func (c *Conn) Write(b []byte) (int, error) { return Write(c.fd, b) }

// SetKeepAlivePeriod turns TCP keepalive on as Redis does: the first probe
// after d idle, then every d/3, the connection dropped after three
// unanswered.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	secs := max(1, int(d/time.Second))
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(c.fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(c.fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, max(1, secs/3)); err != nil {
		return err
	}
	return unix.SetsockoptInt(c.fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
}

// Engine is the listeners and the loops.
type Engine struct {
	h      Handler
	loops  []*loop
	lns    atomic.Pointer[[]int] // listening sockets, armed on loop 0; replaced by Rebind
	lnMu   sync.Mutex            // serialises Rebind; guards lnAddr
	lnAddr []string              // what lns were bound to, to bind again after a failed Rebind
	active atomic.Int32
	shared atomic.Int32 // SharePoller's count

	balance chan struct{} // SetActive's signal to the balancer
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// SharePoller says that delta more (or, negative, fewer) goroutines of the
// process wait on the runtime's network poller for their work: the TLS
// connections, or Go clients in the same process. While any do, a loop
// with nothing to do waits in the runtime's poller, never in a blocking
// epoll_wait. That call holds the loop's P until sysmon takes it, and the
// poller's goroutines run only when some P polls the network (at the
// latest sysmon's, every 10 ms): with plain clients keeping the loops
// busy, a TLS client's GET took 5.4 ms at the median and 22 ms at worst
// (0.05 ms without them), an in-process client's invalidation 15 ms at
// p99. Parking costs a loop more CPU per request at -P 1 (up to ~15 %),
// so only then.
func (e *Engine) SharePoller(delta int) { e.shared.Add(int32(delta)) }

// New binds addrs ("tcp4://host:port" or "tcp6://[host]:port") with the
// given backlog and makes loops event loops (at least one), active of them
// serving connections at first.
func New(h Handler, addrs []string, backlog, loops, active int) (*Engine, error) {
	e := &Engine{h: h, balance: make(chan struct{}, 1), stop: make(chan struct{})}
	lns, err := listenAll(addrs, backlog)
	if err != nil {
		return nil, err
	}
	e.lns.Store(&lns)
	e.lnAddr = boundAddrs(lns)
	for i := range max(1, loops) {
		l, err := newLoop(e, i)
		if err != nil {
			e.release()
			return nil, err
		}
		e.loops = append(e.loops, l)
	}
	for _, fd := range lns {
		if err := e.loops[0].arm(fd); err != nil {
			e.release()
			return nil, err
		}
	}
	e.active.Store(int32(min(max(1, active), len(e.loops))))
	return e, nil
}

// release closes the loops' descriptors and the listeners.
func (e *Engine) release() {
	for _, l := range e.loops {
		l.release()
	}
	for _, fd := range e.listeners() {
		unix.Close(fd)
	}
	e.lns.Store(nil)
}

// listeners are the listening sockets now.
func (e *Engine) listeners() []int {
	if p := e.lns.Load(); p != nil {
		return *p
	}
	return nil
}

// Addrs are the addresses the listeners are bound to (a port 0 in New
// becomes the port the system chose).
func (e *Engine) Addrs() []net.Addr {
	var out []net.Addr
	for _, fd := range e.listeners() {
		if sa, err := unix.Getsockname(fd); err == nil {
			out = append(out, sockaddrAddr(sa))
		}
	}
	return out
}

// Active is how many loops serve connections now.
func (e *Engine) Active() int { return int(e.active.Load()) }

// Run serves until Stop, then closes every connection and returns.
func (e *Engine) Run() {
	for _, l := range e.loops {
		e.wg.Add(1)
		go l.run()
	}
	balancerDone := make(chan struct{})
	go e.balancer(balancerDone)
	e.wg.Wait()
	<-balancerDone
	// A connection handed to a loop after that loop stopped: its adopt
	// task is still queued (nothing else runs the Handler now).
	for _, l := range e.loops {
		l.stopAll()
	}
	e.release()
}

// Idle is how long the loops have waited for events, all added up, since
// they started: what a loop did not wait of the wall time, it ran (or was
// ready to). Safe from any goroutine.
func (e *Engine) Idle() time.Duration {
	var d int64
	for _, l := range e.loops {
		d += l.idle.Load()
	}
	return time.Duration(d)
}

// Stop makes Run close everything and return. Safe from any goroutine,
// any number of times.
func (e *Engine) Stop() {
	e.once.Do(func() {
		close(e.stop)
		for _, l := range e.loops {
			l.post(task{kind: taskStop})
		}
	})
}

// SetActive sets how many loops serve connections (clamped to 1..Loops)
// and moves connections so that they are spread evenly over those.
// Safe from any goroutine.
func (e *Engine) SetActive(n int) {
	n = min(max(1, n), len(e.loops))
	if int(e.active.Swap(int32(n))) == n {
		return
	}
	select {
	case e.balance <- struct{}{}:
	default:
	}
}

// balanceEvery is how often connections are re-spread while more than
// one loop is active: closes leave loops uneven over time.
const balanceEvery = time.Second

// balancer spreads connections when Active changes, and every
// balanceEvery while more than one loop is active (never while the
// server is idle on one loop).
func (e *Engine) balancer(done chan struct{}) {
	defer close(done)
	t := time.NewTimer(balanceEvery)
	t.Stop()
	for {
		select {
		case <-e.stop:
			t.Stop()
			return
		case <-e.balance:
		case <-t.C:
		}
		e.spread()
		if e.Active() > 1 {
			t.Reset(balanceEvery)
		}
	}
}

// spread asks every loop holding more than its share to shed the excess.
func (e *Engine) spread() {
	k := e.Active()
	total := 0
	for _, l := range e.loops {
		total += int(l.n.Load())
	}
	share := (total + k - 1) / k
	for i, l := range e.loops {
		keep := share
		if i >= k {
			keep = 0
		}
		// A difference of one is not worth a move.
		if excess := int(l.n.Load()) - keep; excess > 0 && (i >= k || excess > 1) {
			l.post(task{kind: taskShed, n: excess})
		}
	}
}

// pick is the active loop with the fewest connections other than skip
// (nil when there is none).
func (e *Engine) pick(skip *loop) *loop {
	var best *loop
	for _, l := range e.loops[:e.Active()] {
		if l != skip && (best == nil || l.n.Load() < best.n.Load()) {
			best = l
		}
	}
	return best
}

type taskKind uint8

const (
	taskWake taskKind = iota
	taskClose
	taskAdopt // a connection handed over by accept or another loop
	taskShed  // move n connections to less loaded loops
	taskArm   // listen again on a listener disarmed after EMFILE
	taskStop
)

type task struct {
	kind  taskKind
	c     *Conn
	n     int  // taskShed: how many; taskArm: the listener
	fresh bool // taskAdopt: just accepted, not opened yet
}

// Rebind replaces the listeners with ones bound to addrs (none: stop
// listening), as Redis's CONFIG SET port and bind do: the old ones close
// first, so the same port can be bound again; if an address cannot be
// bound, the old addresses are bound again and the error is returned.
// Connections are not touched. Safe from any goroutine, a loop's included
// (CONFIG SET runs on one): loop 0 sees the new set at its next event, and
// an event it had already taken for a closed listener fails its accept
// harmlessly.
func (e *Engine) Rebind(addrs []string, backlog int) error {
	e.lnMu.Lock()
	defer e.lnMu.Unlock()
	l := e.loops[0]
	old := e.listeners()
	e.lns.Store(nil)
	for _, fd := range old {
		_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		unix.Close(fd)
	}
	lns, err := listenAll(addrs, backlog)
	if err != nil {
		lns, _ = listenAll(e.lnAddr, backlog) // as they were, if still possible
	} else {
		e.lnAddr = boundAddrs(lns)
	}
	e.lns.Store(&lns)
	for _, fd := range lns {
		_ = l.arm(fd)
	}
	return err
}

// listenAll binds every address, or none (closing what it bound) and
// returns the first error.
func listenAll(addrs []string, backlog int) ([]int, error) {
	var fds []int
	for _, a := range addrs {
		fd, err := listen(a, backlog)
		if err != nil {
			for _, f := range fds {
				unix.Close(f)
			}
			return nil, err
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// boundAddrs are the addresses fds are bound to, in listen's form (a port
// 0 given to listen becomes the port chosen), to bind them again.
func boundAddrs(fds []int) []string {
	var out []string
	for _, fd := range fds {
		sa, err := unix.Getsockname(fd)
		if err != nil {
			continue
		}
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			out = append(out, "tcp4://"+net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port)))
		case *unix.SockaddrInet6:
			ip := net.IP(a.Addr[:]).String()
			if z := zoneName(a.ZoneId); z != "" {
				ip += "%" + z
			}
			out = append(out, "tcp6://"+net.JoinHostPort(ip, strconv.Itoa(a.Port)))
		}
	}
	return out
}

// loop is one epoll set and the goroutine that waits on it.
type loop struct {
	e     *Engine
	idx   int
	epfd  int
	ep    *os.File        // epfd, registered with Go's netpoller
	rc    syscall.RawConn // waits on ep
	evfd  int             // eventfd: tasks are queued
	n     atomic.Int32
	idle  atomic.Int64  // ns spent waiting for events (Engine.Idle)
	conns map[int]*Conn // by fd; the loop's goroutine only
	buf   []byte

	mu       sync.Mutex // guards tasks
	tasks    []task
	spare    []task
	notified atomic.Bool // evfd has been written since the loop last read it
}

// sparseWait is the wait after which a loop parks in the runtime's poller
// rather than blocking in epoll_wait.
const sparseWait = time.Millisecond

// readBuf is how much one read takes at most.
const readBuf = 64 << 10

func newLoop(e *Engine, idx int) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	l := &loop{e: e, idx: idx, epfd: epfd, evfd: evfd, conns: map[int]*Conn{}}
	if err := l.arm(evfd); err != nil {
		l.release()
		return nil, err
	}
	// The loop waits for its epoll set through the runtime's poller (an
	// epoll set is itself pollable): a loop with nothing to do parks as a
	// goroutine, leaving its P idle, instead of sleeping in epoll_wait with
	// its P in a system call, which sysmon must keep taking back (it then
	// polls every 20 µs) and the loop must win back on waking.
	if err := unix.SetNonblock(epfd, true); err != nil {
		l.release()
		return nil, err
	}
	l.ep = os.NewFile(uintptr(epfd), "epoll")
	rc, err := l.ep.SyscallConn()
	if err != nil {
		l.release()
		return nil, err
	}
	l.rc = rc
	return l, nil
}

func (l *loop) release() {
	if l.epfd >= 0 {
		if l.ep != nil {
			l.ep.Close()
		} else {
			unix.Close(l.epfd)
		}
		unix.Close(l.evfd)
		l.epfd, l.evfd = -1, -1
	}
}

// arm adds fd to the set, level-triggered: a socket with unread bytes is
// reported again on every wait, so a connection handed over with input
// pending is read by its new loop.
func (l *loop) arm(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	return unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// post queues t and wakes the loop if it may be waiting.
func (l *loop) post(t task) {
	l.mu.Lock()
	l.tasks = append(l.tasks, t)
	l.mu.Unlock()
	if l.notified.CompareAndSwap(false, true) {
		var one = [8]byte{1}
		for {
			_, err := unix.Write(l.evfd, one[:])
			if !errors.Is(err, unix.EINTR) {
				return
			}
		}
	}
}

func (l *loop) run() {
	defer l.e.wg.Done()
	l.buf = make([]byte, readBuf)
	events := make([]unix.EpollEvent, 256)
	var n int
	var werr error
	// poll takes what is ready without waiting; when nothing is, the
	// runtime's poller parks the goroutine until the set is readable.
	polls := 0
	poll := func(fd uintptr) bool {
		polls++
		n, werr = rawEpollWait(int(fd), events)
		return n > 0 || werr != nil && !errors.Is(werr, unix.EINTR)
	}
	// How the loop waits depends on how long it waited last: under a
	// steady load (waits of microseconds) a blocking epoll_wait is the
	// cheapest wake-up (the runtime's poller costs a park and a ready
	// per wake: ~15 % more CPU per request at -P 1); when requests are
	// sparse it parks, so its idle P costs sysmon nothing. The polls
	// that do not wait are raw system calls: a Syscall's entersyscall
	// wakes a sleeping sysmon, which then polls every 20 µs for a while
	// and hands the P of a loop still in the call to another thread:
	// with a few sparse clients that was most of the server's CPU.
	sparse := false
	for {
		if sparse || l.e.shared.Load() > 0 {
			t0 := time.Now()
			polls = 0
			if err := l.rc.Read(poll); err != nil {
				panic("eventloop: waiting for epoll: " + err.Error())
			}
			if polls > 1 { // it parked: judge by the wait
				d := time.Since(t0)
				l.idle.Add(int64(d))
				sparse = d > sparseWait
			}
		} else {
			n, werr = rawEpollWait(l.epfd, events)
			if n <= 0 && (werr == nil || errors.Is(werr, unix.EINTR)) {
				t0 := time.Now()
				runtime.Gosched() // what else is runnable goes first
				n, werr = unix.EpollWait(l.epfd, events, -1)
				d := time.Since(t0)
				l.idle.Add(int64(d))
				sparse = d > sparseWait
			}
		}
		if werr != nil {
			if errors.Is(werr, unix.EINTR) {
				werr = nil
				continue
			}
			panic("eventloop: epoll_wait: " + werr.Error())
		}
		tasks := false
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == l.evfd {
				tasks = true
				continue
			}
			if c := l.conns[fd]; c != nil {
				l.read(c)
			} else if l.idx == 0 && l.isListener(fd) {
				l.accept(fd)
			}
		}
		if tasks && l.runTasks() {
			l.stopAll()
			return
		}
	}
}

func (l *loop) isListener(fd int) bool {
	for _, ln := range l.e.listeners() {
		if ln == fd {
			return true
		}
	}
	return false
}

// read gives what the socket has to the Handler; EOF or an error closes.
func (l *loop) read(c *Conn) {
	for reads := 0; ; {
		n, err := rawRead(c.fd, l.buf)
		switch {
		case n > 0:
			c.again = false
			if l.e.h.OnTraffic(c, l.buf[:n]) == Close {
				l.close(c)
				return
			}
			if c.again && n == len(l.buf) && reads < maxReadAgain && !c.closed {
				reads++
				continue
			}
			c.again = false
			return
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return
		}
		l.close(c)
		return
	}
}

// pending reports whether c is this loop's (its owner) but not adopted
// yet: a task taken before the adopt task was queued (the new owner is
// stored after it) must wait for it, or the Handler would see a connection
// its loop does not serve yet, and a close would be undone by the adopt.
func (l *loop) pending(c *Conn) bool { return !c.closed && l.conns[c.fd] != c }

// runTasks runs what was queued; true means stop.
func (l *loop) runTasks() bool {
	var b [8]byte
	_, _ = unix.Read(l.evfd, b[:]) // not raw: with post's unix.Write, an edge the race detector sees
	l.notified.Store(false)        // before taking the tasks: later posts write evfd again
	l.mu.Lock()
	tasks := l.tasks
	l.tasks, l.spare = l.spare[:0], nil
	l.mu.Unlock()
	stop := false
	for i, t := range tasks {
		switch t.kind {
		case taskWake:
			if o := t.c.owner.Load(); o != l {
				o.post(t) // it moved after the wake was queued
				break
			}
			if l.pending(t.c) {
				l.post(t)
				break
			}
			t.c.wakeQ.Store(false)
			if !t.c.closed && l.e.h.OnTraffic(t.c, nil) == Close {
				l.close(t.c)
			}
		case taskClose:
			if o := t.c.owner.Load(); o != l {
				o.post(t)
				break
			}
			if l.pending(t.c) {
				l.post(t)
				break
			}
			l.close(t.c)
		case taskAdopt:
			l.adopt(t.c, t.fresh)
		case taskShed:
			l.shed(t.n)
		case taskArm:
			if !stop && l.isListener(t.n) {
				_ = l.arm(t.n)
			}
		case taskStop:
			stop = true
		}
		tasks[i] = task{}
	}
	l.mu.Lock()
	if l.spare == nil {
		l.spare = tasks[:0]
	}
	l.mu.Unlock()
	return stop
}

// accept takes every connection waiting on a listener and hands each to
// the least loaded active loop.
func (l *loop) accept(lfd int) {
	for {
		fd, sa, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			switch {
			case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
				continue
			case errors.Is(err, unix.EAGAIN):
			default:
				// Out of descriptors (EMFILE, ENFILE) and the like: the
				// level-triggered listener would report the same backlog
				// at once, forever. Stop listening for a moment, as
				// net/http backs off.
				_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, lfd, nil)
				time.AfterFunc(50*time.Millisecond, func() { l.post(task{kind: taskArm, n: lfd}) })
			}
			return
		}
		c := &Conn{fd: fd, remote: sockaddrAddr(sa)}
		if lsa, err := unix.Getsockname(fd); err == nil {
			c.local = sockaddrAddr(lsa)
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		to := l.e.pick(nil)
		to.n.Add(1)
		c.counted = to
		c.owner.Store(to)
		if to == l {
			l.adopt(c, true)
		} else {
			to.post(task{kind: taskAdopt, c: c, fresh: true})
		}
	}
}

// adopt starts serving c on this loop.
func (l *loop) adopt(c *Conn, fresh bool) {
	c.idx = l.idx
	if fresh {
		if c.closeQ.Load() {
			l.drop(c)
			return
		}
		reject, ok := l.e.h.OnOpen(c)
		if !ok {
			if len(reject) > 0 {
				_, _ = c.Write(reject)
			}
			l.drop(c)
			return
		}
	}
	if err := l.arm(c.fd); err != nil {
		if !fresh {
			c.closed = true
			l.e.h.OnClose(c)
		}
		l.drop(c)
		return
	}
	l.conns[c.fd] = c
	if !fresh {
		l.e.h.OnMove(c)
	}
}

// drop forgets and closes a connection the Handler does not (or no
// longer) know.
func (l *loop) drop(c *Conn) {
	c.closed = true
	c.counted.n.Add(-1)
	unix.Close(c.fd)
}

// shed moves up to n connections to less loaded active loops.
func (l *loop) shed(n int) {
	for fd, c := range l.conns {
		if n == 0 {
			return
		}
		to := l.e.pick(l)
		active := l.idx < l.e.Active()
		if to == nil || active && to.n.Load()+1 >= l.n.Load() {
			return // nowhere better to go
		}
		n--
		_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		delete(l.conns, fd)
		l.n.Add(-1)
		to.n.Add(1)
		c.counted = to
		// The task goes first: a Wake or Close that sees the new owner
		// is queued after it; one that saw this loop is forwarded.
		to.post(task{kind: taskAdopt, c: c})
		c.owner.Store(to)
	}
}

// close closes c once: the Handler's OnClose, then the socket.
func (l *loop) close(c *Conn) {
	if c.closed {
		return
	}
	c.closed = true
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	delete(l.conns, c.fd)
	l.e.h.OnClose(c)
	c.counted.n.Add(-1)
	unix.Close(c.fd)
}

// stopAll closes every connection (Stop); loop 0 also stops listening.
func (l *loop) stopAll() {
	for _, c := range l.conns {
		l.close(c)
	}
	// Adopt tasks that arrive after this are dropped with the loop:
	// closing their sockets is enough, as their Handler never saw them.
	l.mu.Lock()
	rest := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	for _, t := range rest {
		if t.kind == taskAdopt && !t.c.closed {
			if t.fresh {
				l.drop(t.c)
			} else {
				t.c.closed = true
				l.e.h.OnClose(t.c)
				l.drop(t.c)
			}
		}
	}
}

func sockaddrAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port, Zone: zoneName(a.ZoneId)}
	}
	return &net.TCPAddr{}
}

func zoneName(id uint32) string {
	if id == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return ""
}

// read and write on a non-blocking socket never block, so they go
// straight to the kernel (RawSyscall) without telling the scheduler: the
// entersyscall/exitsyscall pair a Syscall costs on each side is a
// measurable share of a small request's CPU.

func rawRead(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// rawEpollWait takes the events ready in the set epfd, without waiting.
func rawEpollWait(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

// Write writes b to the non-blocking socket fd as far as it takes it:
// (0, nil) when it is full. For the Handler's own writes.
func Write(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		}
		return 0, errno
	}
}
