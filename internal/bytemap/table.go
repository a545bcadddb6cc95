package bytemap

import "math/bits"

// table is the index from key hash to record location: open addressing with
// linear probing and Robin Hood ordering over uint64 slots, the technique of
// the store's shard table (internal/store/table.go), written again here for
// one map without TTLs.
//
// Slot layout (0 = empty):
//
//	bits 36..63  28 bits of the key's hash, never 0 (so a used slot is never 0)
//	bits 0..35   record location in the arena (see arena.go)
//
// A hash h belongs to home bucket h & (2^bits-1); the table has n slots with
// 2^(bits-1) < n <= 2^bits, and bucket b starts probing at slot b*n>>bits,
// so the table grows by 1.2x (load between 3/4 and 9/10: 8.9 to 10.7 bytes
// an entry) while Scan walks the power-of-two bucket space with Redis's
// reverse-binary cursor. Members of a bucket are recognised by the hash in
// their slot, not by where they sit, so displacement and resizing hide
// nothing. 28 hash bits allow 2^28 buckets, far beyond any map that fits in
// memory.
//
// Deletion is by backward shift, not tombstones: the Robin Hood invariant
// (entries along a run sorted by start slot) always holds, lookups of absent
// keys stop early, and Scan stops reading a bucket's run at the first entry
// that starts later.
type table struct {
	slots []uint64
	bits  uint8 // the home space has 1<<bits buckets
	count int
}

const (
	hashBits   = 28
	hashShift  = 64 - hashBits
	hashMask   = 1<<hashBits - 1
	locMask    = 1<<hashShift - 1
	minSlots   = 8
	maxLoadNum = 9 // grow past 9/10 full, which Robin Hood ordering handles well
	maxLoadDen = 10
	targetNum  = 4 // resize to count*4/3 slots: 3/4 full
	targetDen  = 3
	shrinkBy   = 4 // shrink below 1/4 full
)

func makeSlot(h uint32, loc uint64) uint64 { return uint64(h)<<hashShift | loc }
func slotHash(s uint64) uint32             { return uint32(s >> hashShift) }
func slotLoc(s uint64) uint64              { return s & locMask }

// hash28 is the slot hash of a full 64-bit hash.
func hash28(h uint64) uint32 {
	x := uint32(h) & hashMask
	if x == 0 {
		x = 1
	}
	return x
}

func (t *table) bucketMask() uint64 { return 1<<t.bits - 1 }

// start is the first slot an entry of hash h may occupy.
func (t *table) start(h uint32) int { return t.startOfBucket(uint64(h) & t.bucketMask()) }

func (t *table) startOfBucket(b uint64) int {
	return int(b * uint64(len(t.slots)) >> t.bits)
}

// dist is how far the entry s in slot p sits from its start slot.
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

// place inserts slot value s (whose key is known to be absent); the caller
// ensures there is room.
func (t *table) place(s uint64) {
	p := t.start(slotHash(s))
	d := 0
	for {
		cur := t.slots[p]
		if cur == 0 {
			t.slots[p] = s
			return
		}
		if cd := t.dist(cur, p); cd < d {
			// Robin Hood: the resident is closer to home than we are; it
			// moves on and we take its place.
			t.slots[p] = s
			s, d = cur, cd
		}
		p = t.next(p)
		d++
	}
}

// insert adds slot value s, growing first if needed.
func (t *table) insert(s uint64) {
	if (t.count+1)*maxLoadDen > len(t.slots)*maxLoadNum {
		t.resize(t.count + 1)
	}
	t.count++
	t.place(s)
}

// remove empties slot p by shifting the following displaced entries back one
// place, then shrinks the table if it became sparse.
func (t *table) remove(p int) {
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
	if len(t.slots) > minSlots && t.count*shrinkBy < len(t.slots) {
		t.resize(t.count)
	}
}

// resize rebuilds the table for n entries at a load of about 3/4, from the
// hashes in the slots alone.
func (t *table) resize(n int) {
	if n == 0 {
		t.slots, t.bits = nil, 0
		return
	}
	size := max(n*targetNum/targetDen, minSlots)
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
// lands at max(start, previous+1) without probing or swapping: sequential
// writes instead of a cache miss per entry, which matters when a
// million-entry map resizes under its shard's lock. As in the store's table:
// old is sorted by start slot, so it is in bucket order except for entries
// that wrapped around its end, entries of two buckets sharing a start slot
// that come out of order, and entries that would run past the end of the
// new table; those are placed normally at the end. Growing across a power of
// two splits each old bucket in two, so the entries with the new bit clear
// go in a first pass and the others in a second.
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

// nextCursor advances a reverse-binary bucket cursor as Redis's dictScan
// does: increment the bit-reversed cursor, so that growing or shrinking the
// home space between calls never skips a bucket (it may revisit some after a
// shrink). It returns 0 when the whole space has been covered.
func nextCursor(v, mask uint64) uint64 {
	v |= ^mask
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}
