package command

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/smallredis/smallredis/internal/resp"
)

// BenchmarkExecGetSet is the cost of dispatch (gate included) around a
// GET/SET pair, without the network.
func BenchmarkExecGetSet(b *testing.B) {
	s := newStrServer(b)
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
	}
	val := []byte("0123456789abcdef0123456789abcdef")
	set, get := [][]byte{[]byte("SET"), nil, val}, [][]byte{[]byte("GET"), nil}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := keys[i&1023]
		set[1], get[1] = k, k
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, set, &s.w)
		s.srv.Exec(s.c, &s.ctx, get, &s.w)
	}
}

// BenchmarkExecParallel is dispatch and store for GET (hits) and SET on
// several goroutines at once, each its own client as each event loop has
// its own: run with -cpu 1,2,4 to see what the goroutines share (striped
// counters, gate slots by stripe, store shards). Each goroutine's client
// has its own Stripe, as an event loop's clients do.
func BenchmarkExecParallel(b *testing.B) {
	for _, cmd := range []string{"GET", "SET"} {
		b.Run(cmd, func(b *testing.B) {
			s := newStrServer(b)
			keys := make([][]byte, 1<<16)
			val := []byte("0123456789abcdef0123456789abcdef")
			for i := range keys {
				keys[i] = []byte("key:" + strconv.Itoa(i))
				s.srv.Exec(s.c, &s.ctx, [][]byte{[]byte("SET"), keys[i], val}, &s.w)
				s.w.Reset()
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				id := next.Add(1)
				c := NewClient(id, "127.0.0.1:1", "127.0.0.1:2", -1)
				setStripe(c, int(id-1))
				var ctx Ctx
				w := resp.Writer{Proto: 2}
				args := [][]byte{[]byte(cmd), nil, val}
				if cmd == "GET" {
					args = args[:2]
				}
				for i := int(id) * 7919; pb.Next(); i++ {
					args[1] = keys[i&(1<<16-1)]
					w.Reset()
					s.srv.Exec(c, &ctx, args, &w)
				}
			})
		})
	}
}

// reportCPU reports the process's CPU time (user + system, every thread)
// per operation as cpu-ns/op, when the function it returns is called: on a
// shared machine wall time per operation mostly measures the other load,
// CPU time much less so.
func reportCPU(b *testing.B) func() {
	t0 := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-t0)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
