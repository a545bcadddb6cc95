package store

import (
	"fmt"
	"testing"
	"unsafe"
)

// checkInvariants verifies every structural invariant of every shard of db:
// table counts and Robin Hood order, slots pointing at live records whose key
// hashes to the slot, TTL bits and counters, arena byte accounting per chunk,
// and the object slab's free list. It takes each shard's write lock.
func checkInvariants(t testing.TB, db *DB) {
	t.Helper()
	var filled, timed int32
	for i := range db.shards {
		sh := &db.shards[i]
		sh.mu.Lock()
		err := sh.check()
		if sh.keys.Load() > 0 {
			filled++
		}
		if sh.nexp.Load() > 0 {
			timed++
		}
		sh.mu.Unlock()
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	if filled != db.filled.Load() || timed != db.timed.Load() {
		t.Fatalf("shards with keys / with TTLs: %d / %d, counted %d / %d", db.filled.Load(), db.timed.Load(), filled, timed)
	}
}

func (sh *shard) check() error {
	tb := &sh.tab
	n := 0
	expires := 0
	var ttlSum i128
	liveRecs := map[uint32]bool{}
	usedObjs := map[int]bool{}
	if len(tb.slots) > 0 && (1<<tb.bits < len(tb.slots) || 1<<tb.bits >= 2*len(tb.slots)) {
		return fmt.Errorf("bits %d for %d slots", tb.bits, len(tb.slots))
	}
	for p, s := range tb.slots {
		if s == 0 {
			continue
		}
		n++
		// Robin Hood order: the next entry is displaced at most one more.
		if q := tb.next(p); tb.slots[q] != 0 && tb.dist(tb.slots[q], q) > tb.dist(s, p)+1 {
			return fmt.Errorf("robin hood order broken at %d", p)
		}
		loc := slotLoc(s)
		if liveRecs[loc] {
			return fmt.Errorf("two slots point at %x", loc)
		}
		liveRecs[loc] = true
		r := sh.ar.rec(loc)
		if r.isFiller() || r.dead() {
			return fmt.Errorf("slot %d points at a dead record", p)
		}
		if _, h := hashKey(r.key()); h != slotHash(s) {
			return fmt.Errorf("slot %d hash mismatch for key %q", p, r.key())
		}
		if got, _, _ := sh.lookup(slotHash(s), r.key()); got != p {
			return fmt.Errorf("lookup of %q finds slot %d, it is in %d", r.key(), got, p)
		}
		if r.ttl() != (s&slotTTL != 0) {
			return fmt.Errorf("TTL bit mismatch for %q", r.key())
		}
		if r.ttl() {
			expires++
			ttlSum.add(r.expireAt())
		}
		if r.indirect() {
			oi := r.objIndex()
			if usedObjs[oi] {
				return fmt.Errorf("object %d used twice", oi)
			}
			usedObjs[oi] = true
			sl := sh.objs[oi]
			if bs, ok := sl.v.(*bigStr); r.typ() == TypeString && (!ok || int64(cap(bs.b)) != sl.size) {
				return fmt.Errorf("big string %q has a bad slab slot", r.key())
			}
		}
	}
	if n != tb.count {
		return fmt.Errorf("count %d, %d used slots", tb.count, n)
	}
	if expires != sh.expires || ttlSum != sh.ttlSum {
		return fmt.Errorf("expires %d/%v, counted %d/%v", sh.expires, sh.ttlSum, expires, ttlSum)
	}
	if len(usedObjs)+len(sh.freeObjs) != len(sh.objs) {
		return fmt.Errorf("objects: %d used + %d free != %d", len(usedObjs), len(sh.freeObjs), len(sh.objs))
	}
	var ext int64
	for i, sl := range sh.objs {
		if usedObjs[i] {
			ext += sl.size
		} else if sl.v != nil || sl.size != 0 {
			return fmt.Errorf("free object %d not cleared", i)
		}
	}
	if ext != sh.extBytes {
		return fmt.Errorf("extBytes %d, counted %d", sh.extBytes, ext)
	}
	// The deadline index holds exactly the used objects with a deadline.
	withDeadline := 0
	for i, sl := range sh.objs {
		if d, ok := sl.v.(Deadliner); ok && usedObjs[i] && d.NextDeadline() != 0 {
			withDeadline++
			p, in := sh.dl.pos[uint32(i)]
			if !in || sh.dl.ents[p].obj != uint32(i) {
				return fmt.Errorf("object %d has a deadline but is not indexed", i)
			}
			if _, h := hashKey(sh.dl.ents[p].key); true {
				if slot, _, r := sh.lookup(h, sh.dl.ents[p].key); slot < 0 || r.objIndex() != i {
					return fmt.Errorf("object %d indexed under key %q that does not hold it", i, sh.dl.ents[p].key)
				}
			}
		}
	}
	if withDeadline != len(sh.dl.ents) || len(sh.dl.pos) != len(sh.dl.ents) {
		return fmt.Errorf("deadline index: %d entries, %d positions, %d objects with deadlines", len(sh.dl.ents), len(sh.dl.pos), withDeadline)
	}
	a := &sh.ar
	var live, alloc int64
	deadAt := map[uint32]int{} // garbage record or filler at a location: its size
	for ci, c := range a.chunks {
		if c == nil {
			continue
		}
		alloc += int64(len(c))
		var garbage int
		off := 0
		for off < int(a.fill[ci]) {
			r := decode(c, off)
			loc := uint32(ci)<<locOffBits | uint32(off>>2)
			if r.size() <= 0 || r.size()%4 != 0 {
				return fmt.Errorf("chunk %d offset %d: bad size %d", ci, off, r.size())
			}
			switch {
			case r.isFiller() || r.dead():
				garbage += r.size()
				deadAt[loc] = r.size()
				if liveRecs[loc] {
					return fmt.Errorf("slot points at garbage")
				}
			case !liveRecs[loc]:
				// Evacuated records stay behind as live-looking copies until
				// their chunk is freed.
				if ci != a.evac || off >= a.evacOff {
					return fmt.Errorf("chunk %d offset %d: live record %q without a slot", ci, off, r.key())
				}
				garbage += r.size()
			default:
				live += int64(r.size())
				delete(liveRecs, loc)
			}
			off += r.size()
		}
		if off != int(a.fill[ci]) {
			return fmt.Errorf("chunk %d: records end at %d, fill %d", ci, off, a.fill[ci])
		}
		if garbage != int(a.garbage[ci]) {
			return fmt.Errorf("chunk %d: garbage %d, counted %d", ci, a.garbage[ci], garbage)
		}
	}
	if len(liveRecs) != 0 {
		return fmt.Errorf("%d slots point outside the arena", len(liveRecs))
	}
	if err := a.checkHoles(deadAt); err != nil {
		return err
	}
	if live != a.live || alloc != a.alloc {
		return fmt.Errorf("arena live %d alloc %d, counted %d %d", a.live, a.alloc, live, alloc)
	}
	if used := a.live + tb.bytes() + sh.extBytes; used != sh.used.Load() {
		return fmt.Errorf("published used %d, actual %d", sh.used.Load(), used)
	}
	return nil
}

// checkHoles verifies the hole lists: every valid entry is garbage exactly
// its size at a record boundary of a chunk that is not on its way out, in
// its size class, listed once; the counts match.
func (a *arena) checkHoles(deadAt map[uint32]int) error {
	if len(a.fresh) != 0 {
		return fmt.Errorf("%d fresh holes between operations", len(a.fresh))
	}
	seen := map[uint32]bool{}
	listed := make([]uint32, len(a.chunks))
	total, stale := 0, 0
	for c, l := range a.holes {
		for _, h := range l {
			total++
			ci := int(h.loc >> locOffBits)
			if h.gen != a.gen[ci] {
				stale++
				continue
			}
			listed[ci]++
			switch {
			case a.chunks[ci] == nil:
				return fmt.Errorf("hole %x in a free chunk", h.loc)
			case a.state[ci]&chunkQueued != 0 || ci == a.evac:
				return fmt.Errorf("hole %x in a chunk being evacuated", h.loc)
			case holeClass(int(h.size)) != c:
				return fmt.Errorf("hole %x of %d bytes in class %d", h.loc, h.size, c)
			case deadAt[h.loc] != int(h.size):
				return fmt.Errorf("hole %x of %d bytes: garbage there is %d bytes", h.loc, h.size, deadAt[h.loc])
			case seen[h.loc]:
				return fmt.Errorf("hole %x listed twice", h.loc)
			}
			seen[h.loc] = true
		}
	}
	if total != a.nholes || stale != a.stale {
		return fmt.Errorf("holes: %d listed (%d stale), counted %d (%d)", a.nholes, a.stale, total, stale)
	}
	for ci := range a.chunks {
		if listed[ci] != a.listed[ci] {
			return fmt.Errorf("chunk %d: %d valid holes, counted %d", ci, listed[ci], a.listed[ci])
		}
	}
	return nil
}

// Every non-string key has an objSlot: it stays at 24 bytes (an interface
// and the charged size), big strings boxing their slice header instead.
func TestObjSlotSize(t *testing.T) {
	if n := unsafe.Sizeof(objSlot{}); n > 24 {
		t.Errorf("objSlot is %d bytes, want at most 24", n)
	}
}
