package sim

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Zipf draws ranks 0..n-1 with P(r) ∝ 1/(r+1)^s, for any s ≥ 0 (the standard
// library's rand.Zipf needs s > 1). It uses Vose's alias method: O(n) to
// build, two table reads per draw, exact up to the 32-bit split of each
// column's probability.
type Zipf struct {
	thresh []uint32 // column i keeps i when the coin is below thresh[i]
	alias  []uint32 // otherwise it yields alias[i]
}

var zipfCache sync.Map // zipfKey → *Zipf; tables are read-only once built

type zipfKey struct {
	n int
	s float64
}

// NewZipf returns the (shared, immutable) sampler for n ranks and exponent s.
func NewZipf(n int, s float64) *Zipf {
	if z, ok := zipfCache.Load(zipfKey{n, s}); ok {
		return z.(*Zipf)
	}
	p := make([]float64, n)
	sum := 0.0
	for i := range p {
		p[i] = math.Pow(float64(i+1), -s)
		sum += p[i]
	}
	z := &Zipf{thresh: make([]uint32, n), alias: make([]uint32, n)}
	small, large := make([]int32, 0, n), make([]int32, 0, n)
	for i := range p {
		p[i] *= float64(n) / sum // mean 1
		if p[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		z.thresh[s] = uint32(p[s] * (1 << 32))
		z.alias[s] = uint32(l)
		p[l] -= 1 - p[s]
		if p[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) { // rounding leftovers: probability 1
		z.thresh[i], z.alias[i] = math.MaxUint32, uint32(i)
	}
	actual, _ := zipfCache.LoadOrStore(zipfKey{n, s}, z)
	return actual.(*Zipf)
}

// Rank draws one rank using a single 64-bit random number: the high half picks
// the column (Lemire's multiply-shift), the low half is the coin.
func (z *Zipf) Rank(r *rand.Rand) uint32 {
	x := r.Uint64()
	i := uint32((x >> 32) * uint64(len(z.thresh)) >> 32)
	if uint32(x) < z.thresh[i] {
		return i
	}
	return z.alias[i]
}
