package command

import "github.com/smallredis/smallredis/internal/store"

// The command context is the only door to the keyspace: a handler reads
// and writes keys through these methods, never through the store itself.
// They apply what every access must (the client's database, the command
// time, which inside EXEC is the transaction's, CLIENT NO-TOUCH), and they
// are the one place a later mode of running commands (a script's
// redis.call) has to know about.

// db is the client's selected database.
func (ctx *Ctx) db() *store.DB { return ctx.S.KS.DB(ctx.C.DB()) }

// View reads key honouring CLIENT NO-TOUCH.
func (ctx *Ctx) View(key []byte, fn func(e *store.Entry)) {
	if ctx.C.NoTouch() {
		ctx.db().Peek(key, ctx.Now, fn)
		return
	}
	ctx.db().View(key, ctx.Now, fn)
}

// ViewTouch reads key and records the access even under CLIENT NO-TOUCH
// (TOUCH itself).
func (ctx *Ctx) ViewTouch(key []byte, fn func(e *store.Entry)) {
	ctx.db().View(key, ctx.Now, fn)
}

// Peek reads key without recording an access (EXISTS, TTL, TYPE, OBJECT…).
func (ctx *Ctx) Peek(key []byte, fn func(e *store.Entry)) {
	ctx.db().Peek(key, ctx.Now, fn)
}

// PeekExpired is Peek that also finds a key whose TTL has passed but that
// expiry has not deleted yet, and leaves it there: Redis's DEBUG OBJECT
// looks in the keyspace dictionary directly. The clock it reads at is 0,
// before every expire time.
func (ctx *Ctx) PeekExpired(key []byte, fn func(e *store.Entry)) {
	ctx.db().Peek(key, 0, fn)
}

// Update modifies key in the selected database, honouring CLIENT NO-TOUCH
// as Redis's write lookups do.
func (ctx *Ctx) Update(key []byte, fn func(e *store.Entry)) {
	if ctx.C.NoTouch() {
		ctx.db().UpdateNoTouch(key, ctx.Now, fn)
		return
	}
	ctx.db().Update(key, ctx.Now, fn)
}

// Multi locks keys together (one atomic step over all of them), honouring
// CLIENT NO-TOUCH.
func (ctx *Ctx) Multi(keys [][]byte, fn func(es []*store.Entry)) {
	if ctx.C.NoTouch() {
		ctx.db().MultiNoTouch(keys, ctx.Now, fn)
		return
	}
	ctx.db().Multi(keys, ctx.Now, fn)
}

// MultiTouch is Multi recording the accesses whatever CLIENT NO-TOUCH says
// (MSET, MSETNX, BITOP).
func (ctx *Ctx) MultiTouch(keys [][]byte, fn func(es []*store.Entry)) {
	ctx.db().Multi(keys, ctx.Now, fn)
}

// EachNoTouch calls fn for each key with all their shards locked, without
// recording accesses and holding few Entries at a time (DEL, UNLINK: any
// number of keys; see store.DB.EachNoTouch).
func (ctx *Ctx) EachNoTouch(keys [][]byte, fn func(i int, e *store.Entry)) {
	ctx.db().EachNoTouch(keys, ctx.Now, fn)
}

// Databases is the number of databases.
func (ctx *Ctx) Databases() int { return ctx.S.KS.Databases() }

// DBSize is the number of keys in the selected database.
func (ctx *Ctx) DBSize() int { return ctx.db().Len() }

// RandomKey appends a random live key of the selected database to dst.
func (ctx *Ctx) RandomKey(dst []byte) ([]byte, bool) { return ctx.db().RandomKey(ctx.Now, dst) }

// Keys calls fn for every live key of the selected database until it
// returns false.
func (ctx *Ctx) Keys(fn func(key []byte, t store.Type) bool) { ctx.db().Keys(ctx.Now, fn) }

// Scan is one SCAN step over the selected database.
func (ctx *Ctx) Scan(cursor uint64, count int, fn func(key []byte, t store.Type)) uint64 {
	return ctx.db().Scan(cursor, count, ctx.Now, fn)
}

// FlushDB empties the selected database.
func (ctx *Ctx) FlushDB() { ctx.db().Flush() }

// FlushAll empties every database.
func (ctx *Ctx) FlushAll() { ctx.S.KS.FlushAll() }

// SwapDB swaps two databases' contents.
func (ctx *Ctx) SwapDB(i, j int) { ctx.S.KS.SwapDB(i, j) }

// Move moves key from database src to dst (MOVE).
func (ctx *Ctx) Move(src, dst int, key []byte) (bool, store.Type) {
	return ctx.S.KS.Move(src, dst, key, ctx.Now)
}

// Copy copies from (database src) to to (database dst) (COPY).
func (ctx *Ctx) Copy(src, dst int, from, to []byte, replace bool) bool {
	return ctx.S.KS.Copy(src, dst, from, to, replace, ctx.Now)
}
