package store

import (
	"testing"
	"time"
)

func TestNowMs(t *testing.T) {
	// The cached clock may trail by a tick, more when the machine is
	// loaded and the ticker goroutine waits for a CPU; it never leads.
	const maxLag = 250
	check := func(when string) {
		t.Helper()
		got, want := NowMs(), time.Now().UnixMilli()
		if got < want-maxLag || got > want+1 {
			t.Fatalf("%s: NowMs %d, time.Now %d", when, got, want)
		}
	}
	check("first call")
	for range 20 {
		time.Sleep(3 * time.Millisecond)
		check("while ticking")
	}
	deadline := time.Now().Add(5 * time.Second)
	for clock.running.Load() {
		if time.Now().After(deadline) {
			t.Fatal("ticker still running 5s after the last call")
		}
		time.Sleep(10 * time.Millisecond)
	}
	check("after idling")
	if !clock.running.Load() {
		t.Error("ticker not restarted")
	}
}
