package server_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/testcerts"
	"github.com/smallredis/smallredis/internal/testserver"
)

// A TLS connection is served by a goroutine on Go's network poller, while
// plain clients keep the event loops busy: the loops must leave the poller
// a P (Engine.SharePoller). Before they did, a TLS PING took ~10 ms at the
// median under this load (the poller's goroutines waited for sysmon's
// netpoll), 0.1 ms after. The load is redis-benchmark in its own process,
// as in production; under -race the bound means nothing (make test runs
// this test in its non-race step).
func TestTLSLatencyUnderPlainLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a loaded server")
	}
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("no redis-benchmark")
	}
	if os.Getenv("TLS_LATENCY_CHILD") == "" {
		// One P, as the server's Ps sizer keeps under this load, where
		// the starvation was worst: the test process runs itself again
		// with GOMAXPROCS pinned (read only at start).
		cmd := exec.Command(os.Args[0], "-test.run=^TestTLSLatencyUnderPlainLoad$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "TLS_LATENCY_CHILD=1", "GOMAXPROCS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("GOMAXPROCS=1:\n%s", out)
		if err != nil {
			t.Fatalf("GOMAXPROCS=1 run: %v", err)
		}
		return
	}
	certs := testcerts.Make(t)
	tlsAddr, plainAddr, _ := testserver.StartTLS(t, true, append(certs.ServerArgs(), "--tls-auth-clients", "no")...)
	_, port, _ := net.SplitHostPort(plainAddr)
	load := exec.Command(bench, "-p", port, "-t", "get", "-c", "4", "-P", "1", "-n", "100000000", "-q")
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { load.Process.Kill(); load.Wait() })
	c, err := tls.Dial("tcp", tlsAddr, certs.ClientConfig(t, false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	time.Sleep(300 * time.Millisecond) // the load under way
	const n = 500
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			t.Fatalf("PING: %q, %v", line, err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	p50, p99 := lat[n/2], lat[n*99/100]
	t.Logf("TLS PING under plain load: p50 %v, p99 %v, max %v", p50, p99, lat[n-1])
	if testserver.RaceEnabled() {
		return
	}
	if p50 > 2*time.Millisecond || p99 > 10*time.Millisecond {
		t.Errorf("TLS PING p50 %v, p99 %v under plain load; want ≤ 2 ms and ≤ 10 ms", p50, p99)
	}
}
