package server

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestMemTidyOnlyWhenIdleAndWasteful(t *testing.T) {
	var freed atomic.Int32
	live, retained := int64(100<<20), int64(300<<20)
	m := memTidy{
		read: func() (int64, int64, bool) { return live, retained, true },
		free: func() { freed.Add(1) },
	}
	wait := func() {
		for m.running.Load() {
			time.Sleep(time.Millisecond)
		}
	}
	now := int64(1_000_000)
	m.check(1, now) // busy: commands ran
	m.check(2, now+500)
	m.check(2, now+1000) // first quiet check: idle from here
	wait()
	if freed.Load() != 0 {
		t.Fatal("tidied while busy")
	}
	m.check(2, now+1500) // idle for 500 ms only
	wait()
	if freed.Load() != 0 {
		t.Fatal("tidied after half a second")
	}
	m.check(2, now+2100) // idle for 1.1 s, 3 × live retained
	wait()
	if freed.Load() != 1 {
		t.Fatalf("freed %d times after a second idle with 200 MB of garbage, want 1", freed.Load())
	}
	m.check(2, now+5000) // again within tidyEveryMs
	wait()
	if freed.Load() != 1 {
		t.Fatal("tidied again within the rate limit")
	}
	retained = live + live/8 // little garbage
	m.check(2, now+20000)
	wait()
	if freed.Load() != 1 {
		t.Fatal("tidied with little garbage")
	}
	retained = 3 * live
	m.check(2, now+30000)
	wait()
	if freed.Load() != 2 {
		t.Fatal("did not tidy once the rate limit passed")
	}
	if _, _, ok := (&memTidy{}).readRuntime(); !ok {
		t.Fatal("runtime metrics missing")
	}
}
