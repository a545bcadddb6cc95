package evict

import (
	"sync"
	"testing"
)

// advance evicts n keys (of no interest to the test) to move the clock.
func advance(l *LRFU, n int) {
	for i := range n {
		l.Evicted(uint64(i)*0x9e3779b97f4a7c15+1, 0, 0)
	}
}

func TestFreshKeyIsPreferredVictim(t *testing.T) {
	l := New(1 << 16)
	fresh := l.Insert(1, 0)
	hit := l.Access(2, l.Insert(2, 0), 0)
	if l.Rank(1, fresh, 0) >= l.Rank(2, hit, 0) {
		t.Error("a key never seen ranks at or above a key that was hit")
	}
	l.Evicted(3, l.Insert(3, 0), 0)
	back := l.Insert(3, 0) // evicted just now, so remembered
	if l.Rank(1, fresh, 0) >= l.Rank(3, back, 0) {
		t.Error("a key never seen ranks at or above a key returning after its eviction")
	}
}

func TestCRFGrowsToCapAndDecays(t *testing.T) {
	const c = 1 << 16
	l := New(c)
	m := l.Insert(1, 0)
	for range 1000 {
		m = l.Access(1, m, 0)
	}
	// It saturates where one more access adds under half a sixteenth.
	if f := l.Freq(m); f < 40 || f > 1<<(lMax/lUnit) {
		t.Fatalf("after 1000 accesses in one tick CRF is %d, want 40..%d", f, 1<<(lMax/lUnit))
	}
	// Idle, it halves every half-life, give or take the duel's arms (2^±0.5;
	// decay is computed with the λ in force when the word is read).
	halfLife := int(l.HalfLife() * c) // in evictions; no regrets, so λ stays put
	advance(l, 4*halfLife)
	if f := l.Freq(m); f > 8 {
		t.Errorf("after 4 half-lives idle CRF is %d, want ≤ 8", f)
	}
	// log2(46/2.5) ≈ 4.2 half-lives after its last access, the saturated key
	// ranks below a new key hit twice.
	advance(l, 4*halfLife)
	warm := l.Insert(2, 0)
	warm = l.Access(2, l.Access(2, warm, 0), 0)
	if l.Rank(1, m, 0) >= l.Rank(2, warm, 0) {
		t.Error("a key idle for 8 half-lives still outranks one just hit twice")
	}
}

// The eviction pool keeps ranks across rounds, so the rank of an idle key
// must not drift while λ stays put.
func TestRankStableWhileIdle(t *testing.T) {
	l := New(1 << 16)
	m := l.Access(1, l.Insert(1, 0), 0)
	r0 := l.Rank(1, m, 0)
	advance(l, int(l.sz.Load().slice)-1) // within the first arm slice
	if r := l.Rank(1, m, 0); r != r0 {
		t.Errorf("rank moved from %d to %d while idle", r0, r)
	}
}

// The duel moves λ towards the arm whose victims are regretted less.
func TestDuelFollowsRegrets(t *testing.T) {
	for _, regretArm := range []int{0, 1} {
		const c = 1 << 14
		l := New(c)
		start := l.HalfLife()
		sz := l.sz.Load()
		for n := uint64(0); n < 20*c; n++ {
			h := n*0x9e3779b97f4a7c15 + 1
			arm := int(n/sz.slice) & 1
			l.Evicted(h, 0, 0)
			if arm == regretArm {
				l.Insert(h, 0) // the victim comes straight back
			}
		}
		got := l.HalfLife()
		// A larger λ is a shorter half-life: regrets in arm 0 (smaller λ)
		// must shorten it, regrets in arm 1 lengthen it.
		if regretArm == 0 && got >= start || regretArm == 1 && got <= start {
			t.Errorf("regrets in arm %d: half-life went from %.3g to %.3g turnovers", regretArm, start, got)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New(1 << 12)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			m := l.Insert(uint64(g), 0)
			for i := range 20_000 {
				h := uint64(g)<<32 | uint64(i)
				m = l.Access(h, m, 0)
				_ = l.Rank(h, m, 0)
				if i%3 == 0 {
					l.Evicted(h, m, 0)
					m = l.Insert(h^1, 0)
				}
				if g == 0 && i%5000 == 0 {
					l.Resize(1<<12 + i)
				}
				_ = l.Freq(m)
			}
		})
	}
	wg.Wait()
}

func TestNoAllocations(t *testing.T) {
	l := New(1 << 16)
	m := l.Insert(1, 0)
	for name, f := range map[string]func(){
		"Access":  func() { m = l.Access(1, m, 0) },
		"Insert":  func() { _ = l.Insert(2, 0) },
		"Rank":    func() { _ = l.Rank(1, m, 0) },
		"Evicted": func() { l.Evicted(3, m, 0) },
	} {
		if n := testing.AllocsPerRun(10_000, f); n != 0 {
			t.Errorf("%s allocates %.1f times per call", name, n)
		}
	}
}

func BenchmarkAccess(b *testing.B) {
	l := New(1 << 20)
	m := l.Insert(1, 0)
	for b.Loop() {
		m = l.Access(1, m, 0)
	}
}

func BenchmarkAccessParallel(b *testing.B) {
	l := New(1 << 20)
	b.RunParallel(func(pb *testing.PB) {
		m := l.Insert(1, 0)
		for pb.Next() {
			m = l.Access(1, m, 0)
		}
	})
}

func BenchmarkInsert(b *testing.B) {
	l := New(1 << 20)
	h := uint64(0)
	for b.Loop() {
		h += 0x9e3779b97f4a7c15
		_ = l.Insert(h, 0)
	}
}

func BenchmarkRank(b *testing.B) {
	l := New(1 << 20)
	m := l.Insert(1, 0)
	for b.Loop() {
		_ = l.Rank(1, m, 0)
	}
}

func BenchmarkEvicted(b *testing.B) {
	l := New(1 << 20)
	h := uint64(0)
	for b.Loop() {
		h += 0x9e3779b97f4a7c15
		l.Evicted(h, 0, 0)
	}
}
