package store

import (
	"strconv"
	"sync"
	"testing"
)

// TestPrefetchDuringResizes calls Prefetch, which reads the table without
// its lock, and PrefetchRecord, which reads it under a TryRLock, while
// other goroutines grow and shrink that table: whatever they read, they
// must not crash. Race builds make Prefetch a no-op (the read is
// a race by design), so `make test` runs this without -race too.
func TestPrefetchDuringResizes(t *testing.T) {
	if raceEnabled {
		t.Skip("Prefetch is a no-op under the race detector")
	}
	db := New(1).DB(0)
	keys := make([][]byte, 20000)
	for i := range keys {
		keys[i] = []byte("k" + strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				db.Prefetch(keys[i%len(keys)])
				db.PrefetchRecord(keys[(i+7)%len(keys)])
			}
		}()
	}
	for round := range 20 {
		for _, k := range keys {
			db.Update(k, t0, func(e *Entry) { e.SetStr(k) })
		}
		for _, k := range keys {
			db.Update(k, t0, func(e *Entry) { e.Delete() })
		}
		if n := db.Len(); n != 0 {
			t.Fatalf("round %d: %d keys left", round, n)
		}
	}
	close(stop)
	wg.Wait()
}
