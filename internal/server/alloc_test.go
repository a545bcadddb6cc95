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

// The whole hot path — read, parse, dispatch, store, reply, write — must
// not allocate per command once warm. This counts every allocation in the
// process (server and this raw client, which itself allocates nothing per
// round) while pipelined GET/SET batches go through a real socket.
func TestHotPathDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations over 200k commands")
	}
	addr, _ := testserver.Start(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const batch = 100
	var req, want []byte
	for i := 0; i < batch; i++ {
		key := fmt.Sprintf("key:%06d", i)
		req = resp.AppendRequest(req, "SET", key, "0123456789abcdef0123456789abcdef")
		req = resp.AppendRequest(req, "GET", key)
		want = append(want, "+OK\r\n$32\r\n0123456789abcdef0123456789abcdef\r\n"...)
	}
	got := make([]byte, len(want))
	round := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ { // warm up buffers, tables and the arena
		round()
	}
	if string(got) != string(want) {
		t.Fatalf("replies %q", got[:64])
	}
	const rounds = 1000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < rounds; i++ {
		round()
	}
	runtime.ReadMemStats(&after)
	perCmd := float64(after.Mallocs-before.Mallocs) / float64(rounds*batch*2)
	t.Logf("%.4f allocations per command", perCmd)
	// Background goroutines (cron, clock ticker, event loops) allocate a little
	// now and then; anything near one per command is a hot-path leak.
	if perCmd > 0.02 {
		t.Fatalf("%.4f allocations per command, want ~0", perCmd)
	}
}
