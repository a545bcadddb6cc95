package tracking

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func TestAddTake(t *testing.T) {
	tab := New()
	steps := []struct {
		op   string // add, take
		key  string
		id   int64
		want any // bool for add, []int64 for take
	}{
		{"add", "k", 1, true},
		{"add", "k", 1, false},
		{"add", "k", 2, true},
		{"add", "k", 3, true},
		{"add", "k", 2, false},
		{"add", "j", 1, true},
		{"take", "k", 0, []int64{1, 2, 3}},
		{"take", "k", 0, []int64(nil)},
		{"add", "k", 3, true},
		{"take", "k", 0, []int64{3}},
		{"take", "missing", 0, []int64(nil)},
	}
	for i, st := range steps {
		switch st.op {
		case "add":
			if got := tab.Add([]byte(st.key), st.id); got != st.want {
				t.Errorf("step %d: Add(%s, %d) = %v", i, st.key, st.id, got)
			}
		case "take":
			got := tab.Take([]byte(st.key), nil)
			if !slices.Equal(got, st.want.([]int64)) {
				t.Errorf("step %d: Take(%s) = %v, want %v", i, st.key, got, st.want)
			}
		}
	}
	if tab.Keys() != 1 || tab.Items() != 1 {
		t.Errorf("keys %d items %d, want 1 1 (j)", tab.Keys(), tab.Items())
	}
}

func TestAddCopiesKey(t *testing.T) {
	tab := New()
	b := []byte("abc")
	tab.Add(b, 1)
	copy(b, "xyz")
	if got := tab.Take([]byte("abc"), nil); !slices.Equal(got, []int64{1}) {
		t.Fatalf("Take(abc) = %v after the caller reused its buffer", got)
	}
}

func TestEvictAndClear(t *testing.T) {
	tab := New()
	for i := range 100 {
		tab.Add(fmt.Appendf(nil, "k%d", i), int64(i%3))
		tab.Add(fmt.Appendf(nil, "k%d", i), 7)
	}
	if tab.Keys() != 100 || tab.Items() != 200 {
		t.Fatalf("keys %d items %d", tab.Keys(), tab.Items())
	}
	seen := map[string]bool{}
	for range 10 {
		k, ids, ok := tab.Evict(nil)
		if !ok || seen[k] || len(ids) != 2 || ids[1] != 7 {
			t.Fatalf("Evict = %q %v %v (seen %v)", k, ids, ok, seen[k])
		}
		seen[k] = true
	}
	if tab.Keys() != 90 || tab.Items() != 180 {
		t.Fatalf("after 10 evictions: keys %d items %d", tab.Keys(), tab.Items())
	}
	tab.Clear()
	if tab.Keys() != 0 || tab.Items() != 0 {
		t.Fatalf("after Clear: keys %d items %d", tab.Keys(), tab.Items())
	}
	if _, _, ok := tab.Evict(nil); ok {
		t.Fatal("Evict found an entry in an empty table")
	}
}

func TestPrefixes(t *testing.T) {
	tab := New()
	tab.AddPrefix("user:", 1)
	tab.AddPrefix("user:", 2)
	tab.AddPrefix("", 3)
	tab.AddPrefix("obj", 2)
	if tab.Prefixes() != 3 {
		t.Fatalf("Prefixes = %d", tab.Prefixes())
	}
	var got []string
	tab.Match([]byte("user:9"), func(p string) { got = append(got, p) })
	slices.Sort(got)
	if !slices.Equal(got, []string{"", "user:"}) {
		t.Errorf("Match(user:9) = %q", got)
	}
	if w := tab.Watchers("user:", nil); !slices.Equal(w, []int64{1, 2}) {
		t.Errorf("Watchers(user:) = %v", w)
	}
	tab.RemovePrefix("user:", 1)
	tab.RemovePrefix("user:", 2)
	tab.RemovePrefix("nothing", 2)
	if tab.Prefixes() != 2 {
		t.Errorf("Prefixes after removal = %d", tab.Prefixes())
	}
	got = nil
	tab.Match([]byte("user:9"), func(p string) { got = append(got, p) })
	if !slices.Equal(got, []string{""}) {
		t.Errorf("Match(user:9) after removal = %q", got)
	}
}

func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a", "ab", true}, {"ab", "a", true}, {"a", "a", true}, {"", "x", true},
		{"ab", "ac", false}, {"user:", "obj:", false},
	}
	for _, tt := range tests {
		if got := Overlap(tt.a, tt.b); got != tt.want {
			t.Errorf("Overlap(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

// Concurrent readers and invalidations keep the counters exact.
func TestConcurrent(t *testing.T) {
	tab := New()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Appendf(nil, "k%d", i%50)
				tab.Add(k, int64(g))
				if i%7 == 0 {
					tab.Take(k, nil)
				}
			}
		}()
	}
	wg.Wait()
	keys, items := int64(0), int64(0)
	for i := range tab.shards {
		for _, r := range tab.shards[i].m {
			keys++
			items += int64(1 + len(r.more))
		}
	}
	if tab.Keys() != keys || tab.Items() != items {
		t.Fatalf("counters keys %d items %d, table holds %d %d", tab.Keys(), tab.Items(), keys, items)
	}
}

func TestAddAllocs(t *testing.T) {
	tab := New()
	key := []byte("tracked:key")
	tab.Add(key, 1)
	if n := testing.AllocsPerRun(100, func() { tab.Add(key, 1) }); n != 0 {
		t.Errorf("re-adding a tracked key allocates %v times", n)
	}
}

// BenchmarkMemoryPerKey reports the heap one tracked key with one reader
// costs (16-byte keys), the figure the README states.
func BenchmarkMemoryPerKey(b *testing.B) {
	const n = 200_000
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
	}
	var perKey float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tab := New()
		for i, k := range keys {
			tab.Add(k, int64(i%100))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(tab)
	}
	b.ReportMetric(perKey, "bytes/key")
}

func BenchmarkAdd(b *testing.B) {
	tab := New()
	key := []byte("tracked:key")
	for b.Loop() {
		tab.Add(key, 1)
	}
}
