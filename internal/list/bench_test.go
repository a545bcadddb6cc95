package list

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkMemory1M builds a list of 1 M 16-byte values with RPUSH and
// reports the live heap per element (the target: Redis 7.0.15's 18.3 B
// RSS per element) and MemoryUsage's figure.
func BenchmarkMemory1M(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		l := New()
		v := make([]byte, 16)
		for i := range n {
			copy(v, fmt.Sprintf("%016d", i))
			l.Prepare(DefaultLimits, v)
			l.Push(v, Tail, DefaultLimits)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/elem")
		b.ReportMetric(float64(l.MemoryUsage())/n, "usageB/elem")
		runtime.KeepAlive(l)
	}
}

// BenchmarkPushPop is LPUSH and RPOP on a long list in the steady state.
func BenchmarkPushPop(b *testing.B) {
	l := New()
	v := []byte("0123456789abcdef")
	for range 100_000 {
		l.Prepare(DefaultLimits, v)
		l.Push(v, Tail, DefaultLimits)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.Prepare(DefaultLimits, v)
		l.Push(v, Head, DefaultLimits)
		_ = l.Peek(Tail)
		l.Pop(Tail)
		l.Convert(DefaultLimits, true)
	}
}
