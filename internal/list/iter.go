package list

// Iter walks a list from an index towards the tail or the head. It is a
// plain value (no allocation) and valid until the list changes.
type Iter struct {
	l       *List
	ni, p   int
	reverse bool
}

// IterFrom starts at element i (0 ≤ i < Len; negative counts from the
// tail); an out-of-range i gives an iterator that yields nothing.
func (l *List) IterFrom(i int, reverse bool) Iter {
	if i = l.norm(i); i < 0 {
		return Iter{l: l, p: -1}
	}
	ni, p := l.locate(i)
	return Iter{l: l, ni: ni, p: p, reverse: reverse}
}

// Next returns the current element and moves on; ok is false past the end.
// The slice aliases the list until its next change.
func (it *Iter) Next() (v []byte, ok bool) {
	if it.p < 0 {
		return nil, false
	}
	lp := &it.l.nodes.at(it.ni).lp
	v = lp.Get(it.p)
	if it.reverse {
		if it.p = lp.Prev(it.p); it.p < 0 && it.ni > 0 {
			it.ni--
			it.p = it.l.nodes.at(it.ni).lp.Last()
		}
	} else if it.p = lp.Next(it.p); it.p < 0 && it.ni+1 < it.l.nodes.n {
		it.ni++
		it.p = it.l.nodes.at(it.ni).lp.First()
	}
	return v, true
}

// Range calls fn for elements start…stop (inclusive, within 0…Len-1)
// from the head towards the tail.
func (l *List) Range(start, stop int, fn func(v []byte)) {
	it := l.IterFrom(start, false)
	for range stop - start + 1 {
		v, _ := it.Next()
		fn(v)
	}
}
