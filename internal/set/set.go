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
	"math"
	"strconv"
	"unsafe"

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

// Set is a set of byte strings. A small set's intset or listpack lives in
// the Set's own fields (the buffer and n and w, through the views ints and
// pack) rather than in a second object, so an intset or listpack set key
// pays for one 32-byte object besides its buffer.
type Set struct {
	// p is the intset's or listpack's buffer (its first byte, ln and cp
	// its length and capacity) or, in the hashtable encoding, the
	// *bytemap.Map: a set has one or the other, and sharing the word keeps
	// the Set at 32 bytes (Redis's robj is 16). Either way p is a real
	// pointer to what it refers to, so the garbage collector keeps that.
	p      unsafe.Pointer
	ln, cp uint32
	n      uint32 // the intset's or the listpack's entry count

	// mods counts modifications: Version. 32 bits suffice: the store
	// compares versions across one command, which does not make 2^32
	// changes to one set.
	mods uint32
	e    encoding
	w    uint8 // the intset's bits per member
}

// buf is the intset's or listpack's buffer.
func (s *Set) buf() []byte {
	if s.p == nil || s.e == encHashtable {
		return nil
	}
	return unsafe.Slice((*byte)(s.p), s.cp)[:s.ln]
}

// setBuf makes b the intset's or listpack's buffer; its capacity is below
// 4 GiB (an intset holds at most 2^30 members of 8 bytes, a listpack is
// limited by its entries' count and length).
func (s *Set) setBuf(b []byte) {
	if uint64(cap(b)) > math.MaxUint32 {
		panic("set: buffer of 4 GiB or more")
	}
	s.p, s.ln, s.cp = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))
}

// table is the hashtable encoding's map.
func (s *Set) table() *bytemap.Map { return (*bytemap.Map)(s.p) }

func newHashtable(m *bytemap.Map, mods uint32) *Set {
	return &Set{p: unsafe.Pointer(m), e: encHashtable, mods: mods}
}

// enc is the encoding in use.
func (s *Set) enc() encoding { return s.e }

// ints is the intset encoding's view of the buffer, n and w; a change to it must be
// stored back with setInts.
func (s *Set) ints() intset.Set { return intset.Of(s.buf(), s.n, s.w) }

func (s *Set) setInts(is *intset.Set) {
	b, n, w := is.Parts()
	s.setBuf(b)
	s.n, s.w = n, w
}

// pack is the listpack encoding's view of the buffer and n; a change to it must be
// stored back with setPack.
func (s *Set) pack() listpack.Listpack { return listpack.Of(s.buf(), int(s.n)) }

func (s *Set) setPack(lp *listpack.Listpack) {
	b, n := lp.Parts()
	s.setBuf(b)
	s.n = uint32(n)
}

// Version changes whenever the set's members do, so the store can tell a
// write command that changed it from one that only looked
// (store.Versioner).
func (s *Set) Version() uint64 { return uint64(s.mods) }

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
	return newHashtable(bytemap.New(hint), 0)
}

func newIntset() *Set   { return &Set{e: encIntset} }
func newListpack() *Set { return &Set{e: encListpack} }

// Len is the number of members.
func (s *Set) Len() int {
	switch s.enc() {
	case encIntset:
		is := s.ints()
		return is.Len()
	case encListpack:
		return int(s.n)
	}
	return s.table().Len()
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

// smallOverhead is what an intset or listpack value counted in Bytes for
// its own struct, which the Set now holds: MEMORY USAGE stays as it was.
const smallOverhead = 32

// MemoryUsage is what the set holds, in O(1) (store.Sizer).
func (s *Set) MemoryUsage() int {
	switch s.enc() {
	case encIntset, encListpack:
		return setOverhead + smallOverhead + int(s.cp)
	}
	return setOverhead + s.table().Bytes()
}

// Clone is a deep copy in the same encoding (store.Cloner, for COPY).
func (s *Set) Clone() any {
	c := &Set{e: s.e}
	switch s.enc() {
	case encIntset:
		is := s.ints()
		is = *is.Clone()
		c.setInts(&is)
	case encListpack:
		lp := s.pack()
		c.setPack(lp.Clone())
	default:
		c.p = unsafe.Pointer(s.table().Clone())
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
		return s.table().Set(m, nil)
	case encListpack:
		if s.lpFind(m) >= 0 {
			return false
		}
		if int64(s.n) < lim.MaxListpackEntries && int64(len(m)) <= lim.MaxListpackValue {
			lp := s.pack()
			lp.Append(m)
			s.setPack(&lp)
			return true
		}
		s.toHashtable(int(s.n) + 1)
		s.table().Set(m, nil)
		return true
	}
	if v, ok := parseInt(m); ok {
		return s.addIntsetInt(v, lim)
	}
	// A non-integer leaves the intset: for a listpack if the integers and m
	// all fit one, as Redis checks with the widest of the smallest and
	// largest member.
	is := s.ints()
	n := is.Len()
	widest := 0
	if n > 0 {
		widest = max(digits(is.At(0)), digits(is.At(n-1)))
	}
	if int64(n) < lim.MaxListpackEntries && int64(len(m)) <= lim.MaxListpackValue &&
		int64(widest) <= lim.MaxListpackValue {
		s.toListpack()
		lp := s.pack()
		lp.Append(m)
		s.setPack(&lp)
		return true
	}
	s.toHashtable(n + 1)
	s.table().Set(m, nil)
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
	is := s.ints()
	if !is.Add(v) {
		return false
	}
	s.setInts(&is)
	s.mods++
	if int64(is.Len()) > lim.intsetMax() {
		s.toHashtable(is.Len())
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
		return s.table().Delete(m)
	case encListpack:
		if p := s.lpFind(m); p >= 0 {
			lp := s.pack()
			lp.Delete(p, 1)
			s.setPack(&lp)
			return true
		}
		return false
	}
	v, ok := parseInt(m)
	return ok && s.removeIntsetInt(v)
}

func (s *Set) removeIntsetInt(v int64) bool {
	is := s.ints()
	if !is.Remove(v) {
		return false
	}
	s.setInts(&is)
	return true
}

func (s *Set) removeInt(v int64) bool {
	if s.enc() == encIntset {
		if s.removeIntsetInt(v) {
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
		return s.table().Has(m)
	case encListpack:
		return s.lpFind(m) >= 0
	}
	v, ok := parseInt(m)
	return ok && s.hasIntsetInt(v)
}

func (s *Set) hasIntsetInt(v int64) bool {
	is := s.ints()
	return is.Has(v)
}

func (s *Set) hasInt(v int64) bool {
	if s.enc() == encIntset {
		return s.hasIntsetInt(v)
	}
	var buf [20]byte
	return s.Has(strconv.AppendInt(buf[:0], v, 10))
}

func (s *Set) lpFind(m []byte) int {
	lp := s.pack()
	p := lp.First()
	if p < 0 {
		return -1
	}
	return lp.Find(p, m, 0)
}

// each calls fn for every member until it returns false: an intset member
// as v with isInt set (str nil), others as str aliasing the set. fn must
// not change the set.
func (s *Set) each(fn func(str []byte, v int64, isInt bool) bool) {
	switch s.enc() {
	case encIntset:
		is := s.ints()
		for i := range is.Len() {
			if !fn(nil, is.At(i), true) {
				return
			}
		}
	case encListpack:
		lp := s.pack()
		for p := lp.First(); p >= 0; p = lp.Next(p) {
			if !fn(lp.Get(p), 0, false) {
				return
			}
		}
	default:
		s.table().Range(func(k, _ []byte) bool { return fn(k, 0, false) })
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
		return s.table().Scan(cursor, count, func(k, _ []byte) { fn(k) })
	}
	s.Range(func(m []byte) bool { fn(m); return true })
	return 0
}

// toHashtable converts to the hashtable encoding, sized for hint members.
func (s *Set) toHashtable(hint int) {
	m := bytemap.New(max(hint, s.Len()))
	s.Range(func(k []byte) bool { m.Set(k, nil); return true })
	*s = *newHashtable(m, s.mods)
}

// toListpack converts an intset to a listpack.
func (s *Set) toListpack() {
	var lp listpack.Listpack
	s.Range(func(k []byte) bool { lp.Append(k); return true })
	*s = Set{e: encListpack, mods: s.mods}
	s.setPack(&lp)
}

// maybeToIntset converts a set known to hold only integers to an intset,
// if it is small enough (Redis's maybeConvertToIntset).
func (s *Set) maybeToIntset(lim Limits) {
	if s.enc() == encIntset || int64(s.Len()) > lim.intsetMax() {
		return
	}
	var is intset.Set
	s.Range(func(k []byte) bool {
		v, _ := parseInt(k)
		is.Add(v)
		return true
	})
	*s = Set{e: encIntset, mods: s.mods}
	s.setInts(&is)
}

// digits is the length of v in decimal, sign included (Redis's sdigits10).
func digits(v int64) int {
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], v, 10))
}

// parseInt accepts exactly what Redis's string2ll accepts.
func parseInt(b []byte) (int64, bool) { return num.ParseInt(b) }
