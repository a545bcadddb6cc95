// Package procs sizes the Go scheduler (GOMAXPROCS) to the server's load.
//
// Every extra P costs CPU even when it has nothing to do: an event loop
// that blocks in epoll_wait has its P taken by sysmon and handed to a
// spinning thread that finds nothing, parks, and is woken again at the
// next wake-up. Measured on a 2-core machine with 50 clients sending one
// request at a time, the same server costs ~21 µs of CPU per request with
// two Ps and ~15 µs with one (Redis: ~14 µs), because it never used more
// than 0.4 of a core. So the Sizer starts with one P and adds Ps only when
// the ones it has are busy, and gives them back when the load falls: one
// core's worth of load runs at one core's cost, and a many-core machine
// still gets every core when the clients need them.
//
// It measures the process's CPU time (user and system, from getrusage)
// per interval of wall time; it must not know about connections,
// commands or the store.
package procs

import (
	"math"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// limit is GOMAXPROCS as the process started (the CPUs, or the
// container's CPU limit, or the GOMAXPROCS environment variable), before
// any Sizer lowered it.
var limit = runtime.GOMAXPROCS(0)

// Limit is the most Ps the process may use: what event loops, counter
// stripes and gate slots are sized by, since a Sizer may raise the Ps up
// to it at any time.
func Limit() int { return limit }

var (
	watchMu  sync.Mutex
	watchers = map[int]func(int){}
	watchID  int
)

// Watch calls fn with the new number of Ps each time a Sizer changes it
// (from the Sizer's goroutine), until the returned function is called:
// how the event loops follow the Ps.
func Watch(fn func(procs int)) (stop func()) {
	watchMu.Lock()
	defer watchMu.Unlock()
	watchID++
	id := watchID
	watchers[id] = fn
	return func() {
		watchMu.Lock()
		delete(watchers, id)
		watchMu.Unlock()
	}
}

func notify(n int) {
	watchMu.Lock()
	defer watchMu.Unlock()
	for _, fn := range watchers {
		fn(n)
	}
}

// Interval is how often the load is sampled.
const Interval = 100 * time.Millisecond

const (
	// busy is the share of the current Ps in use above which Ps are
	// added, raiseTicks intervals in a row.
	busy       = 0.85
	raiseTicks = 2
	// fit is the share of a P the load may use after shrinking: the Ps
	// kept are ceil(load / fit) over the last lowerTicks intervals, so
	// one core's work must fall below 0.7 of a core before the second P
	// is given back (hysteresis against flapping between 1 and 2).
	fit        = 0.70
	lowerTicks = 20
)

// Sizer adapts GOMAXPROCS between 1 and Max.
type Sizer struct {
	Max int // most Ps to use

	cur       int
	over      int     // consecutive busy intervals
	under     int     // consecutive intervals that fit in fewer Ps
	peak      float64 // highest load over the under intervals
	lastCPU   time.Duration
	lastWall  time.Time
	setProcs  func(int) int
	cpuTime   func() time.Duration
	wallClock func() time.Time
}

// New returns a Sizer for up to limit Ps (at least 1).
func New(limit int) *Sizer {
	return &Sizer{Max: max(1, limit), setProcs: runtime.GOMAXPROCS, cpuTime: processCPU, wallClock: time.Now}
}

// Procs is the number of Ps the Sizer last set (0 before Start).
func (s *Sizer) Procs() int { return s.cur }

// Start sets one P; Run then adapts it.
func (s *Sizer) Start() {
	s.cur = 1
	s.setProcs(1)
	s.lastCPU, s.lastWall = s.cpuTime(), s.wallClock()
}

// Run samples the load every Interval until stop is closed, then restores
// Max Ps.
func (s *Sizer) Run(stop <-chan struct{}) {
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			s.setProcs(s.Max)
			notify(s.Max)
			return
		case <-t.C:
			s.Tick()
		}
	}
}

// Tick samples the load since the last tick and resizes if it calls for it.
func (s *Sizer) Tick() {
	cpu, wall := s.cpuTime(), s.wallClock()
	elapsed := wall.Sub(s.lastWall)
	used := float64(cpu-s.lastCPU) / float64(elapsed)
	s.lastCPU, s.lastWall = cpu, wall
	if elapsed <= 0 {
		return
	}
	if n := s.next(used); n != s.cur {
		s.cur = n
		s.setProcs(n)
		notify(n)
	}
}

// next is the decision: load is the cores used over the last interval.
func (s *Sizer) next(load float64) int {
	if load >= busy*float64(s.cur) {
		s.under, s.peak = 0, 0
		if s.over++; s.over >= raiseTicks && s.cur < s.Max {
			s.over = 0
			return min(s.Max, 2*s.cur) // demand is unknown beyond "all of it": double
		}
		return s.cur
	}
	s.over = 0
	want := max(1, int(math.Ceil(load/fit)))
	if want >= s.cur {
		s.under, s.peak = 0, 0
		return s.cur
	}
	s.peak = max(s.peak, load)
	if s.under++; s.under < lowerTicks {
		return s.cur
	}
	n := max(1, int(math.Ceil(s.peak/fit)))
	s.under, s.peak = 0, 0
	return min(n, s.cur)
}

// processCPU is the process's user plus system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
