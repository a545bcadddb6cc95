package server_test

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/testserver"
)

// BenchmarkTrackedGET compares pipelined GETs (100 per round, through a real
// socket) from a connection with CLIENT TRACKING ON against an untracked
// one: what remembering the keys read costs (the target: at most 10 %
// more). Both connections speak RESP3 and read the same keys, so only
// tracking differs. Timing figures move with the machine's load.
func BenchmarkTrackedGET(b *testing.B) {
	for _, tracked := range []bool{false, true} {
		name := "untracked"
		if tracked {
			name = "tracked"
		}
		b.Run(name, func(b *testing.B) {
			addr, _ := testserver.Start(b)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			setup := resp.AppendRequest(nil, "HELLO", "3")
			if tracked {
				setup = resp.AppendRequest(setup, "CLIENT", "TRACKING", "ON")
			}
			if _, err := c.Write(setup); err != nil {
				b.Fatal(err)
			}
			const batch = 100
			var set, req, want []byte
			for i := range batch {
				key := fmt.Sprintf("key:%06d", i)
				set = resp.AppendRequest(set, "SET", key, "0123456789abcdef0123456789abcdef")
				req = resp.AppendRequest(req, "GET", key)
				want = append(want, "$32\r\n0123456789abcdef0123456789abcdef\r\n"...)
			}
			// The handshake's replies and the SETs' OKs (no key is tracked yet).
			buf := make([]byte, 1<<16)
			if _, err := c.Write(set); err != nil {
				b.Fatal(err)
			}
			okAll := batch * len("+OK\r\n")
			for got := 0; ; {
				n, err := c.Read(buf)
				if err != nil {
					b.Fatal(err)
				}
				got += n
				if got >= okAll && string(buf[n-5:n]) == "+OK\r\n" {
					break
				}
			}
			got := make([]byte, len(want))
			round := func() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, got); err != nil {
					b.Fatal(err)
				}
			}
			for range 100 {
				round()
			}
			if string(got) != string(want) {
				b.Fatalf("replies %q", got[:64])
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				round()
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/GET")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*batch), "allocs/GET")
		})
	}
}
