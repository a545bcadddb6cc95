package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chg is a Change with its key copied, comparable.
type chg struct {
	db    int
	key   string
	kind  ChangeKind
	other int
}

func (c chg) String() string { return fmt.Sprintf("%d/%q/%s/%d", c.db, c.key, c.kind, c.other) }

// collect listens to ks and returns what has been delivered so far.
func collect(t testing.TB, ks *Keyspace) func() []chg {
	var mu sync.Mutex
	var got []chg
	cancel := ks.Listen(func(batch []Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range batch {
			got = append(got, chg{c.DB, string(c.Key), c.Kind, c.Other})
		}
	})
	t.Cleanup(cancel)
	return func() []chg {
		ks.Drain()
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

// vObj is an object that counts its modifications (store.Versioner).
type vObj struct {
	items []string
	mods  uint64
}

func (o *vObj) MemoryUsage() int { return 100 + 10*len(o.items) }
func (o *vObj) Version() uint64  { return o.mods }
func (o *vObj) add(s string)     { o.items = append(o.items, s); o.mods++ }
func (o *vObj) remove() {
	o.items = o.items[1:]
	o.mods++
}

func upd(ks *Keyspace, db int, key string, now int64, fn func(e *Entry)) {
	ks.DB(db).Update([]byte(key), now, fn)
}

// TestFeedKinds checks that each kind of change is reported exactly once,
// with the right database, key, kind and other database, and what it adds
// to the dirty counter.
func TestFeedKinds(t *testing.T) {
	str := func(key string) func(*Keyspace) {
		return func(ks *Keyspace) { set(ks.DB(0), key, "v", t0) }
	}
	ttl := func(key string, at int64) func(*Keyspace) {
		return func(ks *Keyspace) {
			upd(ks, 0, key, t0, func(e *Entry) { e.SetStrExpire([]byte("v"), at) })
		}
	}
	obj := func(key string, o any) func(*Keyspace) {
		return func(ks *Keyspace) { upd(ks, 0, key, t0, func(e *Entry) { e.SetObj(TypeList, o) }) }
	}
	both := func(a, b func(*Keyspace)) func(*Keyspace) {
		return func(ks *Keyspace) { a(ks); b(ks) }
	}
	tests := []struct {
		name     string
		setup    func(ks *Keyspace)
		do       func(ks *Keyspace)
		want     []chg
		dirty    int64
		anyOrder bool
	}{
		{name: "SET new", do: str("k"), want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "SET overwrite", setup: str("k"), do: str("k"), want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "SET EX is one change", do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.SetStr(make([]byte, 20000)); e.SetExpireAt(t0 + 1000) })
		}, want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "SET of a big value handed over", do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.SetStrOwned(make([]byte, 20000)) })
		}, want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "EXPIRE", setup: str("k"), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.SetExpireAt(t0 + 1000) })
		}, want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "PERSIST without TTL is no change", setup: str("k"), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.SetExpireAt(0) })
		}},
		{name: "PERSIST", setup: ttl("k", t0+1000), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.SetExpireAt(0) })
		}, want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "APPEND", setup: str("k"), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.MutableStr(10)[9] = 'x' })
		}, want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "Update that only reads", setup: str("k"), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { _ = e.Str() })
			upd(ks, 0, "missing", t0, func(e *Entry) { _ = e.Exists() })
		}},
		{name: "DEL", setup: str("k"), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.Delete() })
		}, want: []chg{{0, "k", ChangeDel, 0}}, dirty: 1},
		{name: "DEL of 2 existing keys out of 3", setup: both(str("a"), str("b")), do: func(ks *Keyspace) {
			ks.DB(0).Multi([][]byte{[]byte("a"), []byte("x"), []byte("b"), []byte("a")}, t0, func(es []*Entry) {
				for _, e := range es {
					if e.Exists() {
						e.Delete()
					}
				}
			})
		}, want: []chg{{0, "a", ChangeDel, 0}, {0, "b", ChangeDel, 0}}, dirty: 2},
		{name: "MSET", do: func(ks *Keyspace) {
			ks.DB(0).Multi([][]byte{[]byte("a"), []byte("b"), []byte("c")}, t0, func(es []*Entry) {
				for _, e := range es {
					e.SetStr([]byte("v"))
				}
			})
		}, want: []chg{{0, "a", ChangeSet, 0}, {0, "b", ChangeSet, 0}, {0, "c", ChangeSet, 0}}, dirty: 3},
		{name: "versioned object changed in place", setup: obj("l", &vObj{items: []string{"a"}}), do: func(ks *Keyspace) {
			upd(ks, 0, "l", t0, func(e *Entry) { e.Obj().(*vObj).add("b") })
		}, want: []chg{{0, "l", ChangeSet, 0}}, dirty: 1},
		{name: "versioned object looked at by a write", setup: obj("l", &vObj{items: []string{"a"}}), do: func(ks *Keyspace) {
			upd(ks, 0, "l", t0, func(e *Entry) { _ = len(e.Obj().(*vObj).items) })
		}},
		{name: "versioned object read by View", setup: obj("l", &vObj{items: []string{"a"}}), do: func(ks *Keyspace) {
			ks.DB(0).View([]byte("l"), t0, func(e *Entry) { _ = e.Obj() })
		}},
		{name: "unversioned object fetched for writing counts", setup: obj("l", &testObj{}), do: func(ks *Keyspace) {
			upd(ks, 0, "l", t0, func(e *Entry) { _ = e.Obj() })
		}, want: []chg{{0, "l", ChangeSet, 0}}, dirty: 1},
		{name: "collection emptied by its command", setup: obj("l", &vObj{items: []string{"a"}}), do: func(ks *Keyspace) {
			upd(ks, 0, "l", t0, func(e *Entry) {
				o := e.Obj().(*vObj)
				o.remove()
				e.Delete()
			})
		}, want: []chg{{0, "l", ChangeDel, 0}}, dirty: 1},
		{name: "delete then store", setup: str("k"), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0, func(e *Entry) { e.Delete(); e.SetObj(TypeSet, &vObj{}) })
		}, want: []chg{{0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "lazy expiry on read", setup: ttl("k", t0+10), do: func(ks *Keyspace) {
			if _, ok := get(ks.DB(0), "k", t0+20); ok {
				panic("expired key visible")
			}
		}, want: []chg{{0, "k", ChangeExpired, 0}}},
		{name: "lazy expiry on Peek", setup: ttl("k", t0+10), do: func(ks *Keyspace) {
			ks.DB(0).Peek([]byte("k"), t0+20, func(e *Entry) {})
		}, want: []chg{{0, "k", ChangeExpired, 0}}},
		{name: "lazy expiry then write", setup: ttl("k", t0+10), do: func(ks *Keyspace) {
			upd(ks, 0, "k", t0+20, func(e *Entry) { e.SetStr([]byte("new")) })
		}, want: []chg{{0, "k", ChangeExpired, 0}, {0, "k", ChangeSet, 0}}, dirty: 1},
		{name: "active expiry", setup: both(ttl("a", t0+10), both(ttl("b", t0+10), ttl("c", t0+1e6))), do: func(ks *Keyspace) {
			ks.ActiveExpireCycle(t0+20, time.Second)
		}, want: []chg{{0, "a", ChangeExpired, 0}, {0, "b", ChangeExpired, 0}}, anyOrder: true},
		{name: "eviction", setup: str("k"), do: func(ks *Keyspace) {
			if res, _, _ := ks.DB(0).EvictKey([]byte("k"), false, t0); res != EvictDeleted {
				panic(res)
			}
		}, want: []chg{{0, "k", ChangeEvicted, 0}}},
		{name: "eviction finds an expired key", setup: ttl("k", t0+10), do: func(ks *Keyspace) {
			ks.DB(0).EvictKey([]byte("k"), false, t0+20)
		}, want: []chg{{0, "k", ChangeExpired, 0}}},
		{name: "eviction of a ghost", do: func(ks *Keyspace) {
			ks.DB(0).EvictKey([]byte("k"), false, t0)
		}},
		{name: "field expiry on access", setup: func(ks *Keyspace) { putDL(ks.DB(0), "h", t0, t0+10, 0) }, do: func(ks *Keyspace) {
			items(ks.DB(0), "h", t0+20)
		}, want: []chg{{0, "h", ChangeFieldsExpired, 0}}},
		{name: "field expiry empties a hash on access", setup: func(ks *Keyspace) { putDL(ks.DB(0), "h", t0, t0+10) }, do: func(ks *Keyspace) {
			items(ks.DB(0), "h", t0+20)
		}, want: []chg{{0, "h", ChangeEmptied, 0}}},
		{name: "field expiry empties a hash actively", setup: func(ks *Keyspace) {
			putDL(ks.DB(0), "h", t0, t0+10, t0+10)
			putDL(ks.DB(0), "g", t0, t0+10, t0+1e6)
		}, do: func(ks *Keyspace) {
			ks.ActiveExpireCycle(t0+20, time.Second)
		}, want: []chg{{0, "g", ChangeFieldsExpired, 0}, {0, "h", ChangeEmptied, 0}}, anyOrder: true},
		{name: "FLUSHDB", setup: both(str("a"), str("b")), do: func(ks *Keyspace) { ks.DB(0).Flush() },
			want: []chg{{0, "", ChangeFlush, 0}}, dirty: 2},
		{name: "FLUSHALL", setup: func(ks *Keyspace) {
			set(ks.DB(0), "a", "v", t0)
			set(ks.DB(2), "a", "v", t0)
			set(ks.DB(2), "b", "v", t0)
		}, do: func(ks *Keyspace) { ks.FlushAll() },
			want: []chg{{0, "", ChangeFlush, 0}, {1, "", ChangeFlush, 0}, {2, "", ChangeFlush, 0}, {3, "", ChangeFlush, 0}}, dirty: 3},
		{name: "SWAPDB", do: func(ks *Keyspace) {
			ks.SwapDB(1, 2)
			set(ks.DB(1), "k", "v", t0) // the database that was 2 now reports index 1
		}, want: []chg{{1, "", ChangeSwap, 2}, {2, "", ChangeSwap, 1}, {1, "k", ChangeSet, 0}}, dirty: 2},
		{name: "SWAPDB i i", do: func(ks *Keyspace) { ks.SwapDB(3, 3) }, want: []chg{{3, "", ChangeSwap, 3}}, dirty: 1},
		{name: "MOVE", setup: ttl("k", t0+1000), do: func(ks *Keyspace) { ks.Move(0, 1, []byte("k"), t0) },
			want: []chg{{0, "k", ChangeMoveFrom, 1}, {1, "k", ChangeMoveTo, 0}}, dirty: 1},
		{name: "MOVE of a versioned object", setup: obj("l", &vObj{}), do: func(ks *Keyspace) { ks.Move(0, 3, []byte("l"), t0) },
			want: []chg{{0, "l", ChangeMoveFrom, 3}, {3, "l", ChangeMoveTo, 0}}, dirty: 1},
		{name: "MOVE onto an existing key", setup: func(ks *Keyspace) {
			set(ks.DB(0), "k", "v", t0)
			set(ks.DB(1), "k", "v", t0)
		}, do: func(ks *Keyspace) { ks.Move(0, 1, []byte("k"), t0) }},
		{name: "MOVE of a missing key", do: func(ks *Keyspace) { ks.Move(0, 1, []byte("k"), t0) }},
		{name: "COPY", setup: str("a"), do: func(ks *Keyspace) { ks.Copy(0, 2, []byte("a"), []byte("b"), false, t0) },
			want: []chg{{2, "b", ChangeCopyTo, 0}}, dirty: 1},
		{name: "COPY REPLACE of an unversioned object", setup: both(obj("a", &testObj{}), str("b")), do: func(ks *Keyspace) {
			ks.Copy(0, 0, []byte("a"), []byte("b"), true, t0)
		}, want: []chg{{0, "b", ChangeCopyTo, 0}}, dirty: 1},
		{name: "COPY onto an existing key", setup: both(str("a"), str("b")), do: func(ks *Keyspace) {
			ks.Copy(0, 0, []byte("a"), []byte("b"), false, t0)
		}},
		{name: "RENAME", setup: ttl("a", t0+1000), do: func(ks *Keyspace) {
			ks.DB(0).Multi([][]byte{[]byte("a"), []byte("b")}, t0, func(es []*Entry) { es[0].RenameTo(es[1]) })
		}, want: []chg{{0, "a", ChangeRenameFrom, 0}, {0, "b", ChangeRenameTo, 0}}, dirty: 1},
		{name: "RENAME onto an existing object", setup: both(str("a"), obj("b", &testObj{})), do: func(ks *Keyspace) {
			ks.DB(0).Multi([][]byte{[]byte("a"), []byte("b")}, t0, func(es []*Entry) { es[0].RenameTo(es[1]) })
		}, want: []chg{{0, "a", ChangeRenameFrom, 0}, {0, "b", ChangeRenameTo, 0}}, dirty: 1},
		{name: "RENAME of an unversioned object", setup: obj("a", &testObj{}), do: func(ks *Keyspace) {
			ks.DB(0).Multi([][]byte{[]byte("b"), []byte("a")}, t0, func(es []*Entry) { es[1].RenameTo(es[0]) })
		}, want: []chg{{0, "b", ChangeRenameTo, 0}, {0, "a", ChangeRenameFrom, 0}}, dirty: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := New(4)
			if tt.setup != nil {
				tt.setup(ks)
			}
			got := collect(t, ks)
			before := ks.Changes()
			tt.do(ks)
			changes := got()
			if tt.anyOrder {
				slices.SortFunc(changes, func(a, b chg) int { return compareStr(a.key, b.key) })
			}
			if !slices.Equal(changes, tt.want) {
				t.Errorf("changes %v, want %v", changes, tt.want)
			}
			if d := ks.Changes() - before; d != tt.dirty {
				t.Errorf("dirty counter +%d, want +%d", d, tt.dirty)
			}
			for i := range 4 {
				checkInvariants(t, ks.DB(i))
			}
		})
	}
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Without a listener nothing is recorded, only counted; a listener that
// cancels stops receiving.
func TestFeedListenCancel(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	set(db, "before", "v", t0)
	var n atomic.Int64
	cancel := ks.Listen(func(b []Change) { n.Add(int64(len(b))) })
	cancel2 := ks.Listen(func(b []Change) { n.Add(int64(len(b))) })
	set(db, "during", "v", t0)
	ks.Drain()
	if n.Load() != 2 {
		t.Fatalf("two listeners got %d changes, want 1 each", n.Load())
	}
	cancel()
	cancel() // idempotent
	set(db, "during2", "v", t0)
	ks.Drain()
	if n.Load() != 3 {
		t.Fatalf("after one cancel: %d", n.Load())
	}
	cancel2()
	set(db, "after", "v", t0)
	ks.Drain()
	if n.Load() != 3 || ks.feed.recorded.Load() != 2 {
		t.Fatalf("changes recorded with nobody listening: %d delivered, %d recorded", n.Load(), ks.feed.recorded.Load())
	}
	if ks.Changes() != 4 {
		t.Fatalf("dirty %d, want 4", ks.Changes())
	}
}

// A listener may write to the keyspace: its changes come in the same Drain,
// after the batch that caused them (as Redis serves a blocked LMOVE, whose
// push may wake further clients).
func TestFeedListenerWrites(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	var seen []string
	ks.Listen(func(b []Change) {
		for _, c := range b {
			seen = append(seen, string(c.Key))
			if string(c.Key) == "a" {
				set(db, "b", "v", t0)
			}
		}
	})
	set(db, "a", "v", t0)
	ks.Drain()
	if !slices.Equal(seen, []string{"a", "b"}) {
		t.Fatalf("seen %v", seen)
	}
}

// TestFeedConcurrent runs writers, readers meeting expired keys, the active
// cycle, FLUSHDB and listeners coming and going together (for -race), and
// checks the two ordering guarantees: each key's changes arrive in order,
// and a writer's Drain returns only after its changes were delivered.
func TestFeedConcurrent(t *testing.T) {
	ks := New(2)
	const writers, ops = 4, 400
	var delivered [writers]atomic.Int64 // changes of key w seen by the listener
	var bad atomic.Value
	var last [writers]ChangeKind // guarded by the one-delivery-at-a-time rule
	ks.Listen(func(b []Change) {
		for _, c := range b {
			if c.Kind == ChangeFlush || c.DB != 0 || len(c.Key) < 2 || c.Key[0] != 'w' {
				continue
			}
			w := int(c.Key[1] - '0')
			// Each writer alternates SET and DEL on its key.
			if c.Kind == last[w] {
				bad.Store(fmt.Sprintf("key %q: %s twice in a row", c.Key, c.Kind))
			}
			last[w] = c.Kind
			delivered[w].Add(1)
		}
	})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := []byte{'w', byte('0' + w)}
			for i := range ops {
				ks.DB(0).Update(key, t0, func(e *Entry) {
					if i%2 == 0 {
						e.SetStr(key)
					} else {
						e.Delete()
					}
				})
				ks.Drain()
				if got := delivered[w].Load(); got != int64(i+1) {
					bad.Store(fmt.Sprintf("writer %d: Drain returned with %d of %d changes delivered", w, got, i+1))
					return
				}
			}
		}()
	}
	var bg sync.WaitGroup
	bg.Add(3)
	go func() { // expiring keys in db 1, read and actively expired
		defer bg.Done()
		db := ks.DB(1)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := []byte(fmt.Sprint("x", i%50))
			db.Update(k, t0, func(e *Entry) { e.SetStrExpire(k, t0+1) })
			db.View(k, t0+5, func(e *Entry) {})
			ks.ActiveExpireCycle(t0+5, time.Millisecond)
			if i%100 == 0 {
				db.Flush()
			}
		}
	}()
	go func() { // listeners coming and going
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			cancel := ks.Listen(func([]Change) {})
			ks.Drain()
			cancel()
		}
	}()
	go func() { // drains from elsewhere take batches with other goroutines' changes
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ks.Drain()
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
}

// Recording for a listener reuses the buffers: SET stays allocation-free.
func TestFeedZeroAllocs(t *testing.T) {
	db, keys := populated(t, 10000)
	ks := db.ks
	n := 0
	ks.Listen(func(b []Change) { n += len(b) })
	i := 0
	set := testing.AllocsPerRun(1000, func() {
		db.Update(keys[i%len(keys)], t0, func(e *Entry) { e.SetStr(value32) })
		ks.Drain()
		i += 31
	})
	if set != 0 {
		t.Fatalf("allocations per SET with a listener: %v", set)
	}
	if n == 0 {
		t.Fatal("listener saw nothing")
	}
}

// BenchmarkSetFeed is BenchmarkSet with the Drain every command does, with
// and without a listener.
func BenchmarkSetFeed(b *testing.B) {
	for _, listen := range []bool{false, true} {
		b.Run(fmt.Sprint("listener=", listen), func(b *testing.B) {
			db, keys := populated(b, benchKeyCount)
			if listen {
				n := 0
				db.ks.Listen(func(batch []Change) { n += len(batch) })
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				db.Update(keys[i&(benchKeyCount-1)], t0, func(e *Entry) { e.SetStr(value32) })
				db.ks.Drain()
				i += 7919
			}
		})
	}
}

// ChangeNew is recorded, before the change that created the key, only
// while somebody asked for it.
func TestFeedNew(t *testing.T) {
	ks := New(2)
	got := collect(t, ks)
	set(ks.DB(0), "a", "v", t0)
	if g := got(); !slices.Equal(g, []chg{{0, "a", ChangeSet, 0}}) {
		t.Fatalf("without RecordNew: %v", g)
	}
	ks.RecordNew(true)
	set(ks.DB(0), "b", "v", t0)
	set(ks.DB(0), "b", "w", t0)
	set(ks.DB(0), "a", "w", t0)
	ks.Move(0, 1, []byte("a"), t0)
	upd(ks, 0, "gone", t0, func(e *Entry) {}) // no change, nothing new
	want := []chg{{0, "b", ChangeNew, 0}, {0, "b", ChangeSet, 0}, {0, "b", ChangeSet, 0}, {0, "a", ChangeSet, 0},
		{0, "a", ChangeMoveFrom, 1}, {1, "a", ChangeNew, 0}, {1, "a", ChangeMoveTo, 0}}
	if g := got(); !slices.Equal(g, want) {
		t.Errorf("with RecordNew:\n got %v\nwant %v", g, want)
	}
	ks.RecordNew(false)
	set(ks.DB(0), "c", "v", t0)
	if g := got(); !slices.Equal(g, []chg{{0, "c", ChangeSet, 0}}) {
		t.Errorf("after RecordNew(false): %v", g)
	}
}
