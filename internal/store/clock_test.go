package store

import (
	"testing"
	"time"
)

func TestNowMs(t *testing.T) {
	for i := range 50 {
		before := time.Now().UnixMilli()
		got := NowMs()
		after := time.Now().UnixMilli()
		// The offset is at most resyncEvery old: the two clocks drift
		// apart by far less than a millisecond in that time.
		if got < before-1 || got > after+1 {
			t.Fatalf("call %d: NowMs %d outside [%d, %d]", i, got, before, after)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// A wall-clock step (settimeofday, an NTP step) is followed within
// resyncEvery: simulated by skewing the synced offset.
func TestNowMsFollowsWallClock(t *testing.T) {
	resync()
	t.Cleanup(resync)
	wall.off.Add(int64(time.Hour))
	if got, want := NowMs(), time.Now().UnixMilli(); got < want+int64(time.Hour/time.Millisecond)-1000 {
		t.Fatalf("the skewed offset is not in use: NowMs %d, wall %d", got, want)
	}
	time.Sleep(time.Duration(resyncEvery) + 20*time.Millisecond)
	if got, want := NowMs(), time.Now().UnixMilli(); got < want-1 || got > want+1 {
		t.Fatalf("not resynced after %v: NowMs %d, wall %d", time.Duration(resyncEvery), got, want)
	}
}
