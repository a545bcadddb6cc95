package command

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
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

// BenchmarkExecParallelEvict is SET of new keys (256-byte values) under a
// 64 MB maxmemory from several goroutines, once filled every command
// evicting, with the default policy and allkeys-lru: what eviction costs per
// request, shared counters and pools included, without a network or a
// benchmark client to blur it. Run it with -cpu 1,2 to see what two cores
// sharing the shards add (2026-12-06, this 2-core machine: about 1.7-1.9 µs
// of CPU per SET on one core, 2.6-2.9 µs on two).
func BenchmarkExecParallelEvict(b *testing.B) {
	for _, policy := range []string{"allkeys-lrfu", "allkeys-lru"} {
		b.Run(policy, func(b *testing.B) { benchParallelEvict(b, policy) })
	}
}

func benchParallelEvict(b *testing.B, policy string) {
	cfg, err := config.Parse([]string{"--maxmemory", "64mb", "--maxmemory-policy", policy})
	if err != nil {
		b.Fatal(err)
	}
	srv := NewServer(cfg, store.New(16))
	val := make([]byte, 256)
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
		key := []byte("key:000000000000")
		args := [][]byte{[]byte("SET"), key, val}
		for i := uint64(id) << 40; pb.Next(); i++ {
			x := i * 0x9e3779b97f4a7c15
			for j := 4; j < len(key); j++ {
				key[j] = '0' + byte(x%10)
				x /= 10
			}
			w.Reset()
			srv.Exec(c, &ctx, args, &w)
		}
	})
	// 64 MB hold about 200,000 such keys.
	if b.N >= 1_000_000 && srv.Evict.Evicted() == 0 {
		b.Fatal("nothing was evicted")
	}
}
