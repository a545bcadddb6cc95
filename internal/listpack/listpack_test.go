package listpack

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// check walks l both ways and by Seek and compares it with the model.
func check(t testing.TB, l *Listpack, model [][]byte) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("Len %d, model %d", l.Len(), len(model))
	}
	i := 0
	for p := l.First(); p >= 0; p = l.Next(p) {
		if i >= len(model) || !bytes.Equal(l.Get(p), model[i]) {
			t.Fatalf("forward entry %d: %q, model %q", i, l.Get(p), model)
		}
		if i%7 == 0 || i == len(model)-1 {
			if q := l.Seek(i); q != p {
				t.Fatalf("Seek(%d) = %d, walk %d", i, q, p)
			}
			if q := l.Seek(i - len(model)); q != p {
				t.Fatalf("Seek(%d) = %d, walk %d", i-len(model), q, p)
			}
		}
		i++
	}
	if i != len(model) {
		t.Fatalf("forward walk saw %d entries, model %d", i, len(model))
	}
	for p := l.Last(); p >= 0; p = l.Prev(p) {
		i--
		if !bytes.Equal(l.Get(p), model[i]) {
			t.Fatalf("backward entry %d: %q, model %q", i, l.Get(p), model[i])
		}
	}
	if i != 0 {
		t.Fatalf("backward walk stopped %d entries short", i)
	}
	if l.Prev(l.End()) != l.Last() || l.Seek(len(model)) != -1 || l.Seek(-len(model)-1) != -1 {
		t.Fatalf("ends: Prev(End) %d Last %d", l.Prev(l.End()), l.Last())
	}
	payload := 0
	for _, v := range model {
		payload += len(v)
	}
	if l.Bytes() < structBytes+payload {
		t.Fatalf("Bytes %d below the payload %d", l.Bytes(), payload)
	}
}

// entry draws mostly short entries, some needing 2- and 3-byte lengths.
func entry(r *rand.Rand) []byte {
	n := r.IntN(12)
	switch r.IntN(60) {
	case 0, 1, 2:
		n = 100 + r.IntN(200)
	case 3:
		n = 16000 + r.IntN(1000) // a 3-byte length
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(4))
	}
	return b
}

// run applies a random sequence of operations to a Listpack and a model.
func run(t testing.TB, r *rand.Rand, ops int) {
	var l Listpack
	var model [][]byte
	for range ops {
		n := len(model)
		switch op := r.IntN(12); op {
		case 0, 1, 2: // Insert k entries at i
			i := r.IntN(n + 1)
			vs := make([][]byte, r.IntN(3)+1)
			for j := range vs {
				vs[j] = entry(r)
			}
			p := l.End()
			if i < n {
				p = l.Seek(i)
			}
			if got := l.Insert(p, vs...); !(len(vs) == 0 || bytes.Equal(l.Get(got), vs[0])) {
				t.Fatalf("Insert returned %d holding %q", got, l.Get(got))
			}
			model = slices.Insert(model, i, vs...)
		case 3:
			v := entry(r)
			l.Append(v)
			model = append(model, v)
		case 4:
			v, w := entry(r), entry(r)
			l.Prepend(v, w)
			model = slices.Insert(model, 0, v, w)
		case 5, 6: // Replace, sometimes by another entry of the same listpack
			if n == 0 {
				continue
			}
			i := r.IntN(n)
			v := entry(r)
			if r.IntN(3) == 0 {
				v = l.Get(l.Seek(r.IntN(n)))
			}
			mv := slices.Clone(v)
			p := l.Replace(l.Seek(i), v)
			if !bytes.Equal(l.Get(p), mv) {
				t.Fatalf("Replace: %q at %d, want %q", l.Get(p), p, mv)
			}
			model[i] = mv
		case 7: // Insert an alias of an entry of the same listpack
			if n == 0 {
				continue
			}
			v := l.Get(l.Seek(r.IntN(n)))
			mv := slices.Clone(v)
			i := r.IntN(n)
			l.Insert(l.Seek(i), v, v)
			model = slices.Insert(model, i, mv, mv)
		case 8, 9: // Delete k entries at i
			if n == 0 {
				continue
			}
			i := r.IntN(n)
			k := 1 + r.IntN(min(3, n-i))
			if r.IntN(10) == 0 {
				k = n - i
			}
			next := l.Delete(l.Seek(i), k)
			model = slices.Delete(model, i, i+k)
			want := -1
			if i < len(model) {
				want = l.Seek(i)
			}
			if next != want {
				t.Fatalf("Delete returned %d, want %d", next, want)
			}
		case 10: // Find, as in a field/value listpack and a flat one
			v := entry(r)
			if n > 0 && r.IntN(2) == 0 {
				v = model[r.IntN(n)]
			}
			skip := r.IntN(2)
			from := 0
			if n > 0 {
				from = r.IntN(n)
			}
			want := -1
			for j := from; j < n; j += skip + 1 {
				if bytes.Equal(model[j], v) {
					want = l.Seek(j)
					break
				}
			}
			start := l.Seek(from)
			if got := l.Find(start, v, skip); got != want {
				t.Fatalf("Find(%d, %q, %d) = %d, want %d", start, v, skip, got, want)
			}
		case 11:
			c := l.Clone()
			check(t, c, model)
			c.Append([]byte("x")) // a deep copy: l must not see it
			if c.Len() > 1 {
				c.Replace(c.First(), []byte("changed"))
			}
		}
		check(t, &l, model)
	}
}

func TestModel(t *testing.T) {
	for seed := range uint64(100) {
		run(t, rand.New(rand.NewPCG(seed, 1)), 200)
	}
}

func TestEmpty(t *testing.T) {
	var l Listpack
	if l.First() != -1 || l.Last() != -1 || l.End() != 0 || l.Seek(0) != -1 || l.Seek(-1) != -1 || l.Find(0, nil, 0) != -1 {
		t.Fatal("empty listpack has entries")
	}
	l.Append(nil)
	if l.Len() != 1 || len(l.Get(l.First())) != 0 || l.Next(l.First()) != -1 {
		t.Fatal("one empty entry")
	}
	if l.Delete(l.First(), 1) != -1 || l.Len() != 0 {
		t.Fatal("delete the only entry")
	}
}

// TestGetDoesNotLeak: appending to a Get result must not overwrite the
// next entry.
func TestGetDoesNotLeak(t *testing.T) {
	var l Listpack
	l.Append([]byte("ab"), []byte("cd"))
	_ = append(l.Get(l.First()), 'X')
	if string(l.Get(l.Last())) != "cd" {
		t.Fatalf("next entry overwritten: %q", l.Get(l.Last()))
	}
}

// TestOverhead holds the per-entry cost of short entries at 2 bytes.
func TestOverhead(t *testing.T) {
	for _, n := range []int{0, 1, 9, 16, 127} {
		var l Listpack
		v := make([]byte, n)
		l.Append(v, v, v)
		if got := (len(l.b) - 3*n) / 3; got != 2 {
			t.Errorf("%d-byte entries: %d bytes of overhead each", n, got)
		}
	}
	var l Listpack
	l.Append(make([]byte, 128), make([]byte, 16384))
	if got := len(l.b) - 128 - 16384; got != 4+6 {
		t.Errorf("128- and 16384-byte entries: %d bytes of overhead", got)
	}
}

func FuzzListpack(f *testing.F) {
	f.Add(uint64(1), uint16(50))
	f.Add(uint64(7), uint16(400))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		run(t, rand.New(rand.NewPCG(seed, 2)), int(n%1000))
	})
}

// hash builds the listpack of a hash of fields field:NNN (9 bytes) with
// 16-byte values, one HSET at a time.
func hash(fields int) *Listpack {
	var l Listpack
	v := []byte("0123456789abcdef")
	for i := range fields {
		f := fmt.Appendf(nil, "field:%03d", i)
		if l.Find(l.First(), f, 1) < 0 {
			l.Append(f, v)
		}
	}
	return &l
}

// TestBytesPerField holds the small-hash target: 100 fields of 9 + 16 bytes
// cost no more than Redis pays per such hash apart from the key's name (its
// listpack has 2 bytes of overhead per entry and a 7-byte header: 2,907
// bytes in jemalloc's 3,072-byte class; then a 16-byte robj and a 24-byte
// dictEntry: 31.12 B per field).
func TestBytesPerField(t *testing.T) {
	if got := float64(hash(100).Bytes()) / 100; got > 31.12 {
		t.Errorf("%.2f B per field, Redis 31.12", got)
	}
}

func BenchmarkBytesPerField(b *testing.B) {
	for b.Loop() {
		b.ReportMetric(float64(hash(100).Bytes())/100, "B/elem")
	}
}

func BenchmarkFind(b *testing.B) {
	l := hash(100)
	f := []byte("field:077")
	for b.Loop() {
		if l.Find(l.First(), f, 1) < 0 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkAppendDelete(b *testing.B) {
	l := hash(100)
	f, v := []byte("field:xyz"), []byte("0123456789abcdef")
	for b.Loop() {
		l.Append(f, v)
		l.Delete(l.Seek(-2), 2)
	}
}

// BenchmarkBytesPerEntry1M appends a million 16-byte entries (a long list's
// worth; hashes and sets convert to bytemap long before): 18 bytes each
// plus the growth slack past the allocator's size classes.
func BenchmarkBytesPerEntry1M(b *testing.B) {
	v := []byte("0123456789abcdef")
	for b.Loop() {
		var l Listpack
		for range 1_000_000 {
			l.Append(v)
		}
		b.ReportMetric(float64(l.Bytes())/1e6, "B/elem")
	}
}

func BenchmarkGet(b *testing.B) {
	l := hash(100)
	p := l.Seek(77)
	for b.Loop() {
		sinkLen += len(l.Get(p))
	}
}

var sinkLen int
