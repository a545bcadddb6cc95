package set

import (
	"slices"
	"strconv"
)

// Set algebra for SINTER, SUNION, SDIFF and their STORE and CARD forms, as
// Redis 7.2's sinterGenericCommand and sunionDiffGenericCommand compute
// them: the same iteration order, so replies list members in the same
// order, and the same result encodings.

// bySize sorts sets by ascending cardinality, as Redis's qsort does for
// SINTER (stable, so ties keep the order the keys were given in).
func bySize(sets []*Set) []*Set {
	sorted := slices.Clone(sets)
	slices.SortStableFunc(sorted, func(a, b *Set) int { return a.Len() - b.Len() })
	return sorted
}

// Inter calls fn for each member of the intersection of sets (none nil)
// until fn returns false, walking the smallest set. m is valid only during
// the call.
func Inter(sets []*Set, fn func(m []byte) bool) {
	sorted := bySize(sets)
	var buf [20]byte
	inter(sorted, func(str []byte, v int64, isInt bool) bool {
		if isInt {
			str = strconv.AppendInt(buf[:0], v, 10)
		}
		return fn(str)
	})
}

func inter(sorted []*Set, fn func(str []byte, v int64, isInt bool) bool) {
	first := sorted[0]
	first.each(func(str []byte, v int64, isInt bool) bool {
		for _, o := range sorted[1:] {
			if o == first {
				continue
			}
			if !o.hasMember(str, v, isInt) {
				return true
			}
		}
		return fn(str, v, isInt)
	})
}

func (s *Set) hasMember(str []byte, v int64, isInt bool) bool {
	if isInt {
		return s.hasInt(v)
	}
	return s.Has(str)
}

func (s *Set) addMember(str []byte, v int64, isInt bool, lim Limits) bool {
	if isInt {
		return s.addInt(v, lim)
	}
	return s.Add(str, lim)
}

func (s *Set) removeMember(str []byte, v int64, isInt bool) bool {
	if isInt {
		return s.removeInt(v)
	}
	return s.Remove(str)
}

// InterStore is the intersection of sets (none nil) as a new set
// (SINTERSTORE). Redis 7.2 starts it as an intset when the smallest set is
// one, else as a listpack, lets it grow into a hashtable, and makes it an
// intset at the end if every member is an integer and they fit.
func InterStore(sets []*Set, lim Limits) *Set {
	sorted := bySize(sets)
	var dst *Set
	if sorted[0].enc() == encIntset {
		dst = newIntset()
	} else {
		dst = newListpack()
	}
	onlyInts := true
	inter(sorted, func(str []byte, v int64, isInt bool) bool {
		if !isInt && onlyInts {
			if _, ok := parseInt(str); !ok {
				onlyInts = false
			}
		}
		dst.addMember(str, v, isInt, lim)
		return true
	})
	if onlyInts && dst.Len() > 0 {
		dst.maybeToIntset(lim)
	}
	return dst
}

// Union is the union of sets (nil ones are empty) as a new set, which
// starts as an intset and converts as members arrive (SUNION, SUNIONSTORE).
func Union(sets []*Set, lim Limits) *Set {
	dst := newIntset()
	for _, s := range sets {
		if s == nil {
			continue
		}
		s.each(func(str []byte, v int64, isInt bool) bool {
			dst.addMember(str, v, isInt, lim)
			return true
		})
	}
	return dst
}

// Diff is the members of sets[0] in none of the others (nil ones are
// empty) as a new set (SDIFF, SDIFFSTORE). Like Redis it picks one of two
// algorithms by the work each would do, which can change the result's
// encoding: the second copies the whole first set before removing.
func Diff(sets []*Set, lim Limits) *Set {
	dst := newIntset()
	first := sets[0]
	if first == nil {
		return dst
	}
	for _, s := range sets[1:] {
		if s == first {
			return dst // the first key named again: nothing is left
		}
	}
	one, two := 0, 0
	for _, s := range sets {
		if s != nil {
			one += first.Len()
			two += s.Len()
		}
	}
	one /= 2 // the first algorithm does less per member: give it an edge
	if one <= two {
		others := slices.Clone(sets[1:])
		// Largest first, so a member is likelier found early.
		slices.SortStableFunc(others, func(a, b *Set) int { return size(b) - size(a) })
		first.each(func(str []byte, v int64, isInt bool) bool {
			for _, o := range others {
				if o != nil && o.hasMember(str, v, isInt) {
					return true
				}
			}
			dst.addMember(str, v, isInt, lim)
			return true
		})
		return dst
	}
	for i, s := range sets {
		if s == nil {
			continue
		}
		s.each(func(str []byte, v int64, isInt bool) bool {
			if i == 0 {
				dst.addMember(str, v, isInt, lim)
			} else {
				dst.removeMember(str, v, isInt)
			}
			return true
		})
		if dst.Len() == 0 {
			break
		}
	}
	return dst
}

func size(s *Set) int {
	if s == nil {
		return 0
	}
	return s.Len()
}
