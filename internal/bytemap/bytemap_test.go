package bytemap

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// invariants checks the table and arena bookkeeping against a full walk.
func invariants(t testing.TB, m *Map) {
	t.Helper()
	tb := &m.tab
	n := 0
	live := 0
	for p, s := range tb.slots {
		if s == 0 {
			continue
		}
		n++
		// Robin Hood: the previous slot holds an entry at most one closer.
		q := p - 1
		if q < 0 {
			q = len(tb.slots) - 1
		}
		if ps := tb.slots[q]; tb.dist(s, p) > 0 && (ps == 0 || tb.dist(ps, q) < tb.dist(s, p)-1) {
			t.Fatalf("slot %d: distance %d after distance %d", p, tb.dist(s, p), tb.dist(ps, q))
		}
		k, _, size := m.ar.record(slotLoc(s))
		if hashOf(k) != slotHash(s) {
			t.Fatalf("slot %d: hash mismatch for %q", p, k)
		}
		live += size
	}
	if n != tb.count {
		t.Fatalf("%d used slots, count %d", n, tb.count)
	}
	if live != m.ar.live {
		t.Fatalf("live bytes %d, arena says %d", live, m.ar.live)
	}
	dead := 0
	for ci, c := range m.ar.chunks {
		if c == nil {
			continue
		}
		dead += int(m.ar.meta[ci].garbage)
		if ci != m.ar.active && int(m.ar.meta[ci].garbage)*2 >= len(c) {
			t.Fatalf("chunk %d of %d bytes holds %d of garbage", ci, len(c), m.ar.meta[ci].garbage)
		}
	}
	if dead != m.ar.dead {
		t.Fatalf("garbage %d, arena says %d", dead, m.ar.dead)
	}
	if len(m.ar.victims) != 0 {
		t.Fatalf("%d chunks left to settle", len(m.ar.victims))
	}
}

// check compares m with the model entry by entry.
func check(t testing.TB, m *Map, model map[string]string) {
	t.Helper()
	if m.Len() != len(model) {
		t.Fatalf("Len %d, model %d", m.Len(), len(model))
	}
	seen := 0
	m.Range(func(k, v []byte) bool {
		mv, ok := model[string(k)]
		if !ok || mv != string(v) {
			t.Fatalf("Range: %q → %q, model %q (present %v)", k, v, mv, ok)
		}
		seen++
		return true
	})
	if seen != len(model) {
		t.Fatalf("Range saw %d entries, model %d", seen, len(model))
	}
	for k, mv := range model {
		v, ok := m.Get([]byte(k))
		if !ok || string(v) != mv {
			t.Fatalf("Get(%q) = %q %v, model %q", k, v, ok, mv)
		}
	}
	invariants(t, m)
}

func key(r *rand.Rand, space int) []byte { return fmt.Appendf(nil, "k%d", r.IntN(space)) }

func value(r *rand.Rand) []byte {
	n := r.IntN(20)
	switch r.IntN(30) {
	case 0:
		n = 200 + r.IntN(300)
	case 1:
		n = ownChunk + r.IntN(1000) // a chunk of its own
	}
	return bytes.Repeat([]byte{byte('a' + r.IntN(26))}, n)
}

// run applies random operations to a Map and a Go map, checking every
// answer and, every so often, the whole map.
func run(t testing.TB, r *rand.Rand, ops, space int) {
	m := New(r.IntN(50))
	if r.IntN(2) == 0 {
		m = &Map{} // the zero value works too
	}
	model := map[string]string{}
	for i := range ops {
		k := key(r, space)
		mv, in := model[string(k)]
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			v := value(r)
			if got := m.Set(k, v); got != !in {
				t.Fatalf("Set(%q) = %v, model %v", k, got, !in)
			}
			model[string(k)] = string(v)
		case 4: // set a value read from the map itself
			if m.Len() == 0 {
				continue
			}
			_, v := m.Random()
			mv := string(v)
			m.Set(k, v)
			model[string(k)] = mv
		case 5, 6, 7:
			if got := m.Delete(k); got != in {
				t.Fatalf("Delete(%q) = %v, model %v", k, got, in)
			}
			delete(model, string(k))
		case 8:
			v, ok := m.Get(k)
			if ok != in || string(v) != mv || m.Has(k) != in {
				t.Fatalf("Get(%q) = %q %v, model %q %v", k, v, ok, mv, in)
			}
		case 9:
			c := m.Clone()
			if r.IntN(10) == 0 {
				check(t, c, model)
			}
			c.Set([]byte("k-clone"), []byte("x")) // a deep copy: m must not see it
			c.Range(func(k, v []byte) bool { c.Delete(k); return false })
		}
		if i%50 == 0 || ops < 100 {
			check(t, m, model)
		}
	}
	check(t, m, model)
}

func TestModel(t *testing.T) {
	seeds := uint64(20)
	if raceEnabled || testing.Short() { // one goroutine: the race detector adds nothing
		seeds = 6
	}
	for seed := range seeds {
		run(t, rand.New(rand.NewPCG(seed, 1)), 2000, 50+int(seed)*40)
	}
}

// TestChurn deletes and rewrites most of a big map: garbage must stay
// bounded (invariants: under half of each chunk) and the table shrink.
func TestChurn(t *testing.T) {
	m := New(0)
	model := map[string]string{}
	n := 20000
	if testing.Short() {
		n = 5000
	}
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		v := fmt.Sprintf("value:%d", i)
		m.Set([]byte(k), []byte(v))
		model[k] = v
	}
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		switch i % 4 {
		case 0, 1, 2:
			m.Delete([]byte(k))
			delete(model, k)
		case 3:
			v := fmt.Sprintf("longer value:%d", i)
			m.Set([]byte(k), []byte(v))
			model[k] = v
		}
	}
	check(t, m, model)
	if len(m.tab.slots) > m.Len()*shrinkBy {
		t.Errorf("%d entries in %d slots", m.Len(), len(m.tab.slots))
	}
	if m.ar.dead*2 > m.ar.alloc {
		t.Errorf("garbage %d of %d arena bytes", m.ar.dead, m.ar.alloc)
	}
	for k := range model {
		m.Delete([]byte(k))
	}
	if m.Len() != 0 || m.Bytes() > structBytes+minSlots*8+64 {
		t.Errorf("emptied map: Len %d, Bytes %d", m.Len(), m.Bytes())
	}
}

func TestRandomIsUniform(t *testing.T) {
	m := New(0)
	const n = 100
	for i := range 300 { // delete some so the table has holes and runs
		m.Set(fmt.Appendf(nil, "%d", i), nil)
	}
	for i := n; i < 300; i++ {
		m.Delete(fmt.Appendf(nil, "%d", i))
	}
	counts := map[string]int{}
	const draws = 100 * n
	for range draws {
		k, _ := m.Random()
		counts[string(k)]++
	}
	if len(counts) != n {
		t.Fatalf("%d distinct entries drawn of %d", len(counts), n)
	}
	// Chi-square with 99 degrees of freedom: 99.9th percentile is 148.
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - draws/n
		chi += d * d / (draws / n)
	}
	if chi > 148 {
		t.Errorf("chi-square %.1f over %d entries: not uniform", chi, n)
	}
}

func TestGetAliasesAndLimitsCap(t *testing.T) {
	m := New(0)
	m.Set([]byte("a"), []byte("xy"))
	m.Set([]byte("b"), []byte("zz"))
	v, _ := m.Get([]byte("a"))
	_ = append(v, '!')
	if w, _ := m.Get([]byte("b")); string(w) != "zz" {
		t.Fatalf("append to a Get result overwrote the next record: %q", w)
	}
	m.Set([]byte("a"), []byte("XY")) // same size: in place
	if string(v) != "XY" {
		t.Fatalf("same-size update not in place: %q", v)
	}
}

func FuzzMap(f *testing.F) {
	f.Add(uint64(1), uint16(300), uint8(20))
	f.Add(uint64(5), uint16(3000), uint8(200))
	f.Fuzz(func(t *testing.T, seed uint64, ops uint16, space uint8) {
		run(t, rand.New(rand.NewPCG(seed, 2)), int(ops%4000), int(space)+1)
	})
}
