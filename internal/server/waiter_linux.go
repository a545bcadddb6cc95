package server

import (
	"errors"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// writeWaiter wakes connections whose socket is writable again. The event
// loops wait only for input, so a connection whose queue
// the socket did not take registers its fd here, one-shot, in an epoll set
// of our own, and one goroutine wakes it through its Wake, on its own
// event loop, when the socket takes data again. The goroutine and the
// epoll set are made on first use.
type writeWaiter struct {
	once sync.Once
	epfd int
	err  error
	stop atomic.Bool

	mu    sync.Mutex // guards conns
	conns map[int32]*conn
}

// start makes the epoll set and its goroutine.
func (w *writeWaiter) start() {
	w.epfd, w.err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if w.err != nil {
		return
	}
	w.conns = map[int32]*conn{}
	go w.run(w.epfd)
}

// arm asks for c to be woken once its socket is writable. It runs on c's
// event loop.
func (w *writeWaiter) arm(c *conn) error {
	w.once.Do(w.start)
	if w.err != nil {
		return w.err
	}
	fd := c.sock
	w.mu.Lock()
	w.conns[int32(fd)] = c
	w.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd)}
	op := unix.EPOLL_CTL_ADD
	if c.out.polled {
		op = unix.EPOLL_CTL_MOD // one-shot: still in the set, disarmed
	}
	err := unix.EpollCtl(w.epfd, op, fd, &ev)
	switch {
	case errors.Is(err, unix.EEXIST):
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	case errors.Is(err, unix.ENOENT):
		err = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	}
	if err != nil {
		return err
	}
	c.out.polled, c.out.armed = true, true
	return nil
}

// forget removes a connection that is closing (its fd still open).
func (w *writeWaiter) forget(c *conn) {
	if !c.out.polled {
		return
	}
	fd := c.sock
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	w.mu.Lock()
	if w.conns[int32(fd)] == c {
		delete(w.conns, int32(fd))
	}
	w.mu.Unlock()
	c.out.polled, c.out.armed = false, false
}

// close stops the goroutine, which closes the epoll set.
func (w *writeWaiter) close() { w.stop.Store(true) }

func (w *writeWaiter) run(epfd int) {
	defer unix.Close(epfd)
	events := make([]unix.EpollEvent, 128)
	for !w.stop.Load() {
		n, err := unix.EpollWait(epfd, events, 100)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			w.mu.Lock()
			c := w.conns[ev.Fd]
			w.mu.Unlock()
			if c != nil {
				// A stale event for a closed fd reused by another
				// connection wakes that one for nothing: its write finds
				// the socket full and it arms again.
				c.out.writable.Store(true)
				_ = c.gc.Wake()
			}
		}
	}
}
