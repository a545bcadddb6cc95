package zset

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// member20 is a 20-byte member, as in the README's memory table.
func member20(i int) []byte { return fmt.Appendf(nil, "member:%013d", i) }

// BenchmarkMemory1M reports what a 1M-member sorted set of 20-byte members
// with random scores costs per member: MemoryUsage's figure and the heap
// growth the Go runtime sees.
func BenchmarkMemory1M(b *testing.B) {
	for range b.N {
		const n = 1_000_000
		r := rand.New(rand.NewPCG(1, 2))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		z := New(0, 0, DefaultLimits)
		for range n {
			z.Insert(member20(r.IntN(1e13)), r.Float64()*1e6, DefaultLimits)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(z.MemoryUsage())/n, "usage-B/member")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/member")
		runtime.KeepAlive(z)
	}
}

func benchSet(n int) (*ZSet, [][]byte) {
	r := rand.New(rand.NewPCG(3, 4))
	z := New(0, 0, DefaultLimits)
	ms := make([][]byte, n)
	for i := range n {
		ms[i] = member20(i)
		z.Insert(ms[i], float64(r.IntN(1_000_000)), DefaultLimits)
	}
	return z, ms
}

func BenchmarkOps1M(b *testing.B) {
	z, ms := benchSet(1_000_000)
	r := rand.New(rand.NewPCG(5, 6))
	b.Run("Score", func(b *testing.B) {
		for i := range b.N {
			z.Score(ms[i%len(ms)])
		}
	})
	b.Run("Rank", func(b *testing.B) {
		for i := range b.N {
			z.Rank(ms[i%len(ms)], false)
		}
	})
	b.Run("Update", func(b *testing.B) {
		for range b.N {
			m := ms[r.IntN(len(ms))]
			s, _ := z.Score(m)
			z.Update(m, s, s+1)
		}
	})
	b.Run("Range10", func(b *testing.B) {
		for range b.N {
			n := 0
			z.Walk(0, false, func([]byte, float64) bool { n++; return n < 10 })
		}
	})
	b.Run("InsertDelete", func(b *testing.B) {
		for i := range b.N {
			m := member20(2_000_000 + i)
			z.Insert(m, float64(r.IntN(1_000_000)), DefaultLimits)
			z.Delete(m)
		}
	})
}
