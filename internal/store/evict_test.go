package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

func TestSampleEvictVolatile(t *testing.T) {
	db := New(1).DB(0)
	for i := range 2000 {
		k := []byte("key" + strconv.Itoa(i))
		db.Update(k, t0, func(e *Entry) {
			e.SetStr([]byte("v"))
			if i%100 == 0 {
				e.SetExpireAt(t0 + 1000)
			}
		})
	}
	seen := map[string]bool{}
	for range 300 {
		n := db.SampleEvict(5, true, func(k []byte, h uint64, meta uint32, exp int64) {
			if exp != t0+1000 {
				t.Fatalf("volatile sample %q without TTL", k)
			}
			if h != KeyHash(k) {
				t.Fatalf("hash of %q: %x, KeyHash %x", k, h, KeyHash(k))
			}
			seen[string(k)] = true
		})
		if n != 5 {
			t.Fatalf("sampled %d keys", n)
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d of 20 volatile keys ever sampled", len(seen))
	}
	all := map[string]bool{}
	for range 300 {
		db.SampleEvict(5, false, func(k []byte, _ uint64, _ uint32, _ int64) { all[string(k)] = true })
	}
	// 1500 draws in runs of 5 from random places cover about
	// 2000·(1−e^(−0.75)) ≈ 1055 distinct keys.
	if len(all) < 850 {
		t.Errorf("only %d of 2000 keys sampled in 1500 draws", len(all))
	}
	if n := New(1).DB(0).SampleEvict(5, false, func([]byte, uint64, uint32, int64) {}); n != 0 {
		t.Errorf("empty db sampled %d", n)
	}
}

func TestEvictKey(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	set(db, "plain", "v", t0)
	db.Update([]byte("ttl"), t0, func(e *Entry) { e.SetStr([]byte("v")); e.SetExpireAt(t0 + 10) })
	db.Update([]byte("gone"), t0, func(e *Entry) { e.SetStr([]byte("v")); e.SetExpireAt(t0 + 10) })
	before := ks.UsedMemory()

	if r, _, _ := db.EvictKey([]byte("plain"), true, t0); r != EvictMissing {
		t.Errorf("volatile eviction of a key without TTL: %v", r)
	}
	if r, h, meta := db.EvictKey([]byte("ttl"), true, t0); r != EvictDeleted || h != KeyHash([]byte("ttl")) || meta>>8 != lruClock(t0) {
		t.Errorf("EvictKey(ttl) = %v %x %x", r, h, meta)
	}
	if r, _, _ := db.EvictKey([]byte("gone"), false, t0+11); r != EvictExpired {
		t.Errorf("expired key: %v", r)
	}
	if ks.ExpiredKeys() != 1 {
		t.Errorf("expired_keys %d", ks.ExpiredKeys())
	}
	if r, _, _ := db.EvictKey([]byte("nope"), false, t0); r != EvictMissing {
		t.Errorf("missing key: %v", r)
	}
	if r, _, _ := db.EvictKey([]byte("plain"), false, t0); r != EvictDeleted {
		t.Errorf("plain: %v", r)
	}
	// Only the tables' minimum size remains (8 slots in each of at most 3 shards).
	if db.Len() != 0 || ks.UsedMemory() >= before || ks.UsedMemory() > 3*minSlots*8 {
		t.Errorf("after evicting all: %d keys, used %d (was %d)", db.Len(), ks.UsedMemory(), before)
	}
	checkInvariants(t, db)
}

func TestMemoryUsage(t *testing.T) {
	db := New(1).DB(0)
	for _, n := range []int{0, 3, 100, 1000, bigValue, bigValue + 1, 100_000} {
		k := fmt.Sprint("k", n)
		set(db, k, string(make([]byte, n)), t0)
		db.Peek([]byte(k), t0, func(e *Entry) {
			// Header and metadata take under 16 bytes; a lone key's share of
			// its shard's table is the minimum table, 64 bytes.
			if u := e.MemoryUsage(); u < int64(n+len(k)) || u > int64(n+len(k))+16+minSlots*8 {
				t.Errorf("MemoryUsage of a %d-byte value = %d", n, u)
			}
		})
	}
	db.Peek([]byte("missing"), t0, func(e *Entry) {
		if e.MemoryUsage() != 0 {
			t.Error("missing key has a size")
		}
	})
}

func TestLFUParams(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	set(db, "k", "v", t0)
	ks.SetLFUParams(0, 0) // every access counts; no decay
	for range 50 {
		db.View([]byte("k"), t0, func(*Entry) {})
	}
	freq := func(now int64) (f int) {
		db.Peek([]byte("k"), now, func(e *Entry) { f = e.Freq() })
		return
	}
	if f := freq(t0); f != lfuInit+50 {
		t.Errorf("log factor 0: freq %d after 50 hits, want %d", f, lfuInit+50)
	}
	if f := freq(t0 + 3600_000); f != lfuInit+50 {
		t.Errorf("decay 0: freq %d an hour later", f)
	}
	ks.SetLFUParams(10, 2)
	if f := freq(t0 + 10*60_000); f != lfuInit+50-5 {
		t.Errorf("decay 2: freq %d after 10 idle minutes, want %d", f, lfuInit+45)
	}
}

// countingPolicy records the hashes it is called with.
type countingPolicy struct{ inserts, accesses atomic.Int64 }

func (p *countingPolicy) Insert(h uint64, now int64) uint32 { p.inserts.Add(1); return uint32(h) | 1 }
func (p *countingPolicy) Access(h uint64, meta uint32, now int64) uint32 {
	p.accesses.Add(1)
	if meta != uint32(h)|1 {
		panic("policy handed a word it did not write")
	}
	return meta
}

func TestMetaPolicy(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	p := &countingPolicy{}
	ks.SetMetaPolicy(p)
	ks.SetLFUParams(3, 4) // must keep the policy
	set(db, "a", "v", t0)
	db.View([]byte("a"), t0, func(*Entry) {})
	db.Peek([]byte("a"), t0, func(*Entry) {})
	db.Update([]byte("a"), t0, func(e *Entry) { e.SetStr([]byte("w")) })
	db.UpdateNoTouch([]byte("a"), t0, func(e *Entry) { e.SetStr([]byte("x")) })
	if p.inserts.Load() != 1 || p.accesses.Load() != 2 {
		t.Errorf("inserts %d accesses %d, want 1 and 2", p.inserts.Load(), p.accesses.Load())
	}
	db.SampleEvict(1, false, func(k []byte, h uint64, meta uint32, _ int64) {
		if meta != uint32(h)|1 {
			t.Errorf("sampled word %x for hash %x", meta, h)
		}
	})
	ks.SetMetaPolicy(nil)
	set(db, "b", "v", t0)
	db.Peek([]byte("b"), t0, func(e *Entry) {
		if e.Meta() != newMeta(t0) {
			t.Errorf("Redis metadata not restored: %x", e.Meta())
		}
	})
}

// TestUsedMemoryMatchesHeap loads keys of mixed sizes (inline and big
// values, in several databases) and checks that UsedMemory is within 15 %
// of how much the Go heap grew to hold them.
func TestUsedMemoryMatchesHeap(t *testing.T) {
	t.Run("values", func(t *testing.T) { usedVersusHeap(t, false) })
	// SET k v EX n writes its record once (SetStrExpire); a TTL added
	// later rewrites it, which compaction reclaims in time.
	t.Run("values with TTL", func(t *testing.T) { usedVersusHeap(t, true) })
}

func usedVersusHeap(t *testing.T, withTTL bool) {
	n := 500_000
	if raceEnabled || testing.Short() {
		n = 100_000
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	h0 := heap()
	ks := New(16)
	sizes := []int{0, 8, 16, 32, 64, 100, 200, 500, 1000, 3000, 9000, 20000}
	var payload int64
	val := make([]byte, 20000)
	key := make([]byte, 0, 32)
	for i := range n {
		size := sizes[i%len(sizes)]
		if size > 5000 && i%7 != 0 {
			size = 50 // keep big values a minority, as in caches
		}
		key = strconv.AppendInt(append(key[:0], "user:"...), int64(i), 10)
		payload += int64(len(key) + size)
		ks.DB(i%3).Update(key, t0, func(e *Entry) {
			if withTTL && i%4 == 0 {
				e.SetStrExpire(val[:size], t0+3600_000)
			} else {
				e.SetStr(val[:size])
			}
		})
	}
	grew := int64(heap() - h0)
	used := ks.UsedMemory()
	ratio := float64(used) / float64(grew)
	t.Logf("%d keys, payload %d B: used_memory %d B (%.1f B/key), heap grew %d B (%.1f B/key), ratio %.3f; %+v",
		n, payload, used, float64(used)/float64(n), grew, float64(grew)/float64(n), ratio, ks.MemoryStats())
	if ratio < 0.85 || ratio > 1.15 {
		t.Errorf("used_memory / heap growth = %.3f, want within 15 %%", ratio)
	}
	runtime.KeepAlive(ks)
}

// TestMemoryPressureCompacts deletes every third key: without pressure no
// chunk reaches half garbage and the arena keeps it all; under pressure
// chunks a quarter reclaimable are compacted.
func TestMemoryPressureCompacts(t *testing.T) {
	for _, pressure := range []bool{false, true} {
		ks := New(1)
		ks.SetMemoryPressure(pressure)
		db := ks.DB(0)
		const n = 60_000
		for i := range n {
			set(db, "k"+strconv.Itoa(i), string(make([]byte, 100)), t0)
		}
		for i := 0; i < n; i += 3 {
			db.Update([]byte("k"+strconv.Itoa(i)), t0, func(e *Entry) { e.Delete() })
		}
		m := ks.MemoryStats()
		ratio := float64(m.Arena) / float64(m.Records)
		t.Logf("pressure %v: arena %d B for %d B of records (%.2f)", pressure, m.Arena, m.Records, ratio)
		if pressure && ratio > 1.3 || !pressure && ratio < 1.4 {
			t.Errorf("pressure %v: arena/records = %.2f", pressure, ratio)
		}
		checkInvariants(t, db)
	}
}

// TestHolesRefilledUnderChurn is a cache at its limit: every write of a new
// key follows the deletion of a random old one, values of one size. The
// dead records' space is taken again by the new ones, so the arena stays
// near the size of its records without compaction (no pressure here, where
// a chunk is compacted only at half garbage: with holes left unused the
// arena would approach twice its records, 1.6 × in TestMemoryPressureCompacts).
// Not exactly its size: deletions and writes fall on shards at random, so
// each shard's holes drift like a random walk, up to ~13 % here.
func TestHolesRefilledUnderChurn(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	const n = 20_000
	val := string(make([]byte, 1000))
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%012d", i) // one length, as redis-benchmark's
		set(db, keys[i], val, t0)
	}
	for i := n; i < 6*n; i++ {
		j := rng.IntN(n)
		db.Update([]byte(keys[j]), t0, func(e *Entry) { e.Delete() })
		keys[j] = fmt.Sprintf("key:%012d", i)
		set(db, keys[j], val, t0)
		if i%50_000 == 0 {
			checkInvariants(t, db)
		}
	}
	m := ks.MemoryStats()
	ratio := float64(m.Arena) / float64(m.Records)
	t.Logf("%d keys: arena %d B for %d B of records (%.3f)", m.Keys, m.Arena, m.Records, ratio)
	if m.Keys != n {
		t.Fatalf("%d keys, want %d", m.Keys, n)
	}
	if ratio > 1.2 {
		t.Errorf("arena/records = %.3f, want the holes refilled (≤ 1.2)", ratio)
	}
	checkInvariants(t, db)
}
