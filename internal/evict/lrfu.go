package evict

import (
	"math"
	"sync/atomic"
)

// LRFU is the adaptive LRFU policy (see the package documentation). Create
// it with New. It is safe for concurrent use: Access, Insert and Rank only load atomics and
// never allocate; Evicted adds to a few atomic counters and, once per slice
// of evictions, takes a mutex for a few floating-point operations.
//
// The metadata word is
//
//	bits 8..31  tick of the last access, modulo 2^24
//	bits 0..7   log2 of the key's CRF (combined recency and frequency) at
//	            that tick, in sixteenths, offset by lOffset
//
// where a tick is capacity/1024 evictions: time is measured in cache
// turnovers, not wall-clock time, so the policy behaves the same at any
// request rate.
type LRFU struct {
	tick      atomic.Uint32 // logical clock
	ctl       atomic.Uint64 // lam<<32 | tref: the λ in force and the tick ranks are centred on
	evictions atomic.Uint64
	sz        atomic.Pointer[sizing] // replaced whole by Resize
	duel      duel
}

type sizing struct {
	capacity int
	ghost    *ghost
	perTick  uint64 // evictions per tick
	slice    uint64 // evictions per arm slice
	update   uint64 // evictions between λ updates, a multiple of 2·slice
}

const (
	tickMask     = 1<<24 - 1
	ticksPerTurn = 1024

	// L, the log2 of a CRF, is kept in sixteenths.
	lUnit   = 16
	lOffset = 4 * lUnit // stored L = L + lOffset: L ranges over [-4, 12)
	lMax    = 6 * lUnit // CRF < 64, so stale hot keys cool in a few half-lives (it saturates near 46: one more access adds under half a sixteenth)
	lFresh  = -lUnit    // a new key never seen before: CRF 1/2, the preferred victim
	lGhost  = 0         // a new key evicted recently: CRF 1, as if it had stayed

	// lam is λ in fixed point: a key's L drops by lam/2^16 sixteenths per
	// tick, so its CRF halves every 2^20/lam ticks, i.e. every lamUnit/lam
	// turnovers.
	lamUnit = 1 << 20 / ticksPerTurn

	minCapacity = 64

	jitterLog2 = 2 // rank jitter below 2^2 sixteenths of a log2: CRF × 1.19
)

// crfPlusOne[d+256] is log2(2^(d/16) + 1) in sixteenths, capped at lMax: the
// new L after an access of a key whose decayed L is d.
var crfPlusOne [512]uint8

func init() {
	for i := range crfPlusOne {
		d := float64(i-256) / lUnit
		crfPlusOne[i] = uint8(min(lMax, math.Round(lUnit*math.Log2(math.Exp2(d)+1))))
	}
}

// New returns the policy sized for a cache of capacityKeys keys.
func New(capacityKeys int) *LRFU {
	l := &LRFU{}
	l.duel.logLam = logLamInit
	l.resize(capacityKeys)
	l.setArm(0)
	return l
}

// Name is the policy's name: maxmemory-policy allkeys-lrfu or volatile-lrfu.
func (l *LRFU) Name() string { return "lrfu" }

// Resize sizes the ghost filter and the time scale for a new capacity. A
// new ghost filter starts empty, so the mechanism should call it only when
// the capacity moved by a large factor (the evictor does at 1.5×).
func (l *LRFU) Resize(capacityKeys int) {
	if old := l.sz.Load(); old == nil || old.capacity != max(capacityKeys, minCapacity) {
		l.resize(capacityKeys)
	}
}

func (l *LRFU) resize(capacity int) {
	capacity = max(capacity, minCapacity)
	slice := uint64(max(16, capacity/slicesPerCap))
	l.sz.Store(&sizing{
		capacity: capacity,
		ghost:    newGhost(capacity),
		perTick:  uint64(max(1, capacity/ticksPerTurn)),
		slice:    slice,
		update:   2 * slice * uint64(max(1, slicesPerCap/updatesPerCap/2)),
	})
}

func (l *LRFU) setArm(arm int) {
	l.ctl.Store(uint64(l.duel.armLam(arm))<<32 | uint64(l.tick.Load()))
}

// decayed is the key's L now: its stored L minus λ times its idle ticks.
func decayed(meta, now, lam uint32) int {
	age := (now - meta>>8) & tickMask
	return int(meta&0xff) - lOffset - int(min(uint64(lam)*uint64(age)>>16, 1<<16))
}

// Access adds one to the key's decayed CRF: CRF' = CRF·2^(-λ·age) + 1.
func (l *LRFU) Access(_ uint64, meta uint32, _ int64) uint32 {
	now := l.tick.Load()
	d := decayed(meta, now, uint32(l.ctl.Load()>>32))
	L := 0
	if d > -256 {
		L = int(crfPlusOne[min(d, 255)+256])
	}
	return now&tickMask<<8 | uint32(L+lOffset)
}

// Insert gives a new key CRF 1/2, or 1 if it was evicted recently (and then
// charges the regret to the duel arm that evicted it).
func (l *LRFU) Insert(keyHash uint64, _ int64) uint32 {
	L := lFresh
	a0, a1 := l.sz.Load().ghost.lookup(keyHash)
	if a0 || a1 {
		L = lGhost
	}
	if a0 {
		l.duel.reg[0].Add(1)
	}
	if a1 {
		l.duel.reg[1].Add(1)
	}
	return l.tick.Load()&tickMask<<8 | uint32(L+lOffset)
}

// Rank is the key's L extrapolated to the reference tick tref: comparing
// L_a − λ(now − t_a) with L_b − λ(now − t_b) is comparing L_a + λ(t_a − tref)
// with L_b + λ(t_b − tref), which does not change while the key is idle, so
// ranks taken at different times (as the eviction pool keeps them) stay
// comparable.
//
// A fixed jitter from the key's hash, under a quarter of a doubling of CRF,
// breaks ties: keys that were all seen the same number of times (a loop
// larger than the cache, the first pass over anything) would otherwise be
// ordered by recency alone, which evicts each key just before its turn comes
// again. With the jitter the same keys keep winning the ties and settle in
// the cache, as a random tie-break does for Redis's LFU.
func (l *LRFU) Rank(keyHash uint64, meta uint32, _ int64) uint64 {
	ctl := l.ctl.Load()
	lam, tref := int64(ctl>>32), uint32(ctl)
	now := l.tick.Load()
	last := now - (now-meta>>8)&tickMask
	jitter := int64(keyHash >> (64 - 16 - jitterLog2))
	return uint64(1<<62 + int64(int(meta&0xff)-lOffset)<<16 + lam*int64(int32(last-tref)) + jitter)
}

// Evicted remembers the key in the ghost filter with the arm that chose it,
// advances the clock and runs the duel.
func (l *LRFU) Evicted(keyHash uint64, _ uint32, _ int64) {
	sz := l.sz.Load()
	n := l.evictions.Add(1)
	arm := int((n-1)/sz.slice) & 1
	sz.ghost.add(keyHash, arm)
	l.duel.ev[arm].Add(1)
	if n%sz.perTick == 0 {
		l.tick.Add(1)
	}
	if n%sz.update == 0 {
		l.duel.update()
	}
	if n%sz.slice == 0 {
		l.setArm(int(n/sz.slice) & 1)
	}
}

// Freq is the key's CRF now, rounded and capped at 255, for OBJECT FREQ.
func (l *LRFU) Freq(meta uint32) int {
	d := decayed(meta, l.tick.Load(), uint32(l.ctl.Load()>>32))
	return int(min(255, math.Round(math.Exp2(float64(d)/lUnit))))
}

// HalfLife is the current centre of the duel as a half-life in cache
// turnovers: small when the workload rewards recency, large when it rewards
// frequency. For INFO and tests.
func (l *LRFU) HalfLife() float64 { return l.duel.halfLife() }
