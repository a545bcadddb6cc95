package command

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/config"
)

// slowlog keeps the most recent commands slower than
// slowlog-log-slower-than microseconds.
type slowlog struct {
	mu      sync.Mutex // guards entries, nextID, served
	entries []slowEntry
	nextID  int64

	// Blocked commands served since the last command ended: recorded
	// after it (flushServed), as Redis runs them again after the command
	// that made their keys ready.
	served  []servedCmd
	nServed atomic.Int32
}

type servedCmd struct {
	c    *Client
	args [][]byte
	dur  time.Duration
}

// addServed queues a served blocked command for the slowlog.
func (l *slowlog) addServed(c *Client, args [][]byte, dur time.Duration) {
	l.mu.Lock()
	l.served = append(l.served, servedCmd{c, args, dur})
	l.nServed.Add(1)
	l.mu.Unlock()
}

// flushServed records the queued served commands; one atomic load when
// there are none.
func (l *slowlog) flushServed(s *Server) {
	if l.nServed.Load() == 0 {
		return
	}
	l.mu.Lock()
	q := l.served
	l.served = nil
	l.nServed.Store(0)
	l.mu.Unlock()
	for _, x := range q {
		l.record(s, x.c, x.args, x.dur)
	}
}

type slowEntry struct {
	id     int64
	at     int64 // unix seconds
	micros int64
	args   []string
	addr   string
	name   string
}

func (l *slowlog) record(s *Server, c *Client, args [][]byte, dur time.Duration) {
	limit := s.Cfg.SlowlogSlowerThan()
	if limit < 0 || int64(dur/time.Microsecond) < limit {
		return
	}
	// As Redis: at most 32 arguments, each at most 128 bytes.
	const maxArgs, maxLen = 32, 128
	n := len(args)
	keep := n
	if keep > maxArgs {
		keep = maxArgs - 1
	}
	out := make([]string, 0, keep+1)
	for _, a := range args[:keep] {
		if len(a) > maxLen {
			out = append(out, string(a[:maxLen])+"... ("+strconv.Itoa(len(a)-maxLen)+" more bytes)")
		} else {
			out = append(out, string(a))
		}
	}
	if keep < n {
		out = append(out, "... ("+strconv.Itoa(n-keep)+" more arguments)")
	}
	e := slowEntry{at: time.Now().Unix(), micros: int64(dur / time.Microsecond), args: out, addr: c.Addr, name: c.Name()}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append([]slowEntry{e}, l.entries...)
	if max := int(s.Cfg.SlowlogMaxLen()); len(l.entries) > max {
		l.entries = l.entries[:max]
	}
}

// monitors fans the command stream out to MONITOR clients.
type monitors struct {
	n  atomic.Int32
	mu sync.Mutex // guards list
	l  []*Client
}

func (m *monitors) active() bool { return m.n.Load() > 0 }

func (m *monitors) add(c *Client) {
	m.mu.Lock()
	m.l = append(m.l, c)
	m.n.Store(int32(len(m.l)))
	m.mu.Unlock()
}

// RemoveClient forgets a client that disconnected: its MONITOR stream and
// any CLIENT PAUSE wake-up it registered.
func (s *Server) RemoveClient(c *Client) {
	s.dropBlocked(c)
	s.disableTracking(c)
	s.discardTx(c)
	s.dropSubscriptions(c)
	s.pause.mu.Lock()
	delete(s.pause.waiters, c)
	s.pause.mu.Unlock()
	m := &s.monitors
	m.mu.Lock()
	for i, x := range m.l {
		if x == c {
			m.l = append(m.l[:i], m.l[i+1:]...)
			break
		}
	}
	m.n.Store(int32(len(m.l)))
	m.mu.Unlock()
}

func (m *monitors) feed(c *Client, nowMs int64, args [][]byte) {
	now := time.Now()
	b := []byte{'+'}
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	for i := len(us); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, us...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.DB()), 10)
	b = append(b, ' ')
	if c.Lua {
		b = append(b, "lua"...)
	} else {
		b = append(b, c.Addr...)
	}
	b = append(b, ']')
	for _, a := range args {
		b = append(b, ' ')
		b = appendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	m.mu.Lock()
	for _, mc := range m.l {
		if mc != c && mc.Send != nil {
			mc.Send(b)
		}
	}
	m.mu.Unlock()
}

// appendRepr quotes s as Redis's sdscatrepr does.
func appendRepr(b, s []byte) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				const hex = "0123456789abcdef"
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}

// pauseState implements CLIENT PAUSE / UNPAUSE. A command that must wait
// is parked by its connection (Exec returns non-zero) and woken by the
// function it registered with WhenUnpaused: on UNPAUSE, or by one timer
// when the pause ends. Nothing polls, so paused clients cost no CPU.
type pauseState struct {
	until    atomic.Int64 // unix ms; 0 = not paused
	writeOnl atomic.Bool  // WRITE mode: only writes wait

	mu      sync.Mutex // guards waiters, timer and the writes of until/writeOnl
	waiters map[*Client]func()
	timer   *time.Timer

	// onPause learns when a pause starts and ends (under mu): the store
	// keeps expired keys while clients are paused, as Redis.
	onPause func(paused bool)
}

// maxWait is the longest time.Duration in whole milliseconds.
const maxWait = time.Duration(math.MaxInt64/int64(time.Millisecond)) * time.Millisecond

// blocks reports how long (at most) a command must wait because of CLIENT
// PAUSE; 0 means it runs now.
func (p *pauseState) blocks(s *Spec, tx *txState) time.Duration {
	until := p.until.Load()
	if until == 0 {
		return 0
	}
	left := until - time.Now().UnixMilli()
	if left <= 0 {
		return 0
	}
	// Commands that lift or inspect the pause never wait.
	if s.Name == "client|unpause" || s.Flags&(NoAuth|Admin) != 0 && s.Flags&Write == 0 {
		return 0
	}
	if p.writeOnl.Load() && pauseFlags(s, tx)&(Write|MayReplicate) == 0 {
		return 0
	}
	return min(time.Duration(left), maxWait/time.Millisecond) * time.Millisecond
}

// pause pauses clients until unix ms until (in WRITE mode or not). As
// Redis: a pause never shortens an earlier one; ALL wins over WRITE.
func (p *pauseState) pause(until int64, write bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now().UnixMilli()
	cur := p.until.Load()
	active := cur != 0 && now < cur
	if active && cur > until {
		until = cur
	}
	if !active || !write {
		p.writeOnl.Store(write)
	}
	p.until.Store(until)
	if p.onPause != nil {
		p.onPause(true)
	}
	d := min(time.Duration(until-now), maxWait/time.Millisecond) * time.Millisecond
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.expire)
	} else {
		p.timer.Reset(d)
	}
}

// unpause lifts the pause and wakes every waiter.
func (p *pauseState) unpause() {
	p.mu.Lock()
	p.until.Store(0)
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.onPause != nil {
		p.onPause(false)
	}
	p.mu.Unlock()
	p.wakeAll()
}

// expire runs when the pause's time is up; a waiter woken early (the pause
// was extended meanwhile) just parks again.
func (p *pauseState) expire() {
	p.mu.Lock()
	if until := p.until.Load(); p.onPause != nil && (until == 0 || time.Now().UnixMilli() >= until) {
		p.onPause(false)
	}
	p.mu.Unlock()
	p.wakeAll()
}

func (p *pauseState) wakeAll() {
	p.mu.Lock()
	w := p.waiters
	p.waiters = nil
	p.mu.Unlock()
	for c, wake := range w {
		c.pausedNow.Store(false)
		wake()
	}
}

// WhenUnpaused registers wake to be called once when the pause that made
// c's command wait ends (at once if it already has). A later registration
// for the same client replaces an earlier one.
func (s *Server) WhenUnpaused(c *Client, wake func()) {
	p := &s.pause
	p.mu.Lock()
	if until := p.until.Load(); until == 0 || time.Now().UnixMilli() >= until {
		p.mu.Unlock()
		wake()
		return
	}
	if p.waiters == nil {
		p.waiters = map[*Client]func(){}
	}
	p.waiters[c] = wake
	c.pausedNow.Store(true)
	p.mu.Unlock()
}

// PausedClients is how many clients wait for CLIENT PAUSE to end.
func (s *Server) PausedClients() int {
	s.pause.mu.Lock()
	defer s.pause.mu.Unlock()
	return len(s.pause.waiters)
}

var redactedArg = []byte("(redacted)")

// redacted is args as MONITOR and SLOWLOG show them: passwords and ACL
// rules replaced by "(redacted)", as Redis's redactClientCommandArgument
// does (AUTH's arguments, HELLO's AUTH user and password, every argument
// of ACL SETUSER, the value of a sensitive CONFIG SET parameter). Other
// commands' arguments are returned as they are.
func redacted(spec *Spec, args [][]byte) [][]byte {
	var hide func(i int) bool
	switch spec.Name {
	case "auth":
		hide = func(i int) bool { return i >= 1 }
	case "acl|setuser":
		hide = func(i int) bool { return i >= 2 }
	case "hello":
		hide = func(i int) bool {
			for j := 2; j+2 < len(args); j++ {
				if eqFold(args[j], "auth") && (i == j+1 || i == j+2) {
					return true
				}
			}
			return false
		}
	case "config|set":
		hide = func(i int) bool { return i >= 3 && i%2 == 1 && config.Sensitive(string(args[i-1])) }
	default:
		return args
	}
	out := make([][]byte, len(args))
	for i, a := range args {
		if hide(i) {
			a = redactedArg
		}
		out[i] = a
	}
	return out
}
