package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/testserver"
)

// untilEOF sends in and returns everything read until the server closes
// the connection; it fails if the server keeps it open.
func untilEOF(t *testing.T, addr, in string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("after %q: read %q, then %v (want EOF)", in, out, err)
	}
	return string(out)
}

// Redis 7 closes an unauthenticated client that declares more than 10
// arguments or a bulk over 16 KB (networking.c processMultibulkBuffer).
func TestUnauthenticatedLimits(t *testing.T) {
	addr, _ := testserver.Start(t, "--requirepass", "secret")
	const mbulk = "-ERR Protocol error: unauthenticated multibulk length\r\n"
	const bulk = "-ERR Protocol error: unauthenticated bulk length\r\n"
	for _, tt := range []struct{ in, want string }{
		{"*11\r\n", mbulk},
		{"*1\r\n$16385\r\n", bulk},
		{"*10\r\n$16385\r\n", bulk},
		{"PING\r\n*11\r\n", "-NOAUTH Authentication required.\r\n" + mbulk},
		{"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"}, // checked first, as in Redis
		// AUTH lifts the limits for the rest of the pipeline.
		{"*2\r\n$4\r\nAUTH\r\n$6\r\nwrong!\r\n*11\r\n", "-WRONGPASS invalid username-password pair or user is disabled.\r\n" + mbulk},
		{"AUTH secret\r\n*3\r\n$4\r\nECHO\r\n$16385\r\n" + strings.Repeat("x", 16385) + "\r\n$1\r\nx\r\n*1\r\n$4\r\nQUIT\r\n",
			"+OK\r\n-ERR wrong number of arguments for 'echo' command\r\n+OK\r\n"},
	} {
		if got := untilEOF(t, addr, tt.in); got != tt.want {
			t.Errorf("%.40q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	// Within the limits the client waits for the rest, as with Redis.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("*10\r\n$16384\r\n"))
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := c.Read(make([]byte, 64)); !isTimeout(err) {
		t.Fatalf("within the limits: read %d bytes, %v; want to wait", n, err)
	}
	// Authenticated clients have no such limit.
	rc := redis.NewClient(&redis.Options{Addr: addr, Password: "secret"})
	defer rc.Close()
	args := []any{"MSET"}
	for i := 0; i < 20; i++ {
		args = append(args, fmt.Sprint("k", i), strings.Repeat("v", 20000))
	}
	if err := rc.Do(context.Background(), args...).Err(); err != nil {
		t.Fatalf("authenticated MSET of 41 args: %v", err)
	}
}

// manyArgs is one ECHO request with n one-byte arguments (rejected for its
// arity once parsed, so the time is the parsing).
func manyArgs(n int) []byte {
	b := fmt.Appendf(nil, "*%d\r\n$4\r\nECHO\r\n", n)
	for i := 1; i < n; i++ {
		b = append(b, "$1\r\nx\r\n"...)
	}
	return b
}

// A request of a million arguments, arriving in the reads the kernel
// makes of it, costs ≤ 400 × the CPU time of one of ten thousand: parsing
// is linear, though memory-bound past the caches (~170 ×; re-parsing the
// partial request on every read is ~2,000 ×).
func TestManyArgsRequestIsLinear(t *testing.T) {
	addr, _ := testserver.Start(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	const want = "-ERR wrong number of arguments for 'echo' command\r\n"
	// CPU time of the process (server and this client), not wall time:
	// the machine is shared.
	best := func(req []byte, runs int) time.Duration {
		d := time.Duration(1 << 62)
		for range runs {
			start := processCPU(t)
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			if line, err := r.ReadString('\n'); line != want {
				t.Fatalf("reply %q, %v", line, err)
			}
			d = min(d, processCPU(t)-start)
		}
		return d
	}
	small, big := 10_000, 1_000_000
	smallBest := best(manyArgs(small), 10)
	bigBest := best(manyArgs(big), 3)
	ratio := float64(bigBest) / float64(smallBest)
	t.Logf("%d args: %v, %d args: %v: ratio %.0f (linear %d)", small, smallBest, big, bigBest, ratio, big/small)
	if ratio > 400 {
		t.Fatalf("%d args took %.0f × %d args", big, ratio, small)
	}
}

// The query buffer counts the partial request the parser holds: all of it
// toward client-query-buffer-limit (and tot-mem), and in CLIENT LIST qbuf
// what Redis's query buffer would still hold, the argument being received
// (Redis has moved the finished ones to argv).
func TestQueryBufferCountsPartialRequest(t *testing.T) {
	addr, _ := testserver.Start(t, "--client-query-buffer-limit", "1mb")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	part := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + strings.Repeat("v", 50000))
	c.Write(part)
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	want := " qbuf=50000 "
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, err := rc.ClientList(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(list, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CLIENT LIST lacks %q:\n%s", want, list)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Many small arguments past the limit close the client too.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	req := manyArgs(300_000) // 2.1 MB, never completed
	c2.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c2.Write(req[:len(req)-1])
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection still open past the query buffer limit (read: %v)", err)
	}
}

// A command that must wait (CLIENT PAUSE) after arriving in pieces runs
// intact once the pause ends, followed by the rest of its pipeline.
func TestPausedCommandSpanningReads(t *testing.T) {
	addr, _ := testserver.Start(t)
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	ctx := context.Background()
	if err := admin.Do(ctx, "CLIENT", "PAUSE", "300", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	val := strings.Repeat("abcdefgh", 8192) // 64 KB: a big bulk
	req := resp.AppendRequest(nil, "SET", "k", val)
	req = resp.AppendRequest(req, "GET", "k")
	cut := len(req) / 3
	c.Write(req[:cut])
	time.Sleep(50 * time.Millisecond)
	c.Write(req[cut:])
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if v, err := resp.ReadValue(r); err != nil || v.Str != "OK" {
		t.Fatalf("SET: %v %v", v, err)
	}
	if v, err := resp.ReadValue(r); err != nil || v.Str != val {
		t.Fatalf("GET: %d bytes, %v", len(v.Str), err)
	}
}

// processCPU is the user and system CPU time the process has used.
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
