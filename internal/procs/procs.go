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
// per interval of wall time, the machine's idle time (/proc/stat) and
// the work its caller reports done (ReportWork: a count, such as
// commands run); it must not know about connections, commands or the
// store.
package procs

import (
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
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

// funcs is a set of registered callbacks, each until its stop is called.
type funcs[F any] struct {
	mu sync.Mutex
	m  map[int]F
	id int
}

func (fs *funcs[F]) add(fn F) (stop func()) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m == nil {
		fs.m = map[int]F{}
	}
	fs.id++
	id := fs.id
	fs.m[id] = fn
	return func() {
		fs.mu.Lock()
		delete(fs.m, id)
		fs.mu.Unlock()
	}
}

// each calls do with every registered function and reports whether there
// was any.
func (fs *funcs[F]) each(do func(F)) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, fn := range fs.m {
		do(fn)
	}
	return len(fs.m) > 0
}

var (
	watchers funcs[func(int)]
	idlers   funcs[func() time.Duration]
	workers  funcs[func() int64]
)

// Watch calls fn with the new number of Ps each time a Sizer changes it
// (from the Sizer's goroutine), until the returned function is called:
// how the event loops follow the Ps.
func Watch(fn func(procs int)) (stop func()) { return watchers.add(fn) }

func notify(n int) { watchers.each(func(fn func(int)) { fn(n) }) }

// ReportIdle registers fn, the time the caller's event loops (one per P in
// use) have waited for events, added up since they started, until the
// returned function is called. With it the Sizer tells a load that keeps
// its Ps busy from one that only keeps the process busy, which more Ps do
// not serve faster (see loopWait).
func ReportIdle(fn func() time.Duration) (stop func()) { return idlers.add(fn) }

// reportedIdle sums what ReportIdle's functions report; ok is false when
// none is registered.
func reportedIdle() (d time.Duration, ok bool) {
	ok = idlers.each(func(fn func() time.Duration) { d += fn() })
	return d, ok
}

// ReportWork registers fn, the work the caller has done since it started
// (the commands it ran), until the returned function is called. With it
// the Sizer checks that a raise paid (see raiseGain): more Ps serve a
// busy load faster only if there are idle cores to run them, and a
// client on the same machine may be using them.
func ReportWork(fn func() int64) (stop func()) { return workers.add(fn) }

// reportedWork sums what ReportWork's functions report; ok is false when
// none is registered.
func reportedWork() (n int64, ok bool) {
	ok = workers.each(func(fn func() int64) { n += fn() })
	return n, ok
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

	// Halving is tried when the Ps are used below trialShare of their
	// time for lowerTicks intervals, even if the load would not fit in
	// half as many at fit: the same requests cost less CPU on fewer Ps
	// (on two Ps, 50 clients sending one request at a time used ~1.4 ×
	// the CPU per request of one P and ~0.55–0.8 of a core, never below
	// 0.7 × 1), so without a trial a burst that raised the Ps would leave
	// such a load on two Ps for good. A trial that has to double again
	// within trialWindow intervals failed: the next waits trialWait
	// intervals, doubling up to trialWaitMax, so a load that needs the Ps
	// is disturbed for raiseTicks intervals at most that often.
	// A busy load adds no P while the event loops still wait for events
	// loopWait of their time, unless work outside them (scripts moved to
	// a worker, TLS connections, collection) uses otherWork of a core or
	// more. 50 clients sending one request at a time keep one loop ~85 %
	// busy and a second P makes each request dearer, not faster: the
	// loop was not the bottleneck (its clients were), as its waits show.
	loopWait  = 0.10
	otherWork = 0.30

	trialShare   = 0.6
	trialWindow  = 20
	trialWait    = 100  // 10 s
	trialWaitMax = 3000 // 5 min

	// A raise must pay: with work reported, the work rate over checkTicks
	// intervals after settleTicks (connections moving to the new loops)
	// must be at least 1 + raiseGain times the rate of the busy intervals
	// that led to it, or the Ps are halved back and the next raise waits
	// raiseWait intervals, doubling up to raiseWaitMax. Measured on this
	// 2-core machine with redis-benchmark on it (GET, 50 clients, -P 16):
	// one P served 1.02 M requests/s at a p99 of 1.5 ms, two Ps 0.90 M at
	// 4.6 ms, at 10 % more CPU per request: the client needs the second
	// core. Where the cores are free, a second P nearly doubles the rate.
	// Nor is a raise tried while the machine has less than minIdle of a
	// core idle (from /proc/stat, where there is one) in each of the busy
	// intervals: the new P would only take a core from another process,
	// and its check would cost 300 ms of a slower, jitterier server to
	// find that out. Idle time does not tell more than that: with the
	// client on this machine, GET at -P 16 and SET under eviction both
	// left 0.3-0.5 of a core idle on one P; two Ps served GET 10 % slower
	// and the evicting SETs 35 % faster (the evictor runs beside the loop).
	minIdle = 0.25

	settleTicks  = 1
	checkTicks   = 2
	raiseGain    = 0.10
	raiseWait    = 100 // 10 s
	raiseWaitMax = 600 // 60 s
)

// Sizer adapts GOMAXPROCS between 1 and Max.
type Sizer struct {
	Max int // most Ps to use

	cur       int
	over      int     // consecutive busy intervals
	under     int     // consecutive intervals that fit in fewer Ps
	peak      float64 // highest load over the under intervals
	trialAge  int     // intervals since a trial halved the Ps; -1: none pending
	wait      int     // intervals before the next trial may start
	backoff   int     // the wait after the next failed trial
	prevRate  float64 // the work rate of the interval before the last
	idleRun   int     // consecutive intervals the machine had minIdle idle (or unknown)
	before    float64 // the work rate that led to the raise being checked
	after     float64 // the rate summed over the check's intervals so far
	fell      bool    // the load fell below the Ps before the raise during the check
	raiseAge  int     // intervals since a checked raise; -1: none
	raiseHold int     // intervals before the next raise may come
	raiseBack int     // the wait after the next raise that did not pay
	lastCPU   time.Duration
	lastIdle  time.Duration
	lastWork  int64
	lastWall  time.Time
	idleTime  func() (time.Duration, bool)
	workDone  func() (int64, bool)
	machine   func() (idle time.Duration, ok bool) // CPU time all CPUs spent idle
	lastMach  time.Duration
	setProcs  func(int) int
	cpuTime   func() time.Duration
	wallClock func() time.Time
}

// New returns a Sizer for up to limit Ps (at least 1).
func New(limit int) *Sizer {
	return &Sizer{Max: max(1, limit), trialAge: -1, backoff: trialWait, raiseAge: -1, raiseBack: raiseWait,
		setProcs: runtime.GOMAXPROCS, cpuTime: processCPU, wallClock: time.Now, idleTime: reportedIdle, workDone: reportedWork, machine: machineIdle}
}

// Procs is the number of Ps the Sizer last set (0 before Start).
func (s *Sizer) Procs() int { return s.cur }

// Start sets one P; Run then adapts it.
func (s *Sizer) Start() {
	s.cur = 1
	s.setProcs(1)
	s.lastCPU, s.lastWall = s.cpuTime(), s.wallClock()
	s.lastIdle, _ = s.idleTime()
	s.lastWork, _ = s.workDone()
	s.lastMach, _ = s.machine()
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
	idle, reported := s.idleTime()
	work, counted := s.workDone()
	mach, known := s.machine()
	elapsed := wall.Sub(s.lastWall)
	used := float64(cpu-s.lastCPU) / float64(elapsed)
	waited := float64(idle-s.lastIdle) / float64(elapsed) // cores' worth of waiting loops
	rate := float64(work-s.lastWork) / elapsed.Seconds()
	free := float64(mach-s.lastMach) / float64(elapsed) // idle cores
	s.lastCPU, s.lastWall, s.lastIdle, s.lastWork, s.lastMach = cpu, wall, idle, work, mach
	if elapsed <= 0 {
		return
	}
	if !counted {
		rate = -1 // no check of raises
	}
	if !known {
		free = -1
	}
	// The loops (one per P) ran what they did not wait; the rest of the
	// load is other work.
	cur := float64(s.cur)
	waiting := reported && waited >= loopWait*cur && used-(cur-waited) < otherWork
	if n := s.next(used, waiting, rate, free); n != s.cur {
		s.cur = n
		s.setProcs(n)
		notify(n)
	}
}

// next is the decision: load is the cores used over the last interval;
// waiting says the event loops waited enough of it that more Ps would not
// serve the load faster; rate is the work done per second over it (< 0:
// not reported); free is the machine's idle cores over it (< 0: unknown).
func (s *Sizer) next(load float64, waiting bool, rate, free float64) int {
	if s.wait > 0 {
		s.wait--
	}
	if s.raiseHold > 0 {
		s.raiseHold--
	}
	if s.raiseAge >= 0 {
		return s.checkRaise(rate, load)
	}
	if s.trialAge >= 0 {
		if s.trialAge++; s.trialAge > trialWindow {
			s.trialAge, s.backoff = -1, trialWait // it held
		}
	}
	if load >= busy*float64(s.cur) && !waiting {
		s.under, s.peak = 0, 0
		if free < 0 || free >= minIdle {
			s.idleRun++
		} else {
			s.idleRun = 0
		}
		before := (rate + s.prevRate) / 2
		if s.over == 0 {
			before = rate
		}
		s.prevRate = rate
		if s.over++; s.over >= raiseTicks && s.cur < s.Max && s.raiseHold == 0 && s.idleRun >= raiseTicks {
			if rate >= 0 {
				s.before, s.after, s.raiseAge, s.fell = before, 0, 0, false
			}
			s.over, s.idleRun = 0, 0
			if s.trialAge >= 0 { // the trial's halving did not hold
				s.trialAge, s.wait = -1, s.backoff
				s.backoff = min(2*s.backoff, trialWaitMax)
			}
			return min(s.Max, 2*s.cur) // demand is unknown beyond "all of it": double
		}
		return s.cur
	}
	s.over, s.idleRun = 0, 0
	want := max(1, int(math.Ceil(load/fit)))
	if want >= s.cur && !s.mayTry(load) {
		s.under, s.peak = 0, 0
		return s.cur
	}
	s.peak = max(s.peak, load)
	if s.under++; s.under < lowerTicks {
		return s.cur
	}
	n := max(1, int(math.Ceil(s.peak/fit)))
	if n >= s.cur && s.mayTry(s.peak) {
		n = max(1, s.cur/2)
		s.trialAge = 0
	}
	s.under, s.peak = 0, 0
	return min(n, s.cur)
}

// checkRaise follows a raise's check (raiseAge ≥ 0): after settleTicks,
// rate is summed over checkTicks intervals; then the raise holds, or the
// Ps are halved back and the next raise waits. A check during which the
// load no longer kept the Ps of before the raise busy says nothing (the
// load changed: a benchmark's run ended, a bulk load turned into
// evicting writes); the Ps stay, for the usual rules to lower.
func (s *Sizer) checkRaise(rate, load float64) int {
	s.raiseAge++
	if s.raiseAge <= settleTicks {
		return s.cur
	}
	s.after += rate
	if load < busy*float64(max(1, s.cur/2)) {
		s.fell = true
	}
	if s.raiseAge < settleTicks+checkTicks {
		return s.cur
	}
	s.raiseAge = -1
	s.over, s.idleRun, s.under, s.peak = 0, 0, 0, 0
	if s.fell {
		return s.cur
	}
	if s.after/checkTicks >= (1+raiseGain)*s.before {
		s.raiseBack = raiseWait // it paid
		return s.cur
	}
	s.raiseHold = s.raiseBack
	s.raiseBack = min(2*s.raiseBack, raiseWaitMax)
	return max(1, s.cur/2)
}

// mayTry reports whether a trial halving may follow from load.
func (s *Sizer) mayTry(load float64) bool {
	return s.cur > 1 && s.wait == 0 && s.trialAge < 0 && load < trialShare*float64(s.cur)
}

// machineIdle is the idle time of all the machine's CPUs since boot, from
// /proc/stat's first line (idle and iowait, in USER_HZ ticks, 100 a
// second on Linux).
func machineIdle() (time.Duration, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var buf [256]byte
	n, _ := f.Read(buf[:])
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, s := range fields[4:6] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / 100), true
}

// processCPU is the process's user plus system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
