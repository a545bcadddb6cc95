package command

import (
	"sync"
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/store"
)

// Transactions: MULTI EXEC DISCARD WATCH UNWATCH, with Redis 7.0's
// semantics.
//
// MULTI starts queueing: Exec validates each following command as it would
// run it (unknown command, arity, authentication, no-multi, OOM, BUSY) and,
// instead of running it, copies it into the client's queue and answers
// +QUEUED; a refused one dooms the transaction (EXEC then answers
// EXECABORT). EXEC is Atomic: it holds the world gate (gate.go) while its
// queued commands run one after another through execInner, all with the
// command time EXEC started at, so no other client runs in between and no
// key expires in the middle.
//
// WATCH is driven by the store's change feed. The first WATCH registers a
// feed listener (none while nobody watches); it maps (database, key) to the
// clients watching it and marks them dirty on any change of that key:
// commands, expiry, eviction, RENAME/MOVE/COPY (each side is a change of its
// own key), and FLUSHDB/FLUSHALL/SWAPDB for keys that existed (as Redis's
// touchAllWatchedKeysInDb). EXEC runs holding the gate, after every change
// made before it has been delivered (each command and expiry step drains
// the feed inside the gate), so the dirty flag it reads is exact.

var transactionCommands = []*Spec{
	{Name: "multi", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy | TxControl, ACL: []string{"fast", "transaction"}, Handler: multiCmd},
	{Name: "exec", Arity: 1, Flags: NoScript | Loading | Stale | SkipSlowlog | Atomic | TxControl, ACL: []string{"slow", "transaction"}, Handler: execCmd},
	{Name: "discard", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy | TxControl, ACL: []string{"fast", "transaction"}, Handler: discardCmd},
	{Name: "watch", Arity: -2, Flags: NoScript | Loading | Stale | Fast | AllowBusy | TxControl, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"fast", "transaction"}, Handler: watchCmd},
	{Name: "unwatch", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, ACL: []string{"fast", "transaction"}, Handler: unwatchCmd},
}

// Transaction errors, as Redis 7 sends them.
const (
	ErrExecAbort   = "EXECABORT Transaction discarded because of previous errors."
	ErrNestedMulti = "ERR MULTI calls can not be nested"
	ErrExecNoMulti = "ERR EXEC without MULTI"
	ErrDiscardNo   = "ERR DISCARD without MULTI"
	ErrWatchMulti  = "ERR WATCH inside MULTI is not allowed"
	ErrNoMulti     = "ERR Command not allowed inside a transaction"
	ErrBusy        = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
)

// execFlags tell EXEC apart (a script is Atomic, not TxControl).
const execFlags = Atomic | TxControl

// txState is a client's open transaction; only its connection touches it.
type txState struct {
	cmds    []queued
	flags   Flag  // union of the queued commands' flags (EXEC's OOM and pause checks)
	mem     int64 // what the queue holds, as multi-mem
	aborted bool  // a command was refused while queueing (Redis's CLIENT_DIRTY_EXEC)
}

// queued is one command waiting for EXEC, its arguments copied out of the
// read buffer into one allocation.
type queued struct {
	spec *Spec
	args [][]byte
}

// queuedOverhead approximates what Redis's multiCmd and argv cost beyond
// the argument bytes (multi-mem).
const queuedOverhead, queuedArgOverhead = 32, 24

// queue copies an admitted command into the transaction and answers +QUEUED.
func (s *Server) queue(ctx *Ctx) {
	tx := ctx.C.tx
	if !tx.aborted { // as Redis: a doomed transaction keeps nothing more
		n := 0
		for _, a := range ctx.Args {
			n += len(a)
		}
		buf := make([]byte, 0, n)
		args := make([][]byte, len(ctx.Args))
		for i, a := range ctx.Args {
			buf = append(buf, a...)
			args[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
		}
		tx.cmds = append(tx.cmds, queued{spec: ctx.Cmd, args: args})
		f := ctx.Cmd.Flags
		if f&MayReplicate != 0 && ctx.S.noWritesScript(ctx.Cmd, args) {
			f &^= Write | MayReplicate // a no-writes script: EXEC is a read
		}
		tx.flags |= f
		tx.mem += int64(queuedOverhead + n + queuedArgOverhead*len(args))
		ctx.C.multiN.Store(int32(len(tx.cmds)))
		ctx.C.multiMem.Store(tx.mem)
	}
	ctx.W.Simple("QUEUED")
}

// multi: MULTI
func multiCmd(ctx *Ctx) {
	c := ctx.C
	if c.tx != nil {
		ctx.Err(ErrNestedMulti) // as Redis, this does not doom the transaction
		return
	}
	c.tx = &txState{}
	c.multiN.Store(0)
	ctx.W.OK()
}

// discard: DISCARD
func discardCmd(ctx *Ctx) {
	if ctx.C.tx == nil {
		ctx.Err(ErrDiscardNo)
		return
	}
	ctx.S.discardTx(ctx.C)
	ctx.W.OK()
}

// discardTx ends c's transaction, if any, and unwatches its keys (Redis's
// discardTransaction).
func (s *Server) discardTx(c *Client) {
	c.tx = nil
	c.multiN.Store(-1)
	c.multiMem.Store(0)
	s.unwatchAll(c)
}

// exec: EXEC
func execCmd(ctx *Ctx) {
	c, s := ctx.C, ctx.S
	tx := c.tx
	if tx == nil {
		ctx.Err(ErrExecNoMulti)
		return
	}
	if tx.aborted {
		s.discardTx(c)
		ctx.Err(ErrExecAbort)
		return
	}
	if c.watch != nil && (c.watch.dirty.Load() || s.watchedExpired(c, ctx.Now)) {
		s.discardTx(c)
		ctx.W.NullArray()
		return
	}
	// Unwatch first, as Redis: the transaction's own writes must not
	// matter, and the listener has less to do.
	s.unwatchAll(c)
	c.tx = nil
	ctx.W.Array(len(tx.cmds))
	c.atomic = true
	s.deferReady()
	for _, q := range tx.cmds {
		inner := Ctx{Args: q.args, W: ctx.W, C: c, S: s, Now: ctx.Now, Cmd: q.spec}
		// As Redis, ACLs are checked again: they may have changed since
		// the command was queued (or a queued AUTH changed the user).
		if u := s.userOf(c); !u.Perms().Unrestricted() {
			if d, pos := checkACL(u.Perms(), q.spec, q.args); d != aclOK {
				s.logDenial(&inner, d, "multi", denialObject(d, q.spec, q.args, pos), u.Name())
				inner.Err("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. " +
					"This command is no longer allowed for the following reason: " + execDenial(d))
				continue
			}
		}
		s.execInner(&inner)
	}
	c.atomic = false
	s.serveDeferred()
	c.multiN.Store(-1)
	c.multiMem.Store(0)
}

// watch: WATCH key [key ...]
func watchCmd(ctx *Ctx) {
	c := ctx.C
	if c.tx != nil {
		ctx.Err(ErrWatchMulti)
		return
	}
	db := c.DB()
	for _, k := range ctx.Args[1:] {
		// Registered before the key is looked at: a change racing with
		// this WATCH on another event loop fails the transaction rather
		// than going unseen.
		i, added := ctx.S.watch(c, db, k)
		if !added {
			continue
		}
		live, expired := false, false
		ctx.Peek(k, func(e *store.Entry) { live, expired = e.Exists(), e.Expired() })
		r := &ctx.S.watched
		r.mu.Lock()
		w := &c.watch.keys[i]
		w.live, w.expired = live, expired
		if expired {
			c.watch.expired++
		}
		r.mu.Unlock()
	}
	ctx.W.OK()
}

// unwatch: UNWATCH
func unwatchCmd(ctx *Ctx) {
	ctx.S.unwatchAll(ctx.C)
	ctx.W.OK()
}

// watchKey is a watched (database, key).
type watchKey struct {
	db  int
	key string
}

// watchSet is what one client watches. dirty is set by the feed listener,
// on whichever goroutine drains; keys grow only on the client's connection,
// under watchState.mu (the listener reads them).
type watchSet struct {
	dirty   atomic.Bool
	keys    []watched
	expired int // keys with expired set; guarded by watchState.mu
}

type watched struct {
	k watchKey
	// Set under watchState.mu: the key existed at WATCH time, or it was
	// there but past its deadline. The deletion of such a key by expiry is
	// no change (Redis's watchedKey.expired): its first ChangeExpired is
	// ignored.
	live, expired bool
}

// watchState is the server's registry of watched keys.
type watchState struct {
	mu     sync.Mutex // guards keys and cancel; taken by the feed listener
	keys   map[watchKey][]*watchSet
	cancel func() // the feed listener, registered while anybody watches
}

// watch adds (db, key) to c's watched keys and returns its index in them,
// or false if it was watched already.
func (s *Server) watch(c *Client, db int, key []byte) (int, bool) {
	ws := c.watch
	if ws == nil {
		ws = &watchSet{}
		c.watch = ws
	}
	wk := watchKey{db, string(key)}
	for _, w := range ws.keys {
		if w.k == wk {
			return 0, false // already watched: Redis keeps the first
		}
	}
	r := &s.watched
	r.mu.Lock()
	ws.keys = append(ws.keys, watched{k: wk})
	if r.keys == nil {
		r.keys = map[watchKey][]*watchSet{}
	}
	if r.cancel == nil {
		r.cancel = s.KS.Listen(s.feedWatch)
	}
	r.keys[wk] = append(r.keys[wk], ws)
	r.mu.Unlock()
	c.watchN.Store(int32(len(ws.keys)))
	return len(ws.keys) - 1, true
}

// unwatchAll forgets every key c watches.
func (s *Server) unwatchAll(c *Client) {
	ws := c.watch
	if ws == nil {
		return
	}
	c.watch = nil
	c.watchN.Store(0)
	r := &s.watched
	r.mu.Lock()
	for _, w := range ws.keys {
		l := r.keys[w.k]
		for i, x := range l {
			if x == ws {
				l = append(l[:i], l[i+1:]...)
				break
			}
		}
		if len(l) == 0 {
			delete(r.keys, w.k)
		} else {
			r.keys[w.k] = l
		}
	}
	if len(r.keys) == 0 && r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	r.mu.Unlock()
}

// watchedExpired is Redis 7.0's isWatchedKeyExpired: a key that was live
// at WATCH time and has logically expired since (no change was delivered
// for it, so it is still in the store, past its deadline).
func (s *Server) watchedExpired(c *Client, now int64) bool {
	for _, w := range c.watch.keys {
		if !w.live || w.k.db >= s.KS.Databases() {
			continue
		}
		live := false
		s.KS.DB(w.k.db).Peek([]byte(w.k.key), now, func(e *store.Entry) { live = e.Exists() })
		if !live {
			return true
		}
	}
	return false
}

// feedWatch is the feed listener while anybody watches.
func (s *Server) feedWatch(batch []store.Change) {
	r := &s.watched
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ch := range batch {
		if !ch.Kind.DBWide() {
			wk := watchKey{ch.DB, string(ch.Key)}
			for _, ws := range r.keys[wk] {
				if ch.Kind == store.ChangeExpired && ws.expired > 0 && ws.expiredAtWatch(wk) {
					continue
				}
				ws.dirty.Store(true)
			}
			continue
		}
		// FLUSHDB, FLUSHALL, SWAPDB, as Redis's touchAllWatchedKeysInDb:
		// a watcher of a key that existed (it was live at WATCH time and
		// no change has been delivered since, or it would be dirty
		// already) or, for SWAPDB, exists now is dirty. A key that was
		// past its deadline at WATCH time and is gone now, or that a SWAPDB
		// replaced with another such key, is no change; one missing at
		// WATCH that a SWAPDB replaced with an expired key counts as
		// expired at WATCH (its coming deletion is no change either).
		now := store.NowMs()
		for wk, wss := range r.keys {
			if wk.db != ch.DB {
				continue
			}
			state := keyUnknown
			for _, ws := range wss {
				if ws.dirty.Load() {
					continue
				}
				w := ws.find(wk)
				if w == nil {
					continue
				}
				if state == keyUnknown {
					state = keyMissing
					if ch.Kind == store.ChangeSwap {
						s.KS.DB(wk.db).Peek([]byte(wk.key), now, func(e *store.Entry) {
							switch {
							case e.Exists():
								state = keyLive
							case e.Expired():
								state = keyStale
							}
						})
					}
				}
				switch {
				case w.expired && state != keyLive:
					if state == keyMissing {
						w.expired = false
						ws.expired--
					}
				case w.live || state == keyLive || w.expired:
					ws.dirty.Store(true)
				case state == keyStale:
					w.expired = true
					ws.expired++
				}
			}
		}
	}
}

// A watched key's state after a SWAPDB (keyMissing after a flush).
const (
	keyUnknown = iota
	keyMissing
	keyLive
	keyStale // there, past its deadline: deleted once the lookup ends
)

// find is the client's entry for wk; the caller holds watchState.mu.
func (ws *watchSet) find(wk watchKey) *watched {
	for i := range ws.keys {
		if ws.keys[i].k == wk {
			return &ws.keys[i]
		}
	}
	return nil
}

// expiredAtWatch reports whether wk was found expired when watched and
// clears that (a later change counts); the caller holds watchState.mu.
func (ws *watchSet) expiredAtWatch(wk watchKey) bool {
	for i := range ws.keys {
		if w := &ws.keys[i]; w.k == wk && w.expired {
			w.expired = false
			ws.expired--
			return true
		}
	}
	return false
}

// denyBlocking answers a blocking command that found nothing to serve
// inside EXEC (or a script) as if it had timed out, as Redis does.
func (ctx *Ctx) denyBlocking(kind blockKind) bool {
	if !ctx.C.atomic {
		return false
	}
	if kind == blockMove {
		ctx.W.Null()
	} else {
		ctx.W.NullArray()
	}
	return true
}

// pauseFlags are the flags CLIENT PAUSE judges a command by: EXEC's are its
// queued commands' (Redis's is_may_replicate_command).
func pauseFlags(s *Spec, tx *txState) Flag {
	if tx != nil && s.Flags&execFlags == execFlags {
		return s.Flags | tx.flags&(Write|MayReplicate)
	}
	return s.Flags
}

// execDenial is the reason EXEC gives for a queued command ACLs now deny.
func execDenial(d int) string {
	switch d {
	case deniedCmd:
		return "no permission to execute the command or subcommand"
	case deniedKey:
		return "no permission to touch the specified keys"
	case deniedChannel:
		return "no permission to access one of the channels used as arguments"
	}
	return "no permission"
}
