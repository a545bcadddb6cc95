package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// A panic inside a command is answered with an error, counted, and closes
// only that connection; the server keeps serving everyone else.
func TestPanicInCommandIsRecovered(t *testing.T) {
	addr, srv := testserver.Start(t)
	ctx := context.Background()
	other := redis.NewClient(&redis.Options{Addr: addr})
	defer other.Close()
	if err := other.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	before := errorCount(t, other)
	// Pipelined after the panicking command: never run, the connection closes.
	got := raw(t, addr, "SET a 1\r\nDEBUG PANIC\r\nSET b 2\r\n")
	want := "+OK\r\n-ERR internal error while executing 'debug' (the server logged it)\r\n"
	if got != want {
		t.Fatalf("replies %q, want %q (and then the connection closed)", got, want)
	}
	if v, err := other.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("other client after the panic: %q %v", v, err)
	}
	if n, _ := other.Exists(ctx, "b").Result(); n != 0 {
		t.Fatal("a command pipelined after the panic ran")
	}
	if n := srv.State().Stats.Panics.Load(); n != 1 {
		t.Fatalf("Stats.Panics = %d, want 1", n)
	}
	if n := errorCount(t, other); n != before+1 {
		t.Fatalf("errorstat_ERR went from %d to %d, want one more", before, n)
	}
	stats, _ := other.Info(ctx, "commandstats").Result()
	if !strings.Contains(stats, "cmdstat_debug:") || !strings.Contains(stats, "failed_calls=1") {
		t.Fatalf("commandstats lacks the failed call:\n%s", stats)
	}
}

// The crash the issue reported: SETRANGE at an offset near int64's maximum
// with proto-max-bulk-len raised to the same.
func TestSetrangeHugeOffsetDoesNotCrash(t *testing.T) {
	addr, srv := testserver.Start(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.ConfigSet(ctx, "proto-max-bulk-len", "9223372036854775807").Err(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]any{
		{"SETRANGE", "k", "9223372036854775000", "x"},
		{"SETRANGE", "k", "9223372036854775807", "x"},
		{"SETBIT", "k", "9223372036854775807", "1"},
		{"BITFIELD", "k", "SET", "i64", "9223372036854775807", "1"},
		{"BITFIELD", "k", "INCRBY", "u8", "#1152921504606846975", "1"},
	} {
		err := c.Do(ctx, cmd...).Err()
		if err == nil || !strings.Contains(err.Error(), "string exceeds maximum allowed size") &&
			!strings.Contains(err.Error(), "bit offset is not an integer or out of range") {
			t.Errorf("%v: %v, want a size/offset error", cmd, err)
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if n := srv.State().Stats.Panics.Load(); n != 0 {
		t.Fatalf("%d panics recovered", n)
	}
}

// errorCount is INFO errorstats' count of ERR replies.
func errorCount(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(context.Background(), "errorstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(info, "errorstat_ERR:count=")
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\r", 2)[0]))
	return n
}

// cpuTime is this process's user+system CPU time.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Paused clients are woken when the pause ends, not polled: 500 of them
// waiting cost next to no CPU, and all resume at once on CLIENT UNPAUSE.
func TestPausedClientsCostNoCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("500 connections, 1 s of measuring")
	}
	addr, srv := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.Do(ctx, "CLIENT", "PAUSE", "100000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	const n = 500
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "SET k%d v\r\nGET k%d\r\n", i, i)
		conns[i] = c
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.State().PausedClients() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d clients paused", srv.State().PausedClients(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the connecting settle
	before := cpuTime(t)
	start := time.Now()
	time.Sleep(time.Second)
	used, wall := cpuTime(t)-before, time.Since(start)
	t.Logf("%d paused clients: %v CPU in %v (%.1f %% of a core)", n, used, wall, 100*float64(used)/float64(wall))
	// Polling every 10 ms cost 30-57 % of a core; waiting costs ~0. The
	// bound leaves room for one collection of the test process's heap
	// (the server tidies memory once it is idle, and paused commands do
	// not count as work) under -race.
	if used > wall/5 {
		t.Errorf("%d paused clients used %v of CPU in %v, want < 20 %% of a core", n, used, wall)
	}
	if v, err := admin.Exists(ctx, "k0").Result(); err != nil || v != 0 {
		t.Fatalf("a paused SET ran: %v %v", v, err)
	}
	if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(c)
		l1, err1 := r.ReadString('\n')
		l2, err2 := r.ReadString('\n')
		l3, err3 := r.ReadString('\n')
		if err1 != nil || err2 != nil || err3 != nil || l1 != "+OK\r\n" || l2 != "$1\r\n" || l3 != "v\r\n" {
			t.Fatalf("client %d after UNPAUSE: %q %q %q (%v %v %v)", i, l1, l2, l3, err1, err2, err3)
		}
	}
	if p := srv.State().PausedClients(); p != 0 {
		t.Fatalf("%d clients still registered as paused", p)
	}
}

// CLIENT PAUSE timeouts as Redis parses them; an end past int64 is out
// of range.
func TestClientPauseTimeouts(t *testing.T) {
	addr, _ := testserver.Start(t)
	for in, want := range map[string]string{
		"CLIENT PAUSE -1\r\n":                  "-ERR timeout is negative\r\n",
		"CLIENT PAUSE abc\r\n":                 "-ERR timeout is not an integer or out of range\r\n",
		"CLIENT PAUSE 9223372036854775807\r\n": "-ERR timeout is out of range\r\n",
		"CLIENT PAUSE 0 WRITE\r\n":             "+OK\r\n",
	} {
		if got := raw(t, addr, in); got != want {
			t.Errorf("%q = %q, want %q", in, got, want)
		}
	}
	// As Redis: a timeout this long still pauses (it is added to the clock
	// in ms, which does not overflow).
	got := raw(t, addr, "CLIENT PAUSE 10000000000000 WRITE\r\nSET k v\r\n")
	if got != "+OK\r\n" {
		t.Errorf("SET during a 10000000000000 ms pause: %q, want no reply yet", got)
	}
	if got := raw(t, addr, "CLIENT UNPAUSE\r\nSET k v\r\n"); got != "+OK\r\n+OK\r\n" {
		t.Errorf("after UNPAUSE: %q", got)
	}
}
