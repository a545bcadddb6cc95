package script

import (
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
	for range b.N {
		w.Reset()
		e.Eval(s, r)
	}
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
