package stream

// What DUMP, RESTORE, the RDB file and DEBUG DIGEST need beyond the
// commands' API (package rdb writes and reads the payload itself).

// Encoding is OBJECT ENCODING's name for a stream.
func (s *Stream) Encoding() string { return "stream" }

// SetFirst sets the recorded first-entry ID as a payload carries it: Redis
// keeps the saved one (and a load of the older RDB_TYPE_STREAM_LISTPACKS
// leaves an empty stream's at Max), so DUMP writes back what was loaded.
func (s *Stream) SetFirst(id ID) { s.first = id }

// Walk calls fn for each live entry in ID order until fn returns false.
// Unlike Range it writes nothing in s (its buffers are its own), so
// readers sharing a read lock (DUMP, DEBUG DIGEST) may walk at once. fv is
// valid until fn returns.
func (s *Stream) Walk(fn func(id ID, fv [][]byte) bool) {
	var fv [][]byte
	var sc []byte
	for _, n := range s.nodes {
		for p := n.first; n.lp[p] != lpEnd; {
			e := n.entryAt(p)
			p = e.next
			if e.flags&flagDeleted != 0 {
				continue
			}
			fv, sc = n.appendFields(e, fv[:0], sc[:0])
			if !fn(e.id, fv) {
				return
			}
		}
	}
}

// appendFields decodes e's fields and values, alternating, into fv, the
// integers formatted into sc (grown up front: slices into it stay valid).
func (n *node) appendFields(e entry, fv [][]byte, sc []byte) ([][]byte, []byte) {
	if need := 2 * e.nf * 21; cap(sc) < need {
		sc = make([]byte, 0, need)
	}
	p := e.vals
	if e.flags&flagSameFields != 0 {
		q := skip(n.lp, skip(n.lp, skip(n.lp, lpHeader)))
		for range e.nf {
			var f, v []byte
			f, _, _, q, sc = elemAt(n.lp, q, sc)
			v, _, _, p, sc = elemAt(n.lp, p, sc)
			fv = append(fv, f, v)
		}
		return fv, sc
	}
	for range 2 * e.nf {
		var v []byte
		v, _, _, p, sc = elemAt(n.lp, p, sc)
		fv = append(fv, v)
	}
	return fv, sc
}
