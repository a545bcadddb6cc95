package stream

import (
	"slices"
	"sync"
	"unsafe"

	"github.com/smallredis/smallredis/internal/lpcodec"
)

// Entry flags, as Redis's.
const (
	flagDeleted    = 1
	flagSameFields = 2
)

// node is one listpack of entries, keyed by its master ID (the first ID
// ever added to it; every entry's ID is delta-encoded against it). live
// and deleted mirror the master entry's two counters.
type node struct {
	master ID
	lp     []byte
	live   int
	dead   int
	fields int // master fields
	first  int // position of the first entry (after the master entry)
}

// Limits are stream-node-max-bytes and stream-node-max-entries.
type Limits struct {
	NodeMaxBytes   int
	NodeMaxEntries int
}

// maxListpack is Redis's STREAM_LISTPACK_MAX_SIZE.
const maxListpack = 1 << 30

// Stream is a stream value. It is not safe for concurrent use.
type Stream struct {
	nodes        []*node
	length       int
	last         ID // the top ID ever added (or set by XSETID)
	first        ID // the first live entry's, 0-0 when empty
	maxDeleted   ID
	entriesAdded int64
	groups       []*Group // sorted by name
	nodeBytes    int      // cap of every node's listpack
	groupBytes   int      // groups, consumers and pending entries
	scratch      []byte   // Add's encoding buffer (writers only)
	mods         uint64   // Version
}

// Version counts the changes (store.Versioner): a command that changed
// nothing reports no change of its key.
func (s *Stream) Version() uint64 { return s.mods }

// Touch counts a change made through the exported fields of a group,
// consumer or pending entry.
func (s *Stream) Touch() { s.mods++ }

// New is an empty stream.
func New() *Stream { return &Stream{} }

// Len is the number of live entries.
func (s *Stream) Len() int { return s.length }

// LastID is the stream's top ID.
func (s *Stream) LastID() ID { return s.last }

// FirstID is the first live entry's ID (0-0 when empty).
func (s *Stream) FirstID() ID { return s.first }

// MaxDeleted is the largest ID deleted so far.
func (s *Stream) MaxDeleted() ID { return s.maxDeleted }

// EntriesAdded counts every entry ever added.
func (s *Stream) EntriesAdded() int64 { return s.entriesAdded }

// Nodes is the number of listpack nodes (XINFO STREAM radix-tree-nodes).
func (s *Stream) Nodes() int { return len(s.nodes) }

// SetMeta sets the top ID, entries-added counter and max deleted ID
// (XSETID; loading).
func (s *Stream) SetMeta(last ID, added int64, maxDeleted ID) {
	s.last, s.entriesAdded, s.maxDeleted = last, added, maxDeleted
	s.mods++
}

const (
	structBytes = int(unsafe.Sizeof(Stream{}))
	nodeBytes   = int(unsafe.Sizeof(node{})) + 16 + 8 // the node, its key and pointer
)

// MemoryUsage is the memory the stream holds, kept up to date on each
// change.
func (s *Stream) MemoryUsage() int {
	return structBytes + s.nodeBytes + len(s.nodes)*nodeBytes + cap(s.nodes)*8 + s.groupBytes
}

// NextAutoID is the ID XADD * gives at unix ms now: ok is false when the
// top ID cannot grow.
func (s *Stream) NextAutoID(now uint64) (ID, bool) {
	if now > s.last.Ms {
		return ID{now, 0}, true
	}
	return s.last.Next()
}

// Add appends an entry with an ID greater than LastID (the caller checks)
// and fields and values alternating in fv.
func (s *Stream) Add(id ID, fv [][]byte, lim Limits) {
	s.mods++
	nf := len(fv) / 2
	var n *node
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		maxBytes := lim.NodeMaxBytes
		if maxBytes <= 0 || maxBytes > maxListpack {
			maxBytes = maxListpack
		}
		tot := 0
		for _, v := range fv {
			tot += len(v)
		}
		if len(n.lp)+tot >= maxBytes || (lim.NodeMaxEntries > 0 && n.live+n.dead >= lim.NodeMaxEntries) {
			s.shrink(n)
			n = nil
		}
	}
	flags := int64(0)
	if n == nil {
		n = s.newNode(id, fv, lim)
		flags = flagSameFields
	} else {
		n.lp, _ = replaceInt(n.lp, lpHeader, int64(n.live+1))
		if nf == n.fields && n.sameFields(fv) {
			flags = flagSameFields
		}
	}
	n.live++
	oldCap := cap(n.lp)
	enc := s.scratch[:0]
	enc = lpcodec.AppendIntElem(enc, flags)
	enc = lpcodec.AppendIntElem(enc, int64(id.Ms-n.master.Ms))
	enc = lpcodec.AppendIntElem(enc, int64(id.Seq-n.master.Seq))
	count := 3
	lpCount := int64(nf + 3)
	if flags&flagSameFields == 0 {
		enc = lpcodec.AppendIntElem(enc, int64(nf))
		count++
		lpCount += int64(nf + 1)
	}
	for i := 0; i+1 < len(fv); i += 2 {
		if flags&flagSameFields == 0 {
			enc = lpcodec.AppendElem(enc, fv[i])
			count++
		}
		enc = lpcodec.AppendElem(enc, fv[i+1])
		count++
	}
	enc = lpcodec.AppendIntElem(enc, lpCount)
	count++
	n.lp = lpAppend(n.lp, enc, count)
	s.scratch = enc[:0]
	s.nodeBytes += cap(n.lp) - oldCap
	s.length++
	s.entriesAdded++
	s.last = id
	if s.length == 1 {
		s.first = id
	}
}

func (s *Stream) newNode(id ID, fv [][]byte, lim Limits) *node {
	// Room for a node of entries like this first one (values, the four
	// integers around them) up to the entry limit, within Redis's 4096-byte
	// preallocation: a full node then needs no copy to give back what it
	// does not use, and a node of uniform entries wastes little.
	pre := 4096
	if lim.NodeMaxBytes > 0 && lim.NodeMaxBytes < pre {
		pre = lim.NodeMaxBytes
	}
	if lim.NodeMaxEntries > 0 {
		est, master := 4, 4
		for i := 0; i+1 < len(fv); i += 2 {
			est += lpcodec.ElemSize(fv[i+1])
			master += lpcodec.ElemSize(fv[i])
		}
		pre = min(pre, lpHeader+1+master+(lim.NodeMaxEntries+1)*est)
	}
	n := &node{master: id, fields: len(fv) / 2}
	lp := lpNew(pre)
	enc := s.scratch[:0]
	enc = lpcodec.AppendIntElem(enc, 0) // live: the caller counts the entry
	enc = lpcodec.AppendIntElem(enc, 0)
	enc = lpcodec.AppendIntElem(enc, int64(n.fields))
	for i := 0; i < len(fv); i += 2 {
		enc = lpcodec.AppendElem(enc, fv[i])
	}
	enc = lpcodec.AppendIntElem(enc, 0)
	lp = lpAppend(lp, enc, 4+n.fields)
	s.scratch = enc[:0]
	lp, _ = replaceInt(lp, lpHeader, 1)
	n.lp = lp
	n.first = n.masterEnd()
	s.nodes = append(s.nodes, n)
	s.nodeBytes += cap(n.lp)
	return n
}

// shrink gives a full node's spare capacity back, as Redis's
// lpShrinkToFit.
func (s *Stream) shrink(n *node) {
	if cap(n.lp)-len(n.lp) > len(n.lp)/8 {
		s.nodeBytes -= cap(n.lp) - len(n.lp)
		n.lp = slices.Clip(slices.Clone(n.lp))
	}
}

// masterEnd is the position of the first entry.
func (n *node) masterEnd() int {
	p := skip(n.lp, lpHeader) // live
	p = skip(n.lp, p)         // deleted
	nf, p := intAt(n.lp, p)
	for range nf {
		p = skip(n.lp, p)
	}
	return skip(n.lp, p) // the 0 terminator
}

func (n *node) sameFields(fv [][]byte) bool {
	p := skip(n.lp, lpHeader)
	p = skip(n.lp, p)
	p = skip(n.lp, p)
	var buf [24]byte
	for i := 0; i < len(fv); i += 2 {
		var f []byte
		f, _, _, p, _ = elemAt(n.lp, p, buf[:0])
		if string(f) != string(fv[i]) {
			return false
		}
	}
	return true
}

// setCounts writes live and dead into the master entry.
func (s *Stream) setCounts(n *node) {
	old := cap(n.lp)
	var p int
	n.lp, p = replaceInt(n.lp, lpHeader, int64(n.live))
	n.lp, _ = replaceInt(n.lp, p, int64(n.dead))
	n.first = n.masterEnd()
	s.nodeBytes += cap(n.lp) - old
}

// entry is a decoded entry header.
type entry struct {
	id    ID
	flags int64
	at    int // position of its flags
	next  int // position of the next entry
	vals  int // position of its first field (or value with SAMEFIELDS)
	nf    int
}

// entryAt decodes the entry at p.
func (n *node) entryAt(p int) entry {
	e := entry{at: p}
	var ms, seq int64
	e.flags, p = intAt(n.lp, p)
	ms, p = intAt(n.lp, p)
	seq, p = intAt(n.lp, p)
	e.id = ID{n.master.Ms + uint64(ms), n.master.Seq + uint64(seq)}
	if e.flags&flagSameFields != 0 {
		e.nf = n.fields
		e.vals = p
		for range e.nf {
			p = skip(n.lp, p)
		}
	} else {
		var nf int64
		nf, p = intAt(n.lp, p)
		e.nf = int(nf)
		e.vals = p
		for range 2 * e.nf {
			p = skip(n.lp, p)
		}
	}
	e.next = skip(n.lp, p) // lp-count
	return e
}

// entryBefore is the position of the entry that ends right before p
// (the end byte's position for the last), or -1.
func (n *node) entryBefore(p int) int {
	if p <= n.first {
		return -1
	}
	q := prev(n.lp, p) // lp-count
	cnt, _ := intAt(n.lp, q)
	for range cnt {
		q = prev(n.lp, q)
	}
	return q
}

// fields decodes e's fields and values, alternating, into b's buffers
// (valid until the next call). Readers run in parallel under a shared
// lock, so the buffers are the caller's, not the stream's.
func (b *readBuf) fields(n *node, e entry) [][]byte {
	b.fv = b.fv[:0]
	sc := b.scratch[:0]
	if need := 2 * e.nf * 21; cap(sc) < need {
		sc = make([]byte, 0, need) // integers are formatted here: no regrowth mid-entry
	}
	p := e.vals
	if e.flags&flagSameFields != 0 {
		q := skip(n.lp, skip(n.lp, skip(n.lp, lpHeader)))
		for range e.nf {
			var f, v []byte
			f, _, _, q, sc = elemAt(n.lp, q, sc)
			v, _, _, p, sc = elemAt(n.lp, p, sc)
			b.fv = append(b.fv, f, v)
		}
	} else {
		for range 2 * e.nf {
			var v []byte
			v, _, _, p, sc = elemAt(n.lp, p, sc)
			b.fv = append(b.fv, v)
		}
	}
	b.scratch = sc[:0]
	return b.fv
}

type readBuf struct {
	fv      [][]byte
	scratch []byte
}

// bufPool keeps Range's buffers between calls (readers of one stream run in
// parallel, so they cannot be the stream's).
var bufPool = sync.Pool{New: func() any { return new(readBuf) }}

// nodeFor is the index of the last node whose master ID is <= id (-1 when
// none is).
func (s *Stream) nodeFor(id ID) int {
	i, _ := slices.BinarySearchFunc(s.nodes, id, func(n *node, id ID) int {
		if c := n.master.Cmp(id); c != 0 {
			return c
		}
		return -1 // equal masters sort before id: find the one after
	})
	return i - 1
}

// Range calls fn for each live entry with start <= ID <= end, in ID order
// or reversed, until fn returns false. fv aliases the stream and is valid
// until fn returns; fn must not change the stream.
func (s *Stream) Range(start, end ID, rev bool, fn func(id ID, fv [][]byte) bool) {
	if start.Cmp(end) > 0 || s.length == 0 {
		return
	}
	b := bufPool.Get().(*readBuf)
	defer bufPool.Put(b)
	if !rev {
		i := max(s.nodeFor(start), 0)
		for ; i < len(s.nodes); i++ {
			n := s.nodes[i]
			if n.master.Cmp(end) > 0 {
				return
			}
			for p := n.first; n.lp[p] != lpEnd; {
				e := n.entryAt(p)
				p = e.next
				if e.id.Less(start) || e.flags&flagDeleted != 0 {
					continue
				}
				if e.id.Cmp(end) > 0 {
					return
				}
				if !fn(e.id, b.fields(n, e)) {
					return
				}
			}
		}
		return
	}
	for i := s.nodeFor(end); i >= 0; i-- {
		n := s.nodes[i]
		for p := n.entryBefore(len(n.lp) - 1); p >= 0; p = n.entryBefore(p) {
			e := n.entryAt(p)
			if e.id.Cmp(end) > 0 || e.flags&flagDeleted != 0 {
				continue
			}
			if e.id.Less(start) {
				return
			}
			if !fn(e.id, b.fields(n, e)) {
				return
			}
		}
	}
}

// Get calls fn with the live entry id's fields, reporting whether it exists.
func (s *Stream) Get(id ID, fn func(fv [][]byte)) bool {
	found := false
	s.Range(id, id, false, func(_ ID, fv [][]byte) bool {
		found = true
		if fn != nil {
			fn(fv)
		}
		return false
	})
	return found
}

// Edge is the first (or with last, the last) live entry's ID; ok is false
// when the stream is empty.
func (s *Stream) Edge(last bool) (id ID, ok bool) {
	s.Range(ID{}, Max, last, func(i ID, _ [][]byte) bool {
		id, ok = i, true
		return false
	})
	return id, ok
}

// Delete removes the live entry id, reporting whether there was one.
func (s *Stream) Delete(id ID) bool {
	i := s.nodeFor(id)
	if i < 0 {
		return false
	}
	n := s.nodes[i]
	for p := n.first; n.lp[p] != lpEnd; {
		e := n.entryAt(p)
		p = e.next
		if e.id.Cmp(id) < 0 {
			continue
		}
		if e.id != id || e.flags&flagDeleted != 0 {
			return false
		}
		n.lp[e.at] = byte(e.flags | flagDeleted) // a small integer: one byte, in place
		s.mods++
		s.markDeleted(i, n, 1)
		s.length--
		if id.Cmp(s.maxDeleted) > 0 {
			s.maxDeleted = id
		}
		if s.length == 0 {
			s.first = ID{}
		} else if id == s.first {
			s.first, _ = s.Edge(false)
		}
		return true
	}
	return false
}

// markDeleted counts k entries of node i as deleted, dropping the node
// when none is left.
func (s *Stream) markDeleted(i int, n *node, k int) {
	n.live -= k
	n.dead += k
	if n.live == 0 {
		s.dropNode(i)
		return
	}
	s.setCounts(n)
}

func (s *Stream) dropNode(i int) {
	s.nodeBytes -= cap(s.nodes[i].lp)
	s.nodes = slices.Delete(s.nodes, i, i+1)
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// TrimArgs is XADD/XTRIM's trimming.
type TrimArgs struct {
	Strategy int
	MaxLen   int64
	MinID    ID
	Approx   bool
	Limit    int64 // 0: no limit
}

// Trim removes entries from the head as Redis's streamTrim: whole nodes
// first, and, unless Approx, entries inside the first node left; at most
// Limit entries when it is set. It returns how many it removed.
func (s *Stream) Trim(a TrimArgs) int64 {
	if a.Strategy == TrimNone {
		return 0
	}
	var deleted int64
	for len(s.nodes) > 0 {
		if a.Strategy == TrimMaxLen && int64(s.length) <= a.MaxLen {
			break
		}
		n := s.nodes[0]
		entries := int64(n.live)
		if a.Limit > 0 && deleted+entries > a.Limit {
			break
		}
		var remove bool
		if a.Strategy == TrimMaxLen {
			remove = int64(s.length)-entries >= a.MaxLen
		} else {
			p := n.entryBefore(len(n.lp) - 1)
			remove = n.entryAt(p).id.Less(a.MinID)
		}
		if remove {
			s.dropNode(0)
			s.length -= int(entries)
			deleted += entries
			continue
		}
		if a.Approx {
			break
		}
		k := 0
		for p := n.first; n.lp[p] != lpEnd; {
			e := n.entryAt(p)
			p = e.next
			if a.Strategy == TrimMaxLen {
				if int64(s.length) <= a.MaxLen {
					break
				}
			} else if !e.id.Less(a.MinID) {
				break
			}
			if e.flags&flagDeleted == 0 {
				n.lp[e.at] = byte(e.flags | flagDeleted)
				k++
				s.length--
			}
		}
		deleted += int64(k)
		if k > 0 {
			s.markDeleted(0, n, k)
		}
		break
	}
	if deleted > 0 {
		s.mods++
	}
	if s.length == 0 {
		s.first = ID{}
	} else if deleted > 0 {
		s.first, _ = s.Edge(false)
	}
	return deleted
}

// Clone is a deep copy.
func (s *Stream) Clone() any {
	c := &Stream{length: s.length, last: s.last, first: s.first, maxDeleted: s.maxDeleted,
		entriesAdded: s.entriesAdded, nodeBytes: s.nodeBytes}
	c.nodes = make([]*node, len(s.nodes))
	for i, n := range s.nodes {
		nn := *n
		nn.lp = slices.Clip(append(make([]byte, 0, cap(n.lp)), n.lp...))
		c.nodes[i] = &nn
	}
	for _, g := range s.groups {
		c.groups = append(c.groups, g.clone(c))
	}
	c.groupBytes = s.groupBytes
	return c
}

// EachNode calls fn with each node's master ID and listpack bytes (for
// RDB and DUMP; the bytes must not be kept or changed).
func (s *Stream) EachNode(fn func(master ID, lp []byte)) {
	for _, n := range s.nodes {
		fn(n.master, n.lp)
	}
}

// AddNode appends a node loaded from an RDB payload, after Validate. Its
// master ID must be above every earlier node's entries. It reports false
// for a listpack that is not a well-formed stream node.
func (s *Stream) AddNode(master ID, lp []byte) bool {
	if !ValidNode(master, lp) {
		return false
	}
	n := &node{master: master, lp: slices.Clip(slices.Clone(lp))}
	live, p := intAt(n.lp, lpHeader)
	dead, p := intAt(n.lp, p)
	nf, _ := intAt(n.lp, p)
	n.live, n.dead, n.fields = int(live), int(dead), int(nf)
	n.first = n.masterEnd()
	if len(s.nodes) > 0 {
		prevN := s.nodes[len(s.nodes)-1]
		if !prevN.lastID().Less(master) {
			return false
		}
	}
	if n.live == 0 {
		return true // Redis never saves one; skip it
	}
	s.nodes = append(s.nodes, n)
	s.nodeBytes += cap(n.lp)
	s.length += n.live
	return true
}

// SetLoaded finishes a stream built with AddNode: first ID from the nodes.
func (s *Stream) SetLoaded() {
	s.first, _ = s.Edge(false)
}

func (n *node) lastID() ID {
	return n.entryAt(n.entryBefore(len(n.lp) - 1)).id
}
