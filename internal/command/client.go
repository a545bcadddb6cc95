package command

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/acl"
)

// Reply modes set by CLIENT REPLY.
const (
	ReplyOn = iota
	ReplyOff
	ReplySkip
)

// Client is one connection's state as commands see it. The connection's
// own event loop is the only writer of the unexported plain fields; fields
// that other clients read (CLIENT LIST, CLIENT KILL) are atomic or guarded
// by mu.
type Client struct {
	ID      int64
	Lua     bool   // a script's client: MONITOR shows [db lua], as Redis
	Addr    string // remote ip:port
	LAddr   string // local ip:port
	FD      int
	Created time.Time
	// Stripe is the stripe of the striped counters (package stripe) this
	// client's commands add to: its event loop's index, set by the server.
	Stripe int

	// Proto is the protocol negotiated by HELLO (2 or 3).
	Proto int
	// Authed is false until AUTH succeeds when the default user needs a
	// password (requirepass) or is off.
	Authed bool
	// Local is set by the server for a client on the loopback address or
	// a unix socket: the clients enable-debug-command and
	// enable-protected-configs "local" trust.
	Local bool
	// CloseAfterReply asks the server to close once the reply is written.
	CloseAfterReply bool
	// ReplyMode is CLIENT REPLY's mode.
	ReplyMode int
	// Monitor is set by MONITOR: the connection only receives the feed.
	Monitor bool
	// BatchGate is set by a server that calls EndBatch after each batch of
	// commands it runs for the client: consecutive atomic commands of one
	// batch (pipelined EVALSHAs, EXECs) then take the world gate once.
	BatchGate bool
	gateHeld  bool // this batch's atomic commands hold the gate (EndBatch releases)
	// clockAt is when the batch's last command ended (0: none yet), the
	// next one's start: one clock read per command, not two.
	clockAt time.Duration
	// lastName and lastSpec remember the last command looked up: a
	// pipeline mostly repeats one command, and the table never changes
	// once built.
	lastName []byte
	lastSpec *Spec

	db         atomic.Int32
	proto      atomic.Int32 // mirror of Proto for other clients' CLIENT LIST
	lastCmd    atomic.Pointer[Spec]
	lastActive atomic.Int64 // unix ms
	noEvict    atomic.Bool
	noTouch    atomic.Bool
	killed     atomic.Bool
	blockedNow atomic.Bool // in a blocking command, for CLIENT LIST and the idle timeout
	pausedNow  atomic.Bool // its command waits for CLIENT PAUSE to end (Waiting)
	subs       subCounts   // subscriptions (pubsub.go)
	// user is the ACL user the client is authenticated as; nil is the
	// default user. Its loop sets it (AUTH, HELLO, RESET); others read it.
	user atomic.Pointer[acl.User]

	mu      sync.Mutex // guards name, libName, libVer
	name    string
	libName string
	libVer  string

	// Kill closes the connection from any goroutine (set by the server).
	Kill func()
	// Send writes bytes to the connection from any goroutine (MONITOR
	// feed, later pub/sub), after what it has queued, under its output
	// limit; set by the server. b must not change afterwards.
	Send func(b []byte)
	// Wake makes the connection go on after a blocking command finished
	// (from any goroutine; set by the server).
	Wake func()
	// Queue is Send without waking the connection: it reports whether the
	// connection must be woken (WakeOutput) for what it queued. A publisher
	// queues its messages and wakes each subscriber once per batch of
	// commands (WakeDeferred). Nil: use Send.
	Queue      func(b []byte) bool
	WakeOutput func()
	// QueryBuf reports the unparsed input buffered (CLIENT LIST qbuf).
	QueryBuf func() int
	// ArgOwned reports whether an argument of the running command is a
	// buffer of its own that may be kept instead of copied (a large value
	// received across reads); set by the server, nil means never.
	ArgOwned func(arg []byte) bool

	block *waiter // the blocking command waiting; the connection's loop only
	trk   trackState

	// Transactions (multi.go), the connection's loop only: the open MULTI,
	// the watched keys, and atomic while EXEC (or a script) runs commands
	// for it (blocking commands do not block, CLIENT REPLY applies to the
	// whole reply). multiN, watchN and multiMem mirror them for CLIENT LIST.
	tx       *txState
	watch    *watchSet
	atomic   bool
	multiN   atomic.Int32 // queued commands, -1 outside MULTI
	watchN   atomic.Int32
	multiMem atomic.Int64

	// wakeLater are the subscribers this client's commands queued messages
	// for without waking them; its loop wakes them (WakeDeferred) before
	// it writes. The connection's loop only.
	wakeLater []*Client

	bufs struct{ qfree, oll, omem, tot atomic.Int64 } // published by the server: CLIENT LIST
}

// Buffers is a client's memory as CLIENT LIST reports it, in Redis's terms.
type Buffers struct {
	QueryFree int64 // qbuf-free: allocated query buffer not in use
	Oll       int64 // oll: replies queued for the socket (chunks)
	Omem      int64 // omem: bytes of those replies not yet sent
	Total     int64 // tot-mem: everything the connection holds
}

// SetBuffers publishes the connection's buffer sizes. The network layer
// calls it when they change, not per command.
func (c *Client) SetBuffers(b Buffers) {
	c.bufs.qfree.Store(b.QueryFree)
	c.bufs.oll.Store(b.Oll)
	c.bufs.omem.Store(b.Omem)
	c.bufs.tot.Store(b.Total)
}

// Buffers is what SetBuffers last published.
func (c *Client) Buffers() Buffers {
	return Buffers{c.bufs.qfree.Load(), c.bufs.oll.Load(), c.bufs.omem.Load(), c.bufs.tot.Load()}
}

// NewClient makes a client with Redis's defaults (RESP2, db 0).
func NewClient(id int64, addr, laddr string, fd int) *Client {
	c := &Client{ID: id, Addr: addr, LAddr: laddr, FD: fd, Created: time.Now(), Proto: 2}
	c.proto.Store(2)
	c.multiN.Store(-1)
	c.lastActive.Store(time.Now().UnixMilli())
	return c
}

// UserName is the name of the ACL user the client is authenticated as.
func (c *Client) UserName() string {
	if u := c.user.Load(); u != nil {
		return u.Name()
	}
	return "default"
}

// MultiMem is what the client's queued transaction holds (CLIENT LIST
// multi-mem); it counts in the client's memory and query-buffer limit.
func (c *Client) MultiMem() int64 { return c.multiMem.Load() }

// entryMem estimates one watched key, subscription or tracking prefix:
// its entries in the client's set and in the server's registry.
const entryMem = 96

// StateMem is the memory of the client's state beyond its buffers: the
// queued transaction, watched keys and subscriptions (Redis's
// getClientMemoryUsage counts them too, and BCAST prefixes), for tot-mem
// and client eviction.
func (c *Client) StateMem() int64 {
	n := int64(c.watchN.Load()) + int64(c.subs.sub.Load()) + int64(c.subs.psub.Load()) + int64(c.subs.ssub.Load())
	return c.multiMem.Load() + n*entryMem + c.trk.prefixMem.Load()
}

// DB is the selected database index.
func (c *Client) DB() int { return int(c.db.Load()) }

// SetDB selects a database.
func (c *Client) SetDB(i int) { c.db.Store(int32(i)) }

// SetProto records the protocol HELLO negotiated.
func (c *Client) SetProto(p int) { c.Proto = p; c.proto.Store(int32(p)) }

// Name is the CLIENT SETNAME name.
func (c *Client) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// SetName sets the CLIENT SETNAME name.
func (c *Client) SetName(n string) {
	c.mu.Lock()
	c.name = n
	c.mu.Unlock()
}

// SetLib records CLIENT SETINFO LIB-NAME / LIB-VER ("" leaves one unchanged).
func (c *Client) SetLib(name, ver string) {
	c.mu.Lock()
	if name != "" {
		c.libName = name
	}
	if ver != "" {
		c.libVer = ver
	}
	c.mu.Unlock()
}

// NoTouch reports CLIENT NO-TOUCH.
func (c *Client) NoTouch() bool { return c.noTouch.Load() }

// NoEvict reports CLIENT NO-EVICT.
func (c *Client) NoEvict() bool { return c.noEvict.Load() }

// Killed reports whether CLIENT KILL closed this client.
func (c *Client) Killed() bool { return c.killed.Load() }

// MarkKilled flags the client as killed and closes it.
func (c *Client) MarkKilled() {
	if c.killed.CompareAndSwap(false, true) && c.Kill != nil {
		c.Kill()
	}
}

// Touch records activity for idle time.
func (c *Client) Touch(nowMs int64) { c.lastActive.Store(nowMs) }

// wireSize is the length of args sent as a RESP array of bulk strings.
func wireSize(args [][]byte) int {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return n
}

// IdleMs is the time since the last command.
func (c *Client) IdleMs(nowMs int64) int64 { return nowMs - c.lastActive.Load() }

// Info renders the CLIENT LIST / CLIENT INFO line, as Redis 7 does.
func (c *Client) Info(now time.Time) string { return c.info(now, nil) }

// info is Info; self is the context of the command asking when it is this
// client's own, which shows what only the running command knows: its
// arguments (argv-mem) and the replies its batch has produced so far (obl).
func (c *Client) info(now time.Time, self *Ctx) string {
	c.mu.Lock()
	name, lib, ver := c.name, c.libName, c.libVer
	c.mu.Unlock()
	cmd := "NULL"
	if s := c.lastCmd.Load(); s != nil {
		cmd = s.Name
	}
	flags := "N"
	if c.Monitor {
		flags = "O"
	} else if c.multiN.Load() >= 0 {
		flags = "x"
	} else if c.Waiting() {
		flags = "b"
	} else if c.Subscribed() {
		flags = "P"
	}
	trk, redir := c.trackListFlags()
	if trk != "" {
		flags = strings.TrimPrefix(flags, "N") + trk
	}
	qbuf := 0
	if c.QueryBuf != nil {
		qbuf = c.QueryBuf()
	}
	var b strings.Builder
	b.WriteString("id=" + strconv.FormatInt(c.ID, 10))
	b.WriteString(" addr=" + c.Addr)
	b.WriteString(" laddr=" + c.LAddr)
	b.WriteString(" fd=" + strconv.Itoa(c.FD))
	b.WriteString(" name=" + name)
	b.WriteString(" age=" + strconv.FormatInt(int64(now.Sub(c.Created)/time.Second), 10))
	b.WriteString(" idle=" + strconv.FormatInt(c.IdleMs(now.UnixMilli())/1000, 10))
	b.WriteString(" flags=" + flags)
	b.WriteString(" db=" + strconv.Itoa(c.DB()))
	b.WriteString(" sub=" + strconv.Itoa(int(c.subs.sub.Load())))
	b.WriteString(" psub=" + strconv.Itoa(int(c.subs.psub.Load())))
	b.WriteString(" ssub=" + strconv.Itoa(int(c.subs.ssub.Load())))
	b.WriteString(" multi=" + strconv.Itoa(int(c.multiN.Load())))
	b.WriteString(" watch=" + strconv.Itoa(int(c.watchN.Load())))
	bufs := c.Buffers()
	var argv, obl int64
	if self != nil {
		for _, a := range self.Args {
			argv += int64(len(a))
		}
		obl = int64(self.W.Len())
		// Redis's query buffer still holds the running command.
		qbuf += wireSize(self.Args)
	}
	b.WriteString(" qbuf=" + strconv.Itoa(qbuf))
	b.WriteString(" qbuf-free=" + strconv.FormatInt(bufs.QueryFree, 10))
	b.WriteString(" argv-mem=" + strconv.FormatInt(argv, 10))
	mm := c.multiMem.Load()
	b.WriteString(" multi-mem=" + strconv.FormatInt(mm, 10) + " rbs=0 rbp=0")
	b.WriteString(" obl=" + strconv.FormatInt(obl, 10))
	b.WriteString(" oll=" + strconv.FormatInt(bufs.Oll, 10))
	b.WriteString(" omem=" + strconv.FormatInt(bufs.Omem, 10))
	b.WriteString(" tot-mem=" + strconv.FormatInt(bufs.Total+argv, 10))
	events := "r"
	if bufs.Omem > 0 {
		events = "rw" // waiting for the socket to take its replies
	}
	b.WriteString(" events=" + events + " cmd=" + cmd)
	b.WriteString(" user=" + c.UserName() + " redir=" + strconv.FormatInt(redir, 10))
	b.WriteString(" resp=" + strconv.Itoa(int(c.proto.Load())))
	b.WriteString(" lib-name=" + lib + " lib-ver=" + ver)
	return b.String()
}

// lookup is Table.Lookup through the client's one-entry cache.
func (c *Client) lookup(t *Table, name []byte) *Spec {
	if c.lastSpec != nil && string(c.lastName) == string(name) {
		return c.lastSpec
	}
	spec := t.Lookup(name)
	if spec != nil && len(name) <= 32 {
		c.lastName, c.lastSpec = append(c.lastName[:0], name...), spec
	}
	return spec
}
