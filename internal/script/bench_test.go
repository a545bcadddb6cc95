package script

import (
	"syscall"
	"testing"

	"github.com/smallredis/smallredis/internal/resp"
)

// okCaller answers every command with +OK / :1.
type okCaller struct{}

func (okCaller) Call(args [][]byte, w *resp.Writer) { w.Int(1) }

func benchEval(b *testing.B, body string) {
	e := NewEngine()
	s, errMsg := e.Load(body, true)
	if errMsg != "" {
		b.Fatal(errMsg)
	}
	w := &resp.Writer{Proto: 2}
	r := &Run{Keys: [][]byte{[]byte("k")}, Caller: okCaller{}, W: w}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		w.Reset()
		e.Eval(s, r)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's CPU time (every thread: the GC's workers too),
// the figure that holds on a shared machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// The EVALSHA of the bench: one GET, one INCR.
func BenchmarkEvalGetIncr(b *testing.B) {
	benchEval(b, "local v = redis.call('get', KEYS[1]) return redis.call('incr', KEYS[1])")
}

// CPU-bound Lua: 100,000 iterations of arithmetic and a table write.
func BenchmarkEvalCPULoop(b *testing.B) {
	benchEval(b, "local t = {} local s = 0 for i = 1, 100000 do s = s + i % 7 t[i % 100 + 1] = s end return s")
}

// The CPU loop of bench/scripting.sh, 1,000,000 iterations.
func BenchmarkEvalBenchLoop(b *testing.B) {
	benchEval(b, "local function f(x) return x * 2 end local t = {} local s = 0 for i = 1, 1000000 do s = s + f(i) t[i % 100 + 1] = s end return s")
}

// Other CPU-bound loops, so that a change for the one above is not paid
// for by these: no calls, floats, strings, tables, cjson.
func BenchmarkEvalLoopNoCall(b *testing.B) {
	benchEval(b, "local s = 0 for i = 1, 1000000 do s = s + i * 3 - (i % 7) end return s")
}

func BenchmarkEvalLoopFloat(b *testing.B) {
	benchEval(b, "local s = 0.5 for i = 1, 1000000 do s = s * 1.000001 + 0.25 end return tostring(s)")
}

func BenchmarkEvalLoopConcat(b *testing.B) {
	benchEval(b, "local s = '' for i = 1, 5000 do s = s .. i end local t = {} for i = 1, 100000 do t[#t+1] = tostring(i) end return #s + #table.concat(t, ',')")
}

func BenchmarkEvalLoopTable(b *testing.B) {
	benchEval(b, "local t = {} for i = 1, 100000 do t['k' .. (i % 1000)] = i end local s = 0 for j = 1, 5 do for i = 1, 1000 do s = s + t['k' .. i % 1000] end end local a = {} for i = 1, 100000 do a[i] = i end for i = 1, 100000 do s = s + a[i] end return s")
}

func BenchmarkEvalLoopCjson(b *testing.B) {
	benchEval(b, "local t = {} for i = 1, 1000 do t[i] = {id = i, name = 'n' .. i, v = i * 1.5, tags = {'a', 'b'}} end local n = 0 for j = 1, 5 do n = n + #cjson.encode(t) end return n")
}

// An accumulator across calls: its box is written in place.
func BenchmarkEvalLoopCallSum(b *testing.B) {
	benchEval(b, "local function f(x) return x * 2 end local s = 0 for i = 1, 1000000 do s = s + f(i) end return s")
}
