// Package intset is a sorted set of int64 kept in one []byte with the
// narrowest width (16, 32 or 64 bits) its members need, as Redis's intset:
// the small encoding of sets whose members are all integers. It knows
// nothing of RESP, commands or the store.
//
// Members are stored little-endian in ascending order, all at the set's
// width; adding a member that does not fit widens every member first (an
// upgrade, O(n), as in Redis), and removing members never narrows. Lookups
// are binary searches.
//
// A Set is not safe for concurrent use. The zero value is empty.
package intset

import (
	"encoding/binary"
	"math"

	"github.com/smallredis/smallredis/internal/bufpool"
)

// Set is a sorted set of integers.
type Set struct {
	b []byte // Len() members of w bytes each
	w uint8  // 2, 4 or 8; 0 while nothing was ever added
}

// structBytes is the Set value itself, counted by Bytes.
const structBytes = 32

// Of is the set whose Parts are b and w, for a holder that keeps them in
// its own fields rather than a Set (set.Set, which shares them with its
// listpack encoding).
func Of(b []byte, w uint8) Set { return Set{b: b, w: w} }

// Parts are the set's members buffer and width, for Of.
func (s *Set) Parts() ([]byte, uint8) { return s.b, s.w }

// Len is the number of members.
func (s *Set) Len() int {
	if s.w == 0 {
		return 0
	}
	return len(s.b) / int(s.w)
}

// Bytes is the memory the set holds, in O(1).
func (s *Set) Bytes() int { return structBytes + cap(s.b) }

// Width is the bytes per member of the current encoding: 2, 4 or 8 (2 when
// empty), Redis's INTSET_ENC_INT16/32/64.
func (s *Set) Width() int {
	if s.w == 0 {
		return 2
	}
	return int(s.w)
}

// widthOf is the narrowest width holding v.
func widthOf(v int64) uint8 {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

// get is member i at width w in b.
func get(b []byte, w uint8, i int) int64 {
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return int64(binary.LittleEndian.Uint64(b[8*i:]))
}

func put(b []byte, w uint8, i int, v int64) {
	switch w {
	case 2:
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
}

// search is the index of v, or where it would be inserted, and whether it
// is present.
func (s *Set) search(v int64) (int, bool) {
	n := s.Len()
	if n == 0 {
		return 0, false
	}
	// Members at the current width cover its whole range only in
	// principle; checking the ends first makes appends in order (the
	// common way sets are built) O(1) before the memmove.
	if v > get(s.b, s.w, n-1) {
		return n, false
	}
	if v < get(s.b, s.w, 0) {
		return 0, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		x := get(s.b, s.w, m)
		switch {
		case x < v:
			lo = m + 1
		case x > v:
			hi = m
		default:
			return m, true
		}
	}
	return lo, false
}

// Has reports whether v is a member.
func (s *Set) Has(v int64) bool {
	if widthOf(v) > s.w {
		return false
	}
	_, ok := s.search(v)
	return ok
}

// Add inserts v and reports whether it was new.
func (s *Set) Add(v int64) bool {
	if w := widthOf(v); w > s.w {
		s.upgrade(w, v)
		return true
	}
	i, ok := s.search(v)
	if ok {
		return false
	}
	w := int(s.w)
	n := len(s.b)
	s.b = grow(s.b, w)
	copy(s.b[(i+1)*w:], s.b[i*w:n])
	put(s.b, s.w, i, v)
	return true
}

// upgrade rewrites the set at width w and adds v, which only fits at w and
// so is below or above every member.
func (s *Set) upgrade(w uint8, v int64) {
	n := s.Len()
	nb := bufpool.Get((n + 1) * int(w))
	off := 0
	if v < 0 {
		put(nb, w, 0, v)
		off = 1
	} else {
		put(nb, w, n, v)
	}
	for i := range n {
		put(nb, w, i+off, get(s.b, s.w, i))
	}
	bufpool.Put(s.b)
	s.b, s.w = nb, w
}

// Remove deletes v and reports whether it was a member.
func (s *Set) Remove(v int64) bool {
	if widthOf(v) > s.w {
		return false
	}
	i, ok := s.search(v)
	if !ok {
		return false
	}
	w := int(s.w)
	copy(s.b[i*w:], s.b[(i+1)*w:])
	s.b = s.b[:len(s.b)-w]
	s.b = shrink(s.b)
	return true
}

// At is the i-th smallest member.
func (s *Set) At(i int) int64 {
	if i < 0 || i >= s.Len() {
		panic("intset: index out of range")
	}
	return get(s.b, s.w, i)
}

// Min and Max are the smallest and largest members; the set must not be
// empty.
func (s *Set) Min() int64 { return s.At(0) }
func (s *Set) Max() int64 { return s.At(s.Len() - 1) }

// Clone is a deep copy.
func (s *Set) Clone() *Set {
	c := &Set{w: s.w}
	if len(s.b) > 0 {
		c.b = bufpool.Get(len(s.b))
		copy(c.b, s.b)
	}
	return c
}

// grow extends b by n bytes, reallocating to the allocator's next size
// class when full rather than doubling: an intset is rewritten on every
// insert anyway, and doubling would leave up to half of it unused. The
// outgrown buffer goes back to bufpool for the next set growing through
// its class.
func grow(b []byte, n int) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b[:need]
	}
	want := need
	if want > bufpool.MaxPooled {
		want += want / 8 // past the size classes: amortize page-sized growth
	}
	nb := bufpool.Get(want)[:need]
	copy(nb, b)
	bufpool.Put(b)
	return nb
}

// shrink gives back memory once less than half of b is used.
func shrink(b []byte) []byte {
	if len(b) == 0 {
		bufpool.Put(b)
		return nil
	}
	if cap(b) < 64 || len(b) >= cap(b)/2 {
		return b
	}
	nb := bufpool.Get(len(b))
	copy(nb, b)
	bufpool.Put(b)
	return nb
}
