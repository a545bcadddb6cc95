// Package listpack is a compact sequence of byte-string entries kept in one
// []byte, as Redis's listpack: the small encoding of hashes (field, value
// pairs), sets, sorted sets (member, score pairs) and lists. It knows nothing
// of RESP, commands or the store.
//
// Entries are addressed by opaque positions (First, Next, Seek, …). A
// position is valid until the next change to the listpack; the changing
// methods return the positions callers need afterwards.
//
// Layout: entries back to back, each
//
//	[uvarint len][len bytes][backlen]
//
// where backlen is len again, written so that it reads from its last byte
// backwards (7 bits a byte, the high bit set on every byte but the first
// written). An entry under 128 bytes thus costs its bytes plus 2, as in
// Redis; Next reads the header and Prev the back-length, both O(1). A
// position is the entry's byte offset. Entries are kept as strings, never
// re-encoded as integers, so Get can alias the buffer.
//
// A Listpack is not safe for concurrent use. The zero value is empty.
package listpack

import (
	"encoding/binary"
	"unsafe"

	"github.com/smallredis/smallredis/internal/bufpool"
)

// Listpack is a sequence of byte strings.
type Listpack struct {
	b []byte
	n int // entries
}

// structBytes is the Listpack value itself, counted by Bytes.
const structBytes = int(unsafe.Sizeof(Listpack{}))

// Len is the number of entries.
func (l *Listpack) Len() int { return l.n }

// Of is the listpack whose Parts are b and n, for a holder that keeps them
// in its own fields rather than a Listpack (set.Set, which shares them
// with its intset encoding).
func Of(b []byte, n int) Listpack { return Listpack{b: b, n: n} }

// Parts are the listpack's buffer and entry count, for Of.
func (l *Listpack) Parts() ([]byte, int) { return l.b, l.n }

// Bytes is the memory the listpack holds, in O(1): its buffer's capacity
// (the allocator's size class) and the Listpack value.
func (l *Listpack) Bytes() int { return structBytes + cap(l.b) }

// First is the position of the first entry, -1 when empty.
func (l *Listpack) First() int {
	if l.n == 0 {
		return -1
	}
	return 0
}

// Last is the position of the last entry, -1 when empty.
func (l *Listpack) Last() int { return l.Prev(len(l.b)) }

// End is the position just past the last entry (Insert there appends).
func (l *Listpack) End() int { return len(l.b) }

// Next is the position after p, -1 past the last entry.
func (l *Listpack) Next(p int) int {
	q := p + l.size(p)
	if q >= len(l.b) {
		return -1
	}
	return q
}

// Prev is the position before p, -1 before the first entry.
func (l *Listpack) Prev(p int) int {
	if p <= 0 {
		return -1
	}
	n, w := backlen(l.b[:p])
	return p - w - n - uvarintLen(n)
}

// Seek is the position of entry i (negative counts from the end, -1 is the
// last), -1 when out of range. It walks from the nearer end.
func (l *Listpack) Seek(i int) int {
	if i < 0 {
		i += l.n
	}
	if i < 0 || i >= l.n {
		return -1
	}
	if i <= l.n/2 {
		p := 0
		for ; i > 0; i-- {
			p += l.size(p)
		}
		return p
	}
	p := l.Last()
	for i = l.n - 1 - i; i > 0; i-- {
		p = l.Prev(p)
	}
	return p
}

// Get is the entry at p. It aliases the listpack until its next change.
func (l *Listpack) Get(p int) []byte {
	n, w := binary.Uvarint(l.b[p:])
	s := p + w
	e := s + int(n)
	return l.b[s:e:e]
}

// Find is the position of the first entry at or after p equal to v,
// comparing every (skip+1)-th entry (skip 1 looks at the fields of a
// field/value listpack), -1 when none.
func (l *Listpack) Find(p int, v []byte, skip int) int {
	b := l.b
	for p >= 0 && p < len(b) {
		n, w := uvarint(b[p:])
		s := p + w
		if n == len(v) && string(b[s:s+n]) == string(v) {
			return p
		}
		p = s + n + w
		for k := skip; k > 0 && p < len(b); k-- {
			p += l.size(p)
		}
	}
	return -1
}

// Insert puts vs before position p (End() appends) and returns the
// position of the first inserted entry.
func (l *Listpack) Insert(p int, vs ...[]byte) int {
	add := 0
	for _, v := range vs {
		add += entrySize(len(v))
	}
	if add == 0 {
		return p
	}
	old := l.open(p, 0, add, vs...)
	q := p
	for _, v := range vs {
		q = put(l.b, q, v)
	}
	bufpool.Put(old)
	l.n += len(vs)
	return p
}

// EntryBytes is the bytes an entry of n bytes takes in a listpack.
func EntryBytes(n int) int { return entrySize(n) }

// PrependAt makes v the first entry in O(1), writing it into room its
// holder keeps in front of the buffer: whole is the allocation the buffer
// is part of (len(whole) == cap(whole)), the buffer being whole[off:off+Used()],
// and off ≥ EntryBytes(len(v)). It returns the buffer's new offset in whole.
// v must not alias whole. A listpack used so must be moved back to the
// start of its allocation (its entries copied to whole's front, then Of)
// before any other change, which could otherwise recycle a buffer that
// is not an allocation's start (bufpool.Put).
func (l *Listpack) PrependAt(whole []byte, off int, v []byte) int {
	e := entrySize(len(v))
	s := off - e
	put(whole, s, v)
	l.b = whole[s : off+len(l.b)]
	l.n++
	return s
}

// DropFirst removes the first entry in O(1) by moving the buffer's start
// past it, and returns the bytes it took: its holder keeps them as room in
// front (PrependAt), under the same rule. The listpack must hold two
// entries or more: an emptied buffer would lose its place in the
// allocation (a slice of capacity 0 points at nothing).
func (l *Listpack) DropFirst() int {
	e := l.size(0)
	l.b = l.b[e:]
	l.n--
	return e
}

// DropLast removes the last entry without giving any room back (Delete
// may move the entries to a smaller buffer), for a holder that keeps room
// in front of the buffer (PrependAt). The listpack must hold two entries
// or more.
func (l *Listpack) DropLast() {
	l.b = l.b[:l.Last()]
	l.n--
}

// Append adds vs at the end.
func (l *Listpack) Append(vs ...[]byte) { l.Insert(len(l.b), vs...) }

// Prepend adds vs at the front, in order.
func (l *Listpack) Prepend(vs ...[]byte) { l.Insert(0, vs...) }

// Replace sets the entry at p to v and returns its (possibly new) position.
func (l *Listpack) Replace(p int, v []byte) int {
	old := l.size(p)
	if n, w := uvarint(l.b[p:]); n == len(v) {
		copy(l.b[p+w:], v) // copy handles v aliasing the entry itself
		return p
	}
	prev := l.open(p, old, entrySize(len(v)), v)
	put(l.b, p, v)
	bufpool.Put(prev)
	return p
}

// Delete removes n entries starting at p and returns the position of the
// entry that now follows them (-1 when none).
func (l *Listpack) Delete(p, n int) int {
	q := p
	for range n {
		q += l.size(q)
	}
	l.b = append(l.b[:p], l.b[q:]...)
	l.n -= n
	if c := cap(l.b); c > 0 && !bufpool.Sized(c) {
		// A buffer given by Move is its holder's to size and recycle.
	} else if len(l.b) == 0 {
		bufpool.Put(l.b)
		l.b = nil
	} else if cap(l.b) >= 64 && len(l.b) < cap(l.b)/2 {
		nb := bufpool.Get(len(l.b))
		copy(nb, l.b)
		bufpool.Put(l.b)
		l.b = nb
	}
	if p >= len(l.b) {
		return -1
	}
	return p
}

// Split moves the entries from position p on into a new listpack, which
// it returns; l keeps those before p.
func (l *Listpack) Split(p int) *Listpack {
	c := &Listpack{}
	if p >= len(l.b) {
		return c
	}
	c.b = bufpool.Get(len(l.b) - p)
	copy(c.b, l.b[p:])
	for q := 0; q < len(c.b); q += c.size(q) {
		c.n++
	}
	l.b = l.b[:p]
	l.n -= c.n
	switch {
	case len(l.b) == 0:
		bufpool.Put(l.b)
		l.b = nil
	case cap(l.b) >= 64 && len(l.b) < cap(l.b)/2:
		nb := bufpool.Get(len(l.b))
		copy(nb, l.b)
		bufpool.Put(l.b)
		l.b = nb
	}
	return c
}

// AppendAll appends every entry of o, which is left unchanged.
func (l *Listpack) AppendAll(o *Listpack) {
	if o.n == 0 {
		return
	}
	p := len(l.b)
	prev := l.open(p, 0, len(o.b))
	copy(l.b[p:], o.b)
	bufpool.Put(prev)
	l.n += o.n
}

// Grow makes room for n more bytes of entries, so that inserts up to that
// size do not reallocate: callers that know a buffer will keep growing
// (a quicklist node filling up to its limit) grow it geometrically instead
// of one size class at a time. Slices from Get do not survive it.
func (l *Listpack) Grow(n int) {
	if len(l.b)+n <= cap(l.b) {
		return
	}
	nb := bufpool.Get(len(l.b) + n)[:len(l.b)]
	copy(nb, l.b)
	bufpool.Put(l.b)
	l.b = nb
}

// Move copies the entries into b, an empty buffer with room for them that
// the caller allocated (a quicklist node's share of a slab), and gives the
// old buffer back to the pool. Slices from Get do not survive it. Delete
// does not shrink such a buffer (of a capacity that is no size class):
// the holder recycles it (Release).
func (l *Listpack) Move(b []byte) {
	if cap(b) < len(l.b) {
		panic("listpack: Move into a smaller buffer")
	}
	nb := b[:len(l.b)]
	copy(nb, l.b)
	bufpool.Put(l.b)
	l.b = nb
}

// Release empties the listpack and returns its buffer (length 0), for a
// holder that recycles its buffers itself.
func (l *Listpack) Release() []byte {
	b := l.b[:0]
	*l = Listpack{}
	return b
}

// Cap is the buffer's capacity in bytes.
func (l *Listpack) Cap() int { return cap(l.b) }

// Used is the bytes the entries take.
func (l *Listpack) Used() int { return len(l.b) }

// Clone is a deep copy.
func (l *Listpack) Clone() *Listpack {
	c := l.Copy()
	return &c
}

// Copy is a deep copy as a value, for types that embed a Listpack.
func (l *Listpack) Copy() Listpack {
	c := Listpack{n: l.n}
	if len(l.b) > 0 {
		c.b = bufpool.Get(len(l.b))
		copy(c.b, l.b)
	}
	return c
}

// size is the encoded size of the entry at p.
func (l *Listpack) size(p int) int {
	n, w := uvarint(l.b[p:])
	return n + 2*w
}

// open replaces the old bytes at p by room for add bytes, moving the tail.
// When the buffer must grow, or one of vs aliases it (and the move could
// overwrite it before it is copied in), a new buffer is made and the old
// one returned, intact: the caller gives it back to the pool once it has
// written vs.
//
// A new buffer is the size class of the contents (bufpool), not double
// them: a listpack stays within one size class of its bytes, as Redis's
// realloc on every insert keeps it, and the outgrown buffer goes to the
// next listpack growing through that class rather than to the garbage
// collector.
func (l *Listpack) open(p, old, add int, vs ...[]byte) (prev []byte) {
	b := l.b
	need := len(b) - old + add
	if need <= cap(b) && !aliases(b, vs) {
		l.b = b[:max(need, len(b))]
		copy(l.b[p+add:], b[p+old:])
		l.b = l.b[:need]
		return nil
	}
	want := need
	if want > bufpool.MaxPooled {
		want += want / 8 // past the size classes: amortize page-sized growth
	}
	nb := bufpool.Get(want)[:need]
	copy(nb, b[:p])
	copy(nb[p+add:], b[p+old:])
	l.b = nb
	return b
}

// aliases reports whether any of vs points into b's backing array.
func aliases(b []byte, vs [][]byte) bool {
	if cap(b) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	hi := lo + uintptr(cap(b))
	for _, v := range vs {
		if len(v) == 0 {
			continue
		}
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(v))); p >= lo && p < hi {
			return true
		}
	}
	return false
}

// put writes the entry v at q and returns the offset after it.
func put(b []byte, q int, v []byte) int {
	q += binary.PutUvarint(b[q:], uint64(len(v)))
	q += copy(b[q:], v)
	return putBacklen(b, q, len(v))
}

// putBacklen writes n at q so that it reads backwards from its last byte
// and returns the offset after it.
func putBacklen(b []byte, q, n int) int {
	w := uvarintLen(n)
	for i := q + w - 1; i >= q; i-- {
		c := byte(n & 0x7f)
		n >>= 7
		if i > q {
			c |= 0x80
		}
		b[i] = c
	}
	return q + w
}

// backlen reads the back-length ending b, returning it and its width.
func backlen(b []byte) (n, w int) {
	for i := len(b) - 1; ; i-- {
		c := b[i]
		n |= int(c&0x7f) << (7 * w)
		w++
		if c&0x80 == 0 {
			return n, w
		}
	}
}

func uvarint(b []byte) (int, int) {
	if c := b[0]; c < 0x80 {
		return int(c), 1
	}
	n, w := binary.Uvarint(b)
	return int(n), w
}

func uvarintLen(n int) int {
	w := 1
	for n >= 0x80 {
		n >>= 7
		w++
	}
	return w
}

func entrySize(n int) int { return n + 2*uvarintLen(n) }
