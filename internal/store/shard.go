package store

import (
	"bytes"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
)

const (
	shardBits = 6
	numShards = 1 << shardBits // per database; a power of two, so shard = top hash bits

	// readerEntries is how many Views of one shard can run at once without
	// allocating their Entry (beyond it they allocate one).
	readerEntries = 4
)

var seed = maphash.MakeSeed()

// hashKey returns the key's shard and its 31-bit table hash. Both come from
// one 64-bit maphash (per-process seed, so hash flooding needs the seed):
// the shard from the top bits, the table hash from the bottom ones.
func hashKey(key []byte) (int, uint32) {
	x := maphash.Bytes(seed, key)
	h := uint32(x) & hashMask
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	return int(x >> (64 - shardBits)), h
}

// objSlot holds what a record cannot: a non-string value, or a string longer
// than bigValue as a *bigStr. Every hash, set, list and sorted set key has
// one, so it is kept to 24 bytes; a big string pays for its boxed slice
// header instead (24 bytes next to more than 8 KiB).
type objSlot struct {
	v    any
	size int64 // bytes charged for it
}

// bigStr is a string longer than bigValue.
type bigStr struct{ b []byte }

// str is the big string the slot holds.
func (sl *objSlot) str() *bigStr { return sl.v.(*bigStr) }

func bigSlot(b []byte) objSlot { return objSlot{v: &bigStr{b}, size: int64(cap(b))} }

// shard is one lock's worth of a database: a table, an arena of records and
// an object slab. Operations lock it, do their work, then call maintain
// before unlocking.
type shard struct {
	mu sync.RWMutex // guards every field below that is not atomic

	tab      table
	ar       arena
	objs     []objSlot
	freeObjs []uint32
	extBytes int64 // charged for objs
	expires  int   // keys with a TTL
	ttlSum   i128  // sum of their expire times, for AvgTTL
	ver      uint32
	expPos   int   // where active expiry resumes in tab.slots
	charged  int64 // used bytes last published
	expOp    int   // keys lazily expired during the current operation
	changes  int64 // the dirty counter (feed.go), read under the lock: it moves on every write, too often to publish atomically
	idx      uint8
	db       *DB
	dl       deadlineIndex // objects with deadlines of their own (objexpire.go)

	// Published at the end of each operation for lock-free readers.
	keys atomic.Int64
	nexp atomic.Int64
	used atomic.Int64
	ndl  atomic.Int64 // len(dl.ents)

	wentry Entry // the Entry of Update: the write lock makes it exclusive
	rbusy  atomic.Uint32
	rent   [readerEntries]Entry

	_ [64]byte // keep neighbouring shards' locks off this cache line
}

// lookup finds key's slot (or -1), record location and decoded record.
func (sh *shard) lookup(h uint32, key []byte) (int, uint32, rec) {
	t := &sh.tab
	if len(t.slots) == 0 {
		return -1, 0, rec{}
	}
	p := t.start(h)
	for d := 0; ; d++ {
		s := t.slots[p]
		if s == 0 {
			return -1, 0, rec{}
		}
		if slotHash(s) == h {
			r := sh.ar.rec(slotLoc(s))
			if bytes.Equal(r.key(), key) {
				return p, slotLoc(s), r
			}
		} else if t.dist(s, p) < d {
			return -1, 0, rec{} // Robin Hood: key would have displaced this entry
		}
		p = t.next(p)
	}
}

// slotOf finds the slot pointing at the live record r stored at loc.
func (sh *shard) slotOf(r *rec, loc uint32) int {
	_, h := hashKey(r.key())
	t := &sh.tab
	p := t.start(h)
	for range len(t.slots) {
		s := t.slots[p]
		if s == 0 {
			break
		}
		if slotLoc(s) == loc {
			return p
		}
		p = t.next(p)
	}
	panic("store: live record missing from its table")
}

// create writes a new record and indexes it; the key must be absent.
func (sh *shard) create(h uint32, key []byte, flags byte, val []byte, vlen int, expire int64, meta uint32) (int, uint32) {
	ttl := flags&flagTTL != 0
	loc := sh.ar.reserve(recSize(len(key), vlen, ttl))
	c, off := sh.ar.at(loc)
	encode(c, off, flags, key, val, vlen, expire, meta)
	slot := sh.tab.insert(makeSlot(h, loc, ttl))
	if ttl {
		sh.expires++
		sh.ttlSum.add(expire)
	}
	sh.ver++
	return slot, loc
}

// deleteSlot removes the key in slot p with its record and object: every
// deletion of a key passes here, with its reason for the change feed
// (0 when the caller notes the change itself, as an Entry does at its end).
func (sh *shard) deleteSlot(p int, why ChangeKind) {
	loc := slotLoc(sh.tab.slots[p])
	r := sh.ar.rec(loc)
	if why != 0 {
		sh.changes += dirtyWeight[why]
		if sh.db.ks.feed.on.Load() { // not sh.note: decode the key only for a listener
			sh.db.ks.feed.record(sh.db.Index(), r.key(), why, 0)
		}
	}
	if r.ttl() {
		sh.expires--
		sh.ttlSum.add(-r.expireAt())
	}
	if r.indirect() {
		sh.freeObj(r.objIndex())
	}
	sh.killRec(&r, loc)
	sh.tab.remove(p)
	sh.ver++
}

// killRec marks a record dead; its bytes become garbage.
func (sh *shard) killRec(r *rec, loc uint32) {
	r.setFlags(r.flags() | flagDead)
	sh.ar.kill(loc, r.size())
}

func (sh *shard) newObj(sl objSlot) int {
	sh.extBytes += sl.size
	if n := len(sh.freeObjs); n > 0 {
		i := int(sh.freeObjs[n-1])
		sh.freeObjs = sh.freeObjs[:n-1]
		sh.objs[i] = sl
		return i
	}
	sh.objs = append(sh.objs, sl)
	return len(sh.objs) - 1
}

func (sh *shard) setObj(i int, sl objSlot) {
	sh.dropObj(i) // the new value is noted again by the caller if it has deadlines
	sh.extBytes += sl.size - sh.objs[i].size
	sh.objs[i] = sl
}

func (sh *shard) freeObj(i int) {
	sh.dropObj(i)
	sh.extBytes -= sh.objs[i].size
	sh.objs[i] = objSlot{}
	sh.freeObjs = append(sh.freeObjs, uint32(i))
}

// evacBase and evacPerGarbage size the compaction work done at the end of a
// write: enough to reclaim garbage at least as fast as writes create it (a
// queued chunk is at least half reclaimable, so walking 2 bytes of it frees
// at least 1), plus a little so queues drain even under read-mostly loads.
const (
	evacBase       = 512
	evacPerGarbage = 2
)

// maintain runs at the end of every write operation, still under the lock:
// it frees or queues chunks that gained garbage, moves a bounded amount of
// live data out of queued chunks, and publishes counters. It returns how many
// keys the operation deleted because they had expired.
func (sh *shard) maintain(now int64) int {
	a := &sh.ar
	a.tight = sh.db.ks.pressure.Load()
	if len(a.touched) > 0 {
		a.settle()
	}
	if a.evac >= 0 || len(a.victims) > 0 {
		per := evacPerGarbage
		if a.tight {
			per *= 2 // victims may be only a quarter reclaimable: walk 4 bytes per byte of garbage
		}
		sh.evacuate(evacBase+per*int(a.opGarbage), now)
	}
	a.opGarbage = 0
	return sh.publish()
}

// evacuate walks up to budget bytes of queued chunks, moving live records to
// the active chunk (and deleting expired ones, which saves moving them).
func (sh *shard) evacuate(budget int, now int64) {
	a := &sh.ar
	for budget > 0 {
		if a.evac < 0 {
			ci := a.nextVictim()
			if ci < 0 {
				return
			}
			a.evac, a.evacOff = ci, 0
		}
		ci := a.evac
		c := a.chunks[ci]
		fill := int(a.fill[ci])
		for a.evacOff < fill && budget > 0 {
			r := decode(c, a.evacOff)
			loc := uint32(ci)<<locOffBits | uint32(a.evacOff>>2)
			a.evacOff += r.size()
			budget -= r.size()
			if r.isFiller() || r.dead() {
				continue
			}
			p := sh.slotOf(&r, loc)
			if r.expired(now) {
				sh.deleteSlot(p, ChangeExpired)
				sh.expOp++
				continue
			}
			nloc := a.reserve(r.size())
			nc, noff := a.at(nloc)
			copy(nc[noff:noff+r.size()], r.b)
			a.live -= int64(r.size())
			a.garbage[ci] += uint32(r.size())
			sh.tab.slots[p] = sh.tab.slots[p]&^(1<<32-1) | uint64(nloc)
			sh.ver++
		}
		if a.evac == ci && a.evacOff >= fill {
			a.freeChunk(ci)
		}
		budget -= 64 // bound the work even when the queue only holds freed chunks
	}
}

// publish makes counters visible to lock-free readers, and returns the keys
// expired since the last call.
func (sh *shard) publish() int {
	used := sh.ar.live + sh.tab.bytes() + sh.extBytes
	if d := used - sh.charged; d != 0 {
		sh.charged = used
		sh.used.Store(used)
		sh.db.ks.used.Add(d)
	}
	if n, old := int64(sh.tab.count), sh.keys.Load(); n != old {
		sh.keys.Store(n)
		noteFilled(&sh.db.filled, old, n)
	}
	if n, old := int64(sh.expires), sh.nexp.Load(); n != old {
		sh.nexp.Store(n)
		noteFilled(&sh.db.timed, old, n)
	}
	sh.publishDeadlines()
	n := sh.expOp
	if n > 0 {
		sh.db.ks.expired.Add(int64(n))
		sh.expOp = 0
	}
	return n
}

// noteFilled counts a shard in or out of a database's count of shards with
// keys when its own count moves from or to zero (under its lock, so the
// transitions of one shard are ordered).
func noteFilled(c *atomic.Int32, old, n int64) {
	switch {
	case old == 0 && n > 0:
		c.Add(1)
	case old > 0 && n == 0:
		c.Add(-1)
	}
}

// reset empties the shard (FLUSHDB).
func (sh *shard) reset() {
	sh.tab = table{}
	sh.ar.reset()
	sh.objs, sh.freeObjs, sh.extBytes = nil, nil, 0
	sh.dl = deadlineIndex{}
	sh.expires, sh.ttlSum, sh.expPos = 0, i128{}, 0
	sh.ver++
	sh.publish()
}

// claimReader hands out an Entry for a View without allocating in the common
// case; the caller holds the read lock.
func (sh *shard) claimReader() (*Entry, int) {
	for {
		busy := sh.rbusy.Load()
		free := ^busy & (1<<readerEntries - 1)
		if free == 0 {
			return new(Entry), -1
		}
		i := bits.TrailingZeros32(free)
		if sh.rbusy.CompareAndSwap(busy, busy|1<<i) {
			return &sh.rent[i], i
		}
	}
}

func (sh *shard) releaseReader(e *Entry, i int) {
	e.key, e.r = nil, rec{}
	if i >= 0 {
		sh.rbusy.And(^uint32(1 << i))
	}
}

// lockPair write-locks two shards (possibly of different databases, possibly
// the same) in the global order (database uid, shard index) that Multi also
// follows, so concurrent multi-shard operations cannot deadlock.
func lockPair(a, b *shard) {
	if a == b {
		a.mu.Lock()
		return
	}
	if b.db.uid < a.db.uid || (b.db.uid == a.db.uid && b.idx < a.idx) {
		a, b = b, a
	}
	a.mu.Lock()
	b.mu.Lock()
}

func unlockPair(a, b *shard) {
	a.mu.Unlock()
	if b != a {
		b.mu.Unlock()
	}
}

// i128 is a signed 128-bit sum: expire times are unix ms (~2^41) and a shard
// may hold millions of them, or a few far-future ones near 2^63.
type i128 struct{ hi, lo uint64 }

func (x *i128) add(v int64) {
	var c uint64
	x.lo, c = bits.Add64(x.lo, uint64(v), 0)
	x.hi += uint64(v>>63) + c
}

func (x i128) plus(y i128) i128 {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	return i128{x.hi + y.hi + c, lo}
}

func (x i128) float() float64 {
	return float64(int64(x.hi))*(1<<64) + float64(x.lo)
}
