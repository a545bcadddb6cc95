package hll

import (
	"bytes"
	"fmt"
	"testing"
)

func TestPatLen(t *testing.T) {
	// The register an element lands in and its run length are part of the
	// stored bytes; these are PFDEBUG DECODE of a one-element HLL in Redis.
	for _, tc := range []struct {
		ele          string
		index, count int
	}{
		{"a", 12711, 2},
		{"foo", 7348, 5},
		{"hello world", 9399, 4},
		{"0123456789abcdef", 5949, 1},
	} {
		i, c := patLen([]byte(tc.ele))
		if i != tc.index || int(c) != tc.count {
			t.Errorf("patLen(%q) = %d, %d; Redis: %d, %d", tc.ele, i, c, tc.index, tc.count)
		}
	}
}

func TestValid(t *testing.T) {
	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"new", New(), true},
		{"dense", dense, true},
		{"short dense", dense[:DenseSize-1], false},
		{"header only sparse", New()[:HdrSize], true},
		{"too short", []byte("HYLL\x01"), false},
		{"magic", append([]byte("HYLX"), New()[4:]...), false},
		{"encoding 2", append([]byte("HYLL\x02"), New()[5:]...), false},
	} {
		if got := Valid(tc.b); got != tc.want {
			t.Errorf("%s: Valid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNewBytes(t *testing.T) {
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")
	if got := New(); !bytes.Equal(got, want) {
		t.Fatalf("New() = %q, want %q", got, want)
	}
}

func TestRegisters(t *testing.T) {
	regs := make([]byte, DenseSize-HdrSize)
	for i := range Registers {
		setReg(regs, i, uint8(i%64))
	}
	for i := range Registers {
		if got := getReg(regs, i); got != uint8(i%64) {
			t.Fatalf("register %d = %d, want %d", i, got, i%64)
		}
	}
	setReg(regs, Registers-1, 0)
	if got := getReg(regs, Registers-2); got != uint8((Registers-2)%64) {
		t.Fatalf("setting the last register changed its neighbour: %d", got)
	}
}

// The sparse and the dense encodings must count alike at every size, and
// the sparse one must stay valid (its opcodes cover every register).
func TestSparseDenseAgree(t *testing.T) {
	sparse, dense := New(), make([]byte, DenseSize)
	copy(dense, "HYLL")
	next := 1
	for i := 1; i <= 20000; i++ {
		ele := fmt.Appendf(nil, "ele:%d", i)
		var ch1, ch2 bool
		var err error
		sparse, ch1, err = Add(sparse, ele, 3000)
		if err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		dense, ch2, _ = Add(dense, ele, 3000)
		if ch1 != ch2 {
			t.Fatalf("add %d: sparse changed=%v, dense changed=%v", i, ch1, ch2)
		}
		if i != next {
			continue
		}
		next *= 2
		sc, err := Count(sparse)
		if err != nil {
			t.Fatalf("count at %d: %v", i, err)
		}
		dc, _ := Count(dense)
		if sc != dc {
			t.Fatalf("at %d: sparse counts %d, dense %d", i, sc, dc)
		}
		if d, _ := ToDense(sparse); !bytes.Equal(d[HdrSize:], dense[HdrSize:]) {
			t.Fatalf("at %d: sparse registers differ from dense", i)
		}
		if !IsDense(sparse) && len(sparse) > 3000 {
			t.Fatalf("at %d: sparse grew to %d bytes", i, len(sparse))
		}
	}
	if !IsDense(sparse) {
		t.Fatal("20000 elements did not promote to dense")
	}
	if c, _ := Count(dense); c < 19000 || c > 21000 {
		t.Fatalf("count of 20000 = %d", c)
	}
}

func TestUnion(t *testing.T) {
	a, b := New(), New()
	for i := range 1000 {
		a, _, _ = Add(a, fmt.Appendf(nil, "a%d", i), 3000)
		b, _, _ = Add(b, fmt.Appendf(nil, "b%d", i), 3000)
	}
	var u Union
	if err := u.Merge(a); err != nil {
		t.Fatal(err)
	}
	if err := u.Merge(b); err != nil {
		t.Fatal(err)
	}
	both := ownedCopyForTest(a)
	for i := range 1000 {
		both, _, _ = Add(both, fmt.Appendf(nil, "b%d", i), 3000)
	}
	want, _ := Count(both)
	if got := u.Count(); got != want {
		t.Fatalf("union counts %d, adding all counts %d", got, want)
	}
	m, err := u.Store(nil, false, 3000)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Count(m); got != want {
		t.Fatalf("stored union counts %d, want %d", got, want)
	}
}

func ownedCopyForTest(b []byte) []byte { return append([]byte(nil), b...) }

func TestCache(t *testing.T) {
	b := New()
	if _, ok := Cached(b); !ok {
		t.Fatal("a new HLL's cache (0) is valid in Redis")
	}
	b, _, _ = Add(b, []byte("x"), 3000)
	if _, ok := Cached(b); ok {
		t.Fatal("an add left the cache valid")
	}
	SetCached(b, 1)
	if c, ok := Cached(b); !ok || c != 1 {
		t.Fatalf("Cached = %d, %v", c, ok)
	}
}

// FuzzCorrupt: whatever bytes a key holds, the commands' operations report
// corruption instead of panicking, and a sparse value they accept covers
// exactly the registers.
func FuzzCorrupt(f *testing.F) {
	f.Add([]byte("\x7f\xff"))
	f.Add([]byte("\x7f"))
	f.Add([]byte("\x7f\xfe\x80"))
	f.Add([]byte("\xff\xff\xff"))
	f.Add([]byte("\x00\x3f\x7f\x80"))
	f.Fuzz(func(t *testing.T, body []byte) {
		b := append(New()[:HdrSize:HdrSize], body...)
		if !Valid(b) {
			t.Skip()
		}
		_, cerr := Count(b)
		var u Union
		merr := u.Merge(b)
		d, derr := ToDense(b)
		if (derr == nil) != (merr == nil) {
			t.Fatalf("ToDense err %v, Merge err %v", derr, merr)
		}
		if derr == nil && cerr != nil {
			t.Fatalf("ToDense accepted what Count rejects: %v", cerr)
		}
		if derr == nil {
			c1, _ := Count(b)
			c2, _ := Count(d)
			if c1 != c2 {
				t.Fatalf("sparse counts %d, its dense form %d", c1, c2)
			}
		}
		_ = Decode(b)
		for _, ele := range []string{"a", "b", "c", "foo", "bar"} {
			nb, _, err := Add(append([]byte(nil), b...), []byte(ele), 3000)
			if err == nil && derr == nil {
				if _, err := Count(nb); err != nil {
					t.Fatalf("adding %q to a valid value corrupted it", ele)
				}
			}
		}
		if _, err := u.Store(append([]byte(nil), b...), false, 3000); err != nil && derr == nil {
			t.Fatal(err)
		}
	})
}

func TestSelfTest(t *testing.T) {
	// PFSELFTEST's checks, smaller: 10 register cycles (the command runs
	// 1000) and a tenth of a million elements (it adds ten million).
	if err := selfTest(3000, 10, 100000); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkAddSparse(b *testing.B) {
	h := New()
	ele := []byte("element:000000")
	for i := 0; i < b.N; i++ {
		if i%1000 == 0 {
			h = New() // stay sparse
		}
		ele[8] = byte(i)
		ele[9] = byte(i >> 8)
		h, _, _ = Add(h, ele, 3000)
	}
}

func BenchmarkAddDense(b *testing.B) {
	h := make([]byte, DenseSize)
	copy(h, "HYLL")
	ele := []byte("element:000000")
	for i := 0; i < b.N; i++ {
		ele[8] = byte(i)
		ele[9] = byte(i >> 8)
		ele[10] = byte(i >> 16)
		h, _, _ = Add(h, ele, 3000)
	}
}

func BenchmarkCountDense(b *testing.B) {
	h := make([]byte, DenseSize)
	copy(h, "HYLL")
	for i := range 100000 {
		h, _, _ = Add(h, fmt.Appendf(nil, "%d", i), 3000)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Count(h); err != nil {
			b.Fatal(err)
		}
	}
}
