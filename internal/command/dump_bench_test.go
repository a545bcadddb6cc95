package command

import (
	"fmt"
	"testing"
)

// DUMP and RESTORE of a 100-field listpack hash and a 10,000-element list
// through the real dispatch (go test -bench DumpRestore ./internal/command).
func BenchmarkDumpRestore(b *testing.B) {
	s := newStrServer(b)
	h := []string{"hset", "h"}
	for i := range 100 {
		h = append(h, fmt.Sprintf("field%d", i), fmt.Sprintf("value%d", i))
	}
	s.do(h...)
	l := []string{"rpush", "l"}
	for i := range 10000 {
		l = append(l, fmt.Sprintf("element-%d", i))
	}
	s.do(l...)
	for _, k := range []string{"h", "l"} {
		p := bulkOf(b, s.do("dump", k))
		b.Run("dump-"+k, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				s.do("dump", k)
			}
		})
		b.Run("restore-"+k, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				s.do("restore", k+"2", "0", p, "replace")
			}
		})
	}
}

// RPUSH of the same 10,000 elements, for comparison with restore-l.
func BenchmarkRPush10000(b *testing.B) {
	s := newStrServer(b)
	l := []string{"rpush", "l"}
	for i := range 10000 {
		l = append(l, fmt.Sprintf("element-%d", i))
	}
	b.ReportAllocs()
	for range b.N {
		s.do("del", "l")
		s.do(l...)
	}
}
