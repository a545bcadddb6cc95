package stripe

import (
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

func TestCounter(t *testing.T) {
	var zero Counter // the zero Counter works, unstriped
	zero.Add(3, 2)
	zero.Add(0, 1)
	if got := zero.Load(); got != 3 {
		t.Errorf("zero Counter: %d, want 3", got)
	}
	var c Counter
	c.Init()
	const writers, adds = 8, 1000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range adds {
				c.Add(w, 2) // more writers than stripes on small machines: they share
			}
		}()
	}
	wg.Wait()
	if got := c.Load(); got != writers*adds*2 {
		t.Errorf("Load %d, want %d", got, writers*adds*2)
	}
	c.Add(-1, 5) // any int is a stripe
	c.Store(7)
	if got := c.Load(); got != 7 {
		t.Errorf("after Store(7): %d", got)
	}
}

func TestSet(t *testing.T) {
	s := NewSet(3)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 {
				s.Add(w, i, int64(i+1))
			}
		}()
	}
	wg.Wait()
	for i := range 3 {
		if got := s.Load(i); got != int64(8*(i+1)) {
			t.Errorf("counter %d: %d, want %d", i, got, 8*(i+1))
		}
	}
	s.Reset(1)
	if s.Load(0) != 8 || s.Load(1) != 0 || s.Load(2) != 24 {
		t.Errorf("after Reset(1): %d %d %d, want 8 0 24", s.Load(0), s.Load(1), s.Load(2))
	}
}

// Two stripes' counters are never within 64 bytes of each other (one
// cache line), whatever the stripe count.
func TestNoSharedLine(t *testing.T) {
	s := NewSet(5)
	stripes := int(s.mask) + 1
	for a := range stripes {
		for b := range stripes {
			if a == b {
				continue
			}
			for i := range 5 {
				for j := range 5 {
					pa := uintptr(unsafe.Pointer(&s.c[a*s.stride+i]))
					pb := uintptr(unsafe.Pointer(&s.c[b*s.stride+j]))
					if pa/64 == pb/64 {
						t.Fatalf("stripes %d and %d share a line", a, b)
					}
				}
			}
		}
	}
	var c Counter
	c.Init()
	for i := 1; i < len(c.cells); i++ {
		if d := uintptr(unsafe.Pointer(&c.cells[i].n)) - uintptr(unsafe.Pointer(&c.cells[i-1].n)); d < 64 {
			t.Fatalf("cells %d apart", d)
		}
	}
}

// BenchmarkCounter: one atomic all goroutines add to, against a Counter
// each goroutine adds to on its own stripe. Run with -cpu 1,2,4.
func BenchmarkCounter(b *testing.B) {
	b.Run("shared", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Add(1)
			}
		})
	})
	b.Run("striped", func(b *testing.B) {
		var c Counter
		c.Init()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			stripe := int(next.Add(1))
			for pb.Next() {
				c.Add(stripe, 1)
			}
		})
	})
}
