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

	loops   bool          // an event loop engine reports its waits
	idle    time.Duration // their waits so far
	waitFor float64       // share of each interval every loop waits

	counted bool                // work is reported
	work    int64               // commands run so far
	rate    func(procs int) int // commands per interval with procs Ps
	known   bool                // the machine's idle time is known
	free    float64             // its idle cores during each interval
	mach    time.Duration       // its idle time so far
}

func newFake(limit int) *fake {
	f := &fake{wall: time.Unix(1, 0)}
	f.s = New(limit)
	f.s.setProcs = func(n int) int { f.procs = append(f.procs, n); return 0 }
	f.s.cpuTime = func() time.Duration { return f.cpu }
	f.s.wallClock = func() time.Time { return f.wall }
	f.s.idleTime = func() (time.Duration, bool) { return f.idle, f.loops }
	f.s.workDone = func() (int64, bool) { return f.work, f.counted }
	f.s.machine = func() (time.Duration, bool) { return f.mach, f.known }
	f.s.Start()
	return f
}

func (f *fake) run(load float64, ticks int) int {
	for range ticks {
		f.cpu += time.Duration(load * float64(Interval))
		f.idle += time.Duration(f.waitFor * float64(f.s.Procs()) * float64(Interval))
		if f.rate != nil {
			f.work += int64(f.rate(f.s.Procs()))
		}
		f.mach += time.Duration(f.free * float64(Interval))
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
	// 1.3 cores on two Ps (65 % each) is not tried on one.
	if got := f.run(1.3, 200); got != 2 || len(f.procs) != 2 {
		t.Fatalf("1.3 cores on 2 Ps: %d, set %v; want 2, never lowered", got, f.procs)
	}
	if got := f.run(0.5, lowerTicks); got != 1 {
		t.Fatalf("0.5 cores: %d, want 1", got)
	}
}

// A load below trialShare of two Ps, but above what fit allows on one, is
// tried on one P after lowerTicks; where it then stays below busy (fewer
// Ps cost less per request) it stays there.
func TestTrialHalvingHolds(t *testing.T) {
	f := newFake(2)
	f.run(0.95, 2)
	if got := f.run(0.8, lowerTicks-1); got != 2 {
		t.Fatalf("halved before lowerTicks: %d Ps", got)
	}
	if got := f.run(0.8, 1); got != 1 {
		t.Fatalf("0.8 cores on 2 Ps for %d intervals: %d Ps, want a trial on 1", lowerTicks, got)
	}
	if got := f.run(0.7, 300); got != 1 {
		t.Fatalf("0.7 cores on 1 P: %d Ps, want 1", got)
	}
	// After it held, a later burst and fall are tried again at once.
	f.run(0.95, 2)
	f.run(0.8, lowerTicks)
	if got := f.s.Procs(); got != 1 {
		t.Fatalf("second trial: %d Ps, want 1", got)
	}
}

// A trial that must double again backs off: 10 s, then 20 s, … before the
// next, so a load that needs two Ps is disturbed rarely.
func TestTrialHalvingBacksOff(t *testing.T) {
	f := newFake(2)
	f.run(0.95, 2)
	trials := func() int {
		n := 0
		for i := 1; i < len(f.procs); i++ {
			if f.procs[i] < f.procs[i-1] {
				n++
			}
		}
		return n
	}
	// 1.1 cores of work: 55 % of two Ps, more than one has (it saturates
	// one). Over 300 s the trials come at about 2, 14, 36, 78 and 160 s
	// (waits of 10, 20, 40, 80 and 160 s).
	const ticks = 3000
	for range ticks {
		if f.s.Procs() == 2 {
			f.run(1.1, 1)
		} else {
			f.run(0.99, 1)
		}
	}
	if got := trials(); got != 5 {
		t.Fatalf("%d trials in %d intervals, want 5; set %v", got, ticks, f.procs)
	}
	if f.s.backoff != trialWaitMax {
		t.Fatalf("backoff %d after repeated failures, want %d", f.s.backoff, trialWaitMax)
	}
}

// A load that keeps the process busy while its event loops still wait
// gets no second P; one that keeps the loops busy does, and so does work
// outside the loops.
func TestNoPForLoopsThatWait(t *testing.T) {
	f := newFake(2)
	f.loops, f.waitFor = true, 0.15
	if got := f.run(0.9, 50); got != 1 {
		t.Fatalf("0.9 cores, the loop waiting 15 %%: %d Ps, want 1", got)
	}
	f.waitFor = 0.02
	if got := f.run(0.97, raiseTicks); got != 2 {
		t.Fatalf("0.97 cores, the loop waiting 2 %%: %d Ps, want 2", got)
	}
	g := newFake(2)
	g.loops, g.waitFor = true, 0.9 // loops idle: the load is elsewhere
	if got := g.run(0.95, raiseTicks); got != 2 {
		t.Fatalf("0.95 cores outside the loops: %d Ps, want 2", got)
	}
}

// A raise that does not raise the work rate by raiseGain is taken back
// after settleTicks + checkTicks intervals, and the next waits 10 s, then
// 20 s, … up to a minute; one that pays holds.
func TestRaiseMustPay(t *testing.T) {
	f := newFake(2)
	f.counted = true
	f.rate = func(procs int) int { return 100_000 - 10_000*(procs-1) } // a second P slows it
	f.run(0.95, raiseTicks)
	if f.s.Procs() != 2 {
		t.Fatalf("busy: %d Ps, want a raise to 2", f.s.Procs())
	}
	if got := f.run(0.95, settleTicks+checkTicks-1); got != 2 {
		t.Fatalf("during the check: %d Ps", got)
	}
	if got := f.run(0.95, 1); got != 1 {
		t.Fatalf("after a check that found 0.9 x the rate: %d Ps, want 1", got)
	}
	if got := f.run(0.95, raiseWait-1); got != 1 {
		t.Fatalf("raised again within the wait: %d Ps", got)
	}
	if got := f.run(0.95, 1); got != 2 {
		t.Fatalf("after the wait: %d Ps, want another try", got)
	}
	f.run(0.95, settleTicks+checkTicks)
	if f.s.Procs() != 1 || f.s.raiseHold != 2*raiseWait {
		t.Fatalf("second failure: %d Ps, hold %d; want 1 and %d", f.s.Procs(), f.s.raiseHold, 2*raiseWait)
	}
	for range 10 {
		f.run(0.95, raiseWaitMax+settleTicks+checkTicks)
	}
	if f.s.raiseBack != raiseWaitMax {
		t.Fatalf("backoff %d after repeated failures, want %d", f.s.raiseBack, raiseWaitMax)
	}

	// A load that falls during the check leaves the Ps as they are.
	h := newFake(2)
	h.counted = true
	h.rate = f.rate
	h.run(0.95, raiseTicks)
	h.run(0.95, settleTicks)
	if got := h.run(0.3, checkTicks); got != 2 || h.s.raiseHold != 0 {
		t.Fatalf("the load fell during the check: %d Ps, hold %d; want 2, none", got, h.s.raiseHold)
	}

	g := newFake(2)
	g.counted = true
	g.rate = func(procs int) int { return 100_000 * procs * 9 / 10 } // 1.8 x on two
	g.run(0.95, raiseTicks)
	if got := g.run(1.9, settleTicks+checkTicks+200); got != 2 {
		t.Fatalf("a raise that paid: %d Ps, want 2", got)
	}
}

// A busy load gets no second P while the machine has no idle core for it.
func TestNoRaiseWithoutAnIdleCore(t *testing.T) {
	f := newFake(2)
	f.known, f.free = true, 0.1
	if got := f.run(0.95, 100); got != 1 {
		t.Fatalf("busy, 0.1 of a core idle: %d Ps, want 1", got)
	}
	f.free = 1.0
	if got := f.run(0.95, raiseTicks); got != 2 {
		t.Fatalf("busy, a core idle: %d Ps, want 2", got)
	}
}

func TestMachineIdleAdvances(t *testing.T) {
	a, ok := machineIdle()
	if !ok {
		t.Skip("no /proc/stat")
	}
	time.Sleep(50 * time.Millisecond)
	if b, _ := machineIdle(); b < a {
		t.Fatalf("idle time went back: %v -> %v", a, b)
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
