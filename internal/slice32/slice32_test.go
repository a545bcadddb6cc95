package slice32

import (
	"runtime"
	"testing"
	"unsafe"
)

func TestRoundTrip(t *testing.T) {
	if n := unsafe.Sizeof(Bytes{}); n != 16 {
		t.Errorf("Bytes is %d bytes, want 16", n)
	}
	if b := (Bytes{}).Slice(); b != nil {
		t.Errorf("zero value is %v, want nil", b)
	}
	for _, b := range [][]byte{nil, {}, make([]byte, 0, 8), []byte("hello"), make([]byte, 3, 100)} {
		s := Of(b)
		got := s.Slice()
		if len(got) != len(b) || cap(got) != cap(b) || s.Len() != len(b) || s.Cap() != cap(b) ||
			(b == nil) != (got == nil) || cap(b) > 0 && &got[:1][0] != &b[:1][0] {
			t.Errorf("Of(len %d cap %d) came back as len %d cap %d", len(b), cap(b), len(got), cap(got))
		}
	}
}

// TestKeepsAlive: the pointer alone keeps the buffer from the collector.
func TestKeepsAlive(t *testing.T) {
	s := Of(append(make([]byte, 0, 4096), "live"...))
	for range 3 {
		runtime.GC()
		_ = make([]byte, 4096) // would reuse the buffer's memory if it were freed
	}
	if string(s.Slice()) != "live" {
		t.Errorf("buffer reused: %q", s.Slice()[:4])
	}
}
