package store

import (
	"sync"
	"sync/atomic"
)

// The change feed: every change to the keyspace, whatever made it (a
// command through an Entry, lazy or active expiry, hash-field expiry,
// eviction, compaction finding an expired key, FLUSHDB/FLUSHALL, SWAPDB,
// MOVE, COPY, RENAME), is counted for the dirty counter (Changes) and, when
// somebody listens, copied as (database, key, kind) into one buffer under
// the shard lock: by shard.note (an Entry's change at its end, hash-field
// expiry), by shard.deleteSlot (every deletion of a key, with its reason)
// or, for database-wide changes, by feed.record.
// Drain hands the buffer to the listeners outside every shard lock; the
// command layer calls it after each command, the active expiry cycle after
// each step, EvictKey after each eviction.
//
// Cheap when nobody listens: noting a change is a field increment and one
// atomic load, and Drain is two atomic loads; nothing allocates.
//
// Ordering: changes of one shard (so of one key) are recorded in the order
// they happen, under its lock, and the buffer keeps that order; deliveries
// do not overlap, so a listener sees every key's changes in order. Drain
// returns only once every change recorded before it was called has been
// delivered (by this call or by a concurrent one), so a listener has seen a
// command's changes before its client's next command runs. Database-wide
// changes (ChangeFlush, ChangeSwap) are recorded after the operation and are
// not ordered against concurrent commands of other clients on other keys.

// ChangeKind says what happened to a key or, for the database-wide kinds, to
// a whole database. The kinds are what keyspace notifications, WATCH and
// client-side caching need; the reason for a deletion is its kind.
type ChangeKind uint8

const (
	// ChangeSet: created, overwritten, modified in place, or its TTL set or
	// removed, by a command.
	ChangeSet ChangeKind = iota + 1
	// ChangeDel: deleted by a command (DEL, GETDEL, a collection its
	// command emptied, EXPIRE with a time in the past).
	ChangeDel
	// ChangeExpired: deleted because its TTL passed, when accessed, by the
	// active cycle, or found expired by compaction or eviction.
	ChangeExpired
	// ChangeEvicted: deleted to stay within maxmemory.
	ChangeEvicted
	// ChangeFieldsExpired: parts of the value reached deadlines of their
	// own (hash fields) and were dropped; the key remains.
	ChangeFieldsExpired
	// ChangeEmptied: deleted because the last parts of its value expired.
	ChangeEmptied
	// ChangeRenameFrom / ChangeRenameTo: RENAME's source (now gone) and
	// destination (whatever it held is replaced, without a ChangeDel).
	ChangeRenameFrom
	ChangeRenameTo
	// ChangeMoveFrom: MOVE's key left this database for database Other.
	ChangeMoveFrom
	// ChangeMoveTo: MOVE's key arrived from database Other.
	ChangeMoveTo
	// ChangeCopyTo: COPY's destination, copied from a key of database Other.
	ChangeCopyTo
	// ChangeFlush: every key of the database was deleted (FLUSHDB, and
	// FLUSHALL for each database). Key is nil.
	ChangeFlush
	// ChangeSwap: the database's contents were swapped with database Other
	// (SWAPDB; Other == DB for SWAPDB i i). Key is nil.
	ChangeSwap
	// ChangeNew: the key did not exist and now does (keyspace event "new");
	// recorded just before the change that created it, which follows, and
	// only while somebody asked for it (RecordNew).
	ChangeNew
	numChangeKinds
)

var changeNames = [numChangeKinds]string{"", "set", "del", "expired", "evicted", "fields_expired",
	"emptied", "rename_from", "rename_to", "move_from", "move_to", "copy_to", "flush", "swap", "new"}

// DBWide reports whether the change is of a whole database (Key is nil).
func (k ChangeKind) DBWide() bool { return k == ChangeFlush || k == ChangeSwap }

func (k ChangeKind) String() string {
	if k < numChangeKinds {
		return changeNames[k]
	}
	return "unknown"
}

// dirtyWeight is what one change adds to the dirty counter, as Redis's
// server.dirty counts it: a command's change of a key counts once (RENAME,
// MOVE and COPY once for both keys), expiry and eviction not at all.
// ChangeFlush adds the keys it removed; ChangeSwap adds one per SWAPDB.
var dirtyWeight = [numChangeKinds]int64{ChangeSet: 1, ChangeDel: 1, ChangeRenameTo: 1, ChangeMoveFrom: 1, ChangeCopyTo: 1}

// Change is one entry of the feed.
type Change struct {
	DB    int        // the database's index when the change was made
	Other int        // the other database of ChangeMoveFrom/MoveTo/CopyTo/Swap
	Kind  ChangeKind //
	Key   []byte     // nil for ChangeFlush and ChangeSwap; valid only during the listener call
}

// Listener receives the changes recorded since the last delivery, in order.
// It runs on whichever goroutine drains (a connection's event loop after a
// command, the active expiry cycle, the evictor), one delivery at a time,
// outside every shard lock. It may read and write the keyspace (changes it
// makes are delivered by the same Drain, after this batch), but must not
// call Drain itself (nor anything that does, such as running a command),
// nor wait for a lock whose holder may call Drain; it should be quick. The
// batch and its keys are reused once it returns: copy what you keep.
type Listener func(batch []Change)

// pending is a recorded change whose key sits in feed.keys.
type pending struct {
	db, other int32
	kind      ChangeKind
	off, n    uint32
}

type feed struct {
	on    atomic.Bool  // a listener is registered: record changes
	newOn atomic.Int32 // RecordNew requests: record ChangeNew too

	mu   sync.Mutex // guards buf and keys; taken under shard locks, never the reverse
	buf  []pending
	keys []byte

	recorded  atomic.Uint64 // changes recorded so far (advanced under mu)
	delivered atomic.Uint64 // changes handed to the listeners so far

	dmu    sync.Mutex // one delivery at a time; guards the fields below
	spare  []pending
	spareK []byte
	batch  []Change
	lisMu  sync.Mutex                  // serialises Listen and cancels
	lis    atomic.Pointer[[]*Listener] // copy on write
}

// Listen registers fn for every change made from now on and returns the
// function that unregisters it. With no listener left, changes are no
// longer recorded (only counted).
func (ks *Keyspace) Listen(fn Listener) (cancel func()) {
	f := &ks.feed
	p := &fn
	f.lisMu.Lock()
	var cur []*Listener
	if l := f.lis.Load(); l != nil {
		cur = *l
	}
	next := append(append([]*Listener(nil), cur...), p)
	f.lis.Store(&next)
	f.on.Store(true)
	f.lisMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.lisMu.Lock()
			defer f.lisMu.Unlock()
			var rest []*Listener
			for _, q := range *f.lis.Load() {
				if q != p {
					rest = append(rest, q)
				}
			}
			f.lis.Store(&rest)
			f.on.Store(len(rest) > 0)
		})
	}
}

// RecordNew asks (on) or stops asking for ChangeNew records, which nobody
// but keyspace notifications' "n" class needs; calls nest.
func (ks *Keyspace) RecordNew(on bool) {
	if on {
		ks.feed.newOn.Add(1)
	} else {
		ks.feed.newOn.Add(-1)
	}
}

// record adds a change to the buffer if somebody listens. db is the
// database's index at the time.
func (f *feed) record(db int, key []byte, k ChangeKind, other int) {
	if !f.on.Load() {
		return
	}
	f.mu.Lock()
	f.buf = append(f.buf, pending{db: int32(db), other: int32(other), kind: k, off: uint32(len(f.keys)), n: uint32(len(key))})
	f.keys = append(f.keys, key...)
	f.recorded.Add(1)
	f.mu.Unlock()
}

// maxKeptBuffer bounds the key bytes a drained buffer keeps for reuse, so
// one huge DEL does not pin its copy of the keys for good.
const maxKeptBuffer = 1 << 20

// Drain delivers the recorded changes to the listeners and returns once
// every change recorded before the call has been delivered. See Listener
// for where it may be called from.
func (ks *Keyspace) Drain() {
	f := &ks.feed
	if f.recorded.Load() == f.delivered.Load() {
		return
	}
	f.dmu.Lock()
	defer f.dmu.Unlock()
	for {
		f.mu.Lock()
		buf, keys := f.buf, f.keys
		f.buf, f.keys = f.spare[:0], f.spareK[:0]
		seq := f.recorded.Load()
		f.mu.Unlock()
		if len(buf) == 0 {
			f.spare, f.spareK = buf, keys
			f.delivered.Store(seq)
			return
		}
		batch := f.batch[:0]
		for _, p := range buf {
			c := Change{DB: int(p.db), Other: int(p.other), Kind: p.kind}
			if !p.kind.DBWide() {
				c.Key = keys[p.off : p.off+p.n : p.off+p.n]
			}
			batch = append(batch, c)
		}
		if l := f.lis.Load(); l != nil {
			for _, fn := range *l {
				(*fn)(batch)
			}
		}
		clear(batch) // drop the key references
		f.batch = batch[:0]
		if cap(keys) > maxKeptBuffer {
			buf, keys = nil, nil
		}
		f.spare, f.spareK = buf[:0], keys[:0]
		f.delivered.Store(seq)
	}
}

// note is the change of a key in this shard: counted, and recorded for the
// listeners. The caller holds the shard's write lock.
func (sh *shard) note(key []byte, k ChangeKind, other int) {
	sh.changes += dirtyWeight[k]
	if f := &sh.db.ks.feed; f.on.Load() {
		f.record(sh.db.Index(), key, k, other)
	}
}

// Index is the database's current index (SWAPDB changes it).
func (db *DB) Index() int { return int(db.idx.Load()) }

// Changes is the database's dirty counter: the changes commands made to
// its keys, counted as Redis's server.dirty counts them (SET +1, MSET of N
// keys +N, DEL of 2 existing keys +2, FLUSHDB +the keys it removed; expiry
// and eviction do not count). A change that modifies a collection counts
// once, however many elements it adds or removes (Redis counts elements
// for some commands). Nothing resets it: there is no persistence.
func (db *DB) Changes() int64 {
	n := int64(0)
	for i := range db.shards {
		sh := &db.shards[i]
		sh.mu.RLock()
		n += sh.changes
		sh.mu.RUnlock()
	}
	return n
}

// Changes is the dirty counter of the whole keyspace (INFO persistence
// rdb_changes_since_last_save): every database's, plus one per SWAPDB.
func (ks *Keyspace) Changes() int64 {
	n := ks.changes.Load()
	for _, db := range *ks.dbs.Load() {
		n += db.Changes()
	}
	return n
}
