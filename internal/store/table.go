package store

import "math/bits"

// table is a shard's index from key hash to record location: open addressing
// with linear probing and Robin Hood ordering over fixed-size uint64 slots, so
// the garbage collector never scans it and a key costs 8 bytes / load factor.
//
// Slot layout (0 = empty):
//
//	bit 63      the record has a TTL (lets active expiry skip other keys without
//	            touching their records)
//	bits 32..62 31 bits of the key's hash, never 0 (so a used slot is never 0)
//	bits 0..31  record location in the shard's arena (see arena.go)
//
// Home buckets and SCAN. A hash h belongs to bucket h & (2^bits-1) of a
// power-of-two "home space"; the table itself may have any number n of slots
// with 2^(bits-1) < n <= 2^bits, and bucket b starts probing at slot
// b*n>>bits. Decoupling the two lets the table grow by 1.2x (a load factor
// between 3/4 and 9/10, 8.9 to 10.7 bytes per key, rather than the 0.45..0.9
// of doubling) while SCAN still walks the power-of-two bucket space with
// Redis's reverse-binary cursor: a bucket's members are found from the hashes
// stored in the slots, not from where they happen to sit, so displacement and
// resizing cannot hide a key.
//
// Deletion is by backward shift, not tombstones: the Robin Hood invariant
// (entries along a run are sorted by start slot) then always holds, lookups
// of missing keys stop early, and SCAN can stop reading a bucket's run at the
// first entry that starts later. SCAN is unaffected by the moves because it
// identifies members by hash under the shard lock.
type table struct {
	slots []uint64
	bits  uint8 // the home space has 1<<bits buckets
	count int
}

const (
	slotTTL      = uint64(1) << 63
	hashMask     = 1<<31 - 1
	minSlots     = 8
	maxLoadNum   = 9 // grow past 9/10 full, which Robin Hood ordering handles well
	maxLoadDen   = 10
	targetNum    = 4 // resize to count*4/3 slots: 3/4 full
	targetDen    = 3
	shrinkFactor = 4 // shrink below 1/4 full
)

func makeSlot(h uint32, loc uint32, ttl bool) uint64 {
	s := uint64(h)<<32 | uint64(loc)
	if ttl {
		s |= slotTTL
	}
	return s
}

func slotHash(s uint64) uint32 { return uint32(s>>32) & hashMask }
func slotLoc(s uint64) uint32  { return uint32(s) }

// bucketMask is the mask of the home space.
func (t *table) bucketMask() uint64 { return 1<<t.bits - 1 }

// start is the first slot an entry of hash h may occupy.
func (t *table) start(h uint32) int {
	b := uint64(h) & t.bucketMask()
	return int(b * uint64(len(t.slots)) >> t.bits)
}

// startOfBucket is start for a bucket index.
func (t *table) startOfBucket(b uint64) int {
	return int(b * uint64(len(t.slots)) >> t.bits)
}

// dist is how far the entry in slot p sits from its start slot.
func (t *table) dist(s uint64, p int) int {
	st := t.start(slotHash(s))
	if p >= st {
		return p - st
	}
	return p + len(t.slots) - st
}

func (t *table) next(p int) int {
	p++
	if p == len(t.slots) {
		return 0
	}
	return p
}

// place inserts slot value s (whose key is known to be absent) and returns
// the slot it ends up in. The caller ensures there is room.
func (t *table) place(s uint64) int {
	p := t.start(slotHash(s))
	d := 0
	at := -1
	for {
		cur := t.slots[p]
		if cur == 0 {
			t.slots[p] = s
			if at < 0 {
				at = p
			}
			return at
		}
		if cd := t.dist(cur, p); cd < d {
			// Robin Hood: the resident is closer to home than we are; it
			// moves on and we take its place.
			t.slots[p] = s
			if at < 0 {
				at = p
			}
			s, d = cur, cd
		}
		p = t.next(p)
		d++
	}
}

// needsGrow reports whether inserting one more entry would overfill the table.
func (t *table) needsGrow() bool {
	return (t.count+1)*maxLoadDen > len(t.slots)*maxLoadNum
}

// insert adds slot value s, growing first if needed, and returns its slot.
func (t *table) insert(s uint64) int {
	if t.needsGrow() {
		t.resize(t.count + 1)
	}
	t.count++
	return t.place(s)
}

// remove empties slot p by shifting the following displaced entries back one
// place, then shrinks the table if it became sparse. It reports whether the
// table was resized (slot indices then changed).
func (t *table) remove(p int) bool {
	for {
		q := t.next(p)
		s := t.slots[q]
		if s == 0 || t.dist(s, q) == 0 {
			t.slots[p] = 0
			break
		}
		t.slots[p] = s
		p = q
	}
	t.count--
	if len(t.slots) > minSlots && t.count*shrinkFactor < len(t.slots) {
		t.resize(t.count)
		return true
	}
	return false
}

// resize rebuilds the table for n entries at a load of about 3/4. The cost is
// O(entries) but needs no access to records, as every slot carries its hash.
func (t *table) resize(n int) {
	size := n * targetNum / targetDen
	if size < minSlots {
		size = minSlots
	}
	if n == 0 {
		t.slots, t.bits = nil, 0
		return
	}
	slots := make([]uint64, size)
	slots = slots[:cap(slots)] // take the allocator's rounding for free
	old, oldBits := t.slots, t.bits
	t.slots = slots
	t.bits = uint8(bits.Len(uint(len(slots) - 1)))
	if len(old) > 0 && t.bits >= oldBits && t.bits-oldBits <= 1 {
		t.refill(old, oldBits)
		return
	}
	for _, s := range old {
		if s != 0 {
			t.place(s)
		}
	}
}

// refill fills the empty table from old, a table with a home space of
// oldBits (at most one bit smaller), writing entries in bucket order so each
// lands at max(start, previous+1) without probing or swapping. Sequential
// writes make this several times faster than placing entries one by one in
// a table bigger than the cache (5 ms for 160,000 entries on this project's
// VMs), and resizes stall their shard. old is sorted by start slot, so it is
// in bucket order except for three cases, which are placed normally at the
// end: entries that wrapped around its end, entries of two buckets sharing a
// start slot that come out of order, and entries that would run past the end
// of the new table. Growing across a power of two splits each old bucket in
// two, so the entries with the new bit clear go in a first pass and the
// others in a second.
func (t *table) refill(old []uint64, oldBits uint8) {
	ot := table{slots: old, bits: oldBits}
	passes := 1 << (t.bits - oldBits)
	var late []uint64
	prev, prevStart := -1, 0
	for pass := range passes {
		for p, s := range old {
			if s == 0 {
				continue
			}
			h := slotHash(s)
			if ot.start(h) > p { // wrapped around the end
				if pass == 0 {
					late = append(late, s)
				}
				continue
			}
			if passes == 2 && int(h>>oldBits&1) != pass {
				continue
			}
			st := t.start(h)
			q := max(st, prev+1)
			if st < prevStart || q >= len(t.slots) {
				late = append(late, s)
				continue
			}
			t.slots[q] = s
			prev, prevStart = q, st
		}
	}
	for _, s := range late {
		t.place(s)
	}
}

// bytes is the memory charged for the table.
func (t *table) bytes() int64 { return int64(len(t.slots)) * 8 }

// nextCursor advances a reverse-binary bucket cursor as Redis's dictScan does:
// increment the bit-reversed cursor, so that growing or shrinking the home
// space between calls never skips a bucket (it may revisit some after a
// shrink). It returns 0 when the whole space has been covered.
func nextCursor(v uint64, mask uint64) uint64 {
	v |= ^mask
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}
