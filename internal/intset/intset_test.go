package intset

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// check compares s with the model, a sorted slice.
func check(t testing.TB, s *Set, model []int64) {
	t.Helper()
	if s.Len() != len(model) {
		t.Fatalf("Len %d, model %d", s.Len(), len(model))
	}
	for i, v := range model {
		if got := s.At(i); got != v {
			t.Fatalf("At(%d) = %d, model %d", i, got, v)
		}
	}
	if s.Bytes() < structBytes+size(len(model), uint8(s.Bits())) && len(model) > 0 {
		t.Fatalf("Bytes %d below the payload of %d members of %d bits", s.Bytes(), len(model), s.Bits())
	}
	if len(model) > 0 {
		if w := bits.Len64(uint64(model[len(model)-1]) - uint64(s.base())); s.Bits() < w {
			t.Fatalf("%d bits, the largest offset needs %d", s.Bits(), w)
		}
		if s.base() > model[0] {
			t.Fatalf("base %d above the smallest member %d", s.base(), model[0])
		}
	}
}

// value draws from ranges that exercise every width and both ends.
func value(r *rand.Rand) int64 {
	switch r.IntN(8) {
	case 0:
		return int64(r.Uint64())
	case 1:
		return int64(int32(r.Uint32()))
	case 2:
		return []int64{math.MinInt64, math.MaxInt64, math.MinInt32, math.MaxInt32, math.MinInt16, math.MaxInt16,
			math.MinInt16 - 1, math.MaxInt16 + 1, math.MinInt32 - 1, math.MaxInt32 + 1, 0, -1}[r.IntN(12)]
	}
	return int64(r.IntN(200) - 100)
}

// run applies a random sequence of operations decoded from r to a Set and
// to the model, checking every answer.
func run(t testing.TB, r *rand.Rand, ops int, value func(*rand.Rand) int64) {
	var s Set
	var model []int64
	for range ops {
		v := value(r)
		i, in := slices.BinarySearch(model, v)
		switch r.IntN(10) {
		case 0, 1, 2, 3, 4:
			if got := s.Add(v); got != !in {
				t.Fatalf("Add(%d) = %v, model %v", v, got, !in)
			}
			if !in {
				model = slices.Insert(model, i, v)
			}
		case 5, 6, 7:
			if got := s.Remove(v); got != in {
				t.Fatalf("Remove(%d) = %v, model %v", v, got, in)
			}
			if in {
				model = slices.Delete(model, i, i+1)
			}
		case 8:
			if got := s.Has(v); got != in {
				t.Fatalf("Has(%d) = %v, model %v", v, got, in)
			}
		case 9:
			c := s.Clone()
			check(t, c, model)
			c.Add(12345) // a deep copy: s must not see it
			c.Remove(model0(model))
		}
		check(t, &s, model)
	}
	if len(model) > 0 && (s.Min() != model[0] || s.Max() != model[len(model)-1]) {
		t.Fatalf("Min/Max %d/%d, model %d/%d", s.Min(), s.Max(), model[0], model[len(model)-1])
	}
}

func model0(m []int64) int64 {
	if len(m) == 0 {
		return 0
	}
	return m[0]
}

func TestModel(t *testing.T) {
	for seed := range uint64(200) {
		run(t, rand.New(rand.NewPCG(seed, 1)), 300, value)
	}
}

// TestModelNarrow keeps the members in a window of a few bits at a far
// base, so the sets stay narrow while their base moves.
func TestModelNarrow(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 3))
		base := int64(r.Uint64())
		span := 1 + r.IntN(2000)
		run(t, r, 500, func(r *rand.Rand) int64 { return base + int64(r.IntN(span)) })
	}
}

func TestWidths(t *testing.T) {
	tests := []struct {
		add  []int64
		want int
	}{
		{nil, 0},
		{[]int64{7}, 1},
		{[]int64{7, 8}, 1},
		{[]int64{7, 9}, 2},
		{[]int64{-3, 4}, 3},
		{[]int64{499, 0, 17}, 9},
		{[]int64{1, -5, math.MaxInt16, math.MinInt16}, 16},
		{[]int64{math.MinInt32, math.MaxInt32}, 32},
		{[]int64{math.MinInt64, -1}, 63},
		{[]int64{math.MinInt64, 0}, 64},
		{[]int64{math.MinInt64, math.MaxInt64}, 64},
		{[]int64{math.MaxInt64, math.MinInt64, -1, 0, 1}, 64},
	}
	for _, tt := range tests {
		var s Set
		for _, v := range tt.add {
			s.Add(v)
		}
		if s.Bits() != tt.want {
			t.Errorf("%v: %d bits, want %d", tt.add, s.Bits(), tt.want)
		}
		for _, v := range tt.add {
			if !s.Has(v) {
				t.Errorf("%v: lost %d", tt.add, v)
			}
		}
	}
	// Removing the far member keeps the width, as Redis keeps its encoding.
	var s Set
	s.Add(1)
	s.Add(math.MaxInt64)
	s.Remove(math.MaxInt64)
	if s.Bits() != 63 || !s.Has(1) || s.Has(math.MaxInt64) {
		t.Errorf("after removing the far member: %d bits, Has(1) %v", s.Bits(), s.Has(1))
	}
}

// TestShifts inserts and removes at every position of sets whose members
// straddle word boundaries at every width.
func TestShifts(t *testing.T) {
	for w := 1; w <= 64; w++ {
		hi := int64(-1)
		if w < 64 {
			hi = int64(1)<<w - 1
		}
		// 3 to 70 members spread over [0, hi], hi included so the width is w.
		for n := 3; n <= 70; n += 67 / 3 {
			var s Set
			var model []int64
			add := func(v int64) {
				i, in := slices.BinarySearch(model, v)
				if s.Add(v) == in {
					t.Fatalf("w %d: Add(%d) disagrees", w, v)
				}
				if !in {
					model = slices.Insert(model, i, v)
				}
			}
			add(0)
			add(hi)
			step := uint64(hi) / uint64(n)
			for i := 1; i < n; i++ {
				add(int64(uint64(i) * step))
			}
			check(t, &s, model)
			if w < 64 && s.Bits() != w {
				t.Fatalf("w %d: %d bits", w, s.Bits())
			}
			for i := 0; i < len(model); i += 2 {
				v := model[i]
				if !s.Remove(v) {
					t.Fatalf("w %d: Remove(%d)", w, v)
				}
				check(t, &s, slices.Delete(slices.Clone(model), i, i+1))
				s.Add(v)
				check(t, &s, model)
			}
		}
	}
}

func FuzzSet(f *testing.F) {
	f.Add(uint64(1), uint16(50))
	f.Add(uint64(99), uint16(500))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		run(t, rand.New(rand.NewPCG(seed, 2)), int(n%2000), value)
	})
}

// bytesPerMember builds sets of n members 0..n-1 in random order, as SADD
// loads them.
func bytesPerMember(n int) float64 {
	var s Set
	for _, v := range rand.Perm(n) {
		s.Add(int64(v))
	}
	return float64(s.Bytes()) / float64(n)
}

// TestBytesPerMember holds the target: a set of 500 integers 0..499 costs
// 9 bits each plus the base, 570 bytes in the 576-byte size class (1.15 B
// per member), where Redis's intset takes 2 bytes each plus an 8-byte
// header in jemalloc's 1024-byte class (2.05 B).
func TestBytesPerMember(t *testing.T) {
	if got := bytesPerMember(500); got > 1.152+float64(structBytes)/500 {
		t.Errorf("%.2f B per member", got)
	}
}

func BenchmarkBytesPerMember(b *testing.B) {
	for _, n := range []int{500, 512} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				b.ReportMetric(bytesPerMember(n), "B/elem")
			}
		})
	}
}

// BenchmarkBytesPerMember1M adds a million members in ascending order (each
// an append: Redis caps intsets at 512 members, so random order at this size
// would measure the shifts): 20 bits each plus the growth slack past the
// allocator's size classes.
func BenchmarkBytesPerMember1M(b *testing.B) {
	for b.Loop() {
		var s Set
		for i := range 1_000_000 {
			s.Add(int64(i))
		}
		b.ReportMetric(float64(s.Bytes())/1e6, "B/elem")
	}
}

func BenchmarkHas(b *testing.B) {
	var s Set
	for i := range 500 {
		s.Add(int64(i * 3))
	}
	i := 0
	for b.Loop() {
		s.Has(int64(i % 1500))
		i++
	}
}

func BenchmarkAdd(b *testing.B) {
	var s Set
	i := 0
	for b.Loop() {
		if s.Len() >= 512 {
			s = Set{}
		}
		s.Add(int64(i*7919) % 100000)
		i++
	}
}
