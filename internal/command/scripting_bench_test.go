package command

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchEvalSHA is EVALSHA of body through Exec (admission, the world gate,
// the script's run and its redis.calls), without the network, over keys
// key:0…key:1023: "worker" as a connection runs it (on a script worker,
// the connection able to park), "inline" as inside EXEC (on the caller).
func benchEvalSHA(b *testing.B, body string) {
	b.Run("worker", func(b *testing.B) { benchEvalSHAOn(b, body, true) })
	b.Run("inline", func(b *testing.B) { benchEvalSHAOn(b, body, false) })
}

func benchEvalSHAOn(b *testing.B, body string, worker bool) {
	s := newStrServer(b)
	if worker {
		s.c.Wake = func() {}
	}
	sha := strings.TrimSpace(strings.TrimPrefix(s.do("script", "load", body), "$40\r\n"))
	if len(sha) != 40 {
		b.Fatalf("SCRIPT LOAD: %q", sha)
	}
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
	}
	argv := [][]byte{[]byte("EVALSHA"), []byte(sha), []byte("1"), nil}
	b.ReportAllocs()
	cpu0 := processCPU()
	for i := 0; b.Loop(); i++ {
		argv[3] = keys[i&1023]
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, argv, &s.w)
	}
	// The process's CPU time per op (every goroutine, the GC's too): on a
	// busy machine it holds where ns/op, wall time, does not.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if len(s.w.B) == 0 || s.w.B[0] != ':' {
		b.Fatalf("reply %q", s.w.B)
	}
}

// The script of bench/scripting.sh: one GET, one INCR.
func BenchmarkEvalSHAGetIncr(b *testing.B) {
	benchEvalSHA(b, "local v = redis.call('get', KEYS[1]) return redis.call('incr', KEYS[1])")
}

// A script that calls nothing: the fixed cost of running one.
func BenchmarkEvalSHAReturn(b *testing.B) {
	benchEvalSHA(b, "return 1")
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
