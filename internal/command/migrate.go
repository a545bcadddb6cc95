package command

import (
	"bufio"
	"errors"
	"hash/maphash"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

var migrateSpec = &Spec{Name: "migrate", Arity: -6, Flags: Write, FirstKey: 3, LastKey: 3, Step: 1,
	ACL: []string{"keyspace", "write", "slow", "dangerous"}, Handler: migrate, KeysFunc: migrateKeys}

func init() { dumpCommands = append(dumpCommands, migrateSpec) }

// migrateKeys: the key argument, or with KEYS (and an empty key argument)
// the keys after it, as Redis's migrateGetKeys: the scan for KEYS skips the
// arguments of AUTH (one) and AUTH2 (two), so a password spelled KEYS is
// no keyword, and KEYS after a non-empty key argument (a syntax error the
// handler reports) names no key at all.
func migrateKeys(args [][]byte) []int {
	if len(args) <= 3 {
		return nil
	}
	for i := 6; i < len(args); i++ {
		switch {
		case eqFold(args[i], "keys"):
			if len(args[3]) > 0 {
				return nil
			}
			out := make([]int, 0, len(args)-i-1)
			for j := i + 1; j < len(args); j++ {
				out = append(out, j)
			}
			return out
		case eqFold(args[i], "auth"):
			i++
		case eqFold(args[i], "auth2"):
			i += 2
		}
	}
	return []int{3}
}

// migrated is one key MIGRATE sends: its payload and what it was when
// dumped, so it is deleted afterwards only if nobody changed it meanwhile.
type migrated struct {
	key     []byte
	payload []byte
	expire  int64
	obj     any
	version uint64
	str     uint64 // a string's hash: cloning a large one would double it
}

var migrateSeed = maphash.MakeSeed()

// migrate: MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 username password] [KEYS key [key ...]]
//
// As Redis, it talks to the target synchronously over a cached connection
// (migrateSockets), blocking this client's event loop for at most timeout
// per step; the keys are read, then sent with RESTORE, then deleted unless
// COPY. Redis runs all that with nothing else in between; here a key
// written by another client while it travels keeps its newer value.
func migrate(ctx *Ctx) {
	args := ctx.Args
	copyKeys, replace := false, false
	var user, pass []byte
	auth := false
	keys := args[3:4]
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch a := args[j]; {
		case eqFold(a, "copy"):
			copyKeys = true
		case eqFold(a, "replace"):
			replace = true
		case eqFold(a, "auth"):
			if more < 1 {
				ctx.Err(ErrSyntax)
				return
			}
			j++
			pass, auth = args[j], true
		case eqFold(a, "auth2"):
			if more < 2 {
				ctx.Err(ErrSyntax)
				return
			}
			user, pass, auth = args[j+1], args[j+2], true
			j += 2
		case eqFold(a, "keys"):
			if len(args[3]) != 0 {
				ctx.Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keys = args[j+1:]
			j = len(args)
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	timeoutMs, ok1 := parseInt(args[5])
	db, ok2 := parseInt(args[4])
	if !ok1 || !ok2 {
		ctx.Err(ErrNotInt)
		return
	}
	if timeoutMs <= 0 {
		timeoutMs = 1000
	}
	timeout := time.Duration(min(timeoutMs, int64(time.Duration(1<<62)/time.Millisecond))) * time.Millisecond

	compress := ctx.S.Cfg.RDBCompression()
	var items []migrated
	for _, k := range keys {
		ctx.View(k, func(e *store.Entry) {
			if !e.Exists() {
				ctx.MissKey(e)
				return
			}
			ctx.Hit()
			m := migrated{key: k, payload: rdb.Seal(appendObject(nil, e, compress)), expire: e.ExpireAt()}
			if e.Type() == store.TypeString {
				m.str = maphash.Bytes(migrateSeed, e.Str())
			} else {
				m.obj = e.Obj()
				m.version = objVersion(m.obj)
			}
			items = append(items, m)
		})
	}
	if len(items) == 0 {
		ctx.W.Simple("NOKEY")
		return
	}

	// The request: AUTH, SELECT (unless the cached connection has that
	// database selected), a RESTORE per key with the TTL left (a key that
	// expired meanwhile is skipped).
	command := func(w *resp.Writer, parts ...[]byte) {
		w.Array(len(parts))
		for _, p := range parts {
			w.Bulk(p)
		}
	}
	var authReq, selectReq, restores resp.Writer
	if auth {
		if user != nil {
			command(&authReq, []byte("AUTH"), user, pass)
		} else {
			command(&authReq, []byte("AUTH"), pass)
		}
	}
	command(&selectReq, []byte("SELECT"), strconv.AppendInt(nil, db, 10))
	now := store.NowMs()
	live := items[:0]
	for _, m := range items {
		ttl := int64(0)
		if m.expire != 0 {
			if ttl = m.expire - now; ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		parts := [][]byte{[]byte("RESTORE"), m.key, strconv.AppendInt(nil, ttl, 10), m.payload}
		if replace {
			parts = append(parts, []byte("REPLACE"))
		}
		command(&restores, parts...)
		live = append(live, m)
	}
	items = live

	addr := net.JoinHostPort(string(args[1]), string(args[2]))
	for attempt := 0; ; attempt++ {
		mc, err := ctx.S.migrate.get(addr, timeout)
		if errors.Is(err, syscall.ECONNREFUSED) {
			// Redis's connect waits only for the socket to be writable,
			// which a refused one is: the write then fails.
			if attempt == 0 {
				continue
			}
			ctx.Err("IOERR error or timeout writing to target instance")
			return
		}
		if err != nil {
			ctx.Err("IOERR error or timeout connecting to the client")
			return
		}
		sel := mc.db != db
		req := append([]byte(nil), authReq.B...)
		if sel {
			req = append(req, selectReq.B...)
		}
		req = append(req, restores.B...)
		pre := preReplies(auth, sel)
		replies, writing, err := mc.exchange(req, pre+len(items), timeout)
		if err != nil {
			mc.conn.Close()
			// As Redis: retry once on a socket error before any reply,
			// unless it timed out (the next attempt connects afresh).
			if len(replies) == 0 && attempt == 0 && !errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
		}
		replied, targetErr := migrateFinish(ctx, items, replies, pre, copyKeys)
		if err == nil {
			mc.db = db
			if targetErr {
				mc.db = -1
			}
			ctx.S.migrate.put(addr, mc)
		} else if !replied {
			dir := "reading"
			if writing {
				dir = "writing"
			}
			ctx.Err("IOERR error or timeout " + dir + " to target instance")
		}
		return
	}
}

// exchange sends req and reads n reply lines, each step within timeout
// (Redis's syncWrite / syncReadLine).
func (mc *migrateConn) exchange(req []byte, n int, timeout time.Duration) (replies []string, writing bool, err error) {
	for len(req) > 0 {
		chunk := req[:min(len(req), 64<<10)]
		mc.conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := mc.conn.Write(chunk); err != nil {
			return nil, true, err
		}
		req = req[len(chunk):]
	}
	for range n {
		mc.conn.SetReadDeadline(time.Now().Add(timeout))
		line, err := mc.r.ReadString('\n')
		if err != nil {
			return replies, false, err
		}
		replies = append(replies, strings.TrimRight(line, "\r\n"))
	}
	return replies, false, nil
}

// migrateFinish applies the target's replies: the first error (AUTH's,
// SELECT's or a RESTORE's) is the reply; every key the target took is
// deleted here unless COPY.
func migrateFinish(ctx *Ctx, items []migrated, replies []string, pre int, copyKeys bool) (replied, targetErr bool) {
	failed := ""
	for i := 0; i < pre && i < len(replies); i++ {
		if replies[i] != "" && replies[i][0] == '-' && failed == "" {
			failed = replies[i]
		}
	}
	preFailed := failed != ""
	for i, m := range items {
		if pre+i >= len(replies) {
			break
		}
		r := replies[pre+i]
		bad := r != "" && r[0] == '-'
		if failed == "" && bad {
			failed = r
		}
		// As Redis: a key the target refused stays, the others go, unless
		// AUTH or SELECT failed (then every RESTORE counts as refused).
		if bad || preFailed || copyKeys {
			continue
		}
		ctx.Update(m.key, func(e *store.Entry) {
			if !e.Exists() {
				return
			}
			if m.obj != nil && (e.Obj() != m.obj || objVersion(m.obj) != m.version) ||
				m.obj == nil && (e.Type() != store.TypeString || maphash.Bytes(migrateSeed, e.Str()) != m.str) {
				return // changed while it travelled: the newer value stays
			}
			e.Delete()
			ctx.Notify(EvGeneric, "del", m.key)
		})
	}
	switch {
	case failed != "":
		ctx.Err("ERR Target instance replied with error: " + failed[1:])
		return true, true
	case len(replies) == pre+len(items):
		ctx.W.OK()
		return true, false
	}
	return false, false
}

// preReplies counts the replies before the RESTOREs': AUTH's and SELECT's.
func preReplies(auth, sel bool) int {
	n := 0
	if auth {
		n++
	}
	if sel {
		n++
	}
	return n
}

// migrateSockets caches MIGRATE's connections, one per target, for 10
// seconds of disuse, as Redis does (INFO's migrate_cached_sockets). A
// connection in use is out of the cache, so two MIGRATEs never share one.
type migrateSockets struct {
	mu   sync.Mutex
	idle map[string]*migrateConn
}

type migrateConn struct {
	conn net.Conn
	r    *bufio.Reader
	db   int64 // selected on it; -1 unknown
	used time.Time
}

const (
	migrateMaxSockets = 64
	migrateSocketTTL  = 10 * time.Second
)

func (ms *migrateSockets) get(addr string, timeout time.Duration) (*migrateConn, error) {
	ms.mu.Lock()
	mc := ms.idle[addr]
	delete(ms.idle, addr)
	ms.mu.Unlock()
	if mc != nil {
		return mc, nil
	}
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &migrateConn{conn: conn, r: bufio.NewReader(conn), db: -1}, nil
}

func (ms *migrateSockets) put(addr string, mc *migrateConn) {
	mc.used = time.Now()
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.idle == nil {
		ms.idle = make(map[string]*migrateConn)
	}
	if old := ms.idle[addr]; old != nil {
		old.conn.Close()
	} else if len(ms.idle) >= migrateMaxSockets {
		for a, c := range ms.idle { // any one, as Redis evicts a random one
			c.conn.Close()
			delete(ms.idle, a)
			break
		}
	}
	ms.idle[addr] = mc
}

// MigrateCron closes the cached MIGRATE connections unused for 10 s; the
// server's cron calls it every second.
func (s *Server) MigrateCron(now time.Time) {
	ms := &s.migrate
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for a, c := range ms.idle {
		if now.Sub(c.used) > migrateSocketTTL {
			c.conn.Close()
			delete(ms.idle, a)
		}
	}
}

func (s *Server) migrateCached() int {
	s.migrate.mu.Lock()
	defer s.migrate.mu.Unlock()
	return len(s.migrate.idle)
}

func objVersion(o any) uint64 {
	if v, ok := o.(store.Versioner); ok {
		return v.Version()
	}
	return 0
}
