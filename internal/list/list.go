// Package list is the Redis list value: a sequence of byte strings with
// O(1) pushes and pops at both ends, in Redis 7.2's two encodings. A small
// list is one listpack (encoding "listpack"); past list-max-listpack-size
// it becomes a quicklist, a sequence of listpack nodes each within that
// limit (8 KB by default, or a number of entries when positive), and turns
// back into a listpack when it shrinks to one node of half the limit, as
// Redis's listTypeTryConversion does. Node limits are decided on the sizes
// Redis's own listpack would have (see entrySize), so conversions, splits
// and merges happen where Redis's do. list-compress-depth is accepted but
// nodes are never compressed.
//
// It knows nothing of RESP, commands, configuration or the store: callers
// pass the limits (Limits) to every operation that may grow or shrink a
// list, and the store sees it through MemoryUsage, Clone and Encoding.
//
// A List is not safe for concurrent use; the store's shard lock guards it.
package list

import (
	"bytes"
	"unsafe"

	"github.com/smallredis/smallredis/internal/bufpool"
	"github.com/smallredis/smallredis/internal/listpack"
)

// Where is one end of a list.
type Where uint8

const (
	Head Where = iota // left: LPUSH, LPOP
	Tail              // right: RPUSH, RPOP
)

// List is a list value. The zero value is not usable; call New.
type List struct {
	nodes  deque
	count  int
	packed bool // the listpack encoding: exactly one node
	mem    int  // node structs and buffers, kept current for MemoryUsage
	mods   uint64
	slab   *slab // full-size node buffers not handed out yet; nil until needed
}

// slab is the rest of one allocation cut into node buffers. The runtime
// keeps a span (and ~180 bytes of metadata) per 8 KB allocation, so a
// quicklist node's 8 KB buffer alone would pay it for every node; cut from
// one allocation of several, they pay it once. The garbage collector frees
// a slab once none of its buffers is referenced, so a deleted list's
// buffers go with it; a slab belongs to one list, so no other list's nodes
// keep it alive.
type slab struct {
	free  []byte   // len 0; the unallocated rest, cap a multiple of chunk
	size  int      // the node size the chunks are for (Limits.nodeBytes)
	spare [][]byte // buffers of removed nodes, handed out again first
}

const (
	// maxSlabChunks bounds a slab: 8 buffers of 8 KB are one 64 KB span.
	maxSlabChunks = 8
	// maxSpare bounds the removed nodes' buffers kept for new ones: a
	// queue (push at one end, pop at the other) needs one at a time, and
	// each kept buffer keeps its slab alive.
	maxSpare = 2
)

// chunkBytes is a slab buffer for nodes of size bytes: 8 bytes under it,
// which a node's entries never reach (a listpack header and end byte,
// lpOverhead, count against size and our listpack has neither) and which
// is not an allocator size class, so bufpool refuses a buffer that was
// outgrown rather than pool a piece of the slab for another collection.
func chunkBytes(size int) int { return size - 8 }

// slabbed reports whether nodes of size bytes take their buffers from a
// slab: the page-multiple sizes of the byte limits, each a span of its own
// or shared by two.
func slabbed(size int) bool { return size >= 4096 && size%4096 == 0 }

// nodeBuffer is an empty buffer for a full node of size bytes, from the
// list's slab. A new slab holds a buffer for about a quarter of the nodes
// the list has, at most maxSlabChunks: a short quicklist does not pay for
// buffers it will never fill.
func (l *List) nodeBuffer(size int) []byte {
	c := chunkBytes(size)
	if s := l.slab; s != nil && s.size == size && len(s.spare) > 0 {
		b := s.spare[len(s.spare)-1]
		s.spare[len(s.spare)-1] = nil
		s.spare = s.spare[:len(s.spare)-1]
		return b
	}
	if l.slab == nil || l.slab.size != size || cap(l.slab.free) < c {
		k := min(maxSlabChunks, max(1, l.nodes.n/4))
		if l.slab == nil {
			l.slab = &slab{}
		}
		*l.slab = slab{free: make([]byte, 0, k*c), size: size}
	}
	b := l.slab.free[:0:c]
	l.slab.free = l.slab.free[c:c:cap(l.slab.free)]
	return b
}

// Version changes whenever the elements do (store.Versioner), so a write
// command that changed nothing (LREM of a missing element, LINSERT with
// no pivot) reports no change to WATCH, tracking and the dirty counter,
// as in Redis. Encoding conversions alone do not move it.
func (l *List) Version() uint64 { return l.mods }

// Touch counts a change although the elements are the same: LTRIM that
// keeps everything, which Redis still signals as a modification.
func (l *List) Touch() { l.mods++ }

// node is one listpack of a quicklist (the only one of a packed list).
//
// A node at the head may keep free room in front of its entries (gap), so
// that pushes and pops at the head move nothing: Redis's listpack, like a
// plain one, moves all of a node's entries (up to 8 KB) on every LPUSH and
// LPOP. Only pushFront, popFront, pushBack and popBack use the room; every
// other change first moves the entries back to the buffer's start (flat,
// through lpw), where the listpack's own methods expect them.
type node struct {
	lp    listpack.Listpack
	rb    int   // the bytes Redis's listpack of these entries would take
	gap   int32 // free bytes before lp's buffer, in the same allocation
	plain bool  // holds one element too large for any node, as Redis's plain nodes
}

// capacity is the node buffer's whole size, room in front included.
func (n *node) capacity() int { return int(n.gap) + n.lp.Cap() }

// whole is the node's whole buffer (length = capacity), lp's entries at
// offset gap. A node with a gap is never empty (popFront keeps an entry),
// so lp's buffer then points into the allocation.
func (n *node) whole() []byte {
	b, _ := n.lp.Parts()
	base := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), -int(n.gap))
	return unsafe.Slice((*byte)(base), n.capacity())
}

// flat moves the entries back to the buffer's start.
func (n *node) flat() {
	if n.gap == 0 {
		return
	}
	b, c := n.lp.Parts()
	w := n.whole()
	n.lp = listpack.Of(w[:copy(w, b)], c)
	n.gap = 0
}

// own is v, copied when it points into n's buffer: making room in front
// (pushFront), moving the entries back (flat) or writing into the room
// would change v under the listpack, whose own aliasing guard knows only the
// buffer's current extent. Commands pass request arguments or copies, so
// in practice this copies nothing; it keeps Push, Set and Insert correct
// for a v read from the list itself (Peek, Index) as before the room.
// Only the first node has room (insertNode puts a new first node's
// predecessor back in order), so the public mutators check that one.
func (n *node) own(v []byte) []byte {
	if len(v) == 0 || n.lp.Len() == 0 {
		return v
	}
	w := n.whole()
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(w)))
	if p := uintptr(unsafe.Pointer(unsafe.SliceData(v))); p >= lo && p < lo+uintptr(len(w)) {
		return bytes.Clone(v)
	}
	return v
}

// ownFirst is own on the first node, the only one that may keep room.
func (l *List) ownFirst(v []byte) []byte {
	if l.nodes.n == 0 {
		return v
	}
	return l.nodes.at(0).own(v)
}

// lpw is the node's listpack for a change other than pushFront/popFront.
// Positions read before it stay valid (they are offsets from the first
// entry); slices from Get do not.
func (n *node) lpw() *listpack.Listpack {
	n.flat()
	return &n.lp
}

// pushFront is insertAt(n, 0, v) for a push at the list's head: into the
// room in front of the entries when there is enough, else after moving the
// entries to the buffer's end so the next pushes find room.
func (l *List) pushFront(n *node, v []byte, lim Limits) {
	add := listpack.EntryBytes(len(v))
	if int(n.gap) < add {
		if n.lp.Len() == 0 || n.capacity()-n.lp.Used() < add {
			l.insertAt(n, 0, v, lim)
			return
		}
		// Entries to the buffer's end: one move for the pushes that fill it.
		w := n.whole()
		b, c := n.lp.Parts()
		off := len(w) - len(b)
		copy(w[off:], b)
		n.lp = listpack.Of(w[off:], c)
		n.gap = int32(off)
	}
	n.gap = int32(n.lp.PrependAt(n.whole(), int(n.gap), v))
	n.rb += entrySize(v)
}

// pushBack is insertAt(n, End, v) for a push at the list's tail: a node
// with room in front takes v without moving its entries while its buffer
// has room behind them too (a queue: LPUSH, RPOP on one node).
func (l *List) pushBack(n *node, v []byte, lim Limits) {
	if n.gap > 0 && n.lp.Cap()-n.lp.Used() >= listpack.EntryBytes(len(v)) {
		n.lp.Append(v) // fits: the listpack does not reallocate
		n.rb += entrySize(v)
		return
	}
	l.insertAt(n, n.lp.End(), v, lim)
}

// keepsRoom reports whether n may keep the room a pop at one end frees
// when used bytes remain: a slab's buffer is never shrunk anyway, a pooled
// one only while it stays at least half full (as Delete would shrink it).
func keepsRoom(n *node, used int) bool {
	return !bufpool.Sized(n.capacity()) || used >= n.capacity()/2
}

// popFront removes the first entry of n by moving the buffer's start past
// it, when another entry stays and n may keep the room; it reports whether
// it did.
func (l *List) popFront(n *node) bool {
	if n.lp.Len() < 2 || !keepsRoom(n, n.lp.Used()-n.lp.Next(0)) {
		return false
	}
	n.rb -= entrySize(n.lp.Get(0))
	n.gap += int32(n.lp.DropFirst())
	l.count--
	return true
}

// popBack removes the last entry of a node with room in front without
// moving its entries, under popFront's conditions; it reports whether it
// did. (Without room in front, Delete at the end moves nothing either.)
func (l *List) popBack(n *node) bool {
	if n.gap == 0 || n.lp.Len() < 2 {
		return false
	}
	last := n.lp.Last()
	if !keepsRoom(n, last) {
		return false
	}
	n.rb -= entrySize(n.lp.Get(last))
	n.lp.DropLast()
	l.count--
	return true
}

const (
	listBytes = int(unsafe.Sizeof(List{})) + 16 // plus Redis's robj-like header
	nodeBytes = int(unsafe.Sizeof(node{}))
	slabBytes = int(unsafe.Sizeof(slab{}))
	ptrBytes  = int(unsafe.Sizeof((*node)(nil)))
)

func newNode() *node { return &node{rb: lpOverhead} }

// New returns an empty list in the listpack encoding.
func New() *List {
	l := &List{packed: true}
	l.insertNode(0, newNode())
	return l
}

// NewQuicklist returns an empty list in the quicklist encoding (SORT …
// STORE builds its result so, then calls Convert).
func NewQuicklist() *List { return &List{} }

// Len is the number of elements.
func (l *List) Len() int { return l.count }

// NodeCount is the number of quicklist nodes (1 for a listpack), in O(1).
func (l *List) NodeCount() int {
	if l.packed {
		return 1
	}
	return l.nodes.n
}

// Encoding is Redis's OBJECT ENCODING name.
func (l *List) Encoding() string {
	if l.packed {
		return "listpack"
	}
	return "quicklist"
}

// MemoryUsage is the memory the list holds, in O(1) (store.Sizer).
func (l *List) MemoryUsage() int {
	n := listBytes + l.mem + cap(l.nodes.buf)*ptrBytes
	if s := l.slab; s != nil {
		n += slabBytes + cap(s.free) + cap(s.spare)*ptrBytes*3 + len(s.spare)*chunkBytes(s.size)
	}
	return n
}

// Clone is a deep copy in the same encoding (store.Cloner, for COPY).
func (l *List) Clone() any {
	c := &List{count: l.count, packed: l.packed}
	c.nodes.buf = make([]*node, l.nodes.n)
	c.nodes.n = l.nodes.n
	for i := range l.nodes.n {
		n := l.nodes.at(i)
		c.nodes.buf[i] = &node{lp: *n.lp.Clone(), rb: n.rb, plain: n.plain}
	}
	for i := range c.nodes.n {
		c.mem += nodeBytes + c.nodes.at(i).capacity()
	}
	return c
}

// Prepare converts a listpack list to a quicklist when adding vs would take
// it past the limits: Redis's listTypeTryConversionAppend, run before a
// push, LINSERT or LSET writes anything.
func (l *List) Prepare(lim Limits, vs ...[]byte) {
	if !l.packed {
		return
	}
	add := 0
	for _, v := range vs {
		add += len(v)
	}
	n := l.nodes.at(0)
	if !lim.exceeds(n.rb+add, n.lp.Len()+len(vs)) {
		return
	}
	l.packed = false
	if n.lp.Len() == 0 {
		l.removeNode(0)
	}
}

// Convert turns a quicklist of one small node back into a listpack:
// Redis's listTypeTryConvertQuicklist. Shrinking (after a removal) asks for
// half the limit, so a list near the threshold does not flip back and
// forth; SORT … STORE converts at the limit itself.
func (l *List) Convert(lim Limits, shrinking bool) {
	if l.packed {
		return
	}
	if l.nodes.n == 0 {
		// Only a fresh quicklist is empty: make it the one-node shape.
		l.packed = true
		l.insertNode(0, newNode())
		return
	}
	if l.nodes.n != 1 || l.nodes.at(0).plain {
		return
	}
	size, count := lim.nodeLimit()
	if shrinking {
		size, count = size/2, count/2
	}
	n := l.nodes.at(0)
	if n.rb > size || l.count > count {
		return
	}
	l.packed = true
	if l.slab != nil {
		// A listpack is one small buffer of its own: it must not keep a
		// slab (the other nodes' buffers) alive.
		l.slab = nil
		before := n.capacity()
		n.lpw().Move(bufpool.Get(n.lp.Used())[:0])
		l.mem += n.capacity() - before
	}
}

// Push adds v at one end. Call Prepare with all the elements of the command
// first.
func (l *List) Push(v []byte, where Where, lim Limits) {
	v = l.ownFirst(v)
	l.mods++
	l.count++
	if l.packed {
		if n := l.nodes.at(0); where == Head {
			l.pushFront(n, v, lim)
		} else {
			l.pushBack(n, v, lim)
		}
		return
	}
	i := 0
	if where == Tail {
		i = l.nodes.n
	}
	if lim.large(len(v)) {
		l.insertNewNode(i, v, true, lim)
		return
	}
	if l.nodes.n > 0 {
		j := 0
		if where == Tail {
			j = l.nodes.n - 1
		}
		if n := l.nodes.at(j); l.allowInsert(n, len(v), lim) {
			if where == Head {
				l.pushFront(n, v, lim)
			} else {
				l.pushBack(n, v, lim)
			}
			return
		}
	}
	// A new end node will most likely fill up with more pushes: give it
	// its final size at once, so a growing list leaves no garbage behind.
	n := newNode()
	l.insertNode(i, n)
	before := n.capacity()
	if size := l.fullNodeBytes(v, lim); slabbed(size) && lim.Fill < 0 {
		n.lpw().Move(l.nodeBuffer(size))
	} else {
		n.lpw().Grow(size)
	}
	l.mem += n.capacity() - before
	l.insertAt(n, 0, v, lim)
}

// fullNodeBytes estimates the buffer of a full node of elements like v.
func (l *List) fullNodeBytes(v []byte, lim Limits) int {
	size := lim.nodeBytes()
	if lim.Fill > 0 {
		size = min(size, lim.Fill*listpack.EntryBytes(len(v)))
	}
	return size
}

// allowInsert is _quicklistNodeAllowInsert.
func (l *List) allowInsert(n *node, sz int, lim Limits) bool {
	return n != nil && !n.plain && !lim.large(sz) && !lim.exceeds(n.rb+sz+estimateExtra, n.lp.Len()+1)
}

// insertAt puts v at listpack position p of n, growing a quicklist node's
// buffer geometrically (up to the node limit) so filling a node costs a few
// allocations rather than one per size class.
func (l *List) insertAt(n *node, p int, v []byte, lim Limits) {
	before := n.capacity()
	if !l.packed {
		add := listpack.EntryBytes(len(v))
		if n.lp.Used()+add > before {
			grow := max(add, min(max(before, 64), lim.nodeBytes()-n.lp.Used()))
			n.lpw().Grow(grow)
		}
	}
	n.lpw().Insert(p, v)
	n.rb += entrySize(v)
	l.mem += n.capacity() - before
}

// insertNewNode makes a node holding v at node index i.
func (l *List) insertNewNode(i int, v []byte, plain bool, lim Limits) {
	n := newNode()
	n.plain = plain
	l.insertNode(i, n)
	l.insertAt(n, 0, v, lim)
}

func (l *List) insertNode(i int, n *node) {
	if i == 0 && l.nodes.n > 0 {
		l.nodes.at(0).flat() // only the first node keeps room in front
	}
	l.nodes.insert(i, n)
	l.mem += nodeBytes + n.capacity()
}

func (l *List) removeNode(i int) {
	n := l.nodes.at(i)
	l.mem -= nodeBytes + n.capacity()
	l.nodes.remove(i)
	if s := l.slab; s != nil && n.capacity() == chunkBytes(s.size) && len(s.spare) < maxSpare {
		s.spare = append(s.spare, n.lpw().Release())
	}
}

// Peek is the element at one end; the list must not be empty. It aliases
// the list until its next change.
func (l *List) Peek(where Where) []byte {
	if where == Head {
		n := l.nodes.at(0)
		return n.lp.Get(n.lp.First())
	}
	n := l.nodes.at(l.nodes.n - 1)
	return n.lp.Get(n.lp.Last())
}

// Pop removes the element at one end (read it first with Peek); the list
// must not be empty. Call Convert(lim, true) once the command is done
// removing.
func (l *List) Pop(where Where) {
	l.mods++
	if where == Head && l.popFront(l.nodes.at(0)) ||
		where == Tail && l.popBack(l.nodes.at(l.nodes.n-1)) {
		return
	}
	i := 0
	if where == Tail {
		i = l.nodes.n - 1
	}
	n := l.nodes.at(i)
	p := n.lp.First()
	if where == Tail {
		p = n.lp.Last()
	}
	l.deleteAt(i, n, p, 1)
}

// deleteAt removes k entries of node i from position p on, dropping the
// node when it empties (but never the one node of a packed list), and
// returns the position that follows them (-1 at the node's end).
func (l *List) deleteAt(i int, n *node, p, k int) int {
	before := n.capacity()
	q := p
	for range k {
		n.rb -= entrySize(n.lp.Get(q))
		q = n.lp.Next(q)
	}
	next := n.lpw().Delete(p, k)
	l.count -= k
	l.mem += n.capacity() - before
	if n.lp.Len() == 0 && !l.packed {
		l.removeNode(i)
		return -1
	}
	return next
}

// locate finds element i (0 ≤ i < Len) as node index and position, walking
// whole nodes from the nearer end.
func (l *List) locate(i int) (ni, p int) {
	if i < l.count/2 {
		for ni = 0; ; ni++ {
			c := l.nodes.at(ni).lp.Len()
			if i < c {
				return ni, l.nodes.at(ni).lp.Seek(i)
			}
			i -= c
		}
	}
	i = l.count - 1 - i // from the tail
	for ni = l.nodes.n - 1; ; ni-- {
		c := l.nodes.at(ni).lp.Len()
		if i < c {
			return ni, l.nodes.at(ni).lp.Seek(c - 1 - i)
		}
		i -= c
	}
}

// norm turns a possibly negative index into 0…Len-1, or -1 when out of
// range.
func (l *List) norm(i int) int {
	if i < 0 {
		i += l.count
	}
	if i < 0 || i >= l.count {
		return -1
	}
	return i
}

// Index is element i (negative counts from the tail: -1 is the last). It
// aliases the list until its next change.
func (l *List) Index(i int) ([]byte, bool) {
	if i = l.norm(i); i < 0 {
		return nil, false
	}
	ni, p := l.locate(i)
	return l.nodes.at(ni).lp.Get(p), true
}

// Set replaces element i (negative from the tail) by v and reports whether
// i was in range. Call Prepare(lim, v) first; Set converts back to a
// listpack itself when the list shrank.
func (l *List) Set(i int, v []byte, lim Limits) bool {
	if i = l.norm(i); i < 0 {
		return false
	}
	v = l.ownFirst(v)
	l.mods++
	ni, p := l.locate(i)
	n := l.nodes.at(ni)
	old := entrySize(n.lp.Get(p))
	if l.packed || !n.plain && !lim.large(len(v)) && !lim.exceeds(n.rb-old+len(v)+estimateExtra, n.lp.Len()) {
		before := n.capacity()
		n.lpw().Replace(p, v)
		n.rb += entrySize(v) - old
		l.mem += n.capacity() - before
		l.Convert(lim, true)
		return true
	}
	// The node would overflow (or v is large): v gets a node of its own
	// between the elements before and after it, then merges if it can,
	// as quicklistReplaceEntry.
	if n.plain {
		var next *node
		if ni+1 < l.nodes.n {
			next = l.nodes.at(ni + 1)
		}
		switch {
		case lim.large(len(v)):
			before := n.capacity()
			n.lpw().Replace(p, v)
			n.rb += entrySize(v) - old
			l.mem += n.capacity() - before
		case l.allowInsert(next, len(v), lim):
			l.insertAt(next, 0, v, lim)
			l.removeNode(ni)
		default:
			l.insertNewNode(ni+1, v, false, lim)
			l.removeNode(ni)
		}
		l.Convert(lim, true)
		return true
	}
	if next := n.lp.Next(p); next >= 0 {
		l.splitAt(ni, next)
	}
	l.insertNewNode(ni+1, v, lim.large(len(v)), lim)
	l.count++
	if n.lp.Len() == 1 {
		l.count--
		l.removeNode(ni)
	} else {
		l.deleteAt(ni, n, n.lp.Last(), 1)
		l.mergeAround(ni+1, lim)
	}
	l.Convert(lim, true)
	return true
}

// splitAt moves the entries of node ni from position p on into a new node
// right after it (_quicklistSplitNode).
func (l *List) splitAt(ni, p int) {
	n := l.nodes.at(ni)
	before := n.capacity()
	rest := n.lpw().Split(p)
	m := &node{lp: *rest, rb: lpOverhead}
	for q := m.lp.First(); q >= 0; q = m.lp.Next(q) {
		m.rb += entrySize(m.lp.Get(q))
	}
	n.rb -= m.rb - lpOverhead
	l.mem += n.capacity() - before
	l.insertNode(ni+1, m)
}

// allowMerge is _quicklistNodeAllowMerge.
func allowMerge(a, b *node, lim Limits) bool {
	return !a.plain && !b.plain && !lim.exceeds(a.rb+b.rb-lpOverhead, a.lp.Len()+b.lp.Len())
}

// merge appends node i+1 to node i.
func (l *List) merge(i int) {
	a, b := l.nodes.at(i), l.nodes.at(i+1)
	before := a.capacity()
	a.lpw().AppendAll(&b.lp)
	a.rb += b.rb - lpOverhead
	l.mem += a.capacity() - before
	l.removeNode(i + 1)
}

// mergeAround is _quicklistMergeNodes around node c: the two nodes before
// it, the two after it, then c with its neighbours.
func (l *List) mergeAround(c int, lim Limits) {
	ok := func(i int) bool {
		return i >= 0 && i+1 < l.nodes.n && allowMerge(l.nodes.at(i), l.nodes.at(i+1), lim)
	}
	if ok(c - 2) {
		l.merge(c - 2)
		c--
	}
	if ok(c + 1) {
		l.merge(c + 1)
	}
	if ok(c - 1) {
		l.merge(c - 1)
		c--
	}
	if ok(c) {
		l.merge(c)
	}
}

// Insert puts v before (or after) the first element equal to pivot and
// reports whether pivot was found (LINSERT). Call Prepare(lim, v) first.
func (l *List) Insert(pivot, v []byte, after bool, lim Limits) bool {
	v = l.ownFirst(v)
	ni, p := -1, -1
	for i := range l.nodes.n {
		lp := &l.nodes.at(i).lp
		if q := lp.First(); q >= 0 {
			if q = lp.Find(q, pivot, 0); q >= 0 {
				ni, p = i, q
				break
			}
		}
	}
	if ni < 0 {
		return false
	}
	l.mods++
	l.count++
	n := l.nodes.at(ni)
	if l.packed {
		if after {
			p = n.lp.Next(p)
			if p < 0 {
				p = n.lp.End()
			}
		}
		l.insertAt(n, p, v, lim)
		return true
	}
	atHead, atTail := p == n.lp.First(), p == n.lp.Last()
	if lim.large(len(v)) {
		if n.plain || atTail && after || atHead && !after {
			l.insertNewNode(ni+boolInt(after), v, true, lim)
			return true
		}
		if after {
			l.splitAt(ni, n.lp.Next(p))
		} else {
			l.splitAt(ni, p)
		}
		l.insertNewNode(ni+1, v, true, lim)
		return true
	}
	if l.allowInsert(n, len(v), lim) {
		if after {
			if p = n.lp.Next(p); p < 0 {
				p = n.lp.End()
			}
		}
		l.insertAt(n, p, v, lim)
		return true
	}
	var next, prev *node
	if ni+1 < l.nodes.n {
		next = l.nodes.at(ni + 1)
	}
	if ni > 0 {
		prev = l.nodes.at(ni - 1)
	}
	switch {
	case atTail && after && l.allowInsert(next, len(v), lim):
		l.insertAt(next, 0, v, lim)
	case atHead && !after && l.allowInsert(prev, len(v), lim):
		l.insertAt(prev, prev.lp.End(), v, lim)
	case atTail && after:
		l.insertNewNode(ni+1, v, false, lim)
	case atHead && !after:
		l.insertNewNode(ni, v, false, lim)
	default:
		// Split the full node at the pivot, add v to the new half, and
		// merge what can be merged.
		if after {
			l.splitAt(ni, n.lp.Next(p))
			m := l.nodes.at(ni + 1)
			l.insertAt(m, 0, v, lim)
		} else {
			l.splitAt(ni, p)
			// Redis's new node is the first half: move the pivot's half
			// after it instead of copying, same shape.
			l.insertAt(n, n.lp.End(), v, lim)
			ni++
		}
		l.mergeAround(ni, lim)
	}
	return true
}

// Remove deletes up to count elements equal to v, from the head when
// count > 0, from the tail when count < 0, all when 0 (LREM), and returns
// how many went. Call Convert(lim, true) afterwards.
func (l *List) Remove(v []byte, count int) (removed int) {
	defer func() {
		if removed > 0 {
			l.mods++
		}
	}()
	if count >= 0 {
		for i := 0; i < l.nodes.n && (count == 0 || removed < count); {
			n := l.nodes.at(i)
			gone := false
			for p := n.lp.First(); p >= 0 && (count == 0 || removed < count); {
				if p = n.lp.Find(p, v, 0); p < 0 {
					break
				}
				nodes := l.nodes.n
				p = l.deleteAt(i, n, p, 1)
				removed++
				if gone = l.nodes.n < nodes; gone {
					break
				}
			}
			if !gone {
				i++
			}
		}
		return removed
	}
	for i := l.nodes.n - 1; i >= 0 && removed < -count; i-- {
		n := l.nodes.at(i)
		for p := n.lp.Last(); p >= 0 && removed < -count; {
			prev := n.lp.Prev(p)
			if bytes.Equal(n.lp.Get(p), v) {
				nodes := l.nodes.n
				l.deleteAt(i, n, p, 1)
				removed++
				if l.nodes.n < nodes {
					break
				}
			}
			p = prev
		}
	}
	return removed
}

// Trim keeps elements start…stop (inclusive, already within 0…Len-1, start
// ≤ stop) and deletes the rest (LTRIM). Call Convert(lim, true)
// afterwards.
func (l *List) Trim(start, stop int) {
	l.DeleteRange(stop+1, l.count-stop-1)
	l.DeleteRange(0, start)
}

// DeleteRange removes k elements from index start on (quicklistDelRange).
func (l *List) DeleteRange(start, k int) {
	if k <= 0 || start >= l.count {
		return
	}
	l.mods++
	ni, p := l.locate(start)
	for k > 0 {
		n := l.nodes.at(ni)
		// Entries left in this node from p on.
		left := 0
		for q := p; q >= 0; q = n.lp.Next(q) {
			left++
			if left == k {
				break
			}
		}
		take := min(left, k)
		nodes := l.nodes.n
		l.deleteAt(ni, n, p, take)
		k -= take
		if l.nodes.n == nodes {
			ni++
		}
		if k > 0 {
			p = l.nodes.at(ni).lp.First()
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Nodes reports the node count and the bytes Redis's listpacks of those
// nodes would take (DEBUG OBJECT's ql_nodes and ql_uncompressed_size).
func (l *List) Nodes() (n, bytes int) {
	for i := 0; i < l.nodes.n; i++ {
		bytes += l.nodes.at(i).rb
	}
	return l.nodes.n, bytes
}

// Shape calls fn for each node from the head: its element count, whether
// it is a plain node, and the bytes Redis's listpack of its elements takes
// (DUMP writes the nodes as Redis's quicklist does; the elements come from
// an Iter).
func (l *List) Shape(fn func(count int, plain bool, bytes int)) {
	for i := 0; i < l.nodes.n; i++ {
		n := l.nodes.at(i)
		fn(n.lp.Len(), n.plain, n.rb)
	}
}
