// Package zset is the sorted set value: members ordered by (score, member)
// in one of Redis's two encodings. Small sets are one packed, sorted run of
// records with no index ("listpack", searched linearly as Redis searches its
// listpack); past zset-max-listpack-entries members, or once a member is
// longer than zset-max-listpack-value, the set becomes a B+tree of packed
// leaves with per-child counts plus a member → leaf hash index (reported as
// "skiplist", the name tools expect), and never converts back except by
// Shrink. Rank, rank ranges and score or lex bounds are O(log n); lookups by
// member O(1) plus the search of one leaf.
//
// It knows nothing of RESP, commands, configuration or the store: the
// caller passes the encoding thresholds (Limits) to every operation that
// may grow a set. Scores are float64 and never NaN (the caller rejects NaN);
// members are byte strings, copied in.
//
// A ZSet is not safe for concurrent use; readers may share it while no
// changing method runs. Byte slices handed to callbacks alias the set and
// are valid only until its next change; callbacks must not change it.
package zset

import (
	"bytes"
	"math"
	"math/rand/v2"
	"unsafe"

	"github.com/smallredis/smallredis/internal/bufpool"
	"github.com/smallredis/smallredis/internal/slice32"
)

// Limits are the encoding thresholds: zset-max-listpack-entries and
// zset-max-listpack-value.
type Limits struct {
	Entries int64
	Value   int64
}

// DefaultLimits are Redis's defaults.
var DefaultLimits = Limits{Entries: 128, Value: 64}

// ZSet is a sorted set. Use New.
type ZSet struct {
	// pb and pn are the listpack's records (a recs: buffer and count,
	// through the view pack), in the ZSet's own fields so a small set is
	// one 32-byte object besides its buffer (every small sorted-set key
	// pays it); they are empty in the tree encoding.
	pb slice32.Bytes
	pn int32

	// mods counts modifications: Version. 32 bits keep the ZSet at 32
	// bytes; the store compares versions across one command, which does
	// not make 2^32 changes to one set.
	mods  uint32
	*tree // nil as a listpack
}

// pack is the listpack's records; a change to them must be stored back
// with setPack.
func (z *ZSet) pack() recs { return recs{b: z.pb.Slice(), n: z.pn} }

func (z *ZSet) setPack(l *recs) { z.pb, z.pn = slice32.Of(l.b), l.n }

// tree is what the skiplist encoding adds, kept apart so a small set pays
// only for its records.
type tree struct {
	head, tail *leaf // the leaves in order
	n          int
	mem        int // leaf buffers and structs, inner nodes, separators
	root       *inner
	height     int // levels of inner nodes
	idx        index
	leaves     []*leaf // by id, for the index
	freeIDs    []uint32
}

// structBytes approximates Redis's robj plus our ZSet header.
const (
	structBytes = int(unsafe.Sizeof(ZSet{})) + 16
	treeBytes   = int(unsafe.Sizeof(tree{}))
)

// New returns an empty set in the encoding Redis's zsetTypeCreate picks for
// about hint members of which the longest is maxLen bytes.
func New(hint, maxLen int, lim Limits) *ZSet {
	z := &ZSet{}
	if int64(hint) > lim.Entries || int64(maxLen) > lim.Value {
		z.toTree()
	}
	return z
}

// Len is the number of members.
func (z *ZSet) Len() int {
	if z.tree == nil {
		return int(z.pn)
	}
	return z.n
}

// Encoding is Redis's OBJECT ENCODING name.
func (z *ZSet) Encoding() string {
	if z.tree == nil {
		return "listpack"
	}
	return "skiplist"
}

// IsPacked reports whether the set is in the listpack encoding.
func (z *ZSet) IsPacked() bool { return z.tree == nil }

// Version changes whenever the members or scores do (store.Versioner).
func (z *ZSet) Version() uint64 { return uint64(z.mods) }

// MemoryUsage is what the set holds, in O(1) (store.Sizer).
func (z *ZSet) MemoryUsage() int {
	if z.tree == nil {
		return structBytes + z.pb.Cap()
	}
	return structBytes + z.mem + treeBytes + z.idx.bytes() + cap(z.leaves)*8 + cap(z.freeIDs)*4
}

// MaybeGrow converts a listpack to the tree up front when hint members are
// about to be added and would not fit anyway (Redis's zsetTypeMaybeConvert).
func (z *ZSet) MaybeGrow(hint int, lim Limits) {
	if z.tree == nil && int64(hint) > lim.Entries {
		z.toTree()
	}
}

// Shrink converts a tree that fits the listpack limits back to a listpack,
// as Redis's zsetConvertToListpackIfNeeded does for the sets that store
// commands (ZUNIONSTORE, ZRANGESTORE, …) build.
func (z *ZSet) Shrink(lim Limits) {
	if z.tree == nil || int64(z.n) > lim.Entries {
		return
	}
	fits := true
	z.Walk(0, false, func(m []byte, _ float64) bool {
		fits = int64(len(m)) <= lim.Value
		return fits
	})
	if !fits {
		return
	}
	var l recs
	z.Walk(0, false, func(m []byte, s float64) bool {
		if s == 0 {
			s = math.Copysign(0, 1) // as insert
		}
		l.insertAt(len(l.b), m, s)
		return true
	})
	*z = ZSet{mods: z.mods + 1}
	z.setPack(&l)
}

// toTree converts a listpack to the tree encoding.
func (z *ZSet) toTree() {
	old := z.pack()
	z.pb, z.pn = slice32.Bytes{}, 0
	h := &leaf{}
	z.tree = &tree{head: h, tail: h, leaves: []*leaf{h}}
	z.mem = innerBytes + leafBytes
	z.root = &inner{n: 1}
	z.root.leaves[0] = h
	z.height = 1
	n := int(old.n)
	for off := 0; off < len(old.b); {
		s, m, next := rec(old.b, off)
		z.n++
		z.treeInsert(m, s)
		off = next
	}
	if z.n != n {
		panic("zset: conversion lost members")
	}
	bufpool.Put(old.b)
}

// Score is m's score.
func (z *ZSet) Score(m []byte) (float64, bool) {
	if z.tree == nil {
		l := z.pack()
		off, s := l.find(m)
		return s, off >= 0
	}
	l, off, s := z.lookup(m)
	return s, l != nil && off >= 0
}

// Has reports whether m is a member.
func (z *ZSet) Has(m []byte) bool {
	_, ok := z.Score(m)
	return ok
}

func (z *ZSet) lookup(m []byte) (*leaf, int, float64) {
	var (
		fl  *leaf
		off = -1
		s   float64
	)
	z.idx.each(hashOf(m), func(_ int, id uint32) bool {
		l := z.leaves[id]
		if o, sc := l.find(m); o >= 0 {
			fl, off, s = l, o, sc
			return false
		}
		return true
	})
	return fl, off, s
}

// Set adds m with score s, or changes its score, and reports whether m is
// new. It converts a listpack that m would take past lim.
func (z *ZSet) Set(m []byte, s float64, lim Limits) bool {
	old, ok := z.Score(m)
	if ok {
		z.Update(m, old, s)
		return false
	}
	z.Insert(m, s, lim)
	return true
}

// Insert adds m, which must not be a member, with score s.
func (z *ZSet) Insert(m []byte, s float64, lim Limits) {
	z.mods++
	if z.tree == nil && (int64(z.Len())+1 > lim.Entries || int64(len(m)) > lim.Value) {
		z.toTree()
	}
	z.insert(m, s)
}

// insert adds m after the encoding was settled.
func (z *ZSet) insert(m []byte, s float64) {
	if z.tree == nil {
		if s == 0 {
			s = math.Copysign(0, 1) // Redis's listpack stores -0 as the integer 0
		}
		l := z.pack()
		off, _ := l.searchKey(s, m)
		l.insertAt(off, m, s)
		z.setPack(&l)
		return
	}
	z.n++
	z.treeInsert(m, s)
}

// Update changes the score of member m from old (its current score) to s.
func (z *ZSet) Update(m []byte, old, s float64) {
	if old == s {
		return // as Redis: even -0 over 0 keeps the stored score
	}
	z.mods++
	m = bytes.Clone(m) // it may alias the set
	z.delete(m, old)
	z.insert(m, s)
}

// Delete removes m and reports whether it was a member.
func (z *ZSet) Delete(m []byte) bool {
	s, ok := z.Score(m)
	if !ok {
		return false
	}
	z.mods++
	z.delete(m, s)
	return true
}

func (z *ZSet) delete(m []byte, s float64) {
	if z.tree == nil {
		l := z.pack()
		off, _ := l.find(m)
		l.deleteAt(off)
		z.setPack(&l)
		return
	}
	z.treeDelete(m, s)
	z.n--
}

// Rank is m's 0-based rank in ascending order (descending when rev) and its
// score.
func (z *ZSet) Rank(m []byte, rev bool) (rank int, s float64, ok bool) {
	s, ok = z.Score(m)
	if !ok {
		return 0, 0, false
	}
	r := z.rankOf(s, m)
	if rev {
		r = z.Len() - 1 - r
	}
	return r, s, true
}

// At is the member of ascending rank r, 0 <= r < Len.
func (z *ZSet) At(r int) (m []byte, s float64) {
	pl := z.pack()
	l := &pl
	if z.tree != nil {
		lf, i := z.seekRank(r)
		l, r = &lf.recs, i
	}
	s, m, _ = rec(l.b, l.seek(r))
	return m, s
}

// Random returns a member chosen uniformly at random; the set must not be
// empty.
func (z *ZSet) Random() (m []byte, s float64) { return z.At(rand.IntN(z.Len())) }

// Walk calls fn for the members from ascending rank start on, ascending or,
// when rev, descending (towards rank 0), until fn returns false or the set
// ends.
func (z *ZSet) Walk(start int, rev bool, fn func(m []byte, s float64) bool) {
	if start < 0 || start >= z.Len() {
		return
	}
	if z.tree == nil {
		l := z.pack()
		l.walk(start, rev, fn)
		return
	}
	l, i := z.seekRank(start)
	for l != nil && l.walk(i, rev, fn) {
		if rev {
			l, i = l.prev, -1
		} else {
			l, i = l.next, 0
		}
	}
}

// ScoreRange is a range of scores; Min > Max or equal exclusive bounds make
// it empty.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// ScoreSpan is the ranks [first, first+n) of the members in r.
func (z *ZSet) ScoreSpan(r ScoreRange) (first, n int) {
	first = z.countBefore(func(s float64, _ []byte) bool {
		return s < r.Min || r.MinEx && s == r.Min
	})
	end := z.countBefore(func(s float64, _ []byte) bool {
		return s < r.Max || !r.MaxEx && s == r.Max
	})
	return first, max(0, end-first)
}

// LexRange is a range of members for sets whose members all have the same
// score (as Redis, the result is unspecified otherwise). A nil Min with
// MinInf means "-", a Max with MaxInf "+".
type LexRange struct {
	Min, Max       []byte
	MinEx, MaxEx   bool
	MinInf, MaxInf bool // "-" as Min, "+" as Max
	MinPos, MaxNeg bool // "+" as Min, "-" as Max: nothing
}

// LexSpan is the ranks [first, first+n) of the members in r.
func (z *ZSet) LexSpan(r LexRange) (first, n int) {
	if r.MinPos || r.MaxNeg {
		return 0, 0
	}
	first = 0
	if !r.MinInf {
		first = z.countBefore(func(_ float64, m []byte) bool {
			c := bytes.Compare(m, r.Min)
			return c < 0 || r.MinEx && c == 0
		})
	}
	end := z.Len()
	if !r.MaxInf {
		end = z.countBefore(func(_ float64, m []byte) bool {
			c := bytes.Compare(m, r.Max)
			return c < 0 || !r.MaxEx && c == 0
		})
	}
	return first, max(0, end-first)
}

// DeleteRanks removes the members of ascending ranks [start, stop] and
// returns how many.
func (z *ZSet) DeleteRanks(start, stop int) int {
	start = max(start, 0)
	stop = min(stop, z.Len()-1)
	if start > stop {
		return 0
	}
	type ent struct {
		m []byte
		s float64
	}
	var all []ent
	z.Walk(start, false, func(m []byte, s float64) bool {
		all = append(all, ent{bytes.Clone(m), s})
		return len(all) < stop-start+1
	})
	z.mods++
	for _, e := range all {
		z.delete(e.m, e.s)
	}
	return len(all)
}

// Clone is a deep copy in the same encoding (store.Cloner, for COPY).
func (z *ZSet) Clone() any {
	if z.tree == nil {
		l := z.pack()
		c := &ZSet{}
		c.setPack(&recs{b: bytes.Clone(l.b), n: l.n})
		return c
	}
	c := New(0, 0, DefaultLimits)
	c.toTree()
	z.Walk(0, false, func(m []byte, s float64) bool {
		c.n++
		c.treeInsert(m, s)
		return true
	})
	return c
}

// Scan calls fn for some members from cursor on and returns the next
// cursor, 0 when done, as ZSCAN: a listpack is returned whole in one call
// (as Redis does); a tree a few index buckets at a time, with Redis's
// guarantee that a member present for the whole scan is returned at least
// once however the set grows or shrinks between calls.
func (z *ZSet) Scan(cursor uint64, count int, fn func(m []byte, s float64)) uint64 {
	if z.tree == nil || z.idx.count == 0 {
		z.Walk(0, false, func(m []byte, s float64) bool { fn(m, s); return true })
		return 0
	}
	if count <= 0 {
		count = 10
	}
	mask := uint64(z.idx.mask())
	v := cursor
	found, budget := 0, 10*count
	for {
		b := int(v & mask)
		z.idx.scanBucket(b, func(id uint32) {
			l := z.leaves[id]
			for off := 0; off < len(l.b); {
				s, m, next := rec(l.b, off)
				if int(hashOf(m))&int(mask) == b {
					fn(m, s)
					found++
				}
				off = next
			}
		})
		budget--
		v = nextCursor(v, mask)
		if v == 0 || found >= count || budget <= 0 {
			return v
		}
	}
}

func uintptrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }
