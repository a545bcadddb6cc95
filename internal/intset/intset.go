// Package intset is a sorted set of int64 kept in one []byte, the small
// encoding of sets whose members are all integers (Redis's intset, with its
// semantics, in less memory). It knows nothing of RESP, commands or the
// store.
//
// Members are stored frame-of-reference bit-packed: a base (at most the
// smallest member) and, for each member in ascending order, its offset from
// the base in the set's bit width, the narrowest of 1..64 bits that held
// the largest offset when the set was last packed. 500 members of 0..499
// take 9 bits each, 570 bytes in all, where Redis's 16-bit intset takes
// 1,008. Offsets are packed into 64-bit little-endian words after the
// 8-byte base.
//
// Inserting a member that fits shifts the packed bits after it up (a
// multi-word shift, as Redis's memmove); one below the base or too far
// above it re-packs every member at a new base and width (O(n), as Redis's
// upgrade). Removing members never re-packs. Lookups are binary searches
// on the fixed-width offsets.
//
// A Set is not safe for concurrent use. The zero value is empty.
package intset

import (
	"math/bits"
	"unsafe"

	"github.com/smallredis/smallredis/internal/bufpool"
)

// Set is a sorted set of integers.
type Set struct {
	b []byte // the base, then the packed offsets; nil when empty
	n uint32 // members
	w uint8  // bits per offset, 1..64; 0 when empty
}

// structBytes is the Set value itself, counted by Bytes.
const structBytes = 32

// header is the base's bytes at the start of b.
const header = 8

// Of is the set whose Parts are b, n and w, for a holder that keeps them in
// its own fields rather than a Set (set.Set, which shares them with its
// listpack encoding).
func Of(b []byte, n uint32, w uint8) Set { return Set{b: b, n: n, w: w} }

// Parts are the set's buffer, length and width, for Of.
func (s *Set) Parts() ([]byte, uint32, uint8) { return s.b, s.n, s.w }

// Len is the number of members.
func (s *Set) Len() int { return int(s.n) }

// Bytes is the memory the set holds, in O(1).
func (s *Set) Bytes() int { return structBytes + cap(s.b) }

// Bits is the bits each member takes (0 when empty).
func (s *Set) Bits() int { return int(s.w) }

// size is the bytes of b holding n offsets of w bits.
func size(n int, w uint8) int { return header + 8*((n*int(w)+63)/64) }

// words is b as 64-bit words: the base, then the packed offsets. b comes
// from bufpool, whose buffers are size-class heap objects of at least 16
// bytes (so 8-byte aligned) and a multiple of 8 long; the words are in the
// machine's byte order, as b is never stored or sent as it is.
func (s *Set) words() []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s.b))), len(s.b)/8)
}

func (s *Set) base() int64 { return int64(s.words()[0]) }

func (s *Set) setBase(v int64) { s.words()[0] = uint64(v) }

// mask is the low w bits.
func mask(w uint) uint64 { return ^uint64(0) >> (64 - w) }

// off is offset i of w bits in the packed words p.
func off(p []uint64, w uint, i int) uint64 {
	at := uint(i) * w
	k, sh := at/64, at%64
	x := p[k] >> sh
	if sh+w > 64 {
		x |= p[k+1] << (64 - sh)
	}
	return x & mask(w)
}

// setOff stores x, which fits w bits, as offset i in the packed words p.
func setOff(p []uint64, w uint, i int, x uint64) {
	at := uint(i) * w
	k, sh := at/64, at%64
	m := mask(w)
	p[k] = p[k]&^(m<<sh) | x<<sh
	if sh+w > 64 {
		p[k+1] = p[k+1]&^(m>>(64-sh)) | x>>(64-sh)
	}
}

// search is the index of v, or where it would be inserted, and whether it
// is present.
func (s *Set) search(v int64) (int, bool) {
	n := int(s.n)
	if n == 0 {
		return 0, false
	}
	ws := s.words()
	base, p, w := int64(ws[0]), ws[1:], uint(s.w)
	if v < base {
		return 0, false
	}
	d := uint64(v) - uint64(base)
	// Checking the top first makes appends in order (the common way sets
	// are built) O(1) before the shift.
	if d > mask(w) || d > off(p, w, n-1) {
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		x := off(p, w, m)
		switch {
		case x < d:
			lo = m + 1
		case x > d:
			hi = m
		default:
			return m, true
		}
	}
	return lo, false
}

// Has reports whether v is a member.
func (s *Set) Has(v int64) bool {
	_, ok := s.search(v)
	return ok
}

// Add inserts v and reports whether it was new.
func (s *Set) Add(v int64) bool {
	i, ok := s.search(v)
	if ok {
		return false
	}
	if s.n == 0 {
		s.b = bufpool.Get(size(1, 1))
		s.n, s.w = 1, 1
		s.setBase(v)
		setOff(s.words()[1:], 1, 0, 0)
		return true
	}
	w := uint(s.w)
	d := uint64(v) - uint64(s.base())
	if v < s.base() || d > mask(w) {
		s.repack(v)
		return true
	}
	end := uint(s.n) * w
	s.b = grow(s.b, size(int(s.n)+1, s.w))
	p := s.words()[1:]
	shiftUp(p, uint(i)*w, end, w)
	setOff(p, w, i, d)
	s.n++
	return true
}

// shiftUp moves the bits [at, end) of the packed words p up by k ≤ 64
// bits, to [at+k, end+k), which p must hold; bits [at, at+k) are left
// undefined. Each word is written from the old bits below it, top word
// first, so no word is read after it is overwritten.
func shiftUp(p []uint64, at, end, k uint) {
	lo := at / 64
	p = p[lo : (end+k-1)/64+1]
	if k == 64 {
		copy(p[1:], p)
	} else if len(p) > 1 {
		// Each word is rotated once, by the same count, and its two
		// parts masked into place: faster than two shifts by different
		// counts per word on amd64.
		low := uint64(1)<<k - 1
		ry := bits.RotateLeft64(p[len(p)-1], int(k))
		for j := len(p) - 1; j > 0; j-- {
			rx := bits.RotateLeft64(p[j-1], int(k))
			p[j] = ry&^low | rx&low
			ry = rx
		}
	}
	keep := uint64(1)<<(at%64) - 1
	p[0] = p[0]&keep | p[0]<<(k&63)&^keep
}

// shiftDown moves the bits [at+k, end) of the packed words p down by
// k ≤ 64 bits, to [at, end-k), bottom word first.
func shiftDown(p []uint64, at, end, k uint) {
	lo := at / 64
	p = p[lo : (end-1)/64+1]
	keep := uint64(1)<<(at%64) - 1
	first := p[0]
	if k == 64 {
		copy(p, p[1:])
	} else {
		// As in shiftUp, one rotation per word.
		low := ^uint64(0) >> k
		rx := bits.RotateLeft64(p[0], -int(k))
		for j := 1; j < len(p); j++ {
			ry := bits.RotateLeft64(p[j], -int(k))
			p[j-1] = rx&low | ry&^low
			rx = ry
		}
		p[len(p)-1] = rx & low
	}
	p[0] = first&keep | p[0]&^keep
}

// repack rewrites the set with v, which is below the base or too far above
// it, at the smallest base and width that hold all of them.
func (s *Set) repack(v int64) {
	n := int(s.n)
	lo, hi := min(v, s.At(0)), max(v, s.At(n-1))
	nw := uint8(max(1, bits.Len64(uint64(hi)-uint64(lo))))
	ns := Set{b: bufpool.Get(size(n+1, nw)), n: uint32(n + 1), w: nw}
	ns.setBase(lo)
	np, w := ns.words()[1:], uint(nw)
	j := 0
	if v < s.base() {
		setOff(np, w, 0, uint64(v)-uint64(lo))
		j = 1
	} else {
		setOff(np, w, n, uint64(v)-uint64(lo))
	}
	for i := range n {
		setOff(np, w, i+j, uint64(s.At(i))-uint64(lo))
	}
	bufpool.Put(s.b)
	*s = ns
}

// Remove deletes v and reports whether it was a member.
func (s *Set) Remove(v int64) bool {
	i, ok := s.search(v)
	if !ok {
		return false
	}
	if s.n == 1 {
		bufpool.Put(s.b)
		*s = Set{}
		return true
	}
	w := uint(s.w)
	shiftDown(s.words()[1:], uint(i)*w, uint(s.n)*w, w)
	s.n--
	s.b = shrink(s.b[:size(int(s.n), s.w)])
	return true
}

// At is the i-th smallest member.
func (s *Set) At(i int) int64 {
	if i < 0 || i >= int(s.n) {
		panic("intset: index out of range")
	}
	ws := s.words()
	return int64(ws[0] + off(ws[1:], uint(s.w), i))
}

// Min and Max are the smallest and largest members; the set must not be
// empty.
func (s *Set) Min() int64 { return s.At(0) }
func (s *Set) Max() int64 { return s.At(s.Len() - 1) }

// Clone is a deep copy.
func (s *Set) Clone() *Set {
	c := &Set{n: s.n, w: s.w}
	if len(s.b) > 0 {
		c.b = bufpool.Get(len(s.b))
		copy(c.b, s.b)
	}
	return c
}

// grow extends b to n bytes, reallocating to the allocator's next size
// class when full rather than doubling: an intset is rewritten on every
// insert anyway, and doubling would leave up to half of it unused. The
// outgrown buffer goes back to bufpool for the next set growing through
// its class.
func grow(b []byte, n int) []byte {
	if n <= cap(b) {
		return b[:n]
	}
	want := n
	if want > bufpool.MaxPooled {
		want += want / 8 // past the size classes: amortize page-sized growth
	}
	nb := bufpool.Get(want)[:n]
	copy(nb, b)
	bufpool.Put(b)
	return nb
}

// shrink gives back memory once less than half of b is used.
func shrink(b []byte) []byte {
	if cap(b) < 64 || len(b) >= cap(b)/2 {
		return b
	}
	nb := bufpool.Get(len(b))
	copy(nb, b)
	bufpool.Put(b)
	return nb
}
