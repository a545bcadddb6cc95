package evict

import (
	"math"
	"sync"
	"sync/atomic"
)

// duel adapts λ, the rate at which a key's CRF decays, by running two values
// side by side. Evictions alternate between arm 0 (λ·2^-δ) and arm 1
// (λ·2^+δ) in slices of capacity/64; the ghost filter remembers each
// victim's arm; a later miss on a remembered victim is a regret charged to
// its arm. Every capacity/4 evictions the centre λ moves towards the arm
// whose evictions were regretted less often, by a step in proportion to the
// evidence (a two-proportion z-score, capped), so that noise moves it little
// and a clear difference fast.
//
// Interleaving the arms in time means a workload phase (a scan, a popularity
// shift) affects both alike, and a regret is charged to the decision that
// caused it, not to whatever λ is in force when the miss happens. This is
// the set dueling of Qureshi et al. (ISCA 2007) over time slices instead
// of cache sets, scored with ARC-style ghost hits.
type duel struct {
	mu     sync.Mutex // guards logLam and the aging of the counters
	logLam float64    // log2 of the centre lam

	ev, reg [2]atomic.Uint64 // evictions and regrets per arm, aged by halving
}

const (
	logLamInit    = 9   // half-life of 2 turnovers: LFU-leaning, as most traces are
	logLamMin     = 4   // half-life 64 turnovers: LFU with slow aging
	logLamMax     = 13  // half-life 1/8 turnover: LRU-like
	armDelta      = 0.5 // the arms run at λ·2^±δ
	stepPerZ      = 0.2 // log2 step of the centre per unit of z-score
	zMax          = 2.5 // cap on the evidence one update acts on
	slicesPerCap  = 64  // an arm slice is capacity/64 evictions
	updatesPerCap = 4   // λ moves every capacity/4 evictions
)

// armLam is the fixed-point λ (lam) arm runs at.
func (d *duel) armLam(arm int) uint32 {
	d.mu.Lock()
	v := d.logLam + armDelta*float64(2*arm-1)
	d.mu.Unlock()
	return uint32(math.Exp2(v))
}

// update moves the centre towards the arm with the lower regret rate and
// halves the counters, so the comparison follows the workload.
func (d *duel) update() {
	d.mu.Lock()
	defer d.mu.Unlock()
	e0, e1 := float64(max(1, d.ev[0].Load())), float64(max(1, d.ev[1].Load()))
	r0, r1 := float64(d.reg[0].Load())/e0, float64(d.reg[1].Load())/e1
	p := (r0*e0 + r1*e1) / (e0 + e1)
	if se := math.Sqrt(p * (1 - p) * (1/e0 + 1/e1)); se > 0 {
		z := (r0 - r1) / se // > 0: arm 1, the larger λ, is regretted less
		d.logLam = min(logLamMax, max(logLamMin, d.logLam+stepPerZ*max(-zMax, min(zMax, z))))
	}
	for i := range 2 {
		d.ev[i].Store(d.ev[i].Load() / 2)
		d.reg[i].Store(d.reg[i].Load() / 2)
	}
}

// halfLife is the centre λ as a half-life in cache turnovers.
func (d *duel) halfLife() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return lamUnit / math.Exp2(d.logLam)
}
