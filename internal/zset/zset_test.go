package zset

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"unsafe"
)

type ent struct {
	m string
	s float64
}

// model is a sorted slice: the obvious implementation the tree must match.
type model []ent

func (md model) sort() {
	sort.Slice(md, func(i, j int) bool { return cmpKey(md[i].s, []byte(md[i].m), md[j].s, []byte(md[j].m)) < 0 })
}

func (md model) insert(e ent) model {
	i := sort.Search(len(md), func(i int) bool { return cmpKey(md[i].s, []byte(md[i].m), e.s, []byte(e.m)) >= 0 })
	md = append(md, ent{})
	copy(md[i+1:], md[i:])
	md[i] = e
	return md
}

func (md model) find(m string) int {
	for i, e := range md {
		if e.m == m {
			return i
		}
	}
	return -1
}

func check(t *testing.T, z *ZSet, md model) {
	t.Helper()
	if z.Len() != len(md) {
		t.Fatalf("Len %d, model %d", z.Len(), len(md))
	}
	i := 0
	z.Walk(0, false, func(m []byte, s float64) bool {
		if string(m) != md[i].m || s != md[i].s || math.Signbit(s) != math.Signbit(md[i].s) {
			t.Fatalf("rank %d: %q %v, model %q %v", i, m, s, md[i].m, md[i].s)
		}
		i++
		return true
	})
	if i != len(md) {
		t.Fatalf("walk saw %d of %d", i, len(md))
	}
	if z.tree != nil {
		checkTree(t, z)
	}
}

// checkTree verifies the counts and bounds of every inner node and the
// index's agreement with the leaves.
func checkTree(t *testing.T, z *ZSet) {
	t.Helper()
	var walk func(in *inner, h int) int
	walk = func(in *inner, h int) int {
		total := 0
		for i := range in.n {
			var c int
			if h == 1 {
				c = int(in.leaves[i].n)
			} else {
				c = walk(in.inners[i], h-1)
			}
			if c != in.counts[i] {
				t.Fatalf("count %d, subtree holds %d", in.counts[i], c)
			}
			total += c
		}
		return total
	}
	if n := walk(z.root, z.height); n != z.n {
		t.Fatalf("tree holds %d, Len %d", n, z.n)
	}
	if z.idx.count != z.n {
		t.Fatalf("index holds %d, Len %d", z.idx.count, z.n)
	}
	for l := z.head; l != nil; l = l.next {
		for off := 0; off < len(l.b); {
			_, m, next := rec(l.b, off)
			found := false
			z.idx.each(hashOf(m), func(_ int, id uint32) bool { found = found || id == l.id; return !found })
			if !found {
				t.Fatalf("member %q of leaf %d not indexed there", m, l.id)
			}
			off = next
		}
	}
}

func randScore(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return float64(r.IntN(5)) // many ties
	case 1:
		return math.Inf(1 - 2*r.IntN(2))
	case 2:
		return float64(r.Int64N(1<<60) - 1<<59)
	case 3:
		return math.Copysign(0, -1)
	}
	return r.NormFloat64() * 1e6
}

func TestModel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lim   Limits
		ops   int
		space int
	}{
		{"listpack", DefaultLimits, 3000, 100},
		{"converting", DefaultLimits, 20000, 400},
		{"tree", Limits{Entries: 0, Value: 0}, 60000, 5000},
	} {
		if raceEnabled {
			tc.ops /= 8 // the race detector makes each op ~20 times slower
		}
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			z := New(0, 0, tc.lim)
			var md model
			for op := range tc.ops {
				m := fmt.Sprintf("m%d", r.IntN(tc.space))
				switch r.IntN(300) {
				case 0, 1, 2, 3, 4, 5:
					m += string(bytes.Repeat([]byte{'x'}, r.IntN(200)))
				case 6:
					m += string(bytes.Repeat([]byte{'y'}, maxLeaf+r.IntN(3000))) // a record over a leaf
				}
				switch k := r.IntN(10); {
				case k < 5:
					s := randScore(r)
					isNew := z.Set([]byte(m), s, tc.lim)
					if i := md.find(m); i >= 0 {
						if isNew {
							t.Fatalf("Set(%q) new, model has it", m)
						}
						if md[i].s == s {
							break // the stored score stays, even 0 over -0
						}
						md = append(md[:i], md[i+1:]...)
					} else if !isNew {
						t.Fatalf("Set(%q) not new", m)
					}
					if s == 0 && z.IsPacked() {
						s = 0 // a listpack stores -0 as 0
						s = math.Abs(s)
					}
					md = md.insert(ent{m, s})
				case k < 8:
					ok := z.Delete([]byte(m))
					i := md.find(m)
					if ok != (i >= 0) {
						t.Fatalf("Delete(%q) %v", m, ok)
					}
					if i >= 0 {
						md = append(md[:i], md[i+1:]...)
					}
				case k < 9:
					rk, s, ok := z.Rank([]byte(m), false)
					i := md.find(m)
					if ok != (i >= 0) || ok && (rk != i || s != md[i].s) {
						t.Fatalf("Rank(%q) = %d %v %v, model %d", m, rk, s, ok, i)
					}
					if ok {
						rr, _, _ := z.Rank([]byte(m), true)
						if rr != len(md)-1-i {
							t.Fatalf("rev rank %d", rr)
						}
						am, as := z.At(i)
						if string(am) != m || as != s {
							t.Fatalf("At(%d) = %q", i, am)
						}
					}
				default:
					if len(md) > 0 && r.IntN(20) == 0 {
						a := r.IntN(len(md))
						b := a + r.IntN(10)
						n := z.DeleteRanks(a, b)
						b = min(b, len(md)-1)
						if n != b-a+1 {
							t.Fatalf("DeleteRanks %d", n)
						}
						md = append(md[:a], md[b+1:]...)
					}
					checkRanges(t, r, z, md)
				}
				if op%1000 == 0 {
					check(t, z, md)
				}
			}
			check(t, z, md)
			c := z.Clone().(*ZSet)
			check(t, c, md)
			if c.Encoding() != z.Encoding() {
				t.Fatalf("clone encoding %s", c.Encoding())
			}
			snapshot := append(model(nil), md...)
			for len(md) > 0 {
				i := r.IntN(len(md))
				if !z.Delete([]byte(md[i].m)) {
					t.Fatal("delete failed")
				}
				md = append(md[:i], md[i+1:]...)
				if len(md)%97 == 0 {
					check(t, z, md)
				}
			}
			check(t, z, md)
			check(t, c, snapshot) // the clone is independent
		})
	}
}

func checkRanges(t *testing.T, r *rand.Rand, z *ZSet, md model) {
	t.Helper()
	sr := ScoreRange{Min: randScore(r), Max: randScore(r), MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0}
	first, n := z.ScoreSpan(sr)
	wf, wn := -1, 0
	for i, e := range md {
		in := (e.s > sr.Min || !sr.MinEx && e.s == sr.Min) && (e.s < sr.Max || !sr.MaxEx && e.s == sr.Max)
		if in {
			if wf < 0 {
				wf = i
			}
			wn++
		}
	}
	if wn != n || wn > 0 && wf != first {
		t.Fatalf("ScoreSpan(%+v) = %d %d, model %d %d", sr, first, n, wf, wn)
	}
	start := r.IntN(len(md) + 1)
	rev := r.IntN(2) == 0
	i := start
	z.Walk(start, rev, func(m []byte, s float64) bool {
		if string(m) != md[i].m {
			t.Fatalf("walk from %d rev %v: at %d %q, model %q", start, rev, i, m, md[i].m)
		}
		if rev {
			i--
		} else {
			i++
		}
		return r.IntN(30) != 0
	})
}

func TestLexSpan(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits, {}} {
		z := New(0, 0, lim)
		var ms []string
		for i := range 300 {
			m := fmt.Sprintf("%03d", i*7%300)
			z.Insert([]byte(m), 0, lim)
			ms = append(ms, m)
		}
		sort.Strings(ms)
		cases := []struct {
			r     LexRange
			first int
			n     int
		}{
			{LexRange{MinInf: true, MaxInf: true}, 0, 300},
			{LexRange{Min: []byte("010"), Max: []byte("020")}, 10, 11},
			{LexRange{Min: []byte("010"), MinEx: true, Max: []byte("020"), MaxEx: true}, 11, 9},
			{LexRange{Min: []byte("0105"), Max: []byte("02")}, 11, 9},
			{LexRange{Min: []byte("020"), Max: []byte("010")}, 0, 0},
			{LexRange{MinPos: true, MaxInf: true}, 0, 0},
			{LexRange{MinInf: true, MaxNeg: true}, 0, 0},
			{LexRange{MinInf: true, Max: []byte("005"), MaxEx: true}, 0, 5},
		}
		for _, c := range cases {
			first, n := z.LexSpan(c.r)
			if n != c.n || n > 0 && first != c.first {
				t.Errorf("%s LexSpan(%+v) = %d %d, want %d %d", z.Encoding(), c.r, first, n, c.first, c.n)
			}
		}
	}
}

// Scan returns every member of a tree exactly as often as its bucket is
// visited: once for a scan with no changes, whatever the count.
func TestScanComplete(t *testing.T) {
	z := New(0, 0, DefaultLimits)
	const n = 5000
	for i := range n {
		z.Insert(fmt.Appendf(nil, "m%d", i), float64(i%13), DefaultLimits)
	}
	for _, count := range []int{1, 10, 1000} {
		seen := map[string]int{}
		var cur uint64
		for {
			cur = z.Scan(cur, count, func(m []byte, s float64) {
				seen[string(m)]++
				var i int
				fmt.Sscanf(string(m), "m%d", &i)
				if s != float64(i%13) {
					t.Fatalf("%s: score %v", m, s)
				}
			})
			if cur == 0 {
				break
			}
		}
		if len(seen) != n {
			t.Fatalf("count %d: saw %d of %d", count, len(seen), n)
		}
		for m, c := range seen {
			if c != 1 {
				t.Fatalf("count %d: %s seen %d times", count, m, c)
			}
		}
	}
}

// A leaf is the 48-byte size class: a large sorted set has a leaf every few
// dozen members.
func TestLeafSize(t *testing.T) {
	if n := unsafe.Sizeof(leaf{}); n > 48 {
		t.Errorf("leaf is %d bytes, want at most 48", n)
	}
}

// A small sorted set is one 48-byte object (its leaf embedded) besides its
// buffer: every small sorted-set key pays it.
func TestSmallZSetIsOneSmallObject(t *testing.T) {
	if n := unsafe.Sizeof(ZSet{}); n > 32 {
		t.Errorf("ZSet is %d bytes, want at most 32", n)
	}
	z := New(1, 3, DefaultLimits)
	z.Insert([]byte("m00"), 1, DefaultLimits)
	if got := testing.AllocsPerRun(100, func() {
		z := New(1, 3, DefaultLimits)
		z.Insert([]byte("m00"), 1, DefaultLimits)
	}); got > 2 {
		t.Errorf("a one-member sorted set takes %v allocations, want 2 (the ZSet and its buffer)", got)
	}
}
