package set

import (
	"math/rand/v2"
	"strconv"
)

// Random sampling for SRANDMEMBER and SPOP, following Redis's strategies
// (t_set.c) so the distributions and the resulting encodings match.

// Random returns a member chosen uniformly at random from a non-empty set:
// an integer formatted into buf, any other member aliasing the set until
// its next change.
func (s *Set) Random(buf []byte) []byte {
	switch s.enc() {
	case encIntset:
		is := s.ints()
		return strconv.AppendInt(buf[:0], is.At(rand.IntN(is.Len())), 10)
	case encListpack:
		lp := s.pack()
		return lp.Get(lp.Seek(rand.IntN(lp.Len())))
	}
	k, _ := s.table().Random()
	return k
}

// Pop removes a member chosen uniformly at random from a non-empty set and
// appends it to dst.
func (s *Set) Pop(dst []byte) []byte {
	s.mods++
	switch s.enc() {
	case encIntset:
		is := s.ints()
		v := is.At(rand.IntN(is.Len()))
		is.Remove(v)
		s.setInts(&is)
		return strconv.AppendInt(dst, v, 10)
	case encListpack:
		lp := s.pack()
		p := lp.Seek(rand.IntN(lp.Len()))
		dst = append(dst, lp.Get(p)...)
		lp.Delete(p, 1)
		s.setPack(&lp)
		return dst
	}
	k, _ := s.table().Random()
	start := len(dst)
	dst = append(dst, k...)
	s.table().Delete(dst[start:])
	return dst
}

// RandomRepeat calls fn count times with a member chosen uniformly at
// random each time (SRANDMEMBER with a negative count). fn must not change
// the set; it stops early when fn returns false.
func (s *Set) RandomRepeat(count int, fn func(m []byte) bool) {
	var buf [20]byte
	for range count {
		if !fn(s.Random(buf[:0])) {
			return
		}
	}
}

// srandSubStrategyMul is Redis's SRANDMEMBER_SUB_STRATEGY_MUL: past a third
// of the set, sampling by rejection is slower than one pass.
const srandSubStrategyMul = 3

// RandomDistinct calls fn with count distinct members chosen uniformly at
// random, 0 < count < Len (SRANDMEMBER with a positive count; the caller
// answers the whole set when count >= Len). Every count-subset is equally
// likely. fn must not change the set.
func (s *Set) RandomDistinct(count int, fn func(m []byte)) {
	n := s.Len()
	if s.enc() == encListpack || count*srandSubStrategyMul > n {
		s.selectionSample(count, func(m []byte) bool { fn(m); return false })
		return
	}
	// A big set and a few members: draw until count distinct ones came.
	var buf [20]byte
	if s.enc() == encIntset {
		seen := make(map[int64]struct{}, count)
		is := s.ints()
		for len(seen) < count {
			v := is.At(rand.IntN(n))
			if _, dup := seen[v]; !dup {
				seen[v] = struct{}{}
				fn(strconv.AppendInt(buf[:0], v, 10))
			}
		}
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		k, _ := s.table().Random()
		if _, dup := seen[string(k)]; !dup {
			seen[string(k)] = struct{}{}
			fn(k)
		}
	}
}

// selectionSample visits the members in order and picks each with
// probability (still needed)/(still left), which yields count members with
// every subset equally likely (Knuth's algorithm S; Redis's lpNextRandom
// does the same on listpacks). On a listpack, pick returning true deletes
// the member it was given (SPOP); elsewhere the result is ignored.
func (s *Set) selectionSample(count int, pick func(m []byte) (deleted bool)) {
	left := s.Len()
	need := count
	var buf [20]byte
	switch s.enc() {
	case encListpack:
		lp := s.pack()
		for p := lp.First(); p >= 0 && need > 0; left-- {
			if rand.IntN(left) < need {
				need--
				if pick(lp.Get(p)) {
					p = lp.Delete(p, 1)
					continue
				}
			}
			p = lp.Next(p)
		}
		s.setPack(&lp)
	default:
		s.each(func(str []byte, v int64, isInt bool) bool {
			if rand.IntN(left) < need {
				need--
				if isInt {
					str = strconv.AppendInt(buf[:0], v, 10)
				}
				pick(str)
			}
			left--
			return need > 0
		})
	}
}

// spopMoveStrategyMul is Redis's SPOP_MOVE_STRATEGY_MUL: when fewer than a
// fifth of the members stay, SPOP builds a new set of the survivors.
const spopMoveStrategyMul = 5

// PopMany removes count distinct members chosen uniformly at random,
// 0 < count < Len, calling fn with each (SPOP with a count; the caller pops
// the whole set when count >= Len). m is valid only during the call. When
// few members remain the survivors move to a new set, whose encoding Redis
// 7.2 picks afresh (a hashtable may become a listpack).
func (s *Set) PopMany(count int, lim Limits, fn func(m []byte)) {
	s.mods++
	remaining := s.Len() - count
	if remaining*spopMoveStrategyMul > count {
		if s.enc() == encListpack {
			s.selectionSample(count, func(m []byte) bool { fn(m); return true })
			return
		}
		var buf []byte
		for range count {
			buf = s.Pop(buf[:0])
			fn(buf)
		}
		return
	}
	var survivors *Set
	if s.enc() == encListpack {
		survivors = newListpack()
		s.selectionSample(remaining, func(m []byte) bool {
			survivors.Add(m, lim)
			return true
		})
	} else {
		if s.enc() == encIntset {
			survivors = newIntset()
		} else {
			survivors = newListpack()
		}
		var buf []byte
		for range remaining {
			buf = s.Pop(buf[:0])
			survivors.Add(buf, lim)
		}
	}
	s.Range(func(m []byte) bool { fn(m); return true })
	mods := s.mods
	*s = *survivors
	s.mods = mods
}
