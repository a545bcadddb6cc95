package geo

import "math"

// Correctly rounded sin, cos and asin for the arguments geo uses. Redis
// calls glibc's libm, whose results are (all but always) the correctly
// rounded ones, while Go's math functions are off by an ulp now and then:
// enough to change the 17 digits a STOREDIST score prints. These evaluate
// in double-double arithmetic (about 106 bits) and round once.

// dd is an unevaluated sum hi+lo with |lo| ≤ ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func (a dd) add(b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

func (a dd) mul(b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

// div is a/b for a small integer b, exact enough for series coefficients.
func (a dd) div(b float64) dd {
	q1 := a.hi / b
	r := a.add(twoProd(q1, b).neg())
	q2 := r.hi / b
	r = r.add(twoProd(q2, b).neg())
	q3 := r.hi / b
	return quickTwoSum(q1, q2).add(dd{q3, 0})
}

// round is the double nearest the value.
func (a dd) round() float64 { return a.hi + a.lo }

// invFact[k] = 1/k! in double-double.
var invFact = func() [48]dd {
	var f [48]dd
	f[0] = dd{1, 0}
	for k := 1; k < len(f); k++ {
		f[k] = f[k-1].div(float64(k))
	}
	return f
}()

// ddPi is π to about 107 bits.
var ddPi = dd{3.141592653589793116, 1.2246467991473532072e-16}

// terms is the highest power the series of |x| ≤ π/2 + ε needs for a
// relative accuracy of tiny: the first k with |x|^k/k! below it, so small
// arguments (the half differences of nearby points) cost a few steps.
func terms(ax, tiny float64) int {
	t := 1.0
	for k := 1; k < len(invFact)-1; k++ {
		t *= ax / float64(k)
		if t < tiny {
			return k
		}
	}
	return len(invFact) - 2
}

// horner sums c[top] … c[from] (every second coefficient, signs
// alternating) at y = x², as c[from] - y(c[from+2] - y(…)): the terms
// below 2^-56 in float64, where their rounding cannot reach the 106th
// bit, the others in double-double.
func horner(x2 dd, ax float64, from int) dd {
	top := terms(ax, 0x1p-110)
	mid := terms(ax, 0x1p-56)
	if (top-from)&1 != 0 {
		top++
	}
	if (mid-from)&1 != 0 {
		mid++
	}
	f := invFact[top].hi
	k := top - 2
	for ; k > mid; k -= 2 {
		f = invFact[k].hi - x2.hi*f
	}
	s := dd{f, 0}
	for ; k >= from; k -= 2 {
		s = invFact[k].add(x2.mul(s).neg())
	}
	return s
}

// sinSeries and cosSeries sum the Taylor series for |x| ≤ π/2 + ε.
func sinSeries(x dd) dd { return x.mul(horner(x.mul(x), math.Abs(x.hi), 1)) }
func cosSeries(x dd) dd { return horner(x.mul(x), math.Abs(x.hi), 0) }

// sinDD is sin(x) in double-double for |x| ≤ π.
func sinDD(x float64) dd {
	if math.Abs(x) <= math.Pi/2 {
		return sinSeries(dd{x, 0})
	}
	// sin x = sin(π - x), with π - x computed to double-double.
	if x > 0 {
		return sinSeries(ddPi.add(dd{-x, 0}))
	}
	return sinSeries(ddPi.add(dd{x, 0})).neg()
}

// sin is the correctly rounded sine (Go's for |x| > π, which geo's
// distances never pass).
func sin(x float64) float64 {
	if math.Abs(x) > math.Pi || x == 0 {
		return math.Sin(x)
	}
	return sinDD(x).round()
}

// cos is the correctly rounded cosine for |x| ≤ π (Go's beyond: only the
// bounding box of searches wider than a hemisphere gets there).
func cos(x float64) float64 {
	ax := math.Abs(x)
	switch {
	case ax > math.Pi:
		return math.Cos(x)
	case ax <= math.Pi/2:
		return cosSeries(dd{ax, 0}).round()
	}
	// cos x = -cos(π - x)
	return cosSeries(ddPi.add(dd{-ax, 0})).neg().round()
}

// asin is the correctly rounded arcsine on [-1, 1]: one Newton step in
// double-double from Go's estimate.
func asin(y float64) float64 {
	if math.IsNaN(y) || y == 0 || math.Abs(y) >= 1 {
		return math.Asin(y)
	}
	t := math.Asin(y)
	s := sinDD(t)
	diff := (s.hi - y) + s.lo
	c := math.Cos(t)
	return twoSum(t, -diff/c).round()
}
