package zset

import (
	"hash/maphash"
	"math/bits"
)

// index maps a member's hash to the leaf holding it, for the skiplist
// encoding: member lookups (ZSCORE, and every write's "is it there, with
// which score") in O(1) plus a search of one leaf, and ZSCAN's cursor.
//
// A slot is hash32<<32 | leaf id, 0 when empty: the member itself is not
// stored twice, which is what keeps a member's total cost near its leaf
// record plus 8 bytes. Several members may share a hash and a leaf; their
// slots are interchangeable, which is why moving a member between leaves
// can update any slot of its hash and old leaf.
//
// Open addressing with linear probing over a power-of-two table, deletion
// by backward shift (no tombstones), so every member sits between its home
// slot (hash & mask) and the first empty slot after it. That is what lets
// scan visit a home bucket by walking its run, and Redis's reverse-binary
// cursor survive the table growing or shrinking between calls.
type index struct {
	slots []uint64
	count int
}

var seed = maphash.MakeSeed()

func hashOf(m []byte) uint32 {
	h := uint32(maphash.Bytes(seed, m))
	if h == 0 {
		h = 1
	}
	return h
}

func mkSlot(h uint32, id uint32) uint64 { return uint64(h)<<32 | uint64(id) }

func (x *index) mask() int { return len(x.slots) - 1 }

func (x *index) add(h, id uint32) {
	if (x.count+1)*4 > len(x.slots)*3 {
		x.resize(max(16, len(x.slots)*2))
	}
	x.place(mkSlot(h, id))
	x.count++
}

func (x *index) place(s uint64) {
	mask := x.mask()
	for p := int(uint32(s>>32)) & mask; ; p = (p + 1) & mask {
		if x.slots[p] == 0 {
			x.slots[p] = s
			return
		}
	}
}

// each calls fn with the leaf id of every slot of hash h until it returns
// false.
func (x *index) each(h uint32, fn func(p int, id uint32) bool) {
	if x.count == 0 {
		return
	}
	mask := x.mask()
	for p := int(h) & mask; ; p = (p + 1) & mask {
		s := x.slots[p]
		if s == 0 {
			return
		}
		if uint32(s>>32) == h && !fn(p, uint32(s)) {
			return
		}
	}
}

// move points one slot of hash h from leaf from to leaf to.
func (x *index) move(h, from, to uint32) {
	x.each(h, func(p int, id uint32) bool {
		if id == from {
			x.slots[p] = mkSlot(h, to)
			return false
		}
		return true
	})
}

// remove deletes one slot of hash h and leaf id.
func (x *index) remove(h, id uint32) {
	at := -1
	x.each(h, func(p int, i uint32) bool {
		if i == id {
			at = p
			return false
		}
		return true
	})
	if at < 0 {
		panic("zset: index lost a member")
	}
	mask := x.mask()
	// Backward shift: pull later members of the run into the hole when the
	// hole lies between their home and their slot.
	hole := at
	for p := (hole + 1) & mask; ; p = (p + 1) & mask {
		s := x.slots[p]
		if s == 0 {
			break
		}
		home := int(uint32(s>>32)) & mask
		if (p-home)&mask >= (p-hole)&mask {
			x.slots[hole] = s
			hole = p
		}
	}
	x.slots[hole] = 0
	x.count--
	if len(x.slots) > 16 && x.count*8 < len(x.slots) {
		x.resize(len(x.slots) / 2)
	}
}

func (x *index) resize(n int) {
	old := x.slots
	x.slots = make([]uint64, n)
	for _, s := range old {
		if s != 0 {
			x.place(s)
		}
	}
}

func (x *index) bytes() int { return cap(x.slots) * 8 }

// scanBucket calls fn with the distinct leaf ids of the members whose home
// slot is b.
func (x *index) scanBucket(b int, fn func(id uint32)) {
	mask := x.mask()
	var seen [8]uint32
	ns := 0
	var more map[uint32]bool
	for p := b; ; p = (p + 1) & mask {
		s := x.slots[p]
		if s == 0 {
			return
		}
		if int(uint32(s>>32))&mask != b {
			continue
		}
		id := uint32(s)
		dup := false
		for _, v := range seen[:ns] {
			dup = dup || v == id
		}
		if dup || more[id] {
			continue
		}
		if ns < len(seen) {
			seen[ns] = id
			ns++
		} else {
			if more == nil {
				more = map[uint32]bool{}
			}
			more[id] = true
		}
		fn(id)
	}
}

// nextCursor advances a reverse-binary cursor as Redis's dictScan.
func nextCursor(v, mask uint64) uint64 {
	v |= ^mask
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}
