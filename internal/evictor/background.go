package evictor

import (
	"runtime"
	"sync"
	"time"

	"github.com/smallredis/smallredis/internal/store"
)

// Headroom is how far below maxmemory the background evictor keeps used
// memory: 1/128 of the limit (1 MiB at 128 MiB), at most 16 MiB. That
// costs under 1 % of the cache and lets a burst of writes of that size run
// without evicting inline. No floor: with a small limit Redis's users (and
// its tests) expect used memory to reach within a few KB of it, and a
// 64 KiB floor kept a 100 KB cache a quarter empty.
func Headroom(limit int64) int64 {
	return min(limit/128, 16<<20)
}

// SetGate makes the background evictor hold l around each batch (the
// command layer's world gate, so nothing is evicted while a transaction
// runs). Call it before Run.
func (ev *Evictor) SetGate(l sync.Locker) { ev.gate = l }

// kick wakes the background evictor without waiting.
func (ev *Evictor) kick() {
	select {
	case ev.wake <- struct{}{}:
	default:
	}
}

// backgroundSlice is how long the background evictor holds the pool at a
// time before letting inline evictions in.
const backgroundSlice = 200 * time.Microsecond

// Run is the background evictor: woken when used memory enters the headroom
// (and every 100 ms regardless), it evicts down to maxmemory − Headroom in
// short slices. It returns when stop is closed.
func (ev *Evictor) Run(stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	ticks := 0
	for {
		select {
		case <-stop:
			return
		case <-ev.wake:
		case <-t.C:
			if ticks++; ticks%10 == 0 {
				ev.resizeCustom() // follow the mean key size
			}
		}
		ev.notePressure()
		ev.background(stop)
	}
}

// notePressure asks the store to compact harder while the keyspace is
// within a quarter of its limit: there, garbage left in the arena by
// evictions is what would take the process's RSS past its budget.
func (ev *Evictor) notePressure() {
	limit := ev.limit.Load()
	ev.ks.SetMemoryPressure(limit > 0 && ev.ks.UsedMemory() > limit-limit/4)
}

func (ev *Evictor) background(stop <-chan struct{}) {
	for {
		limit := ev.limit.Load()
		if limit == 0 || ev.pol.Load().kind == noEviction {
			return
		}
		target := limit - Headroom(limit)
		if ev.ks.UsedMemory() <= target {
			if ev.ks.UsedMemory() <= limit {
				ev.noteResult(OK)
			}
			return
		}
		if ev.gate != nil {
			ev.gate.Lock()
		}
		res := ev.evict(&ev.pools[len(ev.pools)-1], target, backgroundSlice, store.NowMs(), limit)
		if ev.gate != nil {
			ev.gate.Unlock()
		}
		if res == Fail {
			return
		}
		select {
		case <-stop:
			return
		default:
		}
		runtime.Gosched() // let a waiting inline eviction take the pool
	}
}
