package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

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
