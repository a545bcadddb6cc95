package main

import (
	"math"
	"math/rand/v2"
)

// Zipf draws ranks 1..n with P(k) = k^-s / H(n,s), exactly, for any s > 0
// (math/rand's Zipf needs s > 1, and cache studies use s = 0.99).
//
// It is the rejection-inversion sampler of W. Hörmann and G. Derflinger,
// "Rejection-inversion to generate variates from monotone discrete
// distributions" (ACM TOMACS 6(3), 1996), in the formulation Apache Commons
// uses: invert the integral of the hat h(x) = x^-s over [k-½, k+½] and accept
// k when the drawn point falls under the bar of height h(k). The expected
// number of tries is close to 1 and independent of n; setup is O(1).
//
// A Zipf is not safe for concurrent use (it owns its rand.Rand).
type Zipf struct {
	r        *rand.Rand
	n        float64
	s        float64 // exponent
	hX1      float64 // hIntegral(1.5) - 1
	hN       float64 // hIntegral(n + 0.5)
	squeezeS float64 // k - x <= squeezeS accepts without evaluating h
}

// NewZipf returns a sampler over 1..n with exponent s, drawing from r.
func NewZipf(r *rand.Rand, s float64, n uint64) *Zipf {
	if n < 1 || s <= 0 {
		panic("zipf: need n >= 1 and s > 0")
	}
	z := &Zipf{r: r, n: float64(n), s: s}
	z.hX1 = z.hIntegral(1.5) - 1
	z.hN = z.hIntegral(z.n + 0.5)
	z.squeezeS = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

// Uint64 returns a rank in 1..n; rank 1 is the most popular.
func (z *Zipf) Uint64() uint64 {
	for {
		u := z.hN + z.r.Float64()*(z.hX1-z.hN)
		x := z.hIntegralInverse(u)
		k := math.Floor(x + 0.5)
		if k < 1 {
			k = 1
		} else if k > z.n {
			k = z.n
		}
		if k-x <= z.squeezeS || u >= z.hIntegral(k+0.5)-z.h(k) {
			return uint64(k)
		}
	}
}

// h is the hat density x^-s.
func (z *Zipf) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is ∫ h = (x^(1-s) - 1)/(1-s), written to stay exact as s → 1
// (where it tends to log x).
func (z *Zipf) hIntegral(x float64) float64 {
	lx := math.Log(x)
	return helper2((1-z.s)*lx) * lx
}

func (z *Zipf) hIntegralInverse(x float64) float64 {
	t := x * (1 - z.s)
	if t < -1 {
		t = -1 // rounding can push t past the pole of log1p
	}
	return math.Exp(helper1(t) * x)
}

// helper1 is log(1+x)/x, continuous at 0.
func helper1(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}

// helper2 is (exp(x)-1)/x, continuous at 0.
func helper2(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*0.5*(1+x*(1.0/3)*(1+0.25*x))
}
