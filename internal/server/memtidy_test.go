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
		free: func() { freed.Add(1) }, // frees nothing: retained stays
	}
	wait := func() {
		for m.running.Load() {
			time.Sleep(time.Millisecond)
		}
	}
	now := int64(1_000_000)
	m.check(100, now) // busy: commands ran
	m.check(200, now+500)
	m.check(201, now+1000) // first quiet check: idle from here
	wait()
	if freed.Load() != 0 {
		t.Fatal("tidied while busy")
	}
	m.check(201, now+1500) // idle for 500 ms only
	wait()
	if freed.Load() != 0 {
		t.Fatal("tidied after half a second")
	}
	m.check(201, now+2100) // idle for 1.1 s, 3 × live retained
	wait()
	if freed.Load() != 1 {
		t.Fatalf("freed %d times after a second idle with 200 MB of garbage, want 1", freed.Load())
	}
	retained += 10 << 20   // more garbage since
	m.check(201, now+2500) // again within tidyEveryMs
	wait()
	if freed.Load() != 1 {
		t.Fatal("tidied again within the rate limit")
	}
	m.check(201, now+4200) // past it, but only 10 MB more than the tidy left
	wait()
	if freed.Load() != 2 {
		t.Fatal("did not tidy the new garbage")
	}
	m.check(201, now+7000) // nothing new since: what a tidy cannot free stays
	wait()
	if freed.Load() != 2 {
		t.Fatal("tidied again with no new garbage")
	}
	m.after.Store(0)
	retained = live + live/32 // little garbage
	m.check(201, now+20000)
	wait()
	if freed.Load() != 2 {
		t.Fatal("tidied with little garbage")
	}
	if _, _, ok := (&memTidy{}).readRuntime(); !ok {
		t.Fatal("runtime metrics missing")
	}
}
