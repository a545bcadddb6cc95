package bufpool

import (
	"testing"
	"unsafe"
)

func TestClasses(t *testing.T) {
	if len(classes) < 30 || classes[len(classes)-1] != MaxPooled {
		t.Fatalf("%d classes, largest %d", len(classes), classes[len(classes)-1])
	}
	for i := 1; i < len(classes); i++ {
		if classes[i] <= classes[i-1] {
			t.Fatalf("classes not ascending at %d: %v", i, classes[:i+1])
		}
	}
	for _, n := range []int{1, 7, 8, 9, 100, 1000, 1024, 1025, 2900, 32767, 32768} {
		b := Get(n)
		// The allocator gives exactly the class: appending to a nil slice
		// of n bytes lands on the same capacity.
		want := cap(append([]byte(nil), make([]byte, n)...))
		if len(b) != n || cap(b) != want {
			t.Errorf("Get(%d): len %d cap %d, want cap %d", n, len(b), cap(b), want)
		}
	}
	if b := Get(40000); len(b) != 40000 || cap(b) < 40000 {
		t.Errorf("Get(40000): len %d cap %d", len(b), cap(b))
	}
}

func TestReuse(t *testing.T) {
	b := Get(3000)
	p := unsafe.SliceData(b)
	Put(b)
	// sync.Pool may drop items (always under -race), so try a few times.
	reused := false
	for range 100 {
		c := Get(2900)
		if unsafe.SliceData(c) == p {
			reused = true
			break
		}
		Put(b)
	}
	if !reused && !raceEnabled {
		t.Error("a put buffer is never handed out again")
	}
	// A capacity that is not a size class is not kept.
	odd := make([]byte, 10, 1000)
	Put(odd)
	for range 10 {
		if c := Get(1000); unsafe.SliceData(c) == unsafe.SliceData(odd) {
			t.Fatal("a buffer of capacity 1000 (class 1024) was pooled")
		}
	}
}

func TestSized(t *testing.T) {
	for _, c := range []int{8, 1024, 8192, MaxPooled, MaxPooled + 1} {
		if !Sized(c) {
			t.Errorf("Sized(%d) = false", c)
		}
	}
	for _, c := range []int{1000, 8184} {
		if Sized(c) {
			t.Errorf("Sized(%d) = true", c)
		}
	}
}
