package procs

import (
	"testing"
	"time"
)

// fake drives a Sizer with a scripted load: each Tick sees the next load
// (cores used) over one Interval.
type fake struct {
	s     *Sizer
	cpu   time.Duration
	wall  time.Time
	procs []int // every value set
}

func newFake(limit int) *fake {
	f := &fake{wall: time.Unix(1, 0)}
	f.s = New(limit)
	f.s.setProcs = func(n int) int { f.procs = append(f.procs, n); return 0 }
	f.s.cpuTime = func() time.Duration { return f.cpu }
	f.s.wallClock = func() time.Time { return f.wall }
	f.s.Start()
	return f
}

func (f *fake) run(load float64, ticks int) int {
	for range ticks {
		f.cpu += time.Duration(load * float64(Interval))
		f.wall = f.wall.Add(Interval)
		f.s.Tick()
	}
	return f.s.Procs()
}

func TestStartsWithOneP(t *testing.T) {
	f := newFake(8)
	if f.s.Procs() != 1 || len(f.procs) != 1 || f.procs[0] != 1 {
		t.Fatalf("after Start: procs %d, set %v", f.s.Procs(), f.procs)
	}
	if got := f.run(0.4, 100); got != 1 {
		t.Fatalf("a load of 0.4 cores for 10 s: %d Ps, want 1", got)
	}
}

func TestGrowsWhenBusyAndDoublesToMax(t *testing.T) {
	f := newFake(8)
	if got := f.run(0.95, 1); got != 1 {
		t.Fatalf("one busy interval is not enough: %d Ps", got)
	}
	if got := f.run(0.95, 1); got != 2 {
		t.Fatalf("two busy intervals: %d Ps, want 2", got)
	}
	// The load follows the Ps it is given, as a saturating load does.
	for _, want := range []int{4, 8, 8} {
		if got := f.run(0.95*float64(f.s.Procs()), raiseTicks); got != want {
			t.Fatalf("saturated: %d Ps, want %d", got, want)
		}
	}
}

func TestShrinksOnlyAfterASustainedFall(t *testing.T) {
	f := newFake(8)
	f.run(0.95, 2)
	f.run(1.9, 2)
	f.run(3.8, 2)
	if f.s.Procs() != 8 {
		t.Fatalf("setup: %d Ps", f.s.Procs())
	}
	// 2.5 cores of load fits in ceil(2.5/0.7) = 4 Ps, but only after
	// lowerTicks intervals in a row.
	if got := f.run(2.5, lowerTicks-1); got != 8 {
		t.Fatalf("shrank too early: %d Ps", got)
	}
	if got := f.run(2.5, 1); got != 4 {
		t.Fatalf("after %d intervals of 2.5 cores: %d Ps, want 4", lowerTicks, got)
	}
	// A burst in the window resets it.
	f.run(0.3, lowerTicks-1)
	f.run(3.0, 1)
	if got := f.run(0.3, lowerTicks-1); got != 4 {
		t.Fatalf("a burst did not restart the window: %d Ps", got)
	}
	if got := f.run(0.3, 1); got != 1 {
		t.Fatalf("idle: %d Ps, want 1", got)
	}
}

func TestHysteresisBetweenOneAndTwo(t *testing.T) {
	f := newFake(2)
	f.run(0.95, 2)
	if f.s.Procs() != 2 {
		t.Fatalf("setup: %d Ps", f.s.Procs())
	}
	// One core's work costs a bit more on two Ps: it must not bounce back.
	if got := f.run(1.1, 100); got != 2 {
		t.Fatalf("1.1 cores on 2 Ps: %d, want 2", got)
	}
	if got := f.run(0.75, 100); got != 2 {
		t.Fatalf("0.75 cores (above the 0.7 fit): %d, want 2", got)
	}
	if got := f.run(0.5, lowerTicks); got != 1 {
		t.Fatalf("0.5 cores: %d, want 1", got)
	}
}

func TestMaxOneNeverChanges(t *testing.T) {
	f := newFake(1)
	f.run(1.0, 50)
	for _, n := range f.procs {
		if n != 1 {
			t.Fatalf("set %v with Max 1", f.procs)
		}
	}
}

func TestProcessCPUAdvances(t *testing.T) {
	a := processCPU()
	for x, end := 0, time.Now().Add(20*time.Millisecond); time.Now().Before(end); x++ {
		_ = x * x
	}
	if b := processCPU(); b <= a {
		t.Fatalf("CPU time did not advance over 20 ms of work: %v -> %v", a, b)
	}
}
