package bytemap

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// scanAll runs a whole scan, calling between(step) before each call after
// the first, and returns how often each key was returned.
func scanAll(m *Map, count int, between func(step int)) map[string]int {
	seen := map[string]int{}
	cursor := uint64(0)
	for step := 0; ; step++ {
		if step > 0 {
			between(step)
		}
		cursor = m.Scan(cursor, count, func(k, v []byte) { seen[string(k)]++ })
		if cursor == 0 {
			return seen
		}
		if step > 10_000_000 {
			panic("scan does not end")
		}
	}
}

func fill(m *Map, prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%d", prefix, i)
		m.Set([]byte(keys[i]), []byte("v"))
	}
	return keys
}

func TestScanWhole(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 5000} {
		m := New(0)
		keys := fill(m, "k", n)
		seen := scanAll(m, 10, func(int) {})
		for _, k := range keys {
			if seen[k] != 1 {
				t.Fatalf("n=%d: %q returned %d times by a scan of an unchanging map", n, k, seen[k])
			}
		}
		if len(seen) != n {
			t.Fatalf("n=%d: scan returned %d keys", n, len(seen))
		}
	}
}

// TestScanGuarantee: keys present for the whole scan are returned at least
// once while other keys are added (the table grows across several powers
// of two) or deleted (it shrinks) between calls.
func TestScanGuarantee(t *testing.T) {
	tests := []struct {
		name  string
		start int // extra keys present at the start
		step  func(m *Map, r *rand.Rand, extra *[]string, step int)
	}{
		{"grow", 0, func(m *Map, r *rand.Rand, extra *[]string, step int) {
			if step > 200 {
				return // grown 16-fold: let the scan finish
			}
			for range 1 + r.IntN(40) {
				k := fmt.Sprintf("new%d-%d", step, r.Uint32())
				m.Set([]byte(k), nil)
				*extra = append(*extra, k)
			}
		}},
		{"shrink", 20000, func(m *Map, r *rand.Rand, extra *[]string, step int) {
			for range 1 + r.IntN(80) {
				if len(*extra) == 0 {
					return
				}
				i := r.IntN(len(*extra))
				m.Delete([]byte((*extra)[i]))
				(*extra)[i] = (*extra)[len(*extra)-1]
				*extra = (*extra)[:len(*extra)-1]
			}
		}},
		{"both", 5000, func(m *Map, r *rand.Rand, extra *[]string, step int) {
			if step > 400 {
				return
			}
			if (step/20)%2 == 0 {
				for range 100 {
					k := fmt.Sprintf("new%d-%d", step, r.Uint32())
					m.Set([]byte(k), nil)
					*extra = append(*extra, k)
				}
				return
			}
			for range 150 {
				if len(*extra) == 0 {
					return
				}
				m.Delete([]byte((*extra)[len(*extra)-1]))
				*extra = (*extra)[:len(*extra)-1]
			}
		}},
	}
	seeds := uint64(5)
	if raceEnabled || testing.Short() {
		seeds = 2
	}
	for _, tt := range tests {
		for seed := range seeds {
			r := rand.New(rand.NewPCG(seed, 3))
			m := New(0)
			stable := fill(m, "stable", 300)
			extra := fill(m, "extra", tt.start)
			sizes := map[int]bool{}
			seen := scanAll(m, 1+r.IntN(20), func(step int) {
				tt.step(m, r, &extra, step)
				sizes[len(m.tab.slots)] = true
			})
			for _, k := range stable {
				if seen[k] == 0 {
					t.Fatalf("%s seed %d: %q present throughout, never returned", tt.name, seed, k)
				}
			}
			if len(sizes) < 3 {
				t.Fatalf("%s seed %d: the table took only %d sizes during the scan", tt.name, seed, len(sizes))
			}
		}
	}
}

// TestScanCount: a call returns about count entries, and stops after
// 10*count empty buckets.
func TestScanCount(t *testing.T) {
	m := New(0)
	fill(m, "k", 1000)
	n := 0
	c := m.Scan(0, 50, func(k, v []byte) { n++ })
	if c == 0 || n < 50 || n > 60 {
		t.Fatalf("Scan count 50 returned %d entries, cursor %d", n, c)
	}
	sparse := New(100000)
	sparse.Set([]byte("only"), nil)
	calls := 0
	for c := sparse.Scan(0, 1, func(k, v []byte) {}); c != 0; c = sparse.Scan(c, 1, func(k, v []byte) {}) {
		calls++
	}
	if calls < 100 {
		t.Fatalf("a sparse table was scanned in %d calls: the bucket budget is not applied", calls)
	}
}
