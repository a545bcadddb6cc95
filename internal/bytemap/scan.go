package bytemap

// Scan calls fn for the entries of a few buckets from cursor on and returns
// the next cursor, 0 when the scan is complete. As Redis's dictScan, an
// entry present for the whole scan is returned at least once however the
// map grows or shrinks between calls (the cursor counts in reversed bit
// order); entries may be returned more than once. Each call visits buckets
// until it has found count entries or visited 10*count buckets, as HSCAN
// and SSCAN do. fn must not change the map.
//
// Buckets are home buckets of the hash space, not slots: a bucket's members
// are the slots whose hash falls in it, wherever probing placed them, so
// the displacements of inserts, deletions (backward shift) and resizes
// cannot hide an entry. A cursor that Scan did not return is still safe: it
// just starts somewhere.
func (m *Map) Scan(cursor uint64, count int, fn func(k, v []byte)) uint64 {
	t := &m.tab
	if len(t.slots) == 0 {
		return 0
	}
	if count <= 0 {
		count = 10
	}
	mask := t.bucketMask()
	v := cursor
	found, budget := 0, 10*count
	for {
		found += m.scanBucket(v&mask, fn)
		budget--
		v = nextCursor(v, mask)
		if v == 0 || found >= count || budget <= 0 {
			return v
		}
	}
}

// scanBucket calls fn for the entries whose home bucket is b and returns how
// many. Robin Hood order keeps a run sorted by start slot, so the walk stops
// at the first entry that starts after b's slot.
func (m *Map) scanBucket(b uint64, fn func(k, v []byte)) int {
	t := &m.tab
	mask := t.bucketMask()
	n := 0
	p := t.startOfBucket(b)
	for d := 0; d < len(t.slots); d++ {
		s := t.slots[p]
		if s == 0 {
			break
		}
		sd := t.dist(s, p)
		if sd < d {
			break
		}
		if sd == d && uint64(slotHash(s))&mask == b {
			k, v, _ := m.ar.record(slotLoc(s))
			fn(k, v)
			n++
		}
		p = t.next(p)
	}
	return n
}
