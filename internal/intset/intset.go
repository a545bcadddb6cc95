// Package intset is a sorted set of int64 kept in one []byte with the
// narrowest width (16, 32 or 64 bits) its members need, as Redis's intset:
// the small encoding of sets whose members are all integers. It knows
// nothing of RESP, commands or the store.
//
// A Set is not safe for concurrent use. The zero value is empty.
package intset

import "slices"

// Set is a sorted set of integers.
//
// STUB: a plain slice stands in until the packed encoding lands; the API is
// the contract.
type Set struct{ v []int64 }

// Len is the number of members.
func (s *Set) Len() int { return len(s.v) }

// Bytes is the memory the set holds, in O(1).
func (s *Set) Bytes() int { return 32 + 8*cap(s.v) }

// Has reports whether v is a member.
func (s *Set) Has(v int64) bool { _, ok := slices.BinarySearch(s.v, v); return ok }

// Add inserts v and reports whether it was new.
func (s *Set) Add(v int64) bool {
	i, ok := slices.BinarySearch(s.v, v)
	if ok {
		return false
	}
	s.v = slices.Insert(s.v, i, v)
	return true
}

// Remove deletes v and reports whether it was a member.
func (s *Set) Remove(v int64) bool {
	i, ok := slices.BinarySearch(s.v, v)
	if !ok {
		return false
	}
	s.v = slices.Delete(s.v, i, i+1)
	return true
}

// At is the i-th smallest member.
func (s *Set) At(i int) int64 { return s.v[i] }

// Clone is a deep copy.
func (s *Set) Clone() *Set { return &Set{v: slices.Clone(s.v)} }
