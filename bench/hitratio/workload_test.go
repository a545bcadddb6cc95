package main

import (
	"slices"
	"testing"
)

func testParams() params {
	return params{requests: 10_000, keys: 1000, s: 0.99, seed: 1,
		scanEvery: 2000, scanLen: 500, shiftEvery: 4000, shiftBy: 100, loopKeys: 300}
}

func TestGenerateDeterministic(t *testing.T) {
	for _, w := range workloads {
		a, err := generate(w, testParams())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := generate(w, testParams())
		if len(a) != 10_000 || !slices.Equal(a, b) {
			t.Errorf("%s: length %d or not deterministic", w, len(a))
		}
	}
	z, _ := generate("zipf", testParams())
	s, _ := generate("shift", testParams())
	if slices.Equal(z, s) {
		t.Error("zipf and shift share a stream")
	}
}

func TestGenerateScan(t *testing.T) {
	seq, _ := generate("scan", testParams())
	seen := map[uint32]bool{}
	for i, id := range seq {
		wantCold := i%2500 >= 2000
		if isCold(id) != wantCold {
			t.Fatalf("request %d: cold = %v, want %v", i, isCold(id), wantCold)
		}
		if isCold(id) {
			if seen[id] {
				t.Fatalf("cold key %d requested twice", id)
			}
			seen[id] = true
		} else if id >= 1000 {
			t.Fatalf("hot key %d outside the key space", id)
		}
	}
	if len(seen) != 4*500 {
		t.Errorf("%d cold keys, want 2000", len(seen))
	}
}

func TestGenerateLoop(t *testing.T) {
	seq, _ := generate("loop", testParams())
	for i, id := range seq {
		if id != uint32(i%300) {
			t.Fatalf("request %d: key %d", i, id)
		}
	}
}

// TestGenerateShift checks that the most requested key moves by shiftBy
// ranks at every shift.
func TestGenerateShift(t *testing.T) {
	p := testParams()
	seq, _ := generate("shift", p)
	for period := 0; period < p.requests/p.shiftEvery; period++ {
		counts := map[uint32]int{}
		for _, id := range seq[period*p.shiftEvery : (period+1)*p.shiftEvery] {
			counts[id]++
		}
		top, n := uint32(0), 0
		for id, c := range counts {
			if c > n {
				top, n = id, c
			}
		}
		if want := uint32(period * p.shiftBy % p.keys); top != want {
			t.Errorf("period %d: most requested key %d, want %d", period, top, want)
		}
	}
}

func TestAppendKey(t *testing.T) {
	for _, id := range []uint64{0, 42, coldBase + 7} {
		if k := appendKey(nil, id); len(k) != keyLen {
			t.Errorf("key %q has length %d", k, len(k))
		}
	}
	if k := string(appendKey(nil, 42)); k != "key:000000000042" {
		t.Errorf("key %q", k)
	}
}
