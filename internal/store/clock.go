package store

import (
	"sync/atomic"
	"time"
)

// The clock is cached. On this project's VMs time.Now costs 50–175 ns, a
// large share of a GET, while an atomic load costs ~1 ns. While NowMs is in
// use a goroutine refreshes the cached value every millisecond, the
// resolution PX and PEXPIRE need; that costs about 2.7 % of a core, so the
// goroutine stops after 100 ms without calls and the next call reads the
// clock directly and restarts it. Under heavy load the ticker may run a few ms
// late; Redis also reads its clock once per command, not continuously.
var clock struct {
	ms      atomic.Int64
	running atomic.Bool // the ticker goroutine is refreshing ms
	used    atomic.Bool // NowMs was called since the last tick
}

// clockIdleTicks is how many ticks without a NowMs call stop the ticker.
const clockIdleTicks = 100

// NowMs returns the wall clock in unix milliseconds, cached to 1 ms.
func NowMs() int64 {
	if clock.running.Load() {
		if !clock.used.Load() { // read first: a store on every call would bounce the line between cores
			clock.used.Store(true)
		}
		return clock.ms.Load()
	}
	return wakeClock()
}

func wakeClock() int64 {
	now := time.Now().UnixMilli()
	clock.ms.Store(now)
	clock.used.Store(true)
	if clock.running.CompareAndSwap(false, true) {
		go tickClock()
	}
	return now
}

func tickClock() {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	idle := 0
	for range t.C {
		clock.ms.Store(time.Now().UnixMilli())
		if clock.used.Swap(false) {
			idle = 0
			continue
		}
		if idle++; idle >= clockIdleTicks {
			// A NowMs racing with this still got a value at most 1 ms old;
			// the next one restarts the ticker.
			clock.running.Store(false)
			return
		}
	}
}
