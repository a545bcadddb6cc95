// Package set is the Redis set value: its three encodings (intset for small
// sets of integers, listpack for other small sets, hashtable beyond) and the
// conversions between them, as Redis 7.2 does them (t_set.c), plus the
// set algebra (SINTER, SUNION, SDIFF) and random sampling the commands
// need. It knows nothing of RESP, commands, configuration or the store: the
// caller passes the encoding thresholds (Limits) to every operation that may
// grow a set.
//
// A Set is not safe for concurrent use; the store's shard lock guards it.
package set

import (
	"strconv"

	"github.com/smallredis/smallredis/internal/bytemap"
	"github.com/smallredis/smallredis/internal/intset"
	"github.com/smallredis/smallredis/internal/listpack"
	"github.com/smallredis/smallredis/internal/num"
)

// Limits are the encoding thresholds: set-max-intset-entries,
// set-max-listpack-entries and set-max-listpack-value.
type Limits struct {
	MaxIntsetEntries   int64
	MaxListpackEntries int64
	MaxListpackValue   int64
}

// DefaultLimits are Redis 7.2's defaults.
var DefaultLimits = Limits{MaxIntsetEntries: 512, MaxListpackEntries: 128, MaxListpackValue: 64}

// intsetMax is Redis's intsetMaxEntries: the intset itself caps at 2^30.
func (l Limits) intsetMax() int64 { return min(l.MaxIntsetEntries, 1<<30) }

type encoding uint8

const (
	encIntset encoding = iota
	encListpack
	encHashtable
)

// Set is a set of byte strings. Exactly one of is, lp and m is set: the
// encoding (enc). Deriving it rather than storing it keeps the Set in the
// 32-byte size class, which every set key pays.
type Set struct {
	is *intset.Set
	lp *listpack.Listpack
	m  *bytemap.Map

	mods uint64 // modifications so far: Version
}

// enc is the encoding in use.
func (s *Set) enc() encoding {
	switch {
	case s.is != nil:
		return encIntset
	case s.lp != nil:
		return encListpack
	}
	return encHashtable
}

// Version changes whenever the set's members do, so the store can tell a
// write command that changed it from one that only looked
// (store.Versioner).
func (s *Set) Version() uint64 { return s.mods }

// New returns an empty set for about hint members of which first is one,
// in the encoding Redis's setTypeCreate picks: intset when first is an
// integer and hint fits one, else listpack when hint fits one, else
// hashtable.
func New(first []byte, hint int, lim Limits) *Set {
	if _, ok := parseInt(first); ok && int64(hint) <= lim.MaxIntsetEntries {
		return newIntset()
	}
	if int64(hint) <= lim.MaxListpackEntries {
		return newListpack()
	}
	return &Set{m: bytemap.New(hint)}
}

func newIntset() *Set   { return &Set{is: &intset.Set{}} }
func newListpack() *Set { return &Set{lp: &listpack.Listpack{}} }

// Len is the number of members.
func (s *Set) Len() int {
	switch s.enc() {
	case encIntset:
		return s.is.Len()
	case encListpack:
		return s.lp.Len()
	}
	return s.m.Len()
}

// Encoding is Redis's OBJECT ENCODING name.
func (s *Set) Encoding() string {
	switch s.enc() {
	case encIntset:
		return "intset"
	case encListpack:
		return "listpack"
	}
	return "hashtable"
}

// setOverhead approximates Redis's robj plus our Set header and pointer.
const setOverhead = 48

// MemoryUsage is what the set holds, in O(1) (store.Sizer).
func (s *Set) MemoryUsage() int {
	switch s.enc() {
	case encIntset:
		return setOverhead + s.is.Bytes()
	case encListpack:
		return setOverhead + s.lp.Bytes()
	}
	return setOverhead + s.m.Bytes()
}

// Clone is a deep copy in the same encoding (store.Cloner, for COPY).
func (s *Set) Clone() any {
	c := &Set{}
	switch s.enc() {
	case encIntset:
		c.is = s.is.Clone()
	case encListpack:
		c.lp = s.lp.Clone()
	default:
		c.m = s.m.Clone()
	}
	return c
}

// MaybeGrow converts the set to a hashtable up front when hint members are
// about to be added and would not fit its encoding anyway (Redis's
// setTypeMaybeConvert, which SADD calls).
func (s *Set) MaybeGrow(hint int, lim Limits) {
	if s.enc() == encListpack && int64(hint) > lim.MaxListpackEntries ||
		s.enc() == encIntset && int64(hint) > lim.MaxIntsetEntries {
		s.toHashtable(hint)
	}
}

// Add inserts m and reports whether it was new, converting the encoding
// when m does not fit the current one.
func (s *Set) Add(m []byte, lim Limits) bool {
	if s.add(m, lim) {
		s.mods++
		return true
	}
	return false
}

func (s *Set) add(m []byte, lim Limits) bool {
	switch s.enc() {
	case encHashtable:
		return s.m.Set(m, nil)
	case encListpack:
		if s.lpFind(m) >= 0 {
			return false
		}
		if int64(s.lp.Len()) < lim.MaxListpackEntries && int64(len(m)) <= lim.MaxListpackValue {
			s.lp.Append(m)
			return true
		}
		s.toHashtable(s.lp.Len() + 1)
		s.m.Set(m, nil)
		return true
	}
	if v, ok := parseInt(m); ok {
		return s.addIntsetInt(v, lim)
	}
	// A non-integer leaves the intset: for a listpack if the integers and m
	// all fit one, as Redis checks with the widest of the smallest and
	// largest member.
	n := s.is.Len()
	widest := 0
	if n > 0 {
		widest = max(digits(s.is.At(0)), digits(s.is.At(n-1)))
	}
	if int64(n) < lim.MaxListpackEntries && int64(len(m)) <= lim.MaxListpackValue &&
		int64(widest) <= lim.MaxListpackValue {
		s.toListpack()
		s.lp.Append(m)
		return true
	}
	s.toHashtable(n + 1)
	s.m.Set(m, nil)
	return true
}

// addInt adds an integer member, without formatting it for an intset.
func (s *Set) addInt(v int64, lim Limits) bool {
	if s.enc() == encIntset {
		return s.addIntsetInt(v, lim)
	}
	var buf [20]byte
	return s.Add(strconv.AppendInt(buf[:0], v, 10), lim)
}

func (s *Set) addIntsetInt(v int64, lim Limits) bool {
	if !s.is.Add(v) {
		return false
	}
	s.mods++
	if int64(s.is.Len()) > lim.intsetMax() {
		s.toHashtable(s.is.Len())
	}
	return true
}

// Remove deletes m and reports whether it was a member. The encoding never
// changes back: a hashtable emptied to one member stays a hashtable.
func (s *Set) Remove(m []byte) bool {
	if s.remove(m) {
		s.mods++
		return true
	}
	return false
}

func (s *Set) remove(m []byte) bool {
	switch s.enc() {
	case encHashtable:
		return s.m.Delete(m)
	case encListpack:
		if p := s.lpFind(m); p >= 0 {
			s.lp.Delete(p, 1)
			return true
		}
		return false
	}
	v, ok := parseInt(m)
	return ok && s.is.Remove(v)
}

func (s *Set) removeInt(v int64) bool {
	if s.enc() == encIntset {
		if s.is.Remove(v) {
			s.mods++
			return true
		}
		return false
	}
	var buf [20]byte
	return s.Remove(strconv.AppendInt(buf[:0], v, 10))
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	switch s.enc() {
	case encHashtable:
		return s.m.Has(m)
	case encListpack:
		return s.lpFind(m) >= 0
	}
	v, ok := parseInt(m)
	return ok && s.is.Has(v)
}

func (s *Set) hasInt(v int64) bool {
	if s.enc() == encIntset {
		return s.is.Has(v)
	}
	var buf [20]byte
	return s.Has(strconv.AppendInt(buf[:0], v, 10))
}

func (s *Set) lpFind(m []byte) int {
	p := s.lp.First()
	if p < 0 {
		return -1
	}
	return s.lp.Find(p, m, 0)
}

// each calls fn for every member until it returns false: an intset member
// as v with isInt set (str nil), others as str aliasing the set. fn must
// not change the set.
func (s *Set) each(fn func(str []byte, v int64, isInt bool) bool) {
	switch s.enc() {
	case encIntset:
		for i := range s.is.Len() {
			if !fn(nil, s.is.At(i), true) {
				return
			}
		}
	case encListpack:
		for p := s.lp.First(); p >= 0; p = s.lp.Next(p) {
			if !fn(s.lp.Get(p), 0, false) {
				return
			}
		}
	default:
		s.m.Range(func(k, _ []byte) bool { return fn(k, 0, false) })
	}
}

// Range calls fn for every member until it returns false, in the order
// Redis's iterator uses (ascending for an intset, insertion order for a
// listpack). m is valid only during the call; fn must not change the set.
func (s *Set) Range(fn func(m []byte) bool) {
	var buf [20]byte
	s.each(func(str []byte, v int64, isInt bool) bool {
		if isInt {
			str = strconv.AppendInt(buf[:0], v, 10)
		}
		return fn(str)
	})
}

// Scan calls fn for some members from cursor on and returns the next
// cursor, 0 when done, as SSCAN: an intset or listpack is returned whole in
// one call (as Redis does); a hashtable a few buckets at a time, with
// Redis's guarantee that a member present for the whole scan is returned
// at least once.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if s.enc() == encHashtable {
		return s.m.Scan(cursor, count, func(k, _ []byte) { fn(k) })
	}
	s.Range(func(m []byte) bool { fn(m); return true })
	return 0
}

// toHashtable converts to the hashtable encoding, sized for hint members.
func (s *Set) toHashtable(hint int) {
	m := bytemap.New(max(hint, s.Len()))
	s.Range(func(k []byte) bool { m.Set(k, nil); return true })
	*s = Set{m: m}
}

// toListpack converts an intset to a listpack.
func (s *Set) toListpack() {
	lp := &listpack.Listpack{}
	s.Range(func(k []byte) bool { lp.Append(k); return true })
	*s = Set{lp: lp}
}

// maybeToIntset converts a set known to hold only integers to an intset,
// if it is small enough (Redis's maybeConvertToIntset).
func (s *Set) maybeToIntset(lim Limits) {
	if s.enc() == encIntset || int64(s.Len()) > lim.intsetMax() {
		return
	}
	is := &intset.Set{}
	s.Range(func(k []byte) bool {
		v, _ := parseInt(k)
		is.Add(v)
		return true
	})
	*s = Set{is: is}
}

// digits is the length of v in decimal, sign included (Redis's sdigits10).
func digits(v int64) int {
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], v, 10))
}

// parseInt accepts exactly what Redis's string2ll accepts.
func parseInt(b []byte) (int64, bool) { return num.ParseInt(b) }
