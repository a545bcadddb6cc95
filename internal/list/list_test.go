package list

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/smallredis/smallredis/internal/listpack"
)

// check compares l with the model both ways, by Index and by Range, and
// verifies the encoding invariants and the O(1) memory figure.
func check(t *testing.T, l *List, model [][]byte, lim Limits) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("Len %d, model %d", l.Len(), len(model))
	}
	it := l.IterFrom(0, false)
	for i, m := range model {
		v, ok := it.Next()
		if !ok || !bytes.Equal(v, m) {
			t.Fatalf("forward %d: %q %v, model %q", i, v, ok, m)
		}
	}
	if _, ok := it.Next(); ok {
		t.Fatal("forward iterator went past the end")
	}
	it = l.IterFrom(-1, true)
	for i := len(model) - 1; i >= 0; i-- {
		v, ok := it.Next()
		if !ok || !bytes.Equal(v, model[i]) {
			t.Fatalf("backward %d: %q, model %q", i, v, model[i])
		}
	}
	if len(model) > 0 {
		for range 3 {
			i := rand.IntN(len(model))
			if v, ok := l.Index(i); !ok || !bytes.Equal(v, model[i]) {
				t.Fatalf("Index(%d) = %q, model %q", i, v, model[i])
			}
			if v, _ := l.Index(i - len(model)); !bytes.Equal(v, model[i]) {
				t.Fatalf("Index(%d) = %q, model %q", i-len(model), v, model[i])
			}
		}
	}
	if l.packed && l.nodes.n != 1 {
		t.Fatalf("packed list with %d nodes", l.nodes.n)
	}
	mem, count := 0, 0
	for i := range l.nodes.n {
		n := l.nodes.at(i)
		mem += nodeBytes + n.capacity()
		count += n.lp.Len()
		rb := lpOverhead
		for p := n.lp.First(); p >= 0; p = n.lp.Next(p) {
			rb += entrySize(n.lp.Get(p))
		}
		if rb != n.rb {
			t.Fatalf("node %d: rb %d, entries add up to %d", i, n.rb, rb)
		}
		if !l.packed && n.lp.Len() == 0 {
			t.Fatalf("empty quicklist node %d", i)
		}
		if n.plain && n.lp.Len() != 1 {
			t.Fatalf("plain node %d with %d entries", i, n.lp.Len())
		}
		if !l.packed && !n.plain && lim.Fill > 0 && n.lp.Len() > lim.Fill {
			t.Fatalf("node %d: %d entries over fill %d", i, n.lp.Len(), lim.Fill)
		}
	}
	if mem != l.mem || count != l.count {
		t.Fatalf("mem %d (counted %d), count %d (counted %d)", l.mem, mem, l.count, count)
	}
}

func randValue(r *rand.Rand, large bool) []byte {
	switch k := r.IntN(10); {
	case k < 3:
		return []byte(strconv.Itoa(r.IntN(300) - 100)) // integers, as Redis packs them
	case k < 5:
		return []byte{byte('a' + r.IntN(4))} // repeats for LREM / LINSERT / LPOS
	case k == 9 && large:
		return bytes.Repeat([]byte{'L'}, 4000+r.IntN(2000))
	}
	return bytes.Repeat([]byte{byte('a' + r.IntN(26))}, 1+r.IntN(100))
}

// TestModel runs random operations against a slice model under several
// node limits, crossing the listpack/quicklist conversions both ways.
func TestModel(t *testing.T) {
	for _, lim := range []Limits{{Fill: 1}, {Fill: 3}, {Fill: 4}, {Fill: 16}, {Fill: -1}, {Fill: -2}} {
		t.Run(fmt.Sprint(lim.Fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(lim.Fill+10), 7))
			l, model := New(), [][]byte(nil)
			sawQuick, sawBack := false, false
			for step := range 6000 {
				switch op := r.IntN(11); op {
				case 0, 1:
					vs := [][]byte{randValue(r, lim.Fill < 0)}
					if r.IntN(4) == 0 {
						vs = append(vs, randValue(r, false), randValue(r, false))
					}
					l.Prepare(lim, vs...)
					for _, v := range vs {
						if op == 0 {
							l.Push(v, Head, lim)
							model = slices.Insert(model, 0, v)
						} else {
							l.Push(v, Tail, lim)
							model = append(model, v)
						}
					}
				case 2, 3:
					if len(model) == 0 {
						continue
					}
					if op == 2 {
						if !bytes.Equal(l.Peek(Head), model[0]) {
							t.Fatalf("Peek head %q, model %q", l.Peek(Head), model[0])
						}
						l.Pop(Head)
						model = model[1:]
					} else {
						if !bytes.Equal(l.Peek(Tail), model[len(model)-1]) {
							t.Fatal("Peek tail")
						}
						l.Pop(Tail)
						model = model[:len(model)-1]
					}
					l.Convert(lim, true)
				case 4:
					v := randValue(r, lim.Fill < 0)
					i := r.IntN(len(model)+2) - 1
					l.Prepare(lim, v)
					ok := l.Set(i, v, lim)
					j := i
					if j < 0 {
						j += len(model)
					}
					if want := j >= 0 && j < len(model); ok != want {
						t.Fatalf("Set(%d) = %v", i, ok)
					}
					if ok {
						model[j] = v
					}
				case 5:
					pivot, v := randValue(r, false), randValue(r, lim.Fill < 0)
					after := r.IntN(2) == 0
					l.Prepare(lim, v)
					ok := l.Insert(pivot, v, after, lim)
					j := slices.IndexFunc(model, func(m []byte) bool { return bytes.Equal(m, pivot) })
					if ok != (j >= 0) {
						t.Fatalf("Insert found %v, model index %d", ok, j)
					}
					if ok {
						model = slices.Insert(model, j+boolInt(after), v)
					}
				case 6:
					v := []byte{byte('a' + r.IntN(4))}
					count := r.IntN(5) - 2
					got := l.Remove(v, count)
					want := 0
					if count >= 0 {
						for i := 0; i < len(model); {
							if bytes.Equal(model[i], v) && (count == 0 || want < count) {
								model = slices.Delete(model, i, i+1)
								want++
								continue
							}
							i++
						}
					} else {
						for i := len(model) - 1; i >= 0 && want < -count; i-- {
							if bytes.Equal(model[i], v) {
								model = slices.Delete(model, i, i+1)
								want++
							}
						}
					}
					if got != want {
						t.Fatalf("Remove(%q, %d) = %d, model %d", v, count, got, want)
					}
					l.Convert(lim, true)
				case 7:
					if len(model) < 2 || r.IntN(3) != 0 {
						continue
					}
					start := r.IntN(len(model))
					stop := start + r.IntN(len(model)-start)
					l.Trim(start, stop)
					model = model[start : stop+1]
					l.Convert(lim, true)
				default:
					// Bulk pushes keep the list growing through the
					// thresholds.
					for range 1 + r.IntN(20) {
						v := randValue(r, false)
						l.Prepare(lim, v)
						l.Push(v, Tail, lim)
						model = append(model, v)
					}
				}
				if l.Len() == 0 {
					l = New() // the key is deleted with its last element
				}
				if !l.packed {
					sawQuick = true
				} else if sawQuick {
					sawBack = true
				}
				if step%7 == 0 {
					check(t, l, model, lim)
				}
				if step%500 == 0 {
					c := l.Clone().(*List)
					check(t, c, model, lim)
					if c.Len() > 0 {
						c.Pop(Head) // independence
						check(t, l, model, lim)
					}
				}
			}
			check(t, l, model, lim)
			if !sawQuick || !sawBack {
				t.Fatalf("conversions not exercised: to quicklist %v, back %v", sawQuick, sawBack)
			}
		})
	}
}

// The model again with DEBUG QUICKLIST-PACKED-THRESHOLD low enough that
// many elements get plain nodes.
func TestModelPlainNodes(t *testing.T) {
	SetPackedThreshold(50)
	defer SetPackedThreshold(0)
	TestModel(t)
}

// The thresholds, as Redis 7.2 converts: past the limit on a push, back
// to a listpack only at half of it and in one node.
func TestConversions(t *testing.T) {
	lim := Limits{Fill: 4}
	l := New()
	push := func(vs ...string) {
		for _, v := range vs {
			l.Prepare(lim, []byte(v))
			l.Push([]byte(v), Tail, lim)
		}
	}
	push("a", "b", "c", "d")
	if l.Encoding() != "listpack" {
		t.Fatalf("4 entries under fill 4: %s", l.Encoding())
	}
	push("e")
	if l.Encoding() != "quicklist" {
		t.Fatalf("5 entries: %s", l.Encoding())
	}
	for _, want := range []string{"quicklist", "quicklist", "listpack"} {
		l.Pop(Tail)
		l.Convert(lim, true)
		if l.Encoding() != want {
			t.Fatalf("after pop to %d: %s, want %s", l.Len(), l.Encoding(), want)
		}
	}

	// Pushing several at once converts up front on their total.
	l = New()
	l.Prepare(lim, []byte("1"), []byte("2"), []byte("3"), []byte("4"), []byte("5"))
	if l.Encoding() != "quicklist" {
		t.Fatal("a 5-element push should convert first")
	}

	// Byte limits: an element over the node limit becomes a plain node,
	// and a list holding one never converts back.
	lim = DefaultLimits
	l = New()
	big := bytes.Repeat([]byte("x"), 8193)
	l.Prepare(lim, big)
	l.Push(big, Tail, lim)
	if l.Encoding() != "quicklist" || !l.nodes.at(0).plain {
		t.Fatalf("8193-byte element: %s", l.Encoding())
	}
	l.Convert(lim, true)
	if l.Encoding() != "quicklist" {
		t.Fatal("a plain node converted back")
	}
	l.Set(0, []byte("small"), lim)
	if l.Encoding() != "listpack" {
		t.Fatalf("plain node replaced by a small element: %s", l.Encoding())
	}
}

// Redis 7.2's byte thresholds under the default -2 (8 KB): 100-byte
// elements take 103 bytes each (2-byte header, 1-byte back-length) in a
// listpack of 7 bytes' overhead, so 79 fit (the 80th would bring it to
// 8144 + 100 > 8192), and the list converts back once one node of at most
// 4096 bytes (39 elements) is left.
func TestByteThresholds(t *testing.T) {
	lim := DefaultLimits
	v := bytes.Repeat([]byte("x"), 100)
	l := New()
	for range 79 {
		l.Prepare(lim, v)
		l.Push(v, Tail, lim)
	}
	if l.Encoding() != "listpack" {
		t.Fatalf("79 × 100 bytes: %s", l.Encoding())
	}
	l.Prepare(lim, v)
	l.Push(v, Tail, lim)
	if l.Encoding() != "quicklist" || l.nodes.n != 2 {
		t.Fatalf("80 × 100 bytes: %s with %d nodes", l.Encoding(), l.nodes.n)
	}
	for l.Len() > 40 {
		l.Pop(Tail)
		l.Convert(lim, true)
		if l.Encoding() != "quicklist" {
			t.Fatalf("converted back at %d elements", l.Len())
		}
	}
	l.Pop(Tail)
	l.Convert(lim, true)
	if l.Encoding() != "listpack" {
		t.Fatalf("39 elements (4024 bytes): %s", l.Encoding())
	}
}

func TestEntrySize(t *testing.T) {
	tests := []struct {
		v    string
		want int
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"4096", 4},
		{"-32768", 4}, {"32768", 5}, {"8388608", 6}, {"2147483648", 10},
		{"9223372036854775807", 10}, {"9223372036854775808", 21}, {"-0", 4},
		{"01", 4}, {"+1", 4}, {"", 2}, {"abc", 5},
		{string(make([]byte, 63)), 65}, {string(make([]byte, 64)), 67},
		{string(make([]byte, 125)), 128}, {string(make([]byte, 126)), 130},
		{string(make([]byte, 4096)), 4103},
	}
	for _, tt := range tests {
		if got := entrySize([]byte(tt.v)); got != tt.want {
			t.Errorf("entrySize(%.10q len %d) = %d, want %d", tt.v, len(tt.v), got, tt.want)
		}
	}
}

func TestVersionMovesOnlyOnChanges(t *testing.T) {
	lim := Limits{Fill: 4} // small nodes: conversions both ways below
	l := New()
	step := func(name string, changes bool, f func()) {
		t.Helper()
		v := l.Version()
		f()
		if moved := l.Version() != v; moved != changes {
			t.Fatalf("%s: version moved %v, want %v", name, moved, changes)
		}
	}
	for i := range 10 {
		step("push", true, func() { l.Prepare(lim, []byte("x")); l.Push([]byte{'a' + byte(i)}, Tail, lim) })
	}
	step("convert", false, func() { l.Convert(lim, true) })
	step("remove missing", false, func() {
		if n := l.Remove([]byte("zz"), 0); n != 0 {
			t.Fatalf("removed %d", n)
		}
	})
	step("remove", true, func() { l.Remove([]byte("b"), 1) })
	step("insert without pivot", false, func() { l.Insert([]byte("zz"), []byte("x"), true, lim) })
	step("insert", true, func() { l.Insert([]byte("a"), []byte("x"), true, lim) })
	step("set out of range", false, func() { l.Set(100, []byte("x"), lim) })
	step("set", true, func() { l.Set(0, []byte("a"), lim) })
	step("delete nothing", false, func() { l.DeleteRange(0, 0) })
	step("trim everything kept", false, func() { l.Trim(0, l.Len()-1) })
	step("touch", true, l.Touch)
	step("trim", true, func() { l.Trim(1, 2); l.Convert(lim, true) })
	step("pop", true, func() { l.Pop(Head) })
	step("read", false, func() { l.Index(0); l.Peek(Tail); l.Len() })
	c := l.Clone().(*List)
	step("change the clone", false, func() { c.Push([]byte("y"), Head, lim) })
}

// A long quicklist's full-size node buffers come from slabs of several, so
// the runtime keeps a span per slab rather than per node; a listpack
// converted back keeps no slab alive.
func TestNodeBuffersShareSlabs(t *testing.T) {
	v := []byte("v000000000000000")
	var nodes int
	allocs := testing.AllocsPerRun(1, func() {
		l := New()
		for range 100_000 {
			l.Prepare(DefaultLimits, v)
			l.Push(v, Tail, DefaultLimits)
		}
		nodes = l.nodes.n
	})
	// Each node costs its struct and a slot in the deque; its buffer is an
	// eighth of a slab once the list is long.
	if max := float64(nodes)*1.5 + 20; allocs > max {
		t.Errorf("%v allocations for %d nodes, want at most %v", allocs, nodes, max)
	}

	// A queue (push at one end, pop at the other) reuses the buffers of the
	// nodes it empties.
	q := New()
	for range 20_000 {
		q.Prepare(DefaultLimits, v)
		q.Push(v, Tail, DefaultLimits)
	}
	if a := testing.AllocsPerRun(1, func() {
		for range 20_000 {
			q.Prepare(DefaultLimits, v)
			q.Push(v, Head, DefaultLimits)
			q.Pop(Tail)
			q.Convert(DefaultLimits, true)
		}
	}); a > 50 {
		t.Errorf("a queue of %d nodes took %v allocations over 20,000 pushes and pops", q.nodes.n, a)
	}

	l := New()
	for range 2_000 {
		l.Prepare(DefaultLimits, v)
		l.Push(v, Tail, DefaultLimits)
	}
	for l.Len() > 10 {
		l.Pop(Head)
		l.Convert(DefaultLimits, true)
	}
	if l.Encoding() != "listpack" || l.slab != nil {
		t.Fatalf("encoding %s, slab %v", l.Encoding(), l.slab != nil)
	}
	if c := l.nodes.at(0).capacity(); c >= chunkBytes(8192) {
		t.Errorf("the listpack kept a %d-byte slab buffer", c)
	}
	model := make([][]byte, 10)
	for i := range model {
		model[i] = v
	}
	check(t, l, model, DefaultLimits)
}

// Pushes and pops at the head use room kept in front of the head node's
// entries (pushFront, popFront, and pushBack/popBack on such a node): a
// model run weighted to the ends, with every other change mixed in, over
// the byte and count limits and both encodings.
func TestModelWithRoomInFront(t *testing.T) {
	for _, lim := range []Limits{{Fill: 5}, {Fill: -1}, {Fill: -2}} {
		t.Run(fmt.Sprint(lim.Fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(lim.Fill+100), 9))
			l, model := New(), [][]byte(nil)
			gaps, packedGaps := 0, 0
			for step := range 8000 {
				switch op := r.IntN(20); {
				case op < 8 || len(model) == 0:
					v := randValue(r, false)
					l.Prepare(lim, v)
					l.Push(v, Head, lim)
					model = slices.Insert(model, 0, v)
				case op < 11:
					v := randValue(r, false)
					l.Prepare(lim, v)
					l.Push(v, Tail, lim)
					model = append(model, v)
				case op < 15:
					if !bytes.Equal(l.Peek(Tail), model[len(model)-1]) {
						t.Fatalf("step %d: Peek tail %q, model %q", step, l.Peek(Tail), model[len(model)-1])
					}
					l.Pop(Tail)
					model = model[:len(model)-1]
					l.Convert(lim, true)
				case op < 18:
					if !bytes.Equal(l.Peek(Head), model[0]) {
						t.Fatalf("step %d: Peek head %q, model %q", step, l.Peek(Head), model[0])
					}
					l.Pop(Head)
					model = model[1:]
					l.Convert(lim, true)
				case op == 18:
					v := randValue(r, false)
					i := r.IntN(len(model))
					l.Prepare(lim, v)
					l.Set(i, v, lim)
					model[i] = v
				default:
					v := randValue(r, false)
					l.Prepare(lim, v)
					if l.Insert(model[0], v, true, lim) {
						model = slices.Insert(model, 1, v)
					}
				}
				if l.Len() == 0 {
					l = New()
				}
				if n := l.nodes.at(0); n.gap > 0 {
					gaps++
					if l.packed {
						packedGaps++
					}
				}
				if step%5 == 0 {
					check(t, l, model, lim)
				}
				if step%1000 == 0 {
					c := l.Clone().(*List)
					check(t, c, model, lim)
				}
			}
			if gaps < 500 || packedGaps == 0 {
				t.Fatalf("room in front seen at %d steps (%d packed)", gaps, packedGaps)
			}
		})
	}
}

// A head push into room in front moves nothing, so filling a node from
// the head costs O(1) per push, not a move of the node's entries.
func TestHeadPushesMoveNothing(t *testing.T) {
	l := New()
	v := []byte("0123456789abcdef")
	add := listpack.EntryBytes(len(v))
	checked := 0
	for range 5000 {
		n := l.nodes.at(0)
		room := int(n.gap) >= add
		b0, _ := n.lp.Parts()
		l.Prepare(DefaultLimits, v)
		l.Push(v, Head, DefaultLimits)
		if !room {
			continue
		}
		if l.nodes.at(0) != n {
			continue // the node was full by Redis's sizes: a new one
		}
		if b1, _ := n.lp.Parts(); &b1[add] != &b0[0] {
			t.Fatal("the head push moved the node's entries")
		}
		checked++
	}
	if checked < 4000 {
		t.Errorf("only %d of 5,000 head pushes found room in front", checked)
	}
}

// A value read from the list itself (Peek, Index) pushed, set or inserted
// back while the head node keeps room in front is the value it was, though
// the entries move (own).
func TestValuesFromTheListItself(t *testing.T) {
	for _, lim := range []Limits{{Fill: -2}, {Fill: 4}} {
		l, model := New(), [][]byte(nil)
		for i := range 300 {
			v := []byte(fmt.Sprintf("value-%03d", i))
			l.Prepare(lim, v)
			l.Push(v, Head, lim)
			model = slices.Insert(model, 0, v)
		}
		l.Pop(Head)
		model = model[1:]
		if l.nodes.at(0).gap == 0 {
			t.Fatal("no room in front to test with")
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			i := r.IntN(len(model))
			v, _ := l.Index(i)
			want := bytes.Clone(v)
			switch r.IntN(4) {
			case 0:
				l.Prepare(lim, v)
				l.Push(v, Head, lim)
				model = slices.Insert(model, 0, want)
			case 1:
				l.Prepare(lim, v)
				l.Push(v, Tail, lim)
				model = append(model, want)
			case 2:
				j := r.IntN(len(model))
				l.Prepare(lim, v)
				l.Set(j, v, lim)
				model[j] = want
			default:
				l.Prepare(lim, v)
				if l.Insert(model[len(model)-1], v, false, lim) {
					k := slices.IndexFunc(model, func(m []byte) bool { return bytes.Equal(m, model[len(model)-1]) })
					model = slices.Insert(model, k, want)
				}
			}
			if r.IntN(3) == 0 && len(model) > 2 {
				l.Pop(Head)
				model = model[1:]
			}
			check(t, l, model, lim)
		}
	}
}
