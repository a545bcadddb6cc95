package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestActiveExpire loads a million keys with a one-second TTL and runs the
// expiry cycle as the server will (every 100 ms with a 25 ms budget), on the
// real clock. The database must empty within 10 s of the load; Redis 7 takes
// about 3.6 s on this kind of machine. Meanwhile a reader measures how long
// it waits, since no step may hold a shard lock for long.
func TestActiveExpire(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 100_000
	}
	ks := New(16)
	db := ks.DB(0)
	set(db, "persistent", "v", NowMs())
	keys := benchKeys(n)
	start := NowMs()
	for _, k := range keys {
		db.Update(k, start, func(e *Entry) {
			e.SetStr(value32)
			e.SetExpireAt(start + 1000)
		})
	}
	loaded := time.Now()
	t.Logf("loaded %d keys in %v", n, time.Duration(NowMs()-start)*time.Millisecond)
	if db.Expires() != n {
		t.Fatalf("Expires = %d", db.Expires())
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var waits []time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		key := []byte("persistent")
		for !stop.Load() {
			t0 := time.Now()
			db.View(key, NowMs(), func(e *Entry) {})
			waits = append(waits, time.Since(t0))
			time.Sleep(50 * time.Microsecond)
		}
	}()

	total := 0
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for db.Len() > 1 {
		if time.Since(loaded) > 10*time.Second {
			t.Fatalf("%d keys left 10 s after loading", db.Len()-1)
		}
		<-tick.C
		total += ks.ActiveExpireCycle(NowMs(), 25*time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("emptied %v after loading", time.Since(loaded).Round(time.Millisecond))
	if total != n || ks.ExpiredKeys() != int64(n) || db.Expires() != 0 {
		t.Fatalf("expired %d, ExpiredKeys %d, Expires %d; want %d", total, ks.ExpiredKeys(), db.Expires(), n)
	}
	if v, ok := get(db, "persistent", NowMs()); !ok || v != "v" {
		t.Fatal("a key without TTL was expired")
	}
	slices.Sort(waits)
	if len(waits) > 0 {
		t.Logf("reader latency during expiry: p50 %v p99 %v max %v (%d reads)",
			waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1], len(waits))
	}
	checkInvariants(t, db)
	if m := ks.MemoryStats(); m.Arena > 64<<10*numShards {
		t.Fatalf("arena not reclaimed: %+v", m)
	}
}

// TestActiveExpireBudget checks that a cycle stops near its budget and
// resumes where it stopped.
func TestActiveExpireBudget(t *testing.T) {
	ks := New(2)
	n := 200_000
	if raceEnabled {
		n = 20_000
	}
	for i := range n {
		ks.DB(1).Update(fmt.Appendf(nil, "k%d", i), t0, func(e *Entry) {
			e.SetStr([]byte("v"))
			e.SetExpireAt(t0 + 10)
		})
	}
	start := time.Now()
	got := ks.ActiveExpireCycle(t0+100, time.Millisecond)
	if d := time.Since(start); d > 50*time.Millisecond { // slack for a loaded machine
		t.Errorf("1 ms budget took %v", d)
	}
	if got == 0 || got == n {
		t.Fatalf("a 1 ms cycle expired %d of %d keys", got, n)
	}
	for ks.DB(1).Len() > 0 {
		got += ks.ActiveExpireCycle(t0+100, 10*time.Millisecond)
	}
	if got != n {
		t.Fatalf("expired %d, want %d", got, n)
	}
	// Keys that are not due stay.
	set(ks.DB(0), "later", "v", t0)
	ks.DB(0).Update([]byte("later"), t0, func(e *Entry) { e.SetExpireAt(t0 + 1e6) })
	if ks.ActiveExpireCycle(t0+100, time.Millisecond) != 0 || ks.DB(0).Len() != 1 {
		t.Fatal("expired a key that is not due")
	}
}

// TestActiveExpireSparse checks that keys with a TTL are found when they are
// a small minority: the walk skips the others by their slot's TTL bit.
func TestActiveExpireSparse(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	n := 200_000
	if raceEnabled {
		n = 20_000
	}
	for i := range n {
		key := fmt.Appendf(nil, "k%d", i)
		db.Update(key, t0, func(e *Entry) {
			e.SetStr([]byte("v"))
			if i%100 == 0 {
				e.SetExpireAt(t0 + 10)
			}
		})
	}
	cycles := 0
	for db.Expires() > 0 {
		if cycles++; cycles > 20 {
			t.Fatalf("%d keys with a TTL left after 20 cycles", db.Expires())
		}
		ks.ActiveExpireCycle(t0+100, 25*time.Millisecond)
	}
	if db.Len() != n-n/100 {
		t.Fatalf("Len = %d", db.Len())
	}
	t.Logf("%d sparse expired keys reclaimed in %d cycles", n/100, cycles)
}
