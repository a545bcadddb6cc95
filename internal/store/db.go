package store

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// DB is one numbered database: numShards shards, each with its own
// RWMutex, table and arena. A key lives in the shard picked by its hash, so
// operations on different keys rarely contend. All methods are safe for
// concurrent use; callbacks run with the key's shard locked and must not call
// back into the same DB (or Keyspace) or they may deadlock.
type DB struct {
	ks     *Keyspace
	uid    uint64       // orders locks across databases (lockPair)
	idx    atomic.Int32 // its index, changed by SWAPDB
	filled atomic.Int32 // shards holding a key, kept by publish
	timed  atomic.Int32 // shards holding a key with a TTL
	// The first shard's lock word off the line of ks, which every
	// operation on any shard reads.
	_      cpu.CacheLinePad
	shards [numShards]shard
}

func newDB(ks *Keyspace, uid uint64) *DB {
	db := &DB{ks: ks, uid: uid}
	for i := range db.shards {
		sh := &db.shards[i]
		sh.db, sh.idx, sh.ar = db, uint8(i), newArena()
	}
	return db
}

// View calls fn with the key under a read lock and records the access in the
// key's LRU/LFU metadata (with atomics: readers do not exclude each other).
// An expired key is reported missing and, as Redis does on every access,
// deleted right after fn returns (under the write lock, so only reads that
// meet an expired key pay for it).
func (db *DB) View(key []byte, now int64, fn func(e *Entry)) { db.view(key, now, fn, true) }

// Peek is View without touching the access metadata (OBJECT, TYPE, TTL,
// CLIENT NO-TOUCH).
func (db *DB) Peek(key []byte, now int64, fn func(e *Entry)) { db.view(key, now, fn, false) }

func (db *DB) view(key []byte, now int64, fn func(e *Entry), touch bool) {
	si, h := hashKey(key)
	sh := &db.shards[si]
	stale, due := sh.read(key, h, now, fn, touch)
	switch {
	case due:
		sh.readDue(key, h, now, fn, touch)
	case stale && !db.ks.expiryPaused.Load():
		sh.reclaim(key, h, now)
	}
}

// read runs fn under the read lock and reports whether key was found
// expired. When its object has something due (objexpire.go) it does not
// run fn and reports due instead.
func (sh *shard) read(key []byte, h uint32, now int64, fn func(e *Entry), touch bool) (stale, due bool) {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	e, i := sh.claimReader()
	defer sh.releaseReader(e, i)
	sh.begin(e, key, h, now, false, touch)
	if e.due {
		return false, true
	}
	fn(e)
	return e.stale, false
}

// readDue is read for a key whose object has something due: under the
// write lock, the object drops it first (the key goes if nothing is left),
// then fn runs with a read-only Entry.
func (sh *shard) readDue(key []byte, h uint32, now int64, fn func(e *Entry), touch bool) {
	sh.mu.Lock()
	e := &sh.wentry
	defer sh.endUpdate(e, now)
	sh.begin(e, key, h, now, true, touch)
	e.write = false
	fn(e)
}

// reclaim deletes key if it is still expired (another client may have
// rewritten it between the read and now).
func (sh *shard) reclaim(key []byte, h uint32, now int64) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if slot, _, r := sh.lookup(h, key); slot >= 0 && r.expired(now) {
		sh.deleteSlot(slot, ChangeExpired)
		sh.expOp++
		sh.maintain(now) // publishes the key count, memory and expired_keys
	}
}

// Update calls fn exactly once with the key's shard write-locked; fn may
// create, modify or delete the key. An expired key is deleted first (and
// counted in ExpiredKeys), so fn sees it missing.
func (db *DB) Update(key []byte, now int64, fn func(e *Entry)) { db.update(key, now, fn, true) }

// UpdateNoTouch is Update without touching the access metadata (writes by a
// CLIENT NO-TOUCH client).
func (db *DB) UpdateNoTouch(key []byte, now int64, fn func(e *Entry)) {
	db.update(key, now, fn, false)
}

func (db *DB) update(key []byte, now int64, fn func(e *Entry), touch bool) {
	si, h := hashKey(key)
	sh := &db.shards[si]
	sh.mu.Lock()
	e := &sh.wentry
	defer sh.endUpdate(e, now)
	sh.begin(e, key, h, now, true, touch)
	fn(e)
}

// endUpdate runs deferred, so a panic in the callback still unlocks the
// shard; its own defer unlocks it even if finishing the half-done change
// panics too.
func (sh *shard) endUpdate(e *Entry, now int64) {
	defer sh.mu.Unlock()
	e.end()
	sh.maintain(now)
}

// multiScratch is reused between Multi calls so they do not allocate.
type multiScratch struct {
	ents  []Entry
	ptrs  []*Entry
	shard []uint8
	hash  []uint32
	index []int32 // open-addressing index of first occurrences, for many keys
}

var multiPool = sync.Pool{New: func() any { return new(multiScratch) }}

// Multi write-locks every shard the keys fall in (in ascending shard order,
// the global lock order) and calls fn with one Entry per key in the given
// order. Repeated keys share one *Entry, so a change through one is seen
// through the others. Expired keys are deleted first.
func (db *DB) Multi(keys [][]byte, now int64, fn func(es []*Entry)) { db.multi(keys, now, fn, true) }

// MultiNoTouch is Multi without touching the access metadata.
func (db *DB) MultiNoTouch(keys [][]byte, now int64, fn func(es []*Entry)) {
	db.multi(keys, now, fn, false)
}

func (db *DB) multi(keys [][]byte, now int64, fn func(es []*Entry), touch bool) {
	ms := multiPool.Get().(*multiScratch)
	defer multiPool.Put(ms)
	locked := ms.prepare(keys)
	db.lockShards(locked)
	defer db.endLocked(locked, now)
	db.multiLocked(ms, keys, now, fn, touch)
}

// multiChunk is how many keys EachNoTouch holds Entries for at a time.
const multiChunk = 1024

// EachNoTouch calls fn for each key in order, with every shard the keys
// fall in write-locked for the whole call as Multi locks them, but with
// Entries for at most multiChunk keys at a time: each chunk's Entries end
// (their changes recorded) before the next chunk's begin, so a key named
// again in a later chunk is seen as its earlier occurrence left it, as
// Redis runs DEL k … k. Within a chunk repeated keys share an Entry, as in
// Multi. Access metadata is not touched. For commands on any number of keys
// (DEL, UNLINK), where Multi would hold an Entry (~130 bytes) for every key
// at once: 400 MB for a DEL of 3 M keys.
func (db *DB) EachNoTouch(keys [][]byte, now int64, fn func(i int, e *Entry)) {
	var locked uint64
	for _, k := range keys {
		si, _ := hashKey(k)
		locked |= 1 << si
	}
	db.lockShards(locked)
	defer db.endLocked(locked, now)
	ms := multiPool.Get().(*multiScratch)
	defer multiPool.Put(ms)
	for start := 0; start < len(keys); start += multiChunk {
		chunk := keys[start:min(start+multiChunk, len(keys))]
		ms.prepare(chunk)
		db.multiLocked(ms, chunk, now, func(es []*Entry) {
			for i, e := range es {
				fn(start+i, e)
			}
		}, false)
	}
}

// prepare sizes the scratch for keys and records each key's shard and
// hash; it returns the set of shards they fall in.
func (ms *multiScratch) prepare(keys [][]byte) (locked uint64) {
	n := len(keys)
	if cap(ms.ents) < n {
		ms.ents = make([]Entry, n)
		ms.ptrs = make([]*Entry, n)
		ms.shard = make([]uint8, n)
		ms.hash = make([]uint32, n)
	}
	for i, k := range keys {
		si, h := hashKey(k)
		ms.shard[i], ms.hash[i] = uint8(si), h
		locked |= 1 << si
	}
	return locked
}

// multiLocked begins an Entry per key (prepared in ms, its shards locked
// by the caller), calls fn with them and ends them, also when fn panics.
func (db *DB) multiLocked(ms *multiScratch, keys [][]byte, now int64, fn func(es []*Entry), touch bool) {
	n := len(keys)
	ents, ptrs := ms.ents[:n], ms.ptrs[:n]
	defer ms.end(n)
	ms.dedupInit(n)
	for i, k := range keys {
		if j := ms.dedup(keys, i); j >= 0 {
			ptrs[i] = ptrs[j]
			continue
		}
		db.shards[ms.shard[i]].begin(&ents[i], k, ms.hash[i], now, true, touch)
		ptrs[i] = &ents[i]
	}
	fn(ptrs)
}

// end ends the Entries multiLocked began.
func (ms *multiScratch) end(n int) {
	for i := range n {
		if ms.ptrs[i] == &ms.ents[i] {
			ms.ents[i].end()
		}
	}
	clear(ms.ents[:n])
	clear(ms.ptrs[:n])
}

func (db *DB) lockShards(locked uint64) {
	for m := locked; m != 0; m &= m - 1 {
		db.shards[bits.TrailingZeros64(m)].mu.Lock()
	}
}

// endLocked runs deferred, like endUpdate: the shards are unlocked even
// if the callback or the bookkeeping after it panics.
func (db *DB) endLocked(locked uint64, now int64) {
	defer db.unlockShards(locked)
	for m := locked; m != 0; m &= m - 1 {
		db.shards[bits.TrailingZeros64(m)].maintain(now)
	}
}

func (db *DB) unlockShards(locked uint64) {
	for m := locked; m != 0; m &= m - 1 {
		db.shards[bits.TrailingZeros64(m)].mu.Unlock()
	}
}

// dedupInit prepares dedup for n keys: a linear search for a few keys, a
// small hash index beyond that (so a 10,000-key MSET is not quadratic).
func (ms *multiScratch) dedupInit(n int) {
	if n <= 16 {
		return
	}
	size := 1 << bits.Len(uint(2*n))
	if cap(ms.index) < size {
		ms.index = make([]int32, size)
	}
	ms.index = ms.index[:size]
	clear(ms.index)
}

// dedup returns the index of an earlier occurrence of keys[i], or -1 (and
// then remembers i).
func (ms *multiScratch) dedup(keys [][]byte, i int) int {
	h := ms.hash[i]
	if len(keys) <= 16 {
		for j := range i {
			if ms.hash[j] == h && ms.shard[j] == ms.shard[i] && bytes.Equal(keys[j], keys[i]) {
				return j
			}
		}
		return -1
	}
	mask := len(ms.index) - 1
	for p := int(h) & mask; ; p = (p + 1) & mask {
		j := int(ms.index[p]) - 1
		if j < 0 {
			ms.index[p] = int32(i + 1)
			return -1
		}
		if ms.hash[j] == h && ms.shard[j] == ms.shard[i] && bytes.Equal(keys[j], keys[i]) {
			return j
		}
	}
}

// Len is the number of keys (DBSIZE), counting expired keys not reclaimed yet.
func (db *DB) Len() int {
	n := int64(0)
	for i := range db.shards {
		n += db.shards[i].keys.Load()
	}
	return int(n)
}

// HasKeys reports whether the database holds a key (with volatile, a key
// with a TTL): one atomic load, for the eviction mechanism, which asks
// often, where summing 64 shard counters would cost a cache miss each.
func (db *DB) HasKeys(volatile bool) bool {
	if volatile {
		return db.timed.Load() > 0
	}
	return db.filled.Load() > 0
}

// Expires is the number of keys with a TTL.
func (db *DB) Expires() int {
	n := int64(0)
	for i := range db.shards {
		n += db.shards[i].nexp.Load()
	}
	return int(n)
}

// AvgTTL is the mean remaining TTL in ms of keys with one (INFO keyspace
// avg_ttl), 0 if there are none. It is exact over the keys not yet reclaimed.
func (db *DB) AvgTTL(now int64) int64 {
	var sum i128
	n := 0
	for i := range db.shards {
		sh := &db.shards[i]
		if sh.nexp.Load() == 0 {
			continue
		}
		sh.mu.RLock()
		sum = sum.plus(sh.ttlSum)
		n += sh.expires
		sh.mu.RUnlock()
	}
	if n == 0 {
		return 0
	}
	return max(0, int64(sum.float()/float64(n))-now)
}

// UsedMemory is the memory charged to this database (see Keyspace.UsedMemory).
func (db *DB) UsedMemory() int64 {
	n := int64(0)
	for i := range db.shards {
		n += db.shards[i].used.Load()
	}
	return n
}

// Flush deletes every key (FLUSHDB), shard by shard, counting each in the
// dirty counter, then reports one ChangeFlush.
func (db *DB) Flush() {
	for i := range db.shards {
		sh := &db.shards[i]
		sh.mu.Lock()
		sh.changes += int64(sh.tab.count)
		sh.reset()
		sh.mu.Unlock()
	}
	db.ks.feed.record(db.Index(), nil, ChangeFlush, 0)
}

// randomShard picks a shard with probability proportional to its key count,
// or -1 if the database is empty.
func (db *DB) randomShard() int {
	total := int64(db.Len())
	if total <= 0 {
		return -1
	}
	r := rand.Int64N(total)
	for i := range db.shards {
		r -= db.shards[i].keys.Load()
		if r < 0 {
			return i
		}
	}
	return rand.IntN(numShards) // counts moved under us
}

// RandomKey appends a random live key to dst (RANDOMKEY). Like Redis's, the
// choice is not exactly uniform: a key after a run of empty slots is likelier.
func (db *DB) RandomKey(now int64, dst []byte) ([]byte, bool) {
	si := db.randomShard()
	if si < 0 {
		return dst, false
	}
	for k := range numShards {
		sh := &db.shards[(si+k)%numShards]
		sh.mu.RLock()
		t := &sh.tab
		if n := len(t.slots); n > 0 {
			p := rand.IntN(n)
			for range n {
				if s := t.slots[p]; s != 0 {
					r := sh.ar.rec(slotLoc(s))
					if !r.expired(now) {
						dst = append(dst, r.key()...)
						sh.mu.RUnlock()
						return dst, true
					}
				}
				p = t.next(p)
			}
		}
		sh.mu.RUnlock()
	}
	return dst, false
}

// Sample calls fn for up to n random live keys with their eviction metadata
// and expire time (0 = none): the sampling hook for eviction. Keys come in
// runs from random positions of random shards, like Redis's dictGetSomeKeys.
// fn runs under the shard's read lock and must not call into the DB.
func (db *DB) Sample(n int, now int64, fn func(key []byte, meta uint32, expireAt int64)) {
	si := db.randomShard()
	if si < 0 || n <= 0 {
		return
	}
	for k := 0; k < numShards && n > 0; k++ {
		n = db.shards[(si+k)%numShards].sampleLive(n, now, fn)
	}
}

// sampleLive is one shard's part of Sample; it returns how many keys are
// still wanted. The deferred unlock keeps a panicking fn from leaving the
// shard locked.
func (sh *shard) sampleLive(n int, now int64, fn func(key []byte, meta uint32, expireAt int64)) int {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	t := &sh.tab
	size := len(t.slots)
	if size == 0 {
		return n
	}
	p := rand.IntN(size)
	for range size {
		if s := t.slots[p]; s != 0 {
			r := sh.ar.rec(slotLoc(s))
			if !r.expired(now) {
				fn(r.key(), r.meta(), r.expireAt())
				if n--; n == 0 {
					return 0
				}
			}
		}
		p = t.next(p)
	}
	return n
}
