package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentViewUpdate has goroutines increment counters, read them,
// rewrite pairs of keys together and churn unrelated keys, all on
// overlapping keys. Increments must not be lost, readers must only see
// well-formed values, and pairs written by Multi must always agree.
func TestConcurrentViewUpdate(t *testing.T) {
	db := New(1).DB(0)
	const counters = 20
	workers, ops := 8, 4000
	if testing.Short() || raceEnabled {
		ops = 1000
	}
	var incs [counters]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for op := range ops {
				now := NowMs()
				c := rng.IntN(counters)
				key := fmt.Appendf(nil, "counter:%d", c)
				switch rng.IntN(6) {
				case 0, 1: // INCR
					db.Update(key, now, func(e *Entry) {
						n, _ := strconv.Atoi(string(e.Str()))
						e.SetStr(strconv.AppendInt(nil, int64(n+1), 10))
					})
					incs[c].Add(1)
				case 2: // GET
					db.View(key, now, func(e *Entry) {
						if v := e.Str(); e.Exists() {
							if _, err := strconv.Atoi(string(v)); err != nil {
								t.Errorf("torn read %q", v)
							}
						}
					})
				case 3: // MSET a pair with a growing value, then check it
					v := bytes.Repeat([]byte{byte('a' + op%26)}, 1+op%300)
					pair := [][]byte{fmt.Appendf(nil, "pair:%d:a", c), fmt.Appendf(nil, "pair:%d:b", c)}
					db.Multi(pair, now, func(es []*Entry) {
						es[0].SetStr(v)
						es[1].SetStr(v)
					})
					db.Multi(pair, now, func(es []*Entry) {
						if !bytes.Equal(es[0].Str(), es[1].Str()) {
							t.Errorf("pair %d disagrees", c)
						}
					})
				case 4: // churn: create and delete keys to force resizes and compaction
					k := fmt.Appendf(nil, "tmp:%d:%d", w, op%500)
					db.Update(k, now, func(e *Entry) {
						if e.Exists() {
							e.Delete()
						} else {
							e.SetStr(bytes.Repeat([]byte("z"), op%100))
							e.SetExpireAt(now + int64(rng.IntN(5)))
						}
					})
				case 5: // scans, samples and expiry alongside
					switch op % 3 {
					case 0:
						db.Scan(uint64(rng.IntN(1<<20)), 10, now, func([]byte, Type) {})
					case 1:
						db.Sample(5, now, func([]byte, uint32, int64) {})
					case 2:
						db.ks.ActiveExpireCycle(now, time.Millisecond)
					}
				}
			}
		}()
	}
	wg.Wait()
	for c := range counters {
		v, _ := get(db, fmt.Sprintf("counter:%d", c), NowMs())
		if n, _ := strconv.Atoi(v); int64(n) != incs[c].Load() {
			t.Errorf("counter %d = %d, want %d (lost updates)", c, n, incs[c].Load())
		}
	}
	checkInvariants(t, db)
}

// TestConcurrentMoveCopy moves and copies keys between databases in both
// directions at once: lock ordering must prevent deadlocks, and no key may
// be lost or duplicated by Move.
func TestConcurrentMoveCopy(t *testing.T) {
	ks := New(2)
	const n = 200
	for i := range n {
		set(ks.DB(0), fmt.Sprint("m", i), "v", t0)
	}
	rounds := 3000
	if testing.Short() || raceEnabled {
		rounds = 800
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range rounds {
				k := fmt.Appendf(nil, "m%d", rng.IntN(n))
				src := rng.IntN(2)
				if w == 3 {
					ks.Copy(src, 1-src, k, fmt.Appendf(nil, "c%d", rng.IntN(n)), true, t0)
					continue
				}
				ks.Move(src, 1-src, k, t0)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		k := fmt.Sprint("m", i)
		_, in0 := get(ks.DB(0), k, t0)
		_, in1 := get(ks.DB(1), k, t0)
		if in0 == in1 {
			t.Fatalf("%s in db0=%v db1=%v", k, in0, in1)
		}
	}
	checkInvariants(t, ks.DB(0))
	checkInvariants(t, ks.DB(1))
}
