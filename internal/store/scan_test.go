package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNextCursorCoversSpace(t *testing.T) {
	for b := range 6 {
		mask := uint64(1)<<b - 1
		seen := map[uint64]bool{}
		v := uint64(0)
		for {
			seen[v] = true
			if v = nextCursor(v, mask); v == 0 {
				break
			}
		}
		if len(seen) != 1<<b {
			t.Fatalf("bits %d: visited %d buckets", b, len(seen))
		}
	}
}

func TestScanEmptyAndSmall(t *testing.T) {
	db := New(1).DB(0)
	calls := 0
	for c := uint64(0); ; {
		calls++
		c = db.Scan(c, 10, t0, func([]byte, Type) { t.Fatal("key in an empty db") })
		if c == 0 {
			break
		}
	}
	if calls > 2 {
		t.Fatalf("empty db took %d calls", calls)
	}
	want := map[string]Type{"a": TypeString, "b": TypeList}
	set(db, "a", "1", t0)
	db.Update([]byte("b"), t0, func(e *Entry) { e.SetObj(TypeList, &testObj{}) })
	got := map[string]Type{}
	for c := uint64(0); ; {
		c = db.Scan(c, 1000, t0, func(k []byte, typ Type) { got[string(k)] = typ })
		if c == 0 {
			break
		}
	}
	if len(got) != 2 || got["a"] != want["a"] || got["b"] != want["b"] {
		t.Fatalf("Scan = %v", got)
	}
	// Garbage cursors must not crash.
	for _, c := range []uint64{1<<64 - 1, 12345678901234, 63} {
		db.Scan(c, 10, t0, func([]byte, Type) {})
	}
}

// TestScanGuarantee checks SCAN's promise while other goroutines insert and
// delete enough keys to grow and shrink every shard's table many times:
// every key present for the whole scan is returned at least once.
func TestScanGuarantee(t *testing.T) {
	db := New(1).DB(0)
	stable := 5000
	churn := 40000
	rounds := 3
	if testing.Short() || raceEnabled {
		stable, churn, rounds = 1000, 8000, 2
	}
	for i := range stable {
		set(db, fmt.Sprint("stable:", i), "v", t0)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var phases atomic.Int64 // completed fill or drain phases
	var minSlots, maxSlots atomic.Int64
	minSlots.Store(1 << 40)
	wg.Add(1)
	go func() { // one churner, so its phases are exactly "all in" and "all out"
		defer wg.Done()
		for !stop.Load() {
			for i := range churn {
				set(db, fmt.Sprint("churn:", i), "some value", t0)
			}
			observeSlots(db, &minSlots, &maxSlots)
			phases.Add(1)
			for i := range churn {
				db.Update(fmt.Append(nil, "churn:", i), t0, func(e *Entry) { e.Delete() })
			}
			observeSlots(db, &minSlots, &maxSlots)
			phases.Add(1)
		}
	}()
	// Each scan waits at a few points for the churners to finish a phase, so
	// that tables grow and shrink in the middle of every scan.
	for r := range rounds {
		seen := make(map[string]int, stable)
		calls := 0
		for c := uint64(0); ; calls++ {
			if calls%30 == 0 && calls <= 60 {
				for p := phases.Load(); phases.Load() == p; {
					time.Sleep(100 * time.Microsecond)
				}
			}
			c = db.Scan(c, 1+r*10, t0, func(k []byte, _ Type) { seen[string(k)]++ })
			if c == 0 {
				break
			}
		}
		if calls <= 60 {
			t.Fatalf("scan %d finished after %d calls, before churn could overlap it", r, calls)
		}
		for i := range stable {
			if k := fmt.Sprint("stable:", i); seen[k] == 0 {
				t.Fatalf("scan %d: %s never returned", r, k)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if maxSlots.Load() < 2*minSlots.Load() {
		t.Fatalf("tables did not grow and shrink enough: %d..%d slots", minSlots.Load(), maxSlots.Load())
	}
	checkInvariants(t, db)
}

// observeSlots records the smallest and largest total table size seen.
func observeSlots(db *DB, lo, hi *atomic.Int64) {
	n := int64(0)
	for i := range db.shards {
		sh := &db.shards[i]
		sh.mu.RLock()
		n += int64(len(sh.tab.slots))
		sh.mu.RUnlock()
	}
	if n < lo.Load() {
		lo.Store(n)
	}
	if n > hi.Load() {
		hi.Store(n)
	}
}

// TestScanAcrossResizes drives resizes deterministically between Scan calls,
// including jumps of several powers of two, on one shard's worth of keys.
func TestScanAcrossResizes(t *testing.T) {
	db := New(1).DB(0)
	churn := 3000
	if raceEnabled {
		churn = 1000
	}
	stable := make([]string, 0, 500)
	for i := range 500 {
		k := fmt.Sprint("s", i)
		stable = append(stable, k)
		set(db, k, "v", t0)
	}
	seen := map[string]bool{}
	c := uint64(0)
	for step := 0; ; step++ {
		c = db.Scan(c, 3, t0, func(k []byte, _ Type) { seen[string(k)] = true })
		if c == 0 {
			break
		}
		switch step % 3 {
		case 0: // grow a lot
			for i := range churn {
				set(db, fmt.Sprint("t", step, ":", i), "v", t0)
			}
		case 1: // shrink a lot
			for i := range churn {
				db.Update(fmt.Append(nil, "t", step-1, ":", i), t0, func(e *Entry) { e.Delete() })
			}
		}
	}
	for _, k := range stable {
		if !seen[k] {
			t.Fatalf("%s missed", k)
		}
	}
}

func TestKeysStops(t *testing.T) {
	db := New(1).DB(0)
	for i := range 100 {
		set(db, fmt.Sprint(i), "v", t0)
	}
	n := 0
	db.Keys(t0, func([]byte, Type) bool { n++; return n < 10 })
	if n != 10 {
		t.Fatalf("Keys went on after false: %d", n)
	}
	var all []string
	db.Keys(t0, func(k []byte, _ Type) bool { all = append(all, string(k)); return true })
	slices.Sort(all)
	if len(all) != 100 || len(slices.Compact(all)) != 100 {
		t.Fatal("Keys missed or repeated keys")
	}
}

func TestReverseCursorMatchesRedis(t *testing.T) {
	// Redis's dictScan visits buckets of a 2^3 table in the order
	// 0 4 2 6 1 5 3 7.
	var order []uint64
	v := uint64(0)
	for {
		order = append(order, v)
		if v = nextCursor(v, 7); v == 0 {
			break
		}
	}
	want := []uint64{0, 4, 2, 6, 1, 5, 3, 7}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v", order)
	}
}
