package command

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/list"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
)

// Blocked clients (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP; BZPOPMIN,
// BZPOPMAX, BZMPOP on sorted sets, served by the writes that create them).
//
// A blocking command that finds data acts as its non-blocking form. When
// it finds none it registers a waiter on each of its keys, while it still
// holds their shard locks, and its connection parks (Client.Blocking):
// it reads no further command until the waiter is finished. A waiter is
// finished exactly once, by whoever removes it from the registry first
// (all under blockedState.mu): a key becoming ready, its timeout, CLIENT
// UNBLOCK, or its connection closing. The finisher writes the reply into
// the waiter and wakes the connection, whose loop puts the reply out
// before anything it reads next (TakeBlockedReply).
//
// No stealing: Redis serves waiters right after the command that made the
// key ready, before any other client runs. Here the push commands (LPUSH,
// RPUSH, LPUSHX, RPUSHX, LMOVE/RPOPLPUSH's and a served BLMOVE's
// destination) serve the key's waiters inside their own store callback,
// under the key's shard lock, before that lock is released: no other
// client can see the pushed elements before the longest-waiting clients
// got theirs. Every other way a waited key can come to hold a list
// (RENAME, MOVE, COPY, SWAPDB, SORT … STORE, a write of any kind) reaches
// the waiters through the store's change feed, delivered by the writing
// command's Exec before its client's next command runs; there another
// client's command can run between the write and the serving.
//
// A served BLMOVE pops under the source's lock and pushes onto the
// destination after that lock is released (taking a second shard lock
// while holding one could deadlock against a Multi): the element is in
// neither list for that moment. A destination of another type gets the
// element pushed back onto the source and the waiter WRONGTYPE, as Redis
// undoes the pop.
//
// Lock order: shard locks, then blockedState.mu, then the feed's
// registration lock. Nothing takes a shard lock holding mu.

type blockKind uint8

const (
	blockPop   blockKind = iota // BLPOP, BRPOP: [key, element]
	blockMPop                   // BLMPOP: [key, [elements…]]
	blockMove                   // BLMOVE, BRPOPLPUSH: element
	blockZPop                   // BZPOPMIN, BZPOPMAX: [key, member, score]
	blockZMPop                  // BZMPOP: [key, [[member, score]…]]
	blockWait                   // WAIT: no keys; the timeout answers 0 replicas
	blockXRead                  // XREAD, XREADGROUP: [[key, [entries…]]] (a map in RESP3)
)

// wants is the type of key the waiter is served from.
func (k blockKind) wants() store.Type {
	switch {
	case k == blockXRead:
		return store.TypeStream
	case k >= blockZPop:
		return store.TypeZSet
	}
	return store.TypeList
}

// readyType is the type of the value e holds when a waiter could be
// served from it (a list or sorted set; both are never empty).
func readyType(e *store.Entry) (store.Type, bool) {
	if !e.Exists() {
		return 0, false
	}
	switch t := e.Type(); t {
	case store.TypeList:
		return t, listOf(e).Len() > 0
	case store.TypeZSet:
		return t, zsetOf(e).Len() > 0
	case store.TypeStream:
		return t, true // each waiter decides by its own IDs (serveStream)
	}
	return 0, false
}

type blockKey struct {
	db  int
	key string
}

// waiter is one blocked client. The fields above mu-guarded ones are set
// before it is registered and never change.
type waiter struct {
	c     *Client
	db    int
	keys  []string
	args  [][]byte // the command, copied for the slowlog while it is on
	spec  *Spec    // the command, for its latency histogram
	kind  blockKind
	where list.Where // the end popped
	to    list.Where // BLMOVE: the end pushed
	dst   []byte     // BLMOVE: the destination
	count int        // BLMPOP, BZMPOP
	zmax  bool       // BZPOPMAX, BZMPOP MAX
	proto int
	timed bool

	// XREAD, XREADGROUP: per key the ID entries must be above (">" is
	// stream.Max: the group's last ID when served), the group and
	// consumer, NOACK; count is COUNT.
	xids      map[string]stream.ID
	xgroup    []byte
	xconsumer []byte
	noack     bool

	timer *time.Timer // guarded by blockedState.mu
	gone  bool        // removed from the registry; guarded by blockedState.mu

	reply []byte      // written by the finisher before done
	done  atomic.Bool // reply is complete
}

type blockedState struct {
	n        atomic.Int64 // waiters registered, read without mu by pushes
	mu       sync.Mutex
	keys     map[blockKey][]*waiter // per key, in the order they blocked
	byClient map[int64]*waiter
	cancel   func() // the feed listener, registered while anybody waits

	// While a transaction or script runs (deferDepth > 0), keys its
	// writes made ready wait in pending, and are served once it ends, from
	// what it left there: Redis's handleClientsBlockedOnKeys after the
	// command, so LPUSH + DEL in one EXEC wakes nobody and three pushes
	// hand the waiter the last. Both guarded by mu.
	deferDepth int
	pending    []store.Change
}

// deferReady starts a transaction's or a script's run: no waiter is served
// until the matching serveDeferred.
func (s *Server) deferReady() {
	b := &s.blocked
	b.mu.Lock()
	b.deferDepth++
	b.mu.Unlock()
	s.holdBroadcast()
}

// serveDeferred ends a deferReady; the outermost serves the keys made
// ready meanwhile. It runs while the run still holds the world gate, so
// no other command sees the elements first.
func (s *Server) serveDeferred() {
	b := &s.blocked
	b.mu.Lock()
	last := b.deferDepth == 1
	b.mu.Unlock()
	if last {
		// Changes not delivered yet (a busy script's) join pending.
		s.KS.Drain()
	}
	b.mu.Lock()
	b.deferDepth--
	var pend []store.Change
	if b.deferDepth == 0 {
		pend, b.pending = b.pending, nil
	}
	b.mu.Unlock()
	if len(pend) > 0 {
		s.feedReady(pend)
	}
	s.releaseBroadcast()
}

// Blocking reports whether c's last command left it waiting for a key:
// its connection must read nothing more until TakeBlockedReply succeeds.
func (c *Client) Blocking() bool { return c.block != nil }

// TakeBlockedReply appends the reply of c's finished blocking command to w
// and reports whether c may go on (true also when c was not blocked).
func (s *Server) TakeBlockedReply(c *Client, w *resp.Writer) bool {
	wt := c.block
	if wt == nil {
		return true
	}
	if !wt.done.Load() {
		return false
	}
	w.B = append(w.B, wt.reply...)
	c.block = nil
	return true
}

// BlockedClients is INFO's blocked_clients, and the waiters with a
// timeout (clients_in_timeout_table).
func (s *Server) BlockedClients() (n, timed int) {
	b := &s.blocked
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.byClient {
		n++
		if w.timed {
			timed++
		}
	}
	return n, timed
}

// Waiting reports whether c waits in a blocking command or for CLIENT
// PAUSE to end (CLIENT LIST flag b; exempt from the idle timeout), as
// Redis's CLIENT_BLOCKED. Safe from any goroutine.
func (c *Client) Waiting() bool { return c.blockedNow.Load() || c.pausedNow.Load() }

// parseTimeout reads a blocking command's timeout in seconds (a double)
// as Redis's getTimeoutFromObjectOrReply does: ms rounded up, 0 forever.
// Redis casts an out-of-range product to a negative number, hence its
// "timeout is negative" for inf and huge values.
func parseTimeout(ctx *Ctx, b []byte) (time.Duration, bool) {
	f, ok := parseFloat(b)
	if !ok {
		// Beyond a double, within a long double: huge (cast to a negative
		// number by Redis) or tiny (a millisecond once rounded up, or 0).
		ld, ok := parseLongDouble(b)
		if !ok {
			ctx.Err("ERR timeout is not a float or out of range")
			return 0, false
		}
		if ld.IsInf() || ld.MantExp(nil) > 0 {
			ctx.Err("ERR timeout is negative")
			return 0, false
		}
		if ld.Sign() > 0 {
			return time.Millisecond, true
		}
		return 0, true
	}
	ms := math.Ceil(f * 1000)
	if ms < 0 || ms >= math.MaxInt64/float64(time.Millisecond) || math.IsInf(ms, 0) {
		ctx.Err("ERR timeout is negative")
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// block registers ctx's client as waiting on keys; the caller holds their
// shard locks and found none of them holding a list.
func (ctx *Ctx) block(keys [][]byte, w *waiter, timeout time.Duration) {
	s := ctx.S
	b := &s.blocked
	w.c, w.db, w.proto, w.timed, w.spec = ctx.C, ctx.C.DB(), ctx.C.Proto, timeout > 0, ctx.Cmd
	ctx.blocked = true
	if s.Cfg.SlowlogSlowerThan() >= 0 {
		w.args = cloneArgs(ctx.Args)
	}
	for _, k := range keys {
		ks := string(k)
		dup := false
		for _, x := range w.keys {
			dup = dup || x == ks
		}
		if !dup {
			w.keys = append(w.keys, ks)
		}
	}
	b.mu.Lock()
	if b.keys == nil {
		b.keys = map[blockKey][]*waiter{}
		b.byClient = map[int64]*waiter{}
	}
	if b.cancel == nil {
		// Registered before the locks are released: a change to one of
		// these keys made after that is recorded.
		b.cancel = s.KS.Listen(s.feedReady)
	}
	for _, k := range w.keys {
		bk := blockKey{w.db, k}
		b.keys[bk] = append(b.keys[bk], w)
	}
	b.byClient[w.c.ID] = w
	w.c.blockedNow.Store(true)
	b.n.Add(1)
	if timeout > 0 {
		w.timer = time.AfterFunc(timeout, func() { s.finishBlocked(w, nil) })
	}
	b.mu.Unlock()
	ctx.C.block = w
}

// remove takes w out of the registry; the caller holds b.mu. It reports
// false if somebody else already did.
func (b *blockedState) remove(w *waiter) bool {
	if w.gone {
		return false
	}
	w.gone = true
	for _, k := range w.keys {
		bk := blockKey{w.db, k}
		q := b.keys[bk]
		for i, x := range q {
			if x == w {
				q = append(q[:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(b.keys, bk)
		} else {
			b.keys[bk] = q
		}
	}
	if b.byClient[w.c.ID] == w {
		delete(b.byClient, w.c.ID)
		w.c.blockedNow.Store(false)
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	if b.n.Add(-1) == 0 && b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	return true
}

// finishBlocked ends w's wait without data: a timeout (errMsg empty) or
// CLIENT UNBLOCK; it reports whether w was still waiting.
func (s *Server) finishBlocked(w *waiter, errMsg []byte) bool {
	b := &s.blocked
	b.mu.Lock()
	ok := b.remove(w)
	b.mu.Unlock()
	if !ok {
		return false
	}
	rw := resp.Writer{Proto: w.proto}
	// A null array for every kind, BLMOVE's too, as Redis replies to a
	// list wait that timed out.
	switch {
	case errMsg != nil:
		rw.Error(string(errMsg))
		s.Stats.countError(string(errMsg)) // INFO errorstats counts it, as Redis's addReplyError
		if w.spec != nil {
			w.spec.stats.failed.Add(1) // and the blocked command failed (updateStatsOnUnblock)
		}
	case w.kind == blockWait:
		rw.Int(0) // the replicas that acknowledged: there are none
	default:
		rw.NullArray()
	}
	w.deliver(rw.B)
	return true
}

// deliver hands the finished reply to the waiting connection.
func (w *waiter) deliver(reply []byte) {
	w.reply = reply
	w.done.Store(true)
	if w.c.Wake != nil {
		w.c.Wake()
	}
}

// served answers a waiter a key served: as Redis, which runs the command
// again then, the slowlog, the latency histogram and the latency monitor
// ("command-unblocking") see the command with the time its serving took.
// (A wait that times out is in no histogram, as in Redis.)
func (s *Server) served(w *waiter, reply []byte, t0 time.Time) {
	d := time.Since(t0)
	if w.args != nil {
		s.slowlog.addServed(w.c, w.args, d)
	}
	if w.spec != nil && s.Cfg.LatencyTracking() {
		w.spec.stats.served(w.c.Stripe, int64(d/time.Microsecond))
	}
	s.LatencyEvent("command-unblocking", d)
	w.deliver(reply)
}

func cloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// unblockClient is CLIENT UNBLOCK's work: id's wait ends with a timeout's
// reply or the UNBLOCKED error.
func (s *Server) unblockClient(id int64, withErr bool) bool {
	b := &s.blocked
	b.mu.Lock()
	w := b.byClient[id]
	b.mu.Unlock()
	if w == nil {
		return false
	}
	var msg []byte
	if withErr {
		msg = []byte("UNBLOCKED client unblocked via CLIENT UNBLOCK")
	}
	return s.finishBlocked(w, msg)
}

// dropBlocked forgets a closing client's wait, so nothing is served to it.
func (s *Server) dropBlocked(c *Client) {
	b := &s.blocked
	if b.n.Load() == 0 {
		return
	}
	b.mu.Lock()
	if w := b.byClient[c.ID]; w != nil && w.c == c {
		b.remove(w)
	}
	b.mu.Unlock()
}

// pendingMove is a served BLMOVE's push, done once the source's lock is
// released.
type pendingMove struct {
	w    *waiter
	v    []byte
	src  []byte
	from list.Where
}

// serveReady hands the list e holds (key, in database db; the caller
// holds its lock) to the clients blocked on it, longest-waiting first,
// while it has elements. BLMOVE pushes are appended to moves.
// Their keyspace events go to sink's.
func (s *Server) serveReady(db int, key []byte, e *store.Entry, now int64, moves *[]pendingMove, sink *Ctx) {
	b := &s.blocked
	if b.n.Load() == 0 {
		return
	}
	bk := blockKey{db, string(key)}
	for {
		t, ok := readyType(e)
		if !ok {
			return
		}
		if t == store.TypeStream {
			s.serveStream(bk, key, e, now, sink)
			return
		}
		b.mu.Lock()
		var w *waiter
		for _, x := range b.keys[bk] {
			if x.kind.wants() == t {
				w = x
				break
			}
		}
		if w == nil {
			b.mu.Unlock()
			return
		}
		b.remove(w)
		b.mu.Unlock()
		t0 := time.Now()
		rw := resp.Writer{Proto: w.proto}
		ctx := Ctx{W: &rw, C: w.c, S: s, Now: now, Cmd: &unknownSpec, evSink: sink}
		switch w.kind {
		case blockPop:
			rw.Array(2)
			rw.Bulk(key)
			popElements(&ctx, e, w.where, 1, rw.Bulk)
		case blockMPop:
			writeMPop(&ctx, e, key, w.where, w.count)
		case blockZPop:
			writeBZPop(&ctx, e, key, w.zmax)
		case blockZMPop:
			writeZMPop(&ctx, e, key, w.zmax, w.count)
		case blockMove:
			if string(w.dst) == string(key) {
				moveElement(&ctx, e, e, w.where, w.to)
				s.served(w, rw.B, t0)
				continue
			}
			var v []byte
			popElements(&ctx, e, w.where, 1, func(x []byte) { v = append([]byte(nil), x...) })
			*moves = append(*moves, pendingMove{w: w, v: v, src: append([]byte(nil), key...), from: w.where})
			continue
		}
		s.served(w, rw.B, t0)
	}
}

// runMoves does served BLMOVEs' pushes, serving the destinations' own
// waiters in turn, and then answers the BLMOVE clients.
func (s *Server) runMoves(moves []pendingMove, now int64, sink *Ctx) {
	for len(moves) > 0 {
		m := moves[0]
		moves = moves[1:]
		w := m.w
		t0 := time.Now()
		rw := resp.Writer{Proto: w.proto}
		ctx := Ctx{W: &rw, C: w.c, S: s, Now: now, Cmd: &unknownSpec, evSink: sink}
		db := s.KS.DB(w.db)
		wrong := false
		db.Update(w.dst, now, func(e *store.Entry) {
			if e.Exists() && e.Type() != store.TypeList {
				wrong = true
				return
			}
			pushElement(&ctx, e, m.v, w.to)
			ctx.NotifyDB(EvList, pushEvent(w.to), w.dst, w.db)
			s.serveReady(w.db, w.dst, e, now, &moves, sink)
		})
		if wrong {
			// Undone as Redis undoes the pop (unless the source changed
			// type meanwhile: then the element is dropped).
			db.Update(m.src, now, func(e *store.Entry) {
				if !e.Exists() || e.Type() == store.TypeList {
					pushElement(&ctx, e, m.v, m.from)
					s.serveReady(w.db, m.src, e, now, &moves, sink)
				}
			})
			rw.Error(ErrWrongType)
		} else {
			rw.Bulk(m.v)
		}
		s.served(w, rw.B, t0)
	}
}

// signalPushed serves the waiters of the key e holds after a push into
// it, under its lock (see the package comment on stealing).
func (ctx *Ctx) signalPushed(key []byte, e *store.Entry) {
	if ctx.S.blocked.n.Load() == 0 || ctx.C.atomic {
		// Inside EXEC or a script the push's change reaches feedReady,
		// which keeps it until the run ends.
		return
	}
	ctx.S.serveReady(ctx.C.DB(), key, e, ctx.Now, &ctx.moves, ctx)
}

// feedReady is the change-feed listener: keys that may now hold a list,
// by whatever write, are served (outside the writer's locks).
func (s *Server) feedReady(batch []store.Change) {
	b := &s.blocked
	if b.n.Load() == 0 {
		return
	}
	b.mu.Lock()
	if b.deferDepth > 0 {
		for _, c := range batch {
			switch c.Kind {
			case store.ChangeSet, store.ChangeRenameTo, store.ChangeMoveTo, store.ChangeCopyTo, store.ChangeSwap, store.ChangeFlush,
				store.ChangeDel, store.ChangeExpired, store.ChangeEvicted, store.ChangeRenameFrom, store.ChangeMoveFrom:
				c.Key = append([]byte(nil), c.Key...) // the batch's keys are the feed's buffer
				b.pending = append(b.pending, c)
			}
		}
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	now := store.NowMs()
	var moves []pendingMove
	root := &Ctx{S: s} // collects the served waiters' keyspace events
	for _, c := range batch {
		switch c.Kind {
		case store.ChangeSet, store.ChangeRenameTo, store.ChangeMoveTo, store.ChangeCopyTo,
			store.ChangeDel, store.ChangeExpired, store.ChangeEvicted, store.ChangeRenameFrom, store.ChangeMoveFrom:
			b.mu.Lock()
			_, ok := b.keys[blockKey{c.DB, string(c.Key)}]
			b.mu.Unlock()
			if ok {
				s.serveKey(c.DB, c.Key, now, &moves, root)
			}
		case store.ChangeSwap, store.ChangeFlush:
			dbs := []int{c.DB, c.Other}
			if c.Kind == store.ChangeFlush {
				dbs = dbs[:1]
			}
			for _, db := range dbs {
				b.mu.Lock()
				var keys []string
				for bk := range b.keys {
					if bk.db == db {
						keys = append(keys, bk.key)
					}
				}
				b.mu.Unlock()
				for _, k := range keys {
					s.serveKey(db, []byte(k), now, &moves, root)
				}
			}
		}
	}
	s.runMoves(moves, now, root)
	if root.ev != nil {
		s.flushEvents(root, false)
	}
}

func (s *Server) serveKey(db int, key []byte, now int64, moves *[]pendingMove, sink *Ctx) {
	s.KS.DB(db).Update(key, now, func(e *store.Entry) {
		if _, ok := readyType(e); ok {
			s.serveReady(db, key, e, now, moves, sink)
		}
		if !e.Exists() || e.Type() != store.TypeStream {
			s.unblockGroupReaders(blockKey{db, string(key)})
		}
	})
}

// serveStream serves, in the order they blocked, every XREAD/XREADGROUP
// waiter on the stream e holds that it now has entries for (reading does
// not use them up, so each waiter is judged by its own IDs).
func (s *Server) serveStream(bk blockKey, key []byte, e *store.Entry, now int64, sink *Ctx) {
	b := &s.blocked
	b.mu.Lock()
	ws := append([]*waiter(nil), b.keys[bk]...)
	b.mu.Unlock()
	st := streamOf(e)
	for _, w := range ws {
		if w.kind != blockXRead || !streamWaiterReady(w, key, st) {
			continue
		}
		if w.xgroup != nil && st.Group(w.xgroup) == nil {
			s.finishBlocked(w, []byte("NOGROUP the consumer group this client was blocked on no longer exists"))
			continue
		}
		// Taken out of the registry before it is served: a waiter that
		// timed out meanwhile must not have entries delivered to its PEL.
		b.mu.Lock()
		ok := b.remove(w)
		b.mu.Unlock()
		if !ok {
			continue
		}
		t0 := time.Now()
		rw := resp.Writer{Proto: w.proto}
		serveStreamWaiter(w, key, e, &Ctx{W: &rw, C: w.c, S: s, Now: now, Cmd: &unknownSpec, evSink: sink})
		s.served(w, rw.B, t0)
	}
}

// unblockGroupReaders answers the XREADGROUP waiters of a key that no
// longer holds a stream with Redis's UNBLOCKED error.
func (s *Server) unblockGroupReaders(bk blockKey) {
	b := &s.blocked
	b.mu.Lock()
	var ws []*waiter
	for _, w := range b.keys[bk] {
		if w.kind == blockXRead && w.xgroup != nil {
			ws = append(ws, w)
		}
	}
	b.mu.Unlock()
	for _, w := range ws {
		s.finishBlocked(w, []byte("UNBLOCKED the stream key no longer exists"))
	}
}

// blpop: BLPOP key [key ...] timeout
func blpop(ctx *Ctx) { bpop(ctx, list.Head) }

// brpop: BRPOP key [key ...] timeout
func brpop(ctx *Ctx) { bpop(ctx, list.Tail) }

func bpop(ctx *Ctx, where list.Where) {
	keys := ctx.Args[1 : len(ctx.Args)-1]
	timeout, ok := parseTimeout(ctx, ctx.Args[len(ctx.Args)-1])
	if !ok {
		return
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		i, ok := firstNonEmpty(ctx, es)
		switch {
		case !ok:
		case i >= 0:
			ctx.W.Array(2)
			ctx.W.Bulk(keys[i])
			popElements(ctx, es[i], where, 1, ctx.W.Bulk)
		case ctx.denyBlocking(blockPop):
		default:
			ctx.block(keys, &waiter{kind: blockPop, where: where}, timeout)
		}
	})
}

// blmpopKeys finds BLMPOP's keys: numkeys of them after numkeys.
func blmpopKeys(args [][]byte) []int { return numkeysKeys(args, 2) }

// blmpop: BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func blmpop(ctx *Ctx) {
	timeout, ok := parseTimeout(ctx, ctx.Args[1])
	if !ok {
		return
	}
	keys, where, count, ok := mpopArgs(ctx, 2)
	if !ok {
		return
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		i, ok := firstNonEmpty(ctx, es)
		switch {
		case !ok:
		case i >= 0:
			writeMPop(ctx, es[i], keys[i], where, count)
		case ctx.denyBlocking(blockMPop):
		default:
			ctx.block(keys, &waiter{kind: blockMPop, where: where, count: count}, timeout)
		}
	})
}

// blmove: BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func blmove(ctx *Ctx) {
	from, ok1 := parseWhere(ctx.Args[3])
	to, ok2 := parseWhere(ctx.Args[4])
	if !ok1 || !ok2 {
		ctx.Err(ErrSyntax)
		return
	}
	blmoveKeys(ctx, from, to, ctx.Args[5])
}

// brpoplpush: BRPOPLPUSH source destination timeout
func brpoplpush(ctx *Ctx) { blmoveKeys(ctx, list.Tail, list.Head, ctx.Args[3]) }

func blmoveKeys(ctx *Ctx, from, to list.Where, t []byte) {
	timeout, ok := parseTimeout(ctx, t)
	if !ok {
		return
	}
	ctx.Multi(ctx.Args[1:3], func(es []*store.Entry) {
		src := es[0]
		exists, ok := writeTyped(ctx, src, store.TypeList)
		switch {
		case !ok:
		case exists:
			if moveElement(ctx, src, es[1], from, to) {
				ctx.signalPushed(ctx.Args[2], es[1])
			}
		case ctx.denyBlocking(blockMove):
		default:
			dst := append([]byte(nil), ctx.Args[2]...)
			ctx.block(ctx.Args[1:2], &waiter{kind: blockMove, where: from, to: to, dst: dst}, timeout)
		}
	})
}

// clientUnblock: CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
func clientUnblock(ctx *Ctx) {
	id, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	withErr := false
	if len(ctx.Args) == 4 {
		switch strings.ToLower(string(ctx.Args[3])) {
		case "timeout":
		case "error":
			withErr = true
		default:
			ctx.Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(ctx.Args) > 4 {
		ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + string(ctx.Args[1]) + "'. Try CLIENT HELP.")
		return
	}
	if ctx.S.unblockClient(id, withErr) {
		ctx.W.Int(1)
	} else {
		ctx.W.Int(0)
	}
}
