package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/config"
)

// The queue hands over big owned buffers, copies small data, never
// appends to data it does not own, and its counts follow what is written.
func TestOutputQueue(t *testing.T) {
	big := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	type step struct {
		push     []byte
		owned    bool
		posted   bool // pushPosted: another goroutine's buffer, queued as it is
		consume  int
		wantKept bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"small data is coalesced", []step{
			{push: []byte("+OK\r\n"), owned: true},
			{push: []byte(":1\r\n"), owned: false},
			{consume: 3},
			{push: []byte("$1\r\nx\r\n"), owned: true},
			{consume: 13},
		}},
		{"a big owned buffer is kept whole", []step{
			{push: big('a', replyChunk), owned: true, wantKept: true},
			{push: []byte("+OK\r\n"), owned: true},
			{consume: replyChunk - 1},
			{consume: 6},
		}},
		{"shared data is never appended to", []step{
			{push: append(make([]byte, 0, 2*replyChunk), big('b', replyChunk)...), owned: false, wantKept: true},
			{push: []byte("tail"), owned: true},
			{consume: replyChunk + 4},
		}},
		{"posted buffers are queued as they are, never appended to", []step{
			{push: append(make([]byte, 0, 64), "*3\r\n$7\r\nmessage\r\n"...), posted: true},
			{push: append(make([]byte, 0, 64), "*3\r\n$7\r\nmessage\r\n"...), posted: true},
			{push: []byte("+OK\r\n"), owned: true},
			{consume: 5},
			{push: append(make([]byte, 0, 64), ":1\r\n"...), posted: true},
			{consume: 38},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o output
			var want []byte // what is still to be written, in order
			orig := make([][]byte, len(tt.steps))
			for i, st := range tt.steps {
				orig[i] = append([]byte(nil), st.push[:cap(st.push)]...)
			}
			for i, st := range tt.steps {
				if st.push != nil {
					src := st.push
					before := append([]byte(nil), src[:cap(src)]...)
					if st.posted {
						o.pushPosted(src)
					} else if kept := o.push(src, st.owned); kept != st.wantKept {
						t.Fatalf("step %d: push kept = %v, want %v", i, kept, st.wantKept)
					}
					if !st.owned && !bytes.Equal(src[:cap(src)], before) { // posted too
						t.Fatalf("step %d: data not owned was written to", i)
					}
					want = append(want, st.push...)
				}
				for j, b := range tt.steps[:i] {
					// Data not owned is never written to, later either.
					if (b.posted || b.push != nil && !b.owned) && !bytes.Equal(b.push[:cap(b.push)], orig[j]) {
						t.Fatalf("step %d: the buffer pushed at step %d was written to", i, j)
					}
				}
				if st.consume > 0 {
					o.consume(st.consume)
					want = want[st.consume:]
				}
				var got []byte
				var held int64
				for j, b := range o.queue {
					held += int64(cap(b))
					if j == 0 {
						b = b[o.off:]
					}
					got = append(got, b...)
				}
				if !bytes.Equal(got, want) || o.queued != int64(len(want)) || o.held != held {
					t.Fatalf("step %d: queue %q (queued %d, held %d), want %q (held %d)",
						i, got, o.queued, o.held, want, held)
				}
			}
			if len(o.queue) != 0 || o.queue != nil {
				t.Fatalf("queue not released: %d chunks", len(o.queue))
			}
		})
	}
}

// writeQueue sends a queue of many small posted buffers and big chunks in
// order, through a socket that takes only part of it per call (the gathered
// writes of small buffers and the writev of big ones), and frees all of it.
func TestWriteQueueInOrder(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	_ = unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)

	s := New(config.Default(), slog.New(slog.DiscardHandler))
	c := &conn{sock: fds[0], client: &command.Client{}}
	var want []byte
	for i := range 600 {
		var b []byte
		switch {
		case i%150 == 149:
			b = bytes.Repeat([]byte{byte('A' + i%26)}, 3*replyChunk) // big: its own iovec
			c.out.push(b, true)
		default:
			b = fmt.Appendf(nil, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$%d\r\nm%d\r\n", len(strconv.Itoa(i))+1, i)
			c.out.pushPosted(b)
		}
		want = append(want, b...)
	}

	got := make(chan []byte)
	go func() {
		var all []byte
		buf := make([]byte, 1500)
		for len(all) < len(want) {
			n, err := unix.Read(fds[1], buf)
			if err != nil {
				break
			}
			all = append(all, buf[:n]...)
		}
		got <- all
	}()
	wrote := make(chan error, 1)
	go func() {
		for len(c.out.queue) > 0 {
			if err := s.writeQueue(c); err != nil {
				wrote <- err
				return
			}
			time.Sleep(100 * time.Microsecond) // the socket is full: let the reader drain it
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("writeQueue did not empty the queue: %d buffers, %d bytes left", len(c.out.queue), c.out.queued)
	}
	_ = unix.Shutdown(fds[0], unix.SHUT_WR) // the reader stops at the end, whatever was sent
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("received %d bytes, not the %d queued in order", len(b), len(want))
	}
	if c.out.queue != nil || c.out.queued != 0 || c.out.held != 0 || c.out.off != 0 {
		t.Fatalf("queue not released: %d buffers, queued %d, held %d", len(c.out.queue), c.out.queued, c.out.held)
	}
}

// Buffers posted while the loop drains keep their order and none is lost:
// the inbox's two slices take turns.
func TestInboxDrainKeepsOrder(t *testing.T) {
	var c conn
	const n = 20000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			c.out.inbox.queue(strconv.AppendInt(nil, int64(i), 10), 0)
		}
	}()
	next := 0
	check := func() {
		for _, b := range c.out.queue {
			if string(b) != strconv.Itoa(next) {
				t.Fatalf("got %q, want %d", b, next)
			}
			next++
		}
		c.out.queue, c.out.queued, c.out.held = nil, 0, 0
	}
	for open := true; open; {
		select {
		case <-done:
			open = false
		default:
		}
		c.out.inbox.drain(&c)
		check()
	}
	c.out.inbox.drain(&c)
	check()
	if next != n {
		t.Fatalf("drained %d of %d posted buffers", next, n)
	}
}

// An emptied queue's array is reused by the next drain only when the queue
// still lives in it (every entry cleared): once the queue outgrew it, the
// old array, which may hold copies of live entries, is let go.
func TestQueueSpare(t *testing.T) {
	var c conn
	post := func(bs ...string) {
		for _, b := range bs {
			c.out.inbox.queue([]byte(b), 0)
		}
		c.out.inbox.drain(&c)
	}
	consumeAll := func() { c.out.consume(int(c.out.queued)) }
	post("a", "b", "c")
	first := c.out.queue
	consumeAll()
	if !sameArray(first, c.out.spare) {
		t.Fatal("the emptied queue's array was not kept")
	}
	for _, e := range c.out.spare[:cap(c.out.spare)] {
		if e != nil {
			t.Fatalf("spare holds %q", e)
		}
	}
	post("d", "e")
	if !sameArray(c.out.queue, first) || string(c.out.queue[0]) != "d" || string(c.out.queue[1]) != "e" {
		t.Fatalf("the next drain did not reuse it: %q", c.out.queue)
	}
	for i := range cap(first) + 1 { // outgrow it while not empty
		post(strconv.Itoa(i))
	}
	consumeAll()
	if c.out.spare != nil {
		t.Fatal("an array the queue outgrew is still kept")
	}
}
