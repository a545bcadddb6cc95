// Package tracking is the table behind client-side caching (CLIENT
// TRACKING), as Redis's tracking.c keeps it: which clients read which keys
// (the default mode: key → reader IDs, an entry dropped as soon as its key
// is invalidated) and which clients watch which key prefixes (broadcasting
// mode: prefix → client IDs).
//
// It holds client IDs and key bytes only. It knows nothing of connections,
// RESP, the keyspace or databases (Redis tracks key names whatever their
// database) and sends nothing: the command layer turns what Take, Evict
// and Match report into invalidation messages.
//
// Concurrency: safe for concurrent use. Keys are spread over shards, one
// mutex each, so tracked reads of different keys on different event loops
// do not contend; prefixes sit behind one RWMutex, read on every change
// while any prefix exists.
package tracking

import (
	"hash/maphash"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
)

const numShards = 64

// Table is the tracking table. The zero value is not usable: see New.
type Table struct {
	seed   maphash.Seed
	shards [numShards]shard
	keys   atomic.Int64 // tracked keys (tracking_total_keys)
	items  atomic.Int64 // (key, reader) pairs (tracking_total_items)

	pmu      sync.RWMutex              // guards prefixes
	prefixes map[string]map[int64]bool // BCAST prefix → watching clients
	npre     atomic.Int64              // len(prefixes), read without pmu
}

type shard struct {
	mu sync.Mutex // guards m
	m  map[string]readers
}

// readers are the clients that read a key since it last changed. The first
// one sits inline: most keys have one reader, and then an entry costs its
// map slot and its key bytes only.
type readers struct {
	first int64
	more  []int64
}

// New returns an empty table.
func New() *Table {
	t := &Table{seed: maphash.MakeSeed(), prefixes: map[string]map[int64]bool{}}
	for i := range t.shards {
		t.shards[i].m = map[string]readers{}
	}
	return t
}

func (t *Table) shard(key []byte) *shard {
	return &t.shards[maphash.Bytes(t.seed, key)%numShards]
}

// Add records that client id read key, and reports whether the pair is
// new. key is copied when the table does not hold it yet.
func (t *Table) Add(key []byte, id int64) bool {
	sh := t.shard(key)
	sh.mu.Lock()
	r, ok := sh.m[string(key)] // no allocation: the compiler uses key's bytes
	switch {
	case !ok:
		sh.m[string(key)] = readers{first: id}
		sh.mu.Unlock()
		t.keys.Add(1)
		t.items.Add(1)
		return true
	case r.first == id:
		sh.mu.Unlock()
		return false
	}
	for _, x := range r.more {
		if x == id {
			sh.mu.Unlock()
			return false
		}
	}
	r.more = append(r.more, id)
	sh.m[string(key)] = r
	sh.mu.Unlock()
	t.items.Add(1)
	return true
}

// Take removes key's entry and appends its readers to dst: each reader is
// told once, and must read the key again to be tracked again.
func (t *Table) Take(key []byte, dst []int64) []int64 {
	sh := t.shard(key)
	sh.mu.Lock()
	r, ok := sh.m[string(key)]
	if !ok {
		sh.mu.Unlock()
		return dst
	}
	delete(sh.m, string(key))
	sh.mu.Unlock()
	t.keys.Add(-1)
	t.items.Add(-int64(1 + len(r.more)))
	dst = append(dst, r.first)
	return append(dst, r.more...)
}

// Evict removes one entry, picked at random as Redis's random walk does,
// for a table over tracking-table-max-keys; it returns its key and appends
// its readers to dst. ok is false when the table is empty.
func (t *Table) Evict(dst []int64) (key string, ids []int64, ok bool) {
	start := rand.IntN(numShards)
	for i := range numShards {
		sh := &t.shards[(start+i)%numShards]
		sh.mu.Lock()
		for k, r := range sh.m { // map iteration starts at a random entry
			delete(sh.m, k)
			sh.mu.Unlock()
			t.keys.Add(-1)
			t.items.Add(-int64(1 + len(r.more)))
			dst = append(dst, r.first)
			return k, append(dst, r.more...), true
		}
		sh.mu.Unlock()
	}
	return "", dst, false
}

// Clear forgets every tracked key (FLUSHALL/FLUSHDB, as Redis frees its
// whole table then). Prefixes stay.
func (t *Table) Clear() {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n := int64(0)
		for _, r := range sh.m {
			n += int64(1 + len(r.more))
		}
		t.keys.Add(-int64(len(sh.m)))
		t.items.Add(-n)
		sh.m = map[string]readers{}
		sh.mu.Unlock()
	}
}

// Keys is the number of tracked keys; Items the number of (key, reader)
// pairs; Prefixes the number of distinct broadcasting prefixes.
func (t *Table) Keys() int64     { return t.keys.Load() }
func (t *Table) Items() int64    { return t.items.Load() }
func (t *Table) Prefixes() int64 { return t.npre.Load() }

// AddPrefix makes client id watch keys starting with prefix (BCAST).
func (t *Table) AddPrefix(prefix string, id int64) {
	t.pmu.Lock()
	ids := t.prefixes[prefix]
	if ids == nil {
		ids = map[int64]bool{}
		t.prefixes[prefix] = ids
	}
	ids[id] = true
	t.npre.Store(int64(len(t.prefixes)))
	t.pmu.Unlock()
}

// RemovePrefix stops client id watching prefix; a prefix nobody watches is
// forgotten.
func (t *Table) RemovePrefix(prefix string, id int64) {
	t.pmu.Lock()
	if ids := t.prefixes[prefix]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(t.prefixes, prefix)
		}
	}
	t.npre.Store(int64(len(t.prefixes)))
	t.pmu.Unlock()
}

// Match calls fn for every prefix key starts with.
func (t *Table) Match(key []byte, fn func(prefix string)) {
	if t.npre.Load() == 0 {
		return
	}
	t.pmu.RLock()
	defer t.pmu.RUnlock()
	for p := range t.prefixes {
		if len(p) <= len(key) && string(key[:len(p)]) == p {
			fn(p)
		}
	}
}

// Watchers appends the clients watching prefix to dst, in ID order.
func (t *Table) Watchers(prefix string, dst []int64) []int64 {
	t.pmu.RLock()
	n := len(dst)
	for id := range t.prefixes[prefix] {
		dst = append(dst, id)
	}
	t.pmu.RUnlock()
	sort.Slice(dst[n:], func(i, j int) bool { return dst[n+i] < dst[n+j] })
	return dst
}

// Overlap reports whether one of a and b is a prefix of the other: Redis
// refuses such prefixes for one client, since a key would match both.
func Overlap(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return b[:len(a)] == a
}
