package store

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
)

// What the eviction mechanism (package evictor) needs from the keyspace:
// who owns the metadata word, sampling keys with their metadata, deleting a
// sampled key, and what one key costs. The mechanism itself (the pool, the
// policies' scores, the memory limit) lives outside the store.

// MetaPolicy takes over every key's 32-bit metadata word (meta.go) from
// Redis's LRU clock and LFU counter: the store asks it for the word of a new
// key and for the new word after each access. Implementations must be safe
// for concurrent use, O(1) and allocation-free: Access runs on every hit,
// under a shard's read lock. keyHash is KeyHash-compatible.
type MetaPolicy interface {
	Insert(keyHash uint64, now int64) uint32
	Access(keyHash uint64, meta uint32, now int64) uint32
}

// metaHooks is how accesses update the metadata word; a nil *metaHooks in
// Keyspace.meta means Redis's defaults, so a fresh keyspace needs no setup.
type metaHooks struct {
	policy    MetaPolicy // nil: Redis's LRU clock and LFU counter
	logFactor int        // lfu-log-factor
	decayMins int        // lfu-decay-time, 0 = counters never decay
}

func (ks *Keyspace) hooks() *metaHooks { return ks.hooksOf(ks.meta.Load()) }

var defaultHooks = metaHooks{logFactor: lfuLogFactor, decayMins: lfuDecayMins}

// SetMetaPolicy hands the metadata word to p, or back to Redis's LRU/LFU
// metadata when p is nil. Existing words are not converted: as in Redis
// when maxmemory-policy changes at run time, they are read with the new
// meaning until the keys are next accessed.
func (ks *Keyspace) SetMetaPolicy(p MetaPolicy) {
	for {
		old := ks.meta.Load()
		nw := *ks.hooksOf(old)
		nw.policy = p
		if ks.meta.CompareAndSwap(old, &nw) {
			return
		}
	}
}

// SetLFUParams sets lfu-log-factor and lfu-decay-time (minutes; 0 turns
// decay off), which Redis's LFU counter follows.
func (ks *Keyspace) SetLFUParams(logFactor, decayMinutes int) {
	for {
		old := ks.meta.Load()
		nw := *ks.hooksOf(old)
		nw.logFactor, nw.decayMins = max(0, logFactor), max(0, decayMinutes)
		if ks.meta.CompareAndSwap(old, &nw) {
			return
		}
	}
}

func (ks *Keyspace) hooksOf(mh *metaHooks) *metaHooks {
	if mh == nil {
		return &defaultHooks
	}
	return mh
}

// LFUCount is Redis's LFUDecrAndReturn: the LFU counter of a metadata word
// after decay for the time since its last access.
func (ks *Keyspace) LFUCount(meta uint32, now int64) int {
	return lfuCount(meta, now, ks.hooks().decayMins)
}

// IdleSeconds is the time since the last access recorded in a metadata word,
// with the LRU clock's one-second resolution (Redis's estimateObjectIdleTime).
func IdleSeconds(meta uint32, now int64) int64 { return idleSeconds(meta, now) }

// touch records an access to the record whose meta word is at p.
func (sh *shard) touch(p *uint32, h uint32, now int64) {
	mh := sh.db.ks.hooks()
	if mh.policy == nil {
		touchMeta(p, now, mh.logFactor, mh.decayMins)
		return
	}
	old := atomic.LoadUint32(p)
	if nw := mh.policy.Access(keyHash(sh.idx, h), old, now); nw != old {
		atomic.StoreUint32(p, nw)
	}
}

// initMeta is the metadata word of a key being created.
func (sh *shard) initMeta(h uint32, now int64) uint32 {
	if p := sh.db.ks.hooks().policy; p != nil {
		return p.Insert(keyHash(sh.idx, h), now)
	}
	return newMeta(now)
}

// keyHash spreads the 37 bits of a key's hash the store keeps (shard and
// table hash) over 64 bits, for policies that index sketches with it.
func keyHash(shard uint8, h uint32) uint64 {
	x := uint64(shard)<<32 | uint64(h)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// KeyHash is the hash MetaPolicy methods and DB.SampleEvict report for key.
func KeyHash(key []byte) uint64 {
	si, h := hashKey(key)
	return keyHash(uint8(si), h)
}

// SampleEvict calls fn for up to n keys taken in runs from random positions
// of random shards, like Redis's dictGetSomeKeys: the candidates of one
// eviction round. With volatile only keys with a TTL are sampled (the TTL
// bit in each slot skips the others without reading their records). Logically expired keys are
// included, as Redis's are: evicting one frees memory too. fn runs under the
// shard's read lock and must not call into the DB; key is valid only during
// fn. It returns the number of keys passed to fn.
func (db *DB) SampleEvict(n int, volatile bool, fn func(key []byte, keyHash uint64, meta uint32, expireAt int64)) int {
	if n <= 0 {
		return 0
	}
	si := db.sampleStart(volatile)
	if si < 0 {
		return 0
	}
	got := 0
	for k := 0; k < numShards && got < n; k++ {
		sh := &db.shards[(si+k)%numShards]
		if volatile && sh.nexp.Load() == 0 || sh.keys.Load() == 0 {
			continue
		}
		got += sh.sampleLocked(n-got, volatile, fn)
	}
	return got
}

// sampleLocked is sample under the shard's read lock, released by defer so
// a panicking fn does not leave the shard locked.
func (sh *shard) sampleLocked(n int, volatile bool, fn func([]byte, uint64, uint32, int64)) int {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.sample(n, volatile, fn)
}

// sampleBatch is how many records sample reads at once.
const sampleBatch = 8

// sample walks the shard's table from a random slot, passing up to n keys
// to fn; the caller holds the read lock. Records are read in batches: first
// one byte of each in a tight loop, then every header and metadata word, then
// the callbacks. Each record is a cache miss (header, key and metadata share
// its first line), and independent loads in a row let the CPU wait for them
// together rather than one after another: the touch loop halved sampling's
// CPU under eviction again, as the decoding loop alone was too long for the
// misses to overlap.
func (sh *shard) sample(n int, volatile bool, fn func([]byte, uint64, uint32, int64)) int {
	t := &sh.tab
	size := len(t.slots)
	if size == 0 {
		return 0
	}
	var slots [sampleBatch]uint64
	var recs [sampleBatch]rec
	var metas [sampleBatch]uint32
	got, walked := 0, 0
	p := rand.IntN(size)
	for got < n && walked < size {
		m := 0
		for ; m < min(n-got, sampleBatch) && walked < size; walked++ {
			if s := t.slots[p]; s != 0 && (!volatile || s&slotTTL != 0) {
				slots[m] = s
				m++
			}
			p = t.next(p)
		}
		// Touch every record first, in a loop small enough that all the
		// misses are in flight at once, then decode from the cache.
		var touched byte
		for j := range m {
			c, off := sh.ar.at(slotLoc(slots[j]))
			touched |= c[off]
		}
		runtime.KeepAlive(touched) // the loads must not be optimised away
		for j := range m {
			recs[j] = sh.ar.rec(slotLoc(slots[j]))
		}
		for j := range m {
			metas[j] = recs[j].meta()
		}
		for j := range m {
			r := &recs[j]
			fn(r.key(), keyHash(sh.idx, slotHash(slots[j])), metas[j], r.expireAt())
		}
		got += m
	}
	return got
}

// sampleStart picks the shard sampling starts from. Uniformly: keys spread
// evenly over shards by hash, so weighting by each shard's count (64 shared
// counters, each on its own contended cache line) buys nothing measurable;
// the walk to the next shards covers empty ones. It is -1 when the database
// has no candidate key.
func (db *DB) sampleStart(volatile bool) int {
	si := rand.IntN(numShards)
	for k := range numShards {
		sh := &db.shards[(si+k)%numShards]
		if volatile && sh.nexp.Load() > 0 || !volatile && sh.keys.Load() > 0 {
			return (si + k) % numShards
		}
	}
	return -1
}

// EvictResult says what EvictKey did.
type EvictResult uint8

const (
	// EvictMissing: the key no longer exists (or, with volatileOnly, lost its
	// TTL): a ghost in Redis's words; nothing was deleted.
	EvictMissing EvictResult = iota
	// EvictExpired: the key had expired and was deleted as such (counted in
	// ExpiredKeys, not an eviction), which freed memory all the same.
	EvictExpired
	// EvictDeleted: the key was live and is now evicted.
	EvictDeleted
)

// EvictKey deletes key for the eviction mechanism and returns the metadata
// word and hash it had, for the policy's bookkeeping. With volatileOnly a
// key that no longer has a TTL is left alone, as Redis's volatile policies
// look the key up in the expires dictionary.
func (db *DB) EvictKey(key []byte, volatileOnly bool, now int64) (res EvictResult, hash uint64, meta uint32) {
	si, h := hashKey(key)
	sh := &db.shards[si]
	sh.mu.Lock()
	defer func() {
		sh.maintain(now)
		sh.mu.Unlock()
		db.ks.Drain()
	}()
	slot, _, r := sh.lookup(h, key)
	switch {
	case slot < 0:
		return EvictMissing, 0, 0
	case r.expired(now):
		sh.deleteSlot(slot, ChangeExpired)
		sh.expOp++
		return EvictExpired, 0, 0
	case volatileOnly && !r.ttl():
		return EvictMissing, 0, 0
	}
	meta = r.meta()
	sh.deleteSlot(slot, ChangeEvicted)
	return EvictDeleted, keyHash(sh.idx, h), meta
}

// MemoryUsage is what the key costs (MEMORY USAGE): its record with key,
// value and metadata, its share of the hash table, and a big string or
// object held outside the arena at its charged size. Zero if it is missing.
func (e *Entry) MemoryUsage() int64 {
	if !e.resolve() {
		return 0
	}
	r := e.rec()
	n := int64(r.size())
	if t := &e.sh.tab; t.count > 0 {
		n += (t.bytes() + int64(t.count) - 1) / int64(t.count)
	}
	if r.indirect() {
		n += e.sh.objs[r.objIndex()].size
	}
	return n
}

// MemoryStats is Keyspace.MemoryStats for one database.
func (db *DB) MemoryStats() MemoryStats {
	var m MemoryStats
	for i := range db.shards {
		sh := &db.shards[i]
		if sh.keys.Load() == 0 && sh.used.Load() == 0 {
			continue
		}
		sh.mu.RLock()
		m.Records += sh.ar.live
		m.Arena += sh.ar.alloc
		m.Tables += sh.tab.bytes()
		m.External += sh.extBytes
		m.Keys += int64(sh.tab.count)
		sh.mu.RUnlock()
	}
	return m
}

// SetMemoryPressure tells the store whether it runs near its memory limit.
// Under pressure each shard compacts its arena once a chunk is a quarter
// reclaimable instead of half, trading some copying for a heap that stays
// within about a third of used memory rather than twice it: what keeps the
// process's RSS near maxmemory while eviction deletes keys all over the
// arena.
func (ks *Keyspace) SetMemoryPressure(on bool) {
	if ks.pressure.Load() != on {
		ks.pressure.Store(on)
	}
}
