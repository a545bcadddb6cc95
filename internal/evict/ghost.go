package evict

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// ghost remembers which keys were evicted recently, and in which arm of the
// λ duel (duel.go). It is a blocked Bloom filter (one 64-bit word per key,
// so a lookup is one cache line per generation) in two generations: keys
// are added to the current one, lookups check both, and every genLen
// additions the older generation is cleared and becomes current. A key is
// therefore remembered for between genLen and 2·genLen evictions.
//
// Each key sets ghostK bits of its word for the arm it was evicted in; the
// two arms' bit patterns differ, so a lookup tells them apart (and a false
// positive is as likely for either arm, which keeps the duel unbiased).
type ghost struct {
	gens   [2][]atomic.Uint64
	genLen uint64
	added  atomic.Uint64
	cur    atomic.Uint32
	mu     sync.Mutex // serialises generation turnover
}

const (
	ghostK          = 3 // bits per key and arm
	ghostBitsPerKey = 8 // both generations together: 1 byte per cached key
)

// newGhost sizes the filter for a cache of capacity keys, remembering about
// one capacity's worth of evictions.
func newGhost(capacity int) *ghost {
	words := max(1, capacity*ghostBitsPerKey/2/64)
	g := &ghost{genLen: uint64(max(1, capacity/2))}
	g.gens[0] = make([]atomic.Uint64, words)
	g.gens[1] = make([]atomic.Uint64, words)
	return g
}

// Bytes is the memory the filter holds.
func (g *ghost) Bytes() int { return 16 * len(g.gens[0]) }

// armSalt decorrelates the two arms' bit patterns.
var armSalt = [2]uint64{0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f}

func (g *ghost) word(h uint64) int {
	hi, _ := bits.Mul64(h*0xff51afd7ed558ccd, uint64(len(g.gens[0]))) // Lemire's range reduction
	return int(hi)
}

func mask(h uint64, arm int) uint64 {
	x := (h ^ armSalt[arm]) * 0xbf58476d1ce4e5b9
	x ^= x >> 31
	return 1<<(x&63) | 1<<(x>>6&63) | 1<<(x>>12&63)
}

// add records that the key hashing to h was evicted in arm.
func (g *ghost) add(h uint64, arm int) {
	w, m := g.word(h), mask(h, arm)
	g.gens[g.cur.Load()][w].Or(m)
	if g.added.Add(1)%g.genLen == 0 {
		g.turnover()
	}
}

func (g *ghost) turnover() {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := 1 - g.cur.Load()
	for i := range g.gens[old] {
		g.gens[old][i].Store(0)
	}
	g.cur.Store(old)
}

// lookup reports whether the key was evicted recently in arm 0 and in arm 1.
func (g *ghost) lookup(h uint64) (arm0, arm1 bool) {
	w := g.word(h)
	m0, m1 := mask(h, 0), mask(h, 1)
	for i := range g.gens {
		v := g.gens[i][w].Load()
		arm0 = arm0 || v&m0 == m0
		arm1 = arm1 || v&m1 == m1
	}
	return arm0, arm1
}
