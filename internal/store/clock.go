package store

import (
	"sync/atomic"
	"time"
)

// The clock commands read: unix milliseconds for expiry, LRU and idle
// times, once per command. It is the monotonic clock (one vDSO read, which
// the command layer shares with its command timing) plus the wall clock's
// offset from it, re-read at most every resyncEvery of monotonic time, so a
// stepped system clock is followed within that, as Redis follows it at its
// next command. An earlier cached clock, refreshed by a 1 ms ticker while
// in use, cost ~2.7 % of a core under load and, with a few sparse clients,
// a thousand timer wake-ups a second: most of such a server's CPU.
var epoch = time.Now()

// resyncEvery bounds how stale the wall clock's offset may be.
const resyncEvery = int64(100 * time.Millisecond)

var wall struct {
	off    atomic.Int64 // wall clock (unix ns) minus Mono, when last synced
	synced atomic.Int64 // Mono (ns) when off was read
}

func init() { resync() }

// Mono is the time since the process started, from the monotonic clock.
func Mono() time.Duration { return time.Since(epoch) }

// MonoTime is the time.Time of a Mono reading, without reading the clock
// again (it carries the monotonic reading, so time.Since works on it).
func MonoTime(m time.Duration) time.Time { return epoch.Add(m) }

// WallMs is the wall clock in unix milliseconds at m, a Mono reading taken
// just now (or within a command's length of it).
func WallMs(m time.Duration) int64 {
	if int64(m)-wall.synced.Load() > resyncEvery {
		resync()
	}
	return (wall.off.Load() + int64(m)) / int64(time.Millisecond)
}

// NowMs returns the wall clock in unix milliseconds.
func NowMs() int64 { return WallMs(Mono()) }

func resync() {
	now := time.Now()
	m := now.Sub(epoch) // monotonic: both readings carry it
	wall.off.Store(now.UnixNano() - int64(m))
	wall.synced.Store(int64(m))
}
