package stream

import (
	"fmt"
	"testing"
)

// BenchmarkRange is XRANGE start + COUNT 10 on a 200,000-entry stream.
func BenchmarkRange(b *testing.B) {
	s := New()
	v := []byte("vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv")
	for i := 1; i <= 200000; i++ {
		s.Add(ID{uint64(i), 1}, [][]byte{[]byte("field"), v}, Limits{NodeMaxBytes: 4096, NodeMaxEntries: 100})
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := range b.N {
		start := ID{uint64(i*7919%200000 + 1), 0}
		s.Range(start, Max, false, func(id ID, fv [][]byte) bool {
			n++
			return n%10 != 0
		})
	}
	_ = fmt.Sprint(n)
}
