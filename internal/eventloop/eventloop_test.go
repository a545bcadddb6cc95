package eventloop

import (
	"bufio"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echo answers each line: "loop" with the index of the loop serving the
// connection, "close" by closing, anything else with itself. A wake
// writes "woken <loop>".
type echo struct {
	mu     sync.Mutex
	conns  map[*Conn]bool
	opened atomic.Int32
	closed atomic.Int32
	moved  atomic.Int32
	reject []byte
	where  sync.Map // *Conn -> loop index when last run (from its loop)
}

func (h *echo) OnOpen(c *Conn) ([]byte, bool) {
	if h.reject != nil {
		return h.reject, false
	}
	h.opened.Add(1)
	h.mu.Lock()
	h.conns[c] = true
	h.mu.Unlock()
	h.where.Store(c, c.Loop())
	return nil, true
}

func (h *echo) OnTraffic(c *Conn, data []byte) Action {
	h.where.Store(c, c.Loop())
	if data == nil {
		_, _ = c.Write([]byte("woken " + strconv.Itoa(c.Loop()) + "\n"))
		return None
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		switch strings.TrimSpace(line) {
		case "":
		case "loop":
			_, _ = c.Write([]byte(strconv.Itoa(c.Loop()) + "\n"))
		case "close":
			return Close
		default:
			_, _ = c.Write([]byte(line))
		}
	}
	return None
}

func (h *echo) OnMove(c *Conn) { h.moved.Add(1) }

func (h *echo) OnClose(c *Conn) {
	h.closed.Add(1)
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

func (h *echo) all() []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Conn
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

func start(t *testing.T, h *echo, loops, active int) (*Engine, string) {
	t.Helper()
	if h.conns == nil {
		h.conns = map[*Conn]bool{}
	}
	e, err := New(h, []string{"tcp4://127.0.0.1:0"}, 128, loops, active)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Run(); close(done) }()
	t.Cleanup(func() {
		e.Stop()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after Stop")
		}
	})
	return e, e.Addrs()[0].String()
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{nc, bufio.NewReader(nc)}
}

func (c *client) ask(t *testing.T, line string) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	got, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return strings.TrimSuffix(got, "\n")
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for " + what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEchoAndClose(t *testing.T) {
	h := &echo{}
	_, addr := start(t, h, 2, 2)
	c := dial(t, addr)
	if got := c.ask(t, "hello"); got != "hello" {
		t.Fatalf("echo: %q", got)
	}
	// A pipelined burst bigger than one read arrives whole, in order.
	big := strings.Repeat("x", 200<<10)
	if got := c.ask(t, big); got != big {
		t.Fatalf("big echo: %d bytes", len(got))
	}
	c.Write([]byte("close\n"))
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.r.ReadString('\n'); err == nil {
		t.Fatal("read after close succeeded")
	}
	eventually(t, "OnClose", func() bool { return h.closed.Load() == 1 })
	// A client that hangs up is closed too.
	d := dial(t, addr)
	d.ask(t, "hi")
	d.Close()
	eventually(t, "OnClose after EOF", func() bool { return h.closed.Load() == 2 })
}

func TestReject(t *testing.T) {
	h := &echo{reject: []byte("go away\n")}
	_, addr := start(t, h, 1, 1)
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if got, _ := c.r.ReadString('\n'); got != "go away\n" {
		t.Fatalf("reject: %q", got)
	}
	if _, err := c.r.ReadString('\n'); err == nil {
		t.Fatal("rejected connection still open")
	}
	if h.closed.Load() != 0 {
		t.Fatal("OnClose for a connection OnOpen refused")
	}
}

func loopsOf(t *testing.T, cs []*client) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		out[c.ask(t, "loop")]++
	}
	return out
}

// Connections opened while one loop is active all go to it; more active
// loops take half of them, and fewer give them back, each connection
// still served (and its input in flight kept) across the moves.
func TestSetActiveMovesConnections(t *testing.T) {
	h := &echo{}
	e, addr := start(t, h, 2, 1)
	var cs []*client
	for range 10 {
		cs = append(cs, dial(t, addr))
	}
	if got := loopsOf(t, cs); got["0"] != 10 {
		t.Fatalf("one active loop: %v", got)
	}
	e.SetActive(2)
	eventually(t, "moves to loop 1", func() bool { return h.moved.Load() == 5 })
	if got := loopsOf(t, cs); got["0"] != 5 || got["1"] != 5 {
		t.Fatalf("two active loops: %v", got)
	}
	// New connections go to the less loaded loop.
	cs = append(cs, dial(t, addr), dial(t, addr))
	if got := loopsOf(t, cs); got["0"] != 6 || got["1"] != 6 {
		t.Fatalf("after two more: %v", got)
	}
	e.SetActive(1)
	eventually(t, "moves back", func() bool { return h.moved.Load() == 11 })
	// Requests in flight during a move are answered.
	for _, c := range cs {
		c.Write([]byte("a\nb\n"))
	}
	e.SetActive(2)
	for i, c := range cs {
		if a, b := c.ask(t, "c"), ""; a != "a" {
			t.Fatalf("client %d: %q", i, a)
		} else if b, _ = c.r.ReadString('\n'); b != "b\n" {
			t.Fatalf("client %d: %q", i, b)
		}
		if got, _ := c.r.ReadString('\n'); got != "c\n" {
			t.Fatalf("client %d: %q", i, got)
		}
	}
	if e.Active() != 2 {
		t.Fatal("Active", e.Active())
	}
}

// Wake and Close from other goroutines reach a connection on whichever
// loop serves it, also while it moves.
func TestWakeAndCloseFollowMoves(t *testing.T) {
	h := &echo{}
	e, addr := start(t, h, 2, 1)
	var cs []*client
	for range 6 {
		cs = append(cs, dial(t, addr))
	}
	eventually(t, "opens", func() bool { return h.opened.Load() == 6 })
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e.SetActive(1 + i%2)
			time.Sleep(time.Millisecond)
		}
	}()
	for range 50 {
		for _, c := range h.all() {
			_ = c.Wake()
		}
		for _, c := range cs {
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if got, err := c.r.ReadString('\n'); err != nil || !strings.HasPrefix(got, "woken ") {
				t.Fatalf("wake: %q %v", got, err)
			}
		}
	}
	close(stop)
	for _, c := range h.all() {
		_ = c.Close()
	}
	eventually(t, "closes", func() bool { return h.closed.Load() == 6 })
	for _, c := range cs {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.r.ReadString('\n'); err == nil {
			t.Fatal("connection still open after Close")
		}
	}
}

func TestStopClosesEverything(t *testing.T) {
	h := &echo{conns: map[*Conn]bool{}}
	e, err := New(h, []string{"tcp4://127.0.0.1:0"}, 128, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	addr := e.Addrs()[0].String()
	done := make(chan struct{})
	go func() { e.Run(); close(done) }()
	for range 4 {
		dial(t, addr).ask(t, "x")
	}
	e.Stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if h.closed.Load() != 4 {
		t.Fatalf("closed %d of 4", h.closed.Load())
	}
	if nc, err := net.Dial("tcp", addr); err == nil {
		nc.Close()
		t.Fatal("still listening after Stop")
	}
	// The port is free again at once (SO_REUSEADDR).
	e2, err := New(h, []string{"tcp4://" + addr}, 128, 1, 1)
	if err != nil {
		t.Fatal("rebind:", err)
	}
	e2.release()
}

func TestListenErrors(t *testing.T) {
	h := &echo{}
	_, addr := start(t, h, 1, 1)
	if _, err := New(h, []string{"tcp4://" + addr}, 128, 1, 1); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second bind: %v", err)
	}
	if _, err := New(h, []string{"unix:///tmp/x"}, 128, 1, 1); err == nil {
		t.Fatal("unsupported network accepted")
	}
}

// A loop switches between its two ways of waiting as traffic does: sparse
// requests (it parks in the runtime's poller), a pipelined burst (it polls
// and blocks in epoll_wait), and wake-ups from another goroutine while it
// is parked. Nothing is lost or answered late in any of them.
func TestSparseAndDenseTraffic(t *testing.T) {
	h := &echo{}
	_, addr := start(t, h, 1, 1)
	c := dial(t, addr)
	sparse := func(phase string) {
		for i := range 20 {
			time.Sleep(3 * time.Millisecond) // past sparseWait: the loop parks
			if got, want := c.ask(t, phase+strconv.Itoa(i)), phase+strconv.Itoa(i); got != want {
				t.Fatalf("%s: got %q, want %q", phase, got, want)
			}
		}
	}
	sparse("a")
	var burst strings.Builder
	for i := range 2000 {
		burst.WriteString("b" + strconv.Itoa(i) + "\n")
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = c.Write([]byte(burst.String())) }()
	for i := range 2000 {
		got, err := c.r.ReadString('\n')
		if want := "b" + strconv.Itoa(i) + "\n"; err != nil || got != want {
			t.Fatalf("burst %d: got %q, %v; want %q", i, got, err, want)
		}
	}
	sparse("c")
	conn := h.all()[0]
	for i := range 10 {
		time.Sleep(3 * time.Millisecond)
		conn.Wake()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if got, err := c.r.ReadString('\n'); err != nil || got != "woken 0\n" {
			t.Fatalf("wake %d: got %q, %v", i, got, err)
		}
	}
	sparse("d")
}

// With one P, a loop kept busy by a steady client must leave the P to the
// other goroutines, those woken by the runtime's poller included (here the
// client itself): the client's round trips and a sleeper both progress.
// (A loop that waited in a raw epoll_wait keeping its P would starve them.)
func TestOtherGoroutinesRunBesideADenseLoop(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	h := &echo{}
	_, addr := start(t, h, 1, 1)
	c := dial(t, addr)
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		i := 0
		defer func() { done <- i }()
		for ; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if got, want := c.ask(t, "x"+strconv.Itoa(i)), "x"+strconv.Itoa(i); got != want {
				t.Errorf("got %q, want %q", got, want)
				return
			}
		}
	}()
	begin := time.Now()
	for range 20 {
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(begin)
	close(stop)
	asked := <-done
	if took > 2*time.Second { // 100 ms of sleeps
		t.Fatalf("20 sleeps of 5 ms took %v beside a busy loop", took)
	}
	if asked < 200 { // thousands when nothing holds the P
		t.Fatalf("%d round trips in %v", asked, took)
	}
}
