package evict

import (
	"math/rand/v2"
	"testing"
)

func randHashes(n int, seed uint64) []uint64 {
	r := rand.New(rand.NewPCG(seed, 1))
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = r.Uint64()
	}
	return hs
}

func TestGhostSize(t *testing.T) {
	for _, c := range []int{1 << 10, 100_000, 1_000_000} {
		if got := newGhost(c).Bytes(); got > c || got < c*9/10 {
			t.Errorf("capacity %d: ghost holds %d bytes, want about 1 per key", c, got)
		}
	}
}

// A key is remembered, with its arm, for at least one generation (half a
// capacity of evictions) and forgotten after two.
func TestGhostRemembersThenForgets(t *testing.T) {
	const c = 100_000
	g := newGhost(c)
	keys := randHashes(c/2, 1)
	for i, h := range keys {
		g.add(h, i&1)
	}
	wrongArm := 0
	for i, h := range keys {
		a0, a1 := g.lookup(h)
		if !a0 && !a1 {
			t.Fatalf("key %d forgotten within a generation", i)
		}
		if (i&1 == 0 && !a0) || (i&1 == 1 && !a1) {
			t.Fatalf("key %d lost its arm", i)
		}
		if (i&1 == 0 && a1) || (i&1 == 1 && a0) {
			wrongArm++
		}
	}
	if wrongArm > len(keys)/20 {
		t.Errorf("%d of %d keys also match the other arm", wrongArm, len(keys))
	}
	for _, h := range randHashes(c, 2) { // two more generations
		g.add(h, 0)
	}
	remembered := 0
	for _, h := range keys {
		if a0, a1 := g.lookup(h); a0 || a1 {
			remembered++
		}
	}
	if remembered > len(keys)/8 {
		t.Errorf("%d of %d keys still remembered after two generations", remembered, len(keys))
	}
}

// False positives matter twice: a never-seen key is admitted like a
// returning one, and a regret is charged to an arm at random.
func TestGhostFalsePositives(t *testing.T) {
	const c = 100_000
	g := newGhost(c)
	for i, h := range randHashes(2*c, 3) { // steady state: both generations in use
		g.add(h, i&1)
	}
	fp := 0
	fresh := randHashes(c, 4)
	for _, h := range fresh {
		if a0, a1 := g.lookup(h); a0 || a1 {
			fp++
		}
	}
	// Each generation holds c/2 keys at 8 bits per key, k = 3: about 3 %
	// per generation and arm, so at most about 12 % for any of the four.
	if rate := float64(fp) / float64(len(fresh)); rate > 0.14 {
		t.Errorf("false positive rate %.3f, want ≤ 0.14", rate)
	} else {
		t.Logf("false positive rate %.3f", rate)
	}
}
