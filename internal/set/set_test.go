package set

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func members(s *Set) []string {
	var out []string
	s.Range(func(m []byte) bool { out = append(out, string(m)); return true })
	return out
}

func sortedMembers(s *Set) []string {
	out := members(s)
	slices.Sort(out)
	return out
}

func modelMembers(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func build(lim Limits, ms ...string) *Set {
	s := New([]byte(ms[0]), len(ms), lim)
	for _, m := range ms {
		s.Add([]byte(m), lim)
	}
	return s
}

// Encodings and conversions as Redis 7.2's t_set.c picks them.
func TestEncodings(t *testing.T) {
	lim := DefaultLimits
	ints := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, strconv.Itoa(i))
		}
		return out
	}
	strs := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, "m"+strconv.Itoa(i))
		}
		return out
	}
	tests := []struct {
		name string
		lim  Limits
		add  [][]string // one SADD-like batch per element
		want string
	}{
		{"integers", lim, [][]string{{"1", "2", "-3"}}, "intset"},
		{"extremes", lim, [][]string{{"9223372036854775807", "-9223372036854775808"}}, "intset"},
		{"not canonical", lim, [][]string{{"01"}}, "listpack"},
		{"minus zero", lim, [][]string{{"-0"}}, "listpack"},
		{"too big", lim, [][]string{{"9223372036854775808"}}, "listpack"},
		{"strings", lim, [][]string{{"a", "b"}}, "listpack"},
		{"string first then ints", lim, [][]string{{"a", "1", "2"}}, "listpack"},
		{"int first then string", lim, [][]string{{"1", "a"}}, "listpack"},
		{"intset then string", lim, [][]string{{"1", "2"}, {"a"}}, "listpack"},
		{"512 integers", lim, [][]string{ints(512)}, "intset"},
		{"513 integers", lim, [][]string{ints(513)}, "hashtable"},
		{"512 then one", lim, [][]string{ints(512), {"512"}}, "hashtable"},
		{"128 strings", lim, [][]string{strs(128)}, "listpack"},
		{"129 strings", lim, [][]string{strs(129)}, "hashtable"},
		{"128 then one", lim, [][]string{strs(128), {"x"}}, "hashtable"},
		{"128 ints then string", lim, [][]string{ints(128), {"x"}}, "hashtable"},
		{"127 ints then string", lim, [][]string{ints(127), {"x"}}, "listpack"},
		{"long value", lim, [][]string{{strings.Repeat("x", 65)}}, "hashtable"},
		{"64-byte value", lim, [][]string{{strings.Repeat("x", 64)}}, "listpack"},
		{"intset then long value", lim, [][]string{{"1"}, {strings.Repeat("x", 65)}}, "hashtable"},
		{"listpack then long value", lim, [][]string{{"a"}, {strings.Repeat("x", 65)}}, "hashtable"},
		{"big batch onto listpack", lim, [][]string{{"a"}, append(strs(2), strs(2)[0:1:1]...)}, "listpack"},
		// SADD's size hint converts up front, even if the batch repeats.
		{"hint past listpack", lim, [][]string{{"a"}, slices.Repeat([]string{"a"}, 129)}, "hashtable"},
		{"hint past intset", lim, [][]string{{"1"}, slices.Repeat([]string{"1"}, 513)}, "hashtable"},
		{"intset limit 0", Limits{0, 128, 64}, [][]string{{"1"}}, "listpack"},
		{"listpack limit 0", Limits{512, 0, 64}, [][]string{{"a"}}, "hashtable"},
		{"small intset limit", Limits{2, 3, 64}, [][]string{{"1", "2"}, {"3"}}, "hashtable"},
		{"wide ints vs value limit", Limits{512, 128, 3}, [][]string{{"1000"}, {"a"}}, "hashtable"},
		{"narrow ints vs value limit", Limits{512, 128, 3}, [][]string{{"-10"}, {"a"}}, "listpack"},
	}
	for _, tt := range tests {
		var s *Set
		for _, batch := range tt.add {
			if s == nil {
				s = New([]byte(batch[0]), len(batch), tt.lim)
			} else {
				s.MaybeGrow(len(batch), tt.lim)
			}
			for _, m := range batch {
				s.Add([]byte(m), tt.lim)
			}
		}
		if got := s.Encoding(); got != tt.want {
			t.Errorf("%s: encoding %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestIntsetOrder(t *testing.T) {
	s := build(DefaultLimits, "5", "-2", "10", "0")
	if got := strings.Join(members(s), ","); got != "-2,0,5,10" {
		t.Errorf("members %s", got)
	}
	l := build(DefaultLimits, "c", "a", "b")
	if got := strings.Join(members(l), ","); got != "c,a,b" {
		t.Errorf("listpack keeps insertion order: %s", got)
	}
}

// encRank orders encodings: sets only move up, except where documented.
func encRank(s *Set) int { return int(s.enc()) }

// TestModel drives random operations on sets with small thresholds, so
// every conversion happens, and compares with a map after each.
func TestModel(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 1))
		lim := Limits{MaxIntsetEntries: int64(r.IntN(20)), MaxListpackEntries: int64(r.IntN(12)), MaxListpackValue: int64(2 + r.IntN(6))}
		universe := []string{"", "-0", "01", "x", "yy", "zzzzzzz", "-9223372036854775808", "9223372036854775807"}
		for i := range 30 {
			universe = append(universe, strconv.Itoa(i-5))
		}
		if seed%2 == 0 {
			universe = universe[8:] // integers only: intsets live longer
		}
		pick := func() []byte { return []byte(universe[r.IntN(len(universe))]) }
		model := map[string]bool{}
		first := pick()
		s := New(first, 1, lim)
		for step := range 600 {
			before := encRank(s)
			switch op := r.IntN(10); {
			case op < 5:
				m := pick()
				if got, want := s.Add(m, lim), !model[string(m)]; got != want {
					t.Fatalf("seed %d step %d: Add(%q) = %v", seed, step, m, got)
				}
				model[string(m)] = true
			case op < 8:
				m := pick()
				if got, want := s.Remove(m), model[string(m)]; got != want {
					t.Fatalf("seed %d step %d: Remove(%q) = %v", seed, step, m, got)
				}
				delete(model, string(m))
			case op < 9 && s.Len() > 0:
				m := string(s.Pop(nil))
				if !model[m] {
					t.Fatalf("seed %d step %d: Pop = %q, not a member", seed, step, m)
				}
				delete(model, m)
			case s.Len() > 1:
				count := 1 + r.IntN(s.Len()-1)
				got := map[string]bool{}
				s.PopMany(count, lim, func(m []byte) {
					if !model[string(m)] || got[string(m)] {
						t.Fatalf("seed %d step %d: PopMany gave %q twice or a non-member", seed, step, m)
					}
					got[string(m)] = true
				})
				if len(got) != count {
					t.Fatalf("seed %d step %d: PopMany(%d) gave %d", seed, step, count, len(got))
				}
				for m := range got {
					delete(model, m)
				}
				before = 0 // SPOP may pick a new encoding for the survivors
			}
			if encRank(s) < before {
				t.Fatalf("seed %d step %d: encoding went back to %s", seed, step, s.Encoding())
			}
			checkInvariants(t, s, lim, model, fmt.Sprintf("seed %d step %d", seed, step))
		}
	}
}

func checkInvariants(t *testing.T, s *Set, lim Limits, model map[string]bool, where string) {
	t.Helper()
	if s.Len() != len(model) {
		t.Fatalf("%s: Len %d, model %d", where, s.Len(), len(model))
	}
	if got, want := sortedMembers(s), modelMembers(model); !slices.Equal(got, want) {
		t.Fatalf("%s: members %q, model %q", where, got, want)
	}
	for m := range model {
		if !s.Has([]byte(m)) {
			t.Fatalf("%s: Has(%q) false", where, m)
		}
	}
	switch s.Encoding() {
	case "intset":
		for m := range model {
			if _, ok := parseInt([]byte(m)); !ok {
				t.Fatalf("%s: intset holds %q", where, m)
			}
		}
	case "listpack":
		for m := range model {
			if int64(len(m)) > lim.MaxListpackValue {
				t.Fatalf("%s: listpack holds %q, longer than %d", where, m, lim.MaxListpackValue)
			}
		}
	}
	if s.MemoryUsage() <= 0 {
		t.Fatalf("%s: MemoryUsage %d", where, s.MemoryUsage())
	}
}

func TestCloneIsDeep(t *testing.T) {
	lim := DefaultLimits
	for _, s := range []*Set{build(lim, "1", "2"), build(lim, "a", "b"), New([]byte("a"), 1000, lim)} {
		s.Add([]byte("a1"), lim)
		c := s.Clone().(*Set)
		if c.Encoding() != s.Encoding() {
			t.Errorf("clone encoding %s, want %s", c.Encoding(), s.Encoding())
		}
		c.Add([]byte("new"), lim)
		c.Remove([]byte("a1"))
		if s.Has([]byte("new")) || !s.Has([]byte("a1")) {
			t.Errorf("%s: changing the clone changed the original", s.Encoding())
		}
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "42": 42, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for in, want := range good {
		if v, ok := parseInt([]byte(in)); !ok || v != want {
			t.Errorf("parseInt(%q) = %d, %v", in, v, ok)
		}
	}
	for _, in := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "1.0", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999", "abc"} {
		if _, ok := parseInt([]byte(in)); ok {
			t.Errorf("parseInt(%q) accepted", in)
		}
	}
}

func TestAlgebraModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	lim := Limits{MaxIntsetEntries: 6, MaxListpackEntries: 5, MaxListpackValue: 3}
	for round := range 300 {
		n := 1 + r.IntN(4)
		sets := make([]*Set, n)
		models := make([]map[string]bool, n)
		for i := range sets {
			models[i] = map[string]bool{}
			if r.IntN(6) == 0 {
				continue // a missing key
			}
			size := 1 + r.IntN(10)
			for range size {
				var m string
				if round%3 == 0 {
					m = "s" + strconv.Itoa(r.IntN(12))
				} else {
					m = strconv.Itoa(r.IntN(12))
				}
				if sets[i] == nil {
					sets[i] = New([]byte(m), 1, lim)
				}
				sets[i].Add([]byte(m), lim)
				models[i][m] = true
			}
		}
		if r.IntN(5) == 0 && n > 1 {
			sets[n-1], models[n-1] = sets[0], models[0] // a key named twice
		}
		union, diff := map[string]bool{}, map[string]bool{}
		for _, m := range models {
			for k := range m {
				union[k] = true
			}
		}
		for k := range models[0] {
			in := false
			for i := 1; i < n; i++ {
				in = in || models[i][k]
			}
			if !in {
				diff[k] = true
			}
		}
		inter := map[string]bool{}
		for k := range models[0] {
			all := true
			for i := 1; i < n; i++ {
				all = all && models[i][k]
			}
			if all {
				inter[k] = true
			}
		}
		where := fmt.Sprintf("round %d", round)
		checkInvariants(t, Union(sets, lim), lim, union, where+" union")
		checkInvariants(t, Diff(sets, lim), lim, diff, where+" diff")
		missing := slices.Contains(sets, nil)
		if !missing {
			checkInvariants(t, InterStore(sets, lim), lim, inter, where+" interstore")
			got := map[string]bool{}
			Inter(sets, func(m []byte) bool { got[string(m)] = true; return true })
			if !slices.Equal(modelMembers(got), modelMembers(inter)) {
				t.Fatalf("%s: Inter %v, want %v", where, modelMembers(got), modelMembers(inter))
			}
		}
	}
}

// SINTERSTORE's result takes the encoding its size calls for.
func TestInterStoreEncoding(t *testing.T) {
	lim := DefaultLimits
	var a, b []string
	for i := range 300 {
		a = append(a, strconv.Itoa(i), "a"+strconv.Itoa(i))
		b = append(b, strconv.Itoa(i))
	}
	b = append(b, "zz")
	sa, sb := build(lim, a...), build(lim, b...)
	if sa.Encoding() != "hashtable" || sb.Encoding() != "hashtable" {
		t.Fatal("sources should be hashtables")
	}
	if got := InterStore([]*Set{sa, sb}, lim); got.Encoding() != "intset" || got.Len() != 300 {
		t.Errorf("integer intersection: %s of %d, want intset of 300", got.Encoding(), got.Len())
	}
	sc := build(lim, "a1", "a2", "zz")
	if got := InterStore([]*Set{sa, sc}, lim); got.Encoding() != "listpack" || got.Len() != 2 {
		t.Errorf("small intersection: %s of %d, want listpack of 2", got.Encoding(), got.Len())
	}
	if got := Union([]*Set{sc}, lim); got.Encoding() != "listpack" {
		t.Errorf("small union: %s, want listpack", got.Encoding())
	}
	if got := Diff([]*Set{sa, sc}, lim); got.Encoding() != "hashtable" || got.Len() != 598 {
		t.Errorf("big diff: %s of %d", got.Encoding(), got.Len())
	}
}

// Version moves with every change of members and only then, in every
// encoding: the store reports a write command's change of a set by it.
func TestVersion(t *testing.T) {
	for _, first := range []string{"1", "a"} { // intset, listpack (then hashtable)
		s := build(DefaultLimits, first)
		lim := Limits{MaxIntsetEntries: 4, MaxListpackEntries: 4, MaxListpackValue: 64}
		b := func(m string) []byte { return []byte(m) }
		steps := []struct {
			name    string
			do      func()
			changed bool
		}{
			{"add existing", func() { s.Add(b(first), lim) }, false},
			{"read", func() { s.Has(b("x")); s.Len(); s.Random(nil); s.Range(func([]byte) bool { return true }) }, false},
			{"remove missing", func() { s.Remove(b("zz")); s.Remove(b("99")) }, false},
			{"grow hint", func() { s.MaybeGrow(1, lim) }, false},
			{"add", func() { s.Add(b("2"), lim) }, true},
			{"add converting", func() { s.Add(b("bb"), lim); s.Add(b("3"), lim); s.Add(b("4"), lim) }, true},
			{"remove", func() { s.Remove(b("2")) }, true},
			{"pop", func() { s.Pop(nil) }, true},
			{"pop many", func() { s.PopMany(1, lim, func([]byte) {}) }, true},
		}
		for _, st := range steps {
			v := s.Version()
			st.do()
			if got := s.Version() != v; got != st.changed {
				t.Errorf("%s %s: version changed %v, want %v", first, st.name, got, st.changed)
			}
		}
	}
}

// SPOP of most members moves the survivors to a new set: the version must
// survive that.
func TestVersionPopManySurvivors(t *testing.T) {
	s := build(DefaultLimits, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	v := s.Version()
	s.PopMany(9, DefaultLimits, func([]byte) {})
	if s.Len() != 1 || s.Version() <= v {
		t.Fatalf("len %d, version %d after %d", s.Len(), s.Version(), v)
	}
}

// Every set key pays for its Set, which holds a small set's intset or
// listpack itself: one object in the 48-byte size class besides the
// buffer (it was a 32-byte Set and a 32-byte intset or listpack).
func TestSetStructSize(t *testing.T) {
	if n := unsafe.Sizeof(Set{}); n > 32 {
		t.Errorf("Set is %d bytes, want at most 32", n)
	}
	for _, m := range []string{"1", "a"} {
		if got := testing.AllocsPerRun(100, func() {
			s := New([]byte(m), 1, DefaultLimits)
			s.Add([]byte(m), DefaultLimits)
		}); got > 2 {
			t.Errorf("a one-member %q set takes %v allocations, want 2 (the Set and its buffer)", m, got)
		}
	}
}

// intset512 is a 512-member intset of 0..1022 step 2, as SADD builds it in
// random order, and the members' and non-members' decimal forms.
func intset512(b *testing.B) (*Set, [][]byte) {
	s := New([]byte("0"), 1, DefaultLimits)
	var ms [][]byte
	for _, i := range rand.Perm(1024) {
		m := []byte(strconv.Itoa(i))
		ms = append(ms, m)
		if i%2 == 0 {
			s.Add(m, DefaultLimits)
		}
	}
	if s.Encoding() != "intset" || s.Len() != 512 {
		b.Fatalf("%s of %d", s.Encoding(), s.Len())
	}
	return s, ms
}

// BenchmarkIntsetSIsMember is SISMEMBER on a full default-sized intset,
// half hits, half misses in between.
func BenchmarkIntsetSIsMember(b *testing.B) {
	s, ms := intset512(b)
	i := 0
	for b.Loop() {
		s.Has(ms[i&1023])
		i++
	}
}

// BenchmarkIntsetSAdd is SREM and SADD of a member of a full
// default-sized intset, at random positions.
func BenchmarkIntsetSAdd(b *testing.B) {
	s, ms := intset512(b)
	var in [][]byte
	for _, m := range ms {
		if s.Has(m) {
			in = append(in, m)
		}
	}
	i := 0
	for b.Loop() {
		m := in[i&511]
		s.Remove(m)
		s.Add(m, DefaultLimits)
		i++
	}
}
