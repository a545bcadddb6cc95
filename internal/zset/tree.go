package zset

import (
	"bytes"
	"unsafe"

	"github.com/smallredis/smallredis/internal/bufpool"
)

// The skiplist encoding is a B+tree, not a skiplist: leaves of packed
// records (leaf.go) in (score, member) order, linked both ways for range
// walks, under inner nodes holding for each child a lower-bound key
// (score and a copy of a member) and the number of members beneath it, so
// rank lookups and rank ranges are O(log n) as Redis's skiplist spans make
// them. The member → leaf index (index.go) answers lookups by member.
//
// A leaf splits in two past maxLeaf bytes of records and merges with a
// neighbour below maxLeaf/4; an inner node splits past maxFan children and
// merges below maxFan/4. Leaf buffers grow by append's size classes and are
// reallocated tight when they split or empty by half, so memory follows
// the records rather than the fill factor.

const (
	maxLeaf   = 2048
	maxFan    = 64
	maxHeight = 16
)

type sep struct {
	s float64
	m []byte
}

type inner struct {
	n      int
	seps   [maxFan + 1]sep // seps[i] bounds child i from below; seps[0] is unused
	counts [maxFan + 1]int
	leaves [maxFan + 1]*leaf  // children of the lowest inner level
	inners [maxFan + 1]*inner // children of the others
}

const (
	innerBytes = int(unsafe.Sizeof(inner{}))
	leafBytes  = int(unsafe.Sizeof(leaf{}))
)

type step struct {
	in *inner
	i  int
}

// path is the route from the root to a leaf: st[0] is the root.
type path struct {
	st [maxHeight]step
	n  int
}

// route is the child of in whose range holds the key s, m.
func (in *inner) route(s float64, m []byte) int {
	lo, hi := 1, in.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cmpKey(in.seps[mid].s, in.seps[mid].m, s, m) <= 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// descend finds the leaf whose range holds s, m, recording the route.
func (z *ZSet) descend(p *path, s float64, m []byte) *leaf {
	in := z.root
	p.n = 0
	for h := z.height; ; h-- {
		i := in.route(s, m)
		p.st[p.n] = step{in, i}
		p.n++
		if h == 1 {
			return in.leaves[i]
		}
		in = in.inners[i]
	}
}

func (z *ZSet) newLeaf() *leaf {
	l := &leaf{}
	if n := len(z.freeIDs); n > 0 {
		l.id = z.freeIDs[n-1]
		z.freeIDs = z.freeIDs[:n-1]
		z.leaves[l.id] = l
	} else {
		l.id = uint32(len(z.leaves))
		z.leaves = append(z.leaves, l)
	}
	z.mem += leafBytes
	return l
}

func (z *ZSet) freeLeaf(l *leaf) {
	z.mem -= leafBytes + cap(l.b)
	bufpool.Put(l.b)
	l.b = nil
	z.leaves[l.id] = nil
	z.freeIDs = append(z.freeIDs, l.id)
}

// tighten reallocates l's buffer to fit its records.
func (z *ZSet) tighten(l *leaf) {
	z.mem -= cap(l.b)
	nb := bufpool.Get(len(l.b))
	copy(nb, l.b)
	bufpool.Put(l.b)
	l.b = nb
	z.mem += cap(l.b)
}

func (z *ZSet) newSep(s float64, m []byte) sep {
	c := bytes.Clone(m)
	z.mem += cap(c)
	return sep{s, c}
}

func (z *ZSet) treeInsert(m []byte, s float64) {
	var p path
	l := z.descend(&p, s, m)
	off, _ := l.searchKey(s, m)
	z.mem += l.insertAt(off, m, s)
	for d := range p.n {
		p.st[d].in.counts[p.st[d].i]++
	}
	z.idx.add(hashOf(m), l.id)
	if len(l.b) > maxLeaf && l.n > 1 {
		z.splitLeaf(&p, l)
	}
}

func (z *ZSet) splitLeaf(p *path, l *leaf) {
	half := len(l.b) / 2
	mid, k := 0, int32(0)
	for mid < half || k == 0 {
		mid = skip(l.b, mid)
		k++
	}
	if k == l.n {
		return // one huge last record: nothing to split off
	}
	r := z.newLeaf()
	r.b = bufpool.Get(len(l.b) - mid)
	copy(r.b, l.b[mid:])
	r.n = l.n - k
	z.mem += cap(r.b)
	l.b = l.b[:mid]
	l.n = k
	z.tighten(l)
	for off := 0; off < len(r.b); {
		_, m, next := rec(r.b, off)
		z.idx.move(hashOf(m), l.id, r.id)
		off = next
	}
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	} else {
		z.tail = r
	}
	l.next = r
	s, m, _ := rec(r.b, 0)
	z.insertKid(p, p.n-1, z.newSep(s, m), int(r.n), r, nil)
}

// insertKid puts a new child (leaf or inner) right after the one the path
// takes at depth d, moving cnt members out of that one's count.
func (z *ZSet) insertKid(p *path, d int, sp sep, cnt int, lf *leaf, nd *inner) {
	in, i := p.st[d].in, p.st[d].i+1
	copy(in.seps[i+1:in.n+1], in.seps[i:in.n])
	copy(in.counts[i+1:in.n+1], in.counts[i:in.n])
	if lf != nil {
		copy(in.leaves[i+1:in.n+1], in.leaves[i:in.n])
		in.leaves[i] = lf
	} else {
		copy(in.inners[i+1:in.n+1], in.inners[i:in.n])
		in.inners[i] = nd
	}
	in.seps[i] = sp
	in.counts[i] = cnt
	in.counts[i-1] -= cnt
	in.n++
	if in.n <= maxFan {
		return
	}
	// Split the inner node in two.
	h := in.n / 2
	r := &inner{n: in.n - h}
	z.mem += innerBytes
	copy(r.seps[:], in.seps[h:in.n])
	copy(r.counts[:], in.counts[h:in.n])
	copy(r.leaves[:], in.leaves[h:in.n])
	copy(r.inners[:], in.inners[h:in.n])
	rc := 0
	for j := range r.n {
		rc += r.counts[j]
	}
	for j := h; j < in.n; j++ {
		in.seps[j], in.leaves[j], in.inners[j], in.counts[j] = sep{}, nil, nil, 0
	}
	in.n = h
	rsep := r.seps[0]
	r.seps[0] = sep{}
	if d > 0 {
		z.insertKid(p, d-1, rsep, rc, nil, r)
		return
	}
	root := &inner{n: 2}
	z.mem += innerBytes
	root.inners[0], root.inners[1] = in, r
	root.seps[1] = rsep
	root.counts[1] = rc
	root.counts[0] = z.n - rc
	z.root = root
	z.height++
}

// treeDelete removes the member m of score s, which is present.
func (z *ZSet) treeDelete(m []byte, s float64) {
	var p path
	l := z.descend(&p, s, m)
	off, _ := l.searchKey(s, m)
	z.idx.remove(hashOf(m), l.id)
	l.deleteAt(off)
	for d := range p.n {
		p.st[d].in.counts[p.st[d].i]--
	}
	if cap(l.b) > 256 && len(l.b) < cap(l.b)/2 {
		z.tighten(l)
	}
	switch {
	case l.n == 0 && z.n > 1:
		z.unlink(l)
		z.freeLeaf(l)
		z.removeKid(&p, p.n-1)
	case len(l.b) < maxLeaf/4:
		z.mergeLeaf(&p, l)
	}
}

func (z *ZSet) unlink(l *leaf) {
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		z.head = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	} else {
		z.tail = l.prev
	}
}

// mergeLeaf joins a small leaf with a neighbour under the same parent when
// both fit in three quarters of a leaf.
func (z *ZSet) mergeLeaf(p *path, l *leaf) {
	d := p.n - 1
	in, i := p.st[d].in, p.st[d].i
	var a, b int // merge child b into child a = b-1
	switch {
	case i+1 < in.n && len(l.b)+len(in.leaves[i+1].b) <= maxLeaf*3/4:
		a, b = i, i+1
	case i > 0 && len(l.b)+len(in.leaves[i-1].b) <= maxLeaf*3/4:
		a, b = i-1, i
	default:
		return
	}
	la, lb := in.leaves[a], in.leaves[b]
	z.mem -= cap(la.b)
	if len(la.b)+len(lb.b) > cap(la.b) {
		nb := bufpool.Get(len(la.b) + len(lb.b))
		copy(nb, la.b)
		bufpool.Put(la.b)
		la.b = nb[:len(la.b)]
	}
	la.b = append(la.b, lb.b...)
	z.mem += cap(la.b)
	la.n += lb.n
	for off := 0; off < len(lb.b); {
		_, m, next := rec(lb.b, off)
		z.idx.move(hashOf(m), lb.id, la.id)
		off = next
	}
	in.counts[a] += in.counts[b]
	in.counts[b] = 0
	z.unlink(lb)
	z.freeLeaf(lb)
	p.st[d].i = b
	z.removeKid(p, d)
}

// removeKid drops the child the path takes at depth d (its members are
// gone or moved), then mends the inner node if it became small.
func (z *ZSet) removeKid(p *path, d int) {
	in, i := p.st[d].in, p.st[d].i
	z.mem -= cap(in.seps[i].m)
	copy(in.seps[i:], in.seps[i+1:in.n])
	copy(in.counts[i:], in.counts[i+1:in.n])
	copy(in.leaves[i:], in.leaves[i+1:in.n])
	copy(in.inners[i:], in.inners[i+1:in.n])
	in.n--
	in.seps[in.n], in.leaves[in.n], in.inners[in.n], in.counts[in.n] = sep{}, nil, nil, 0
	if d == 0 {
		if in.n == 1 && z.height > 1 {
			z.root = in.inners[0]
			z.height--
			z.mem -= innerBytes
		}
		return
	}
	if in.n >= maxFan/4 {
		return
	}
	pp, j := p.st[d-1].in, p.st[d-1].i
	if in.n == 0 {
		z.mem -= innerBytes
		z.removeKid(p, d-1)
		return
	}
	var a, b int
	switch {
	case j+1 < pp.n && in.n+pp.inners[j+1].n <= maxFan:
		a, b = j, j+1
	case j > 0 && in.n+pp.inners[j-1].n <= maxFan:
		a, b = j-1, j
	default:
		return
	}
	na, nb := pp.inners[a], pp.inners[b]
	// nb's first child takes the bound nb had in the parent; the parent's
	// copy is freed by removeKid, so the bound is copied here.
	nb.seps[0] = z.newSep(pp.seps[b].s, pp.seps[b].m)
	copy(na.seps[na.n:], nb.seps[:nb.n])
	copy(na.counts[na.n:], nb.counts[:nb.n])
	copy(na.leaves[na.n:], nb.leaves[:nb.n])
	copy(na.inners[na.n:], nb.inners[:nb.n])
	na.n += nb.n
	pp.counts[a] += pp.counts[b]
	pp.counts[b] = 0
	z.mem -= innerBytes
	p.st[d-1].i = b
	z.removeKid(p, d-1)
}

// seekRank is the leaf holding the member of rank r and r's index in it
// (the tree encoding).
func (z *ZSet) seekRank(r int) (*leaf, int) {
	in := z.root
	for h := z.height; ; h-- {
		i := 0
		for ; i < in.n-1 && r >= in.counts[i]; i++ {
			r -= in.counts[i]
		}
		if h == 1 {
			return in.leaves[i], r
		}
		in = in.inners[i]
	}
}

// countBefore is the number of members for which before is true; before
// must be true for a prefix of the order and false after it.
func (z *ZSet) countBefore(before func(s float64, m []byte) bool) int {
	if z.tree == nil {
		l := z.pack()
		_, i := l.lowerBound(before)
		return i
	}
	in := z.root
	total := 0
	for h := z.height; ; h-- {
		lo, hi := 1, in.n
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if before(in.seps[mid].s, in.seps[mid].m) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		i := lo - 1
		for j := range i {
			total += in.counts[j]
		}
		if h == 1 {
			_, k := in.leaves[i].lowerBound(before)
			return total + k
		}
		in = in.inners[i]
	}
}

// rankOf is the number of members before the key s, m: countBefore
// specialised for member ranks.
func (z *ZSet) rankOf(s float64, m []byte) int {
	if z.tree == nil {
		l := z.pack()
		_, i := l.searchKey(s, m)
		return i
	}
	in := z.root
	total := 0
	for h := z.height; ; h-- {
		i := in.route(s, m)
		for j := range i {
			total += in.counts[j]
		}
		if h == 1 {
			_, k := in.leaves[i].searchKey(s, m)
			return total + k
		}
		in = in.inners[i]
	}
}
