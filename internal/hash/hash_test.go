package hash

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// model is the plain map the property tests compare a Hash against.
type model struct {
	v   map[string]string
	ttl map[string]int64
}

func check(t *testing.T, h *Hash, m *model, step int) {
	t.Helper()
	if h.Len() != len(m.v) {
		t.Fatalf("step %d: Len %d, model %d", step, h.Len(), len(m.v))
	}
	seen := 0
	h.Range(func(f, v []byte) bool {
		seen++
		if w, ok := m.v[string(f)]; !ok || w != string(v) {
			t.Fatalf("step %d: Range %q=%q, model %q (%v)", step, f, v, w, ok)
		}
		return true
	})
	if seen != len(m.v) {
		t.Fatalf("step %d: Range saw %d, model %d", step, seen, len(m.v))
	}
	var min int64
	for f, w := range m.v {
		v, ok := h.Get([]byte(f))
		if !ok || string(v) != w {
			t.Fatalf("step %d: Get %q = %q %v, want %q", step, f, v, ok, w)
		}
		at, ok := h.TTL([]byte(f))
		if !ok || at != m.ttl[f] {
			t.Fatalf("step %d: TTL %q = %d %v, want %d", step, f, at, ok, m.ttl[f])
		}
		if a := m.ttl[f]; a != 0 && (min == 0 || a < min) {
			min = a
		}
	}
	if h.NextDeadline() != min {
		t.Fatalf("step %d: NextDeadline %d, want %d", step, h.NextDeadline(), min)
	}
	if h.FieldsWithTTL() != len(m.ttl) {
		t.Fatalf("step %d: FieldsWithTTL %d, want %d", step, h.FieldsWithTTL(), len(m.ttl))
	}
}

// TestModel runs random operations against a Hash and a map across
// encoding conversions (small thresholds so they happen often).
func TestModel(t *testing.T) {
	for _, lim := range []Limits{{Entries: 8, Value: 10}, {Entries: 0, Value: 64}, DefaultLimits, {Entries: 64, Value: 0}} {
		t.Run(fmt.Sprint(lim), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(lim.Entries)))
			h := New()
			m := &model{v: map[string]string{}, ttl: map[string]int64{}}
			var clones []*Hash
			var cmodels []*model
			now := int64(1000)
			for step := range 5000 {
				f := fmt.Sprint("f", rng.IntN(40))
				if rng.IntN(20) == 0 {
					f = strings.Repeat("L", 12) + f
				}
				switch op := rng.IntN(10); op {
				case 0, 1, 2:
					v := fmt.Sprint(rng.IntN(1000))
					if rng.IntN(30) == 0 {
						v = strings.Repeat("v", 20)
					}
					_, had := m.v[f]
					if isNew := h.Set([]byte(f), []byte(v), lim); isNew == had {
						t.Fatalf("step %d: Set new=%v, model had=%v", step, isNew, had)
					}
					m.v[f] = v
					delete(m.ttl, f)
				case 3:
					v := fmt.Sprint(rng.IntN(1000))
					h.SetKeepTTL([]byte(f), []byte(v), lim)
					m.v[f] = v
				case 4, 5:
					_, had := m.v[f]
					if ok := h.Delete([]byte(f)); ok != had {
						t.Fatalf("step %d: Delete %v, model %v", step, ok, had)
					}
					delete(m.v, f)
					delete(m.ttl, f)
				case 6:
					if _, ok := m.v[f]; ok {
						at := now + int64(rng.IntN(200))
						h.SetTTL([]byte(f), at)
						m.ttl[f] = at
					}
				case 7:
					_, had := m.ttl[f]
					if ok := h.Persist([]byte(f)); ok != had {
						t.Fatalf("step %d: Persist %v, model %v", step, ok, had)
					}
					delete(m.ttl, f)
				case 8:
					now += int64(rng.IntN(50))
					removed, empty := h.ExpireDue(now, 1+rng.IntN(3))
					n := 0
					// The hash removes the earliest first; mirror it.
					for range removed {
						var best string
						var bt int64
						for f, at := range m.ttl {
							if at < now && (bt == 0 || at < bt) {
								best, bt = f, at
							}
						}
						if bt == 0 {
							t.Fatalf("step %d: ExpireDue removed %d, model had %d due", step, removed, n)
						}
						if _, ok := h.Get([]byte(best)); ok {
							// Ties may go either way; find the one removed.
							for f, at := range m.ttl {
								if at == bt {
									if _, ok := h.Get([]byte(f)); !ok {
										best = f
									}
								}
							}
						}
						delete(m.v, best)
						delete(m.ttl, best)
						n++
					}
					if empty != (len(m.v) == 0) {
						t.Fatalf("step %d: empty=%v with %d left", step, empty, len(m.v))
					}
				case 9:
					if rng.IntN(10) == 0 {
						clones = append(clones, h.Clone().(*Hash))
						cm := &model{v: map[string]string{}, ttl: map[string]int64{}}
						for k, v := range m.v {
							cm.v[k] = v
						}
						for k, v := range m.ttl {
							cm.ttl[k] = v
						}
						cmodels = append(cmodels, cm)
					}
				}
				check(t, h, m, step)
				if h.MemoryUsage() < structBytes {
					t.Fatalf("MemoryUsage %d", h.MemoryUsage())
				}
			}
			for i, c := range clones {
				check(t, c, cmodels[i], -i)
			}
		})
	}
}

func TestEncodingThresholds(t *testing.T) {
	lim := Limits{Entries: 3, Value: 5}
	h := New()
	for i := range 3 {
		h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), lim)
	}
	if e := h.Encoding(); e != "listpack" {
		t.Fatalf("3 fields: %s", e)
	}
	h.Set([]byte("f0"), []byte("12345"), lim)
	if e := h.Encoding(); e != "listpack" {
		t.Fatalf("value at the limit: %s", e)
	}
	h.Set([]byte("f3"), []byte("v"), lim)
	if e := h.Encoding(); e != "hashtable" {
		t.Fatalf("4 fields: %s", e)
	}
	h.Delete([]byte("f3"))
	h.Delete([]byte("f2"))
	if e := h.Encoding(); e != "hashtable" {
		t.Fatalf("never converts back: %s", e)
	}

	h = New()
	h.Set([]byte("f"), []byte("123456"), lim)
	if e := h.Encoding(); e != "hashtable" {
		t.Fatalf("long value: %s", e)
	}
	h = New()
	h.Prepare(lim, []byte("a"), []byte("123456"))
	if e := h.Encoding(); e != "hashtable" {
		t.Fatalf("Prepare with a long argument: %s", e)
	}
	h = New()
	h.Set([]byte("a"), []byte("1"), lim)
	h.MarkTTL()
	if e := h.Encoding(); e != "listpackex" {
		t.Fatalf("after a field-expiry command: %s", e)
	}
	if c := h.Clone().(*Hash); c.Encoding() != "listpackex" {
		t.Fatalf("clone: %s", c.Encoding())
	}
}

func TestListpackOrder(t *testing.T) {
	h := New()
	for _, f := range []string{"c", "a", "b"} {
		h.Set([]byte(f), []byte(f), DefaultLimits)
	}
	h.Set([]byte("a"), []byte("A"), DefaultLimits)
	h.Delete([]byte("c"))
	h.Set([]byte("c"), []byte("C"), DefaultLimits)
	var got []string
	h.Range(func(f, v []byte) bool { got = append(got, string(f)+"="+string(v)); return true })
	if strings.Join(got, " ") != "a=A b=b c=C" {
		t.Fatalf("order %v", got)
	}
}

func TestCloneIsDeep(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits, {Entries: 0, Value: 0}} {
		h := New()
		h.Set([]byte("f"), []byte("v"), lim)
		h.SetTTL([]byte("f"), 5000)
		c := h.Clone().(*Hash)
		c.Set([]byte("f"), []byte("changed"), lim)
		c.Set([]byte("g"), []byte("new"), lim)
		if v, _ := h.Get([]byte("f")); string(v) != "v" || h.Len() != 1 {
			t.Fatalf("%v: original changed: %q len %d", lim, v, h.Len())
		}
		if at, _ := h.TTL([]byte("f")); at != 5000 {
			t.Fatalf("%v: original TTL %d", lim, at)
		}
		if at, _ := c.TTL([]byte("f")); at != 0 {
			t.Fatalf("%v: HSET on the copy should clear its TTL, got %d", lim, at)
		}
	}
}

func TestExpireDueBounded(t *testing.T) {
	h := New()
	lim := Limits{Entries: 0, Value: 64}
	for i := range 100 {
		f := []byte(fmt.Sprint(i))
		h.Set(f, f, lim)
		h.SetTTL(f, int64(10+i))
	}
	if n, empty := h.ExpireDue(10, 0); n != 0 || empty {
		t.Fatalf("at the deadline nothing is expired yet: %d %v", n, empty)
	}
	if n, _ := h.ExpireDue(1000, 7); n != 7 {
		t.Fatalf("max 7 removed %d", n)
	}
	if n, empty := h.ExpireDue(1000, 0); n != 93 || !empty {
		t.Fatalf("rest: %d %v", n, empty)
	}
}

// Version moves with every change of content and only then: the store
// reports a write command's change of a hash by it.
func TestVersion(t *testing.T) {
	h := New()
	b := func(s string) []byte { return []byte(s) }
	steps := []struct {
		name    string
		do      func()
		changed bool
	}{
		{"set new", func() { h.Set(b("f"), b("v"), DefaultLimits) }, true},
		{"set same value", func() { h.Set(b("f"), b("v"), DefaultLimits) }, true}, // HSET counts it
		{"get", func() { h.Get(b("f")); h.Has(b("g")); h.Len() }, false},
		{"delete missing", func() { h.Delete(b("nope")) }, false},
		{"persist without TTL", func() { h.Persist(b("f")) }, false},
		{"set TTL", func() { h.SetTTL(b("f"), 100) }, true},
		{"persist", func() { h.Persist(b("f")) }, true},
		{"prepare (conversion only)", func() { h.Prepare(Limits{Entries: 1, Value: 0}, b("long value")) }, false},
		{"set keep TTL", func() { h.SetKeepTTL(b("g"), b("w"), DefaultLimits) }, true},
		{"delete", func() { h.Delete(b("g")) }, true},
		{"expire due", func() { h.SetTTL(b("f"), 5); h.ExpireDue(10, 0) }, true},
	}
	for _, st := range steps {
		v := h.Version()
		st.do()
		if got := h.Version() != v; got != st.changed {
			t.Errorf("%s: version changed %v, want %v", st.name, got, st.changed)
		}
	}
}

var sinkHash *Hash

// A small hash is one object of the 48-byte size class: per key it is all
// the memory a hash costs beyond its listpack buffer, next to Redis's
// 16-byte robj, and small hashes are mostly keys.
func TestSmallHashIsOneSmallObject(t *testing.T) {
	if n := unsafe.Sizeof(Hash{}); n > 32 {
		t.Errorf("Hash is %d bytes, want at most 32", n)
	}
	if n := testing.AllocsPerRun(100, func() { sinkHash = New() }); n != 1 {
		t.Errorf("New allocates %v objects, want 1", n)
	}
	h := New()
	h.Set([]byte("f"), []byte("v"), DefaultLimits)
	if h.x != nil {
		t.Error("a listpack hash without field TTLs allocated its extra part")
	}
	if got, want := h.MemoryUsage(), 32+h.b.Cap(); got != want {
		t.Errorf("MemoryUsage %d, want %d", got, want)
	}
}
