// Package store owns the keyspace: numbered databases of keys mapped to values,
// with expiry and the per-key metadata eviction needs. It knows nothing of RESP
// or commands.
//
// Layout, chosen so that ten million keys cost the garbage collector nothing
// and a 16-byte key with a 32-byte value costs well under Redis's ~140 bytes:
// each database has 64 shards (shard.go), each with an RWMutex, a Robin Hood
// hash table of uint64 slots (table.go) and an arena of records in []byte
// chunks (arena.go, record.go). There is no Go pointer per key; only values
// of non-string types, and strings longer than 8 KiB, are Go objects, kept in
// a per-shard slab that the record indexes.
//
// Callers reach a key through a callback (DB.View, DB.Update, DB.Multi …) that
// runs with its shard locked and receives an *Entry; values read through it
// alias the arena and are valid only inside the callback. Time is passed in
// as unix milliseconds (NowMs) so a command sees one instant throughout.
//
// Every change to the keyspace, whoever makes it, is counted and reported
// to the change feed (feed.go): Listen subscribes, Drain delivers outside
// the shard locks.
package store

import (
	"bytes"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// Type is the type of a key's value.
type Type uint8

const (
	TypeNone Type = iota
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

var typeNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}

// String returns the name TYPE replies with.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// Keyspace is the set of numbered databases. It is safe for concurrent use.
type Keyspace struct {
	dbs atomic.Pointer[[]*DB] // replaced whole by SwapDB, so DB(i) is one load
	// expiryPaused: reads see expired keys as missing but leave them in
	// place (CLIENT PAUSE, as Redis's expireIfNeeded while paused).
	expiryPaused atomic.Bool
	swapMu       sync.Mutex // serialises SwapDB

	// Eviction support (evict.go).
	meta     atomic.Pointer[metaHooks] // how accesses update metadata; nil = Redis's defaults
	pressure atomic.Bool               // near the memory limit: compact arenas harder

	expMu   sync.Mutex  // guards expPos and expGate; one active expiry cycle at a time
	expPos  int         // db*numShards+shard where the next cycle resumes
	expGate sync.Locker // held around each step of the cycle; nil = none

	feed    feed         // the change feed (feed.go)
	changes atomic.Int64 // dirty count of changes no database owns (SWAPDB)

	// The counters writes move, each on a cache line of its own: used
	// changes with nearly every SET, from every event loop, and sharing a
	// line with dbs and meta, which every command reads, made each write
	// on one core cost the other core's next command a cache miss.
	_       cpu.CacheLinePad
	used    atomic.Int64 // sum of all shards' charged bytes, plus clients
	_       cpu.CacheLinePad
	clients atomic.Int64 // bytes charged by ChargeClients
	_       cpu.CacheLinePad
	expired atomic.Int64
	_       cpu.CacheLinePad
}

var dbUIDs atomic.Uint64

// New returns a keyspace of the given number of empty databases.
func New(databases int) *Keyspace {
	ks := &Keyspace{}
	dbs := make([]*DB, databases)
	for i := range dbs {
		dbs[i] = newDB(ks, dbUIDs.Add(1))
		dbs[i].idx.Store(int32(i))
	}
	ks.dbs.Store(&dbs)
	return ks
}

// DB returns the database currently at index i. SWAPDB changes what an index
// refers to, so callers should not keep the *DB across commands.
func (ks *Keyspace) DB(i int) *DB { return (*ks.dbs.Load())[i] }

// Databases is the number of databases.
func (ks *Keyspace) Databases() int { return len(*ks.dbs.Load()) }

// SwapDB swaps databases i and j atomically for every later DB call, and
// reports ChangeSwap for both (once for i == j, which Redis also counts).
func (ks *Keyspace) SwapDB(i, j int) {
	ks.swapMu.Lock()
	dbs := append([]*DB(nil), *ks.dbs.Load()...)
	dbs[i], dbs[j] = dbs[j], dbs[i]
	dbs[i].idx.Store(int32(i))
	dbs[j].idx.Store(int32(j))
	ks.dbs.Store(&dbs)
	ks.changes.Add(1)
	ks.feed.record(i, nil, ChangeSwap, j)
	if i != j {
		ks.feed.record(j, nil, ChangeSwap, i)
	}
	ks.swapMu.Unlock()
}

// FlushAll empties every database, shard by shard, reporting ChangeFlush
// for each.
func (ks *Keyspace) FlushAll() {
	for _, db := range *ks.dbs.Load() {
		db.Flush()
	}
}

// UsedMemory is the memory charged for all data: live records, tables, and
// big strings and objects (at their estimated size). Deleting a key lowers it
// at once, though its arena space is reclaimed by compaction a little later;
// MemoryStats reports the arena as allocated. It includes the client memory
// charged by ChargeClients. It is one atomic load.
func (ks *Keyspace) UsedMemory() int64 { return ks.used.Load() }

// ChargeClients adds delta bytes of client connection memory (query and
// reply buffers, output not yet sent) to UsedMemory, so that maxmemory
// and its eviction see it, as Redis counts mem_clients_normal in
// used_memory. The network layer calls it when a buffer changes size, not
// per command.
func (ks *Keyspace) ChargeClients(delta int64) {
	ks.clients.Add(delta)
	ks.used.Add(delta)
}

// ClientMemory is the part of UsedMemory charged by ChargeClients.
func (ks *Keyspace) ClientMemory() int64 { return ks.clients.Load() }

// HasExpires reports whether any database holds a key with a TTL (expired
// ones not yet reclaimed included) or an object with deadlines of its own
// (hash fields with TTLs): when none does, active expiry has nothing to do.
func (ks *Keyspace) HasExpires() bool {
	for _, db := range *ks.dbs.Load() {
		for i := range db.shards {
			if db.shards[i].nexp.Load() > 0 || db.shards[i].ndl.Load() > 0 {
				return true
			}
		}
	}
	return false
}

// ExpiredKeys counts keys deleted because they expired, lazily or actively.
func (ks *Keyspace) ExpiredKeys() int64 { return ks.expired.Load() }

// MemoryStats breaks memory down for INFO memory and MEMORY STATS.
type MemoryStats struct {
	Records  int64 // live record bytes
	Arena    int64 // bytes of arena chunks (records + garbage not yet compacted + free tails)
	Tables   int64 // hash table slots
	External int64 // big strings and objects
	Keys     int64
}

// MemoryStats sums the shards of every database, taking each read lock briefly.
func (ks *Keyspace) MemoryStats() MemoryStats {
	var m MemoryStats
	for _, db := range *ks.dbs.Load() {
		d := db.MemoryStats()
		m.Records += d.Records
		m.Arena += d.Arena
		m.Tables += d.Tables
		m.External += d.External
		m.Keys += d.Keys
	}
	return m
}

// Move moves key from database src to dst (MOVE) if it exists in src and not
// in dst, keeping its value, TTL and access metadata. srcType is the type in
// src (TypeNone if missing). src == dst moves nothing; Redis rejects that
// before getting here.
func (ks *Keyspace) Move(src, dst int, key []byte, now int64) (moved bool, srcType Type) {
	sdb, ddb := ks.DB(src), ks.DB(dst)
	si, h := hashKey(key)
	a, b := &sdb.shards[si], &ddb.shards[si]
	if a == b {
		sdb.Peek(key, now, func(e *Entry) { srcType = e.Type() })
		return false, srcType
	}
	lockPair(a, b)
	var se, de Entry
	defer func() {
		se.end()
		de.end()
		a.maintain(now)
		b.maintain(now)
		unlockPair(a, b)
	}()
	a.begin(&se, key, h, now, true, true)
	b.begin(&de, key, h, now, true, false)
	if !se.Exists() {
		return false, TypeNone
	}
	srcType = se.Type()
	if de.Exists() {
		return false, srcType
	}
	r := se.rec()
	if r.indirect() {
		// Hand the object or big string over instead of copying it; the
		// source's slab slot is released by se.Delete below.
		de.putSlot(r.flags()&^flagTTL, a.objs[r.objIndex()])
		if r.typ() != TypeString {
			de.noteObj()
		}
	} else {
		de.setInline(r.flags()&^flagTTL, r.val(), r.vlen())
	}
	de.SetExpireAt(se.ExpireAt())
	de.SetMeta(se.Meta())
	se.Delete()
	se.change, se.other = ChangeMoveFrom, int32(dst)
	de.change, de.other = ChangeMoveTo, int32(src)
	return true, srcType
}

// Copy copies key from in database src to key to in dst (COPY), keeping the
// TTL. It fails if from is missing, or to exists and replace is false.
// Objects implementing Cloner are deep-copied. Copying a key onto itself
// does nothing (Redis rejects it before getting here).
func (ks *Keyspace) Copy(src, dst int, from, to []byte, replace bool, now int64) (copied bool) {
	sdb, ddb := ks.DB(src), ks.DB(dst)
	if sdb == ddb && bytes.Equal(from, to) {
		return false
	}
	fs, fh := hashKey(from)
	ts, th := hashKey(to)
	a, b := &sdb.shards[fs], &ddb.shards[ts]
	lockPair(a, b)
	defer func() {
		a.maintain(now)
		if b != a {
			b.maintain(now)
		}
		unlockPair(a, b)
	}()
	var se, de Entry
	a.begin(&se, from, fh, now, true, true)
	b.begin(&de, to, th, now, true, false)
	if !se.Exists() {
		de.end()
		se.end()
		return false
	}
	if de.Exists() {
		if !replace {
			de.end()
			se.end()
			return false
		}
		de.Delete()
	}
	switch t := se.Type(); t {
	case TypeString:
		de.SetStr(se.Str())
		if r := se.rec(); r.flags()&flagRaw != 0 {
			de.MarkRaw()
		}
	default:
		// Not se.Obj(): that would count as a write of the source.
		o := a.objs[se.rec().objIndex()].v
		if c, ok := o.(Cloner); ok {
			o = c.Clone()
		}
		de.SetObj(t, o)
	}
	de.SetExpireAt(se.ExpireAt())
	de.change, de.other = ChangeCopyTo, int32(src)
	de.end()
	se.end()
	return true
}

// PauseExpiry stops (or resumes) deleting expired keys a read finds; the
// active cycle's caller checks ExpiryPaused too. Redis does so while
// clients are paused, so the dataset does not change under a pause.
func (ks *Keyspace) PauseExpiry(on bool) { ks.expiryPaused.Store(on) }

// ExpiryPaused reports PauseExpiry's state.
func (ks *Keyspace) ExpiryPaused() bool { return ks.expiryPaused.Load() }
