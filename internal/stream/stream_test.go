package stream

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

type modelEntry struct {
	id ID
	fv []string
}

func flat(fv [][]byte) []string {
	out := make([]string, len(fv))
	for i, b := range fv {
		out[i] = string(b)
	}
	return out
}

func check(t *testing.T, s *Stream, m []modelEntry) {
	t.Helper()
	if s.Len() != len(m) {
		t.Fatalf("len %d, model %d", s.Len(), len(m))
	}
	var got []modelEntry
	s.Range(ID{}, Max, false, func(id ID, fv [][]byte) bool {
		got = append(got, modelEntry{id, flat(fv)})
		return true
	})
	if fmt.Sprint(got) != fmt.Sprint(m) {
		t.Fatalf("forward\n got %v\nwant %v", got, m)
	}
	got = got[:0]
	s.Range(ID{}, Max, true, func(id ID, fv [][]byte) bool {
		got = append(got, modelEntry{id, flat(fv)})
		return true
	})
	rev := slices.Clone(m)
	slices.Reverse(rev)
	if fmt.Sprint(got) != fmt.Sprint(rev) {
		t.Fatalf("reverse\n got %v\nwant %v", got, rev)
	}
	if len(m) > 0 && s.FirstID() != m[0].id {
		t.Fatalf("first %v, want %v", s.FirstID(), m[0].id)
	}
	for _, n := range s.nodes {
		if !ValidNode(n.master, n.lp) {
			t.Fatalf("node %v not valid", n.master)
		}
	}
	// A sub-range.
	if len(m) > 2 {
		a, b := m[1].id, m[len(m)-2].id
		var sub []ID
		s.Range(a, b, false, func(id ID, _ [][]byte) bool { sub = append(sub, id); return true })
		if len(sub) != len(m)-2 {
			t.Fatalf("sub-range %v..%v: %d entries, want %d", a, b, len(sub), len(m)-2)
		}
	}
}

func TestStreamModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		s := New()
		var m []modelEntry
		lim := Limits{NodeMaxBytes: 4096, NodeMaxEntries: 1 + r.IntN(20)}
		if round%3 == 0 {
			lim.NodeMaxBytes = 200
		}
		for step := range 2000 {
			switch op := r.IntN(10); {
			case op < 6:
				id := s.LastID()
				if r.IntN(3) == 0 {
					id = ID{id.Ms + uint64(r.IntN(1000)), uint64(r.IntN(5))}
					if !s.LastID().Less(id) {
						id, _ = s.LastID().Next()
					}
				} else {
					id, _ = id.Next()
				}
				nf := 1 + r.IntN(3)
				var fv [][]byte
				var sv []string
				for i := range nf {
					f := fmt.Sprintf("f%d", i)
					if r.IntN(4) == 0 {
						f = fmt.Sprintf("x%d", r.IntN(1000))
					}
					var v string
					switch r.IntN(4) {
					case 0:
						v = fmt.Sprint(r.Int64() - r.Int64())
					case 1:
						v = fmt.Sprint(r.IntN(200) - 100)
					case 2:
						v = strings.Repeat("v", r.IntN(100))
					default:
						v = fmt.Sprintf("007%d", r.IntN(10))
					}
					fv = append(fv, []byte(f), []byte(v))
					sv = append(sv, f, v)
				}
				s.Add(id, fv, lim)
				m = append(m, modelEntry{id, sv})
			case op < 8 && len(m) > 0:
				i := r.IntN(len(m))
				if !s.Delete(m[i].id) {
					t.Fatalf("delete %v failed", m[i].id)
				}
				if s.Delete(m[i].id) {
					t.Fatal("deleted twice")
				}
				m = slices.Delete(m, i, i+1)
			case op == 8:
				ml := int64(len(m) - r.IntN(10))
				a := TrimArgs{Strategy: TrimMaxLen, MaxLen: max(ml, 0), Approx: r.IntN(2) == 0}
				n := s.Trim(a)
				m = m[n:]
				if !a.Approx && int64(len(m)) > a.MaxLen {
					t.Fatalf("exact trim left %d > %d", len(m), a.MaxLen)
				}
			default:
				if len(m) == 0 {
					continue
				}
				min := m[r.IntN(len(m))].id
				n := s.Trim(TrimArgs{Strategy: TrimMinID, MinID: min, Approx: r.IntN(2) == 0})
				m = m[n:]
			}
			if step%97 == 0 {
				check(t, s, m)
				c := s.Clone().(*Stream)
				check(t, c, m)
			}
		}
		check(t, s, m)
	}
}

func TestParseID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ID
		ok   bool
	}{
		{"1-2", ID{1, 2}, true}, {"5", ID{5, 9}, true}, {"18446744073709551615-18446744073709551615", Max, true},
		{"18446744073709551616", ID{}, false}, {"a-1", ID{}, false}, {"1-", ID{}, false}, {"", ID{}, false},
		{" 7-+3", ID{7, 3}, true}, {"1--1", ID{1, 1<<64 - 1}, true}, {"007", ID{7, 9}, true},
	} {
		id, _, ok := Parse([]byte(c.in), 9)
		if ok != c.ok || (ok && id != c.want) {
			t.Errorf("Parse(%q) = %v %v, want %v %v", c.in, id, ok, c.want, c.ok)
		}
	}
}
