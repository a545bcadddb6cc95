package set

import (
	"math"
	"strconv"
	"testing"
)

// Sets of each encoding with n members.
func sample(n int) map[string]func() *Set {
	lim := DefaultLimits
	ints, strs := make([]string, n), make([]string, n)
	for i := range n {
		ints[i], strs[i] = strconv.Itoa(i*7), "m"+strconv.Itoa(i)
	}
	return map[string]func() *Set{
		"intset":   func() *Set { return build(lim, ints...) },
		"listpack": func() *Set { return build(lim, strs...) },
		"hashtable": func() *Set {
			s := New([]byte("m0"), 1000, lim)
			for _, m := range strs {
				s.Add([]byte(m), lim)
			}
			return s
		},
	}
}

// checkUniform fails when a member's count strays more than five standard
// deviations from the mean (counts are about Poisson): generous, since the
// point is to catch a biased or stuck sampler, not to certify a random
// generator, and the tests check a few thousand counts.
func checkUniform(t *testing.T, what string, counts map[string]int, n, total int) {
	t.Helper()
	if len(counts) != n {
		t.Errorf("%s: %d distinct members seen, want %d", what, len(counts), n)
		return
	}
	mean := float64(total) / float64(n)
	for m, c := range counts {
		if d := math.Abs(float64(c) - mean); d > 5*math.Sqrt(mean) {
			t.Errorf("%s: %q drawn %d times, mean %.0f", what, m, c, mean)
		}
	}
}

func TestRandomDistinct(t *testing.T) {
	const n, trials = 60, 3000
	for enc, mk := range sample(n) {
		s := mk()
		if s.Encoding() != enc {
			t.Fatalf("built %s, want %s", s.Encoding(), enc)
		}
		// 5 takes the rejection path for intset and hashtable, 40 the
		// one-pass selection; listpacks always select in one pass.
		for _, count := range []int{1, 5, 40, n - 1} {
			counts := map[string]int{}
			for range trials {
				seen := map[string]bool{}
				s.RandomDistinct(count, func(m []byte) {
					if seen[string(m)] {
						t.Fatalf("%s count %d: %q twice", enc, count, m)
					}
					if !s.Has(m) {
						t.Fatalf("%s count %d: %q not a member", enc, count, m)
					}
					seen[string(m)] = true
					counts[string(m)]++
				})
				if len(seen) != count {
					t.Fatalf("%s: RandomDistinct(%d) gave %d", enc, count, len(seen))
				}
			}
			checkUniform(t, enc+" RandomDistinct "+strconv.Itoa(count), counts, n, trials*count)
		}
	}
}

func TestRandomRepeat(t *testing.T) {
	const n, count = 50, 20000
	for enc, mk := range sample(n) {
		s := mk()
		counts := map[string]int{}
		got := 0
		s.RandomRepeat(count, func(m []byte) bool {
			if !s.Has(m) {
				t.Fatalf("%s: %q not a member", enc, m)
			}
			counts[string(m)]++
			got++
			return true
		})
		if got != count {
			t.Fatalf("%s: %d members, want exactly %d", enc, got, count)
		}
		checkUniform(t, enc+" RandomRepeat", counts, n, count)
		var buf []byte
		single := map[string]int{}
		for range count {
			single[string(s.Random(buf[:0]))]++
		}
		checkUniform(t, enc+" Random", single, n, count)
	}
}

func TestPopUniform(t *testing.T) {
	const n, trials = 40, 4000
	for enc, mk := range sample(n) {
		// 3 pops one by one; 38 keeps 2 survivors in a new set.
		for _, count := range []int{1, 3, 38} {
			counts := map[string]int{}
			for range trials {
				s := mk()
				if count == 1 {
					counts[string(s.Pop(nil))]++
				} else {
					seen := map[string]bool{}
					s.PopMany(count, DefaultLimits, func(m []byte) {
						if seen[string(m)] {
							t.Fatalf("%s: %q popped twice", enc, m)
						}
						seen[string(m)] = true
						counts[string(m)]++
					})
					if len(seen) != count {
						t.Fatalf("%s: PopMany(%d) popped %d", enc, count, len(seen))
					}
					for m := range seen {
						if s.Has([]byte(m)) {
							t.Fatalf("%s: popped %q still a member", enc, m)
						}
					}
				}
				if s.Len() != n-count {
					t.Fatalf("%s: %d left after popping %d of %d", enc, s.Len(), count, n)
				}
			}
			checkUniform(t, enc+" pop "+strconv.Itoa(count), counts, n, trials*count)
		}
	}
}

// SPOP keeping few survivors builds them a new set: from a hashtable that
// is a listpack when they fit one (Redis 7.2).
func TestPopManySurvivorsEncoding(t *testing.T) {
	s := sample(200)["hashtable"]()
	s.PopMany(195, DefaultLimits, func([]byte) {})
	if s.Encoding() != "listpack" || s.Len() != 5 {
		t.Errorf("survivors: %s of %d, want listpack of 5", s.Encoding(), s.Len())
	}
	s = sample(200)["hashtable"]()
	s.PopMany(10, DefaultLimits, func([]byte) {})
	if s.Encoding() != "hashtable" {
		t.Errorf("after a few pops: %s, want hashtable", s.Encoding())
	}
}
