package store

// SCAN cursor layout:
//
//	bits 0..5   shard index (numShards = 64)
//	bits 6..    reverse-binary cursor over that shard's home buckets
//
// Shards are scanned one after another; within a shard, buckets are visited
// in Redis's dictScan order (nextCursor), by home bucket: every key whose hash
// falls in the bucket, wherever probing placed it. Resizes between calls
// change the bucket space by powers of two, which that order tolerates (a
// shrink can repeat keys, nothing is skipped), and deletions shift entries
// without changing their buckets, so a key present during the whole scan is
// returned at least once. A cursor that was not returned by Scan is still
// safe to pass: it just starts somewhere.

// Scan calls fn for the live keys of about count buckets' worth of keys, from
// cursor, and returns the cursor to continue from, 0 when done. Like Redis it
// stops after visiting 10*count buckets even if they were empty, so a call on
// a sparse table stays short. fn runs under a shard's read lock and must not
// call into the DB; key aliases the arena and is valid only during fn.
func (db *DB) Scan(cursor uint64, count int, now int64, fn func(key []byte, t Type)) (next uint64) {
	if count <= 0 {
		count = 10
	}
	si := int(cursor & (numShards - 1))
	v := cursor >> shardBits
	found, budget := 0, 10*count
	for {
		v = db.shards[si].scanFrom(v, count, &found, &budget, now, fn)
		if v != 0 {
			return v<<shardBits | uint64(si)
		}
		if si++; si == numShards {
			return 0
		}
		if found >= count || budget <= 0 {
			return uint64(si)
		}
	}
}

// scanFrom is one shard's part of Scan, under its read lock (released by
// defer, so a panicking fn does not leave the shard locked). It returns the
// shard's next cursor, 0 when the shard is done.
func (sh *shard) scanFrom(v uint64, count int, found, budget *int, now int64, fn func(key []byte, t Type)) uint64 {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	mask := sh.tab.bucketMask()
	for {
		*found += sh.scanBucket(v&mask, now, fn)
		*budget--
		v = nextCursor(v, mask)
		if v == 0 || *found >= count || *budget <= 0 {
			return v
		}
	}
}

// scanBucket calls fn for the live keys whose home bucket is b and returns how
// many. Robin Hood order keeps entries sorted by start slot along a run, so
// the walk stops at the first entry that starts after b's slot.
func (sh *shard) scanBucket(b uint64, now int64, fn func(key []byte, t Type)) int {
	t := &sh.tab
	if len(t.slots) == 0 {
		return 0
	}
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
			r := sh.ar.rec(slotLoc(s))
			if !r.expired(now) {
				fn(r.key(), r.typ())
				n++
			}
		}
		p = t.next(p)
	}
	return n
}

// Keys calls fn for every live key (KEYS) until fn returns false. Each shard is
// read-locked while it is walked, never the whole database; key aliases the
// arena and is valid only during fn, which must not call into the DB.
func (db *DB) Keys(now int64, fn func(key []byte, t Type) bool) {
	for i := range db.shards {
		sh := &db.shards[i]
		if sh.keys.Load() == 0 {
			continue
		}
		if !sh.keys1(now, fn) {
			return
		}
	}
}

func (sh *shard) keys1(now int64, fn func(key []byte, t Type) bool) bool {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for _, s := range sh.tab.slots {
		if s == 0 {
			continue
		}
		r := sh.ar.rec(slotLoc(s))
		if !r.expired(now) && !fn(r.key(), r.typ()) {
			return false
		}
	}
	return true
}

// EachEntry calls fn for every live key with a read-only Entry, shard by
// shard, each shard read-locked while it is walked: every value is read
// whole, a shard's keys at one instant, no key twice (SAVE and BGSAVE
// write what it gives). Parts of a value past deadlines of their own (hash
// fields) that nobody has dropped yet are given too. key and e alias the
// shard and are valid only during fn, which must not call into the DB; it
// stops the walk by returning false. shardEnd, if not nil, runs after each
// shard's lock is released: work that need not hold writers off (a save's
// disk writes) goes there. With now 0 no key or part of a value counts as
// past its deadline.
func (db *DB) EachEntry(now int64, fn func(key []byte, e *Entry) bool, shardEnd func()) {
	for i := range db.shards {
		sh := &db.shards[i]
		if sh.keys.Load() == 0 {
			continue
		}
		ok := sh.eachEntry(now, fn)
		if shardEnd != nil {
			shardEnd()
		}
		if !ok {
			return
		}
	}
}

func (sh *shard) eachEntry(now int64, fn func(key []byte, e *Entry) bool) bool {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	e, ei := sh.claimReader()
	defer sh.releaseReader(e, ei)
	for _, s := range sh.tab.slots {
		if s == 0 {
			continue
		}
		r := sh.ar.rec(slotLoc(s))
		if r.expired(now) {
			continue
		}
		key := r.key()
		_, h := hashKey(key)
		sh.begin(e, key, h, now, false, false)
		e.due = false
		if !e.Exists() {
			continue
		}
		if !fn(key, e) {
			return false
		}
	}
	return true
}
