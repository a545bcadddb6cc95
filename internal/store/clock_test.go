package store

import (
	"testing"
	"time"
)

func TestNowMs(t *testing.T) {
	check := func(when string) {
		t.Helper()
		got, want := NowMs(), time.Now().UnixMilli()
		if got < want-20 || got > want+1 {
			t.Fatalf("%s: NowMs %d, time.Now %d", when, got, want)
		}
	}
	check("first call")
	for range 20 {
		time.Sleep(3 * time.Millisecond)
		check("while ticking")
	}
	time.Sleep(time.Duration(clockIdleTicks+50) * time.Millisecond)
	if clock.running.Load() {
		t.Error("ticker still running after an idle period")
	}
	check("after idling")
	if !clock.running.Load() {
		t.Error("ticker not restarted")
	}
}
