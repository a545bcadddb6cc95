package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

func TestClientPause(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	c.Set(ctx, "k", "v", 0)
	if err := admin.Do(ctx, "CLIENT", "PAUSE", "1000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET during a WRITE pause = %q, %v", v, err)
	}
	if d := time.Since(start); d > 600*time.Millisecond {
		t.Fatalf("GET waited %v during a WRITE pause", d)
	}
	if err := c.Set(ctx, "k", "w", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("SET ran after %v, inside the 1s pause", d)
	}
	// UNPAUSE lifts an ALL pause at once.
	admin.Do(ctx, "CLIENT", "PAUSE", "5000", "ALL")
	go func() {
		time.Sleep(100 * time.Millisecond)
		admin.Do(ctx, "CLIENT", "UNPAUSE")
	}()
	start = time.Now()
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "w" {
		t.Fatalf("GET after unpause = %q, %v", v, err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Fatalf("GET under ALL pause + UNPAUSE took %v", d)
	}
}

func TestClientReply(t *testing.T) {
	addr, _ := testserver.Start(t)
	got := raw(t, addr, "CLIENT REPLY OFF\r\nSET a 1\r\nCLIENT REPLY ON\r\nGET a\r\n"+
		"CLIENT REPLY SKIP\r\nGET a\r\nPING\r\n")
	if got != "+OK\r\n$1\r\n1\r\n+PONG\r\n" {
		t.Fatalf("CLIENT REPLY sequence = %q", got)
	}
}

func TestSlowlogAndStats(t *testing.T) {
	addr, _ := testserver.Start(t, "--slowlog-log-slower-than", "0")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	c.Do(ctx, "SLOWLOG", "RESET")
	c.Set(ctx, "slow", "v", 0)
	c.Do(ctx, "GET")       // arity error
	c.Do(ctx, "NOSUCHCMD") // unknown command
	entries, err := c.SlowLogGet(ctx, 10).Result()
	if err != nil || len(entries) == 0 {
		t.Fatalf("SLOWLOG GET = %v, %v", entries, err)
	}
	found := false
	for _, e := range entries {
		if strings.Join(e.Args, " ") == "set slow v" {
			found = true
		}
	}
	if !found {
		t.Fatalf("SET not in slowlog: %+v", entries)
	}
	info, err := c.Info(ctx, "commandstats", "errorstats", "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cmdstat_set:calls=1,", "errorstat_ERR:count=2", "total_commands_processed:", "cmdstat_get:calls=0,"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q:\n%s", want, info)
		}
	}
	if err := c.Do(ctx, "CONFIG", "RESETSTAT").Err(); err != nil {
		t.Fatal(err)
	}
	info, _ = c.Info(ctx, "errorstats").Result()
	if strings.Contains(info, "errorstat_ERR") {
		t.Fatalf("errorstats survive CONFIG RESETSTAT: %s", info)
	}
}

func TestConfigSetAndRewrite(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(conf, []byte("# my settings\nmaxmemory 1mb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := testserver.StartWithFile(t, conf)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if v, _ := c.ConfigGet(ctx, "maxmemory").Result(); v["maxmemory"] != "1048576" {
		t.Fatalf("maxmemory from file = %v", v)
	}
	if err := c.ConfigSet(ctx, "maxmemory", "2mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "maxmemory", "lots").Err(); err == nil {
		t.Fatal("CONFIG SET accepted an invalid memory value")
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(conf)
	if !strings.Contains(string(data), "# my settings") || !strings.Contains(string(data), "maxmemory 2mb") {
		t.Fatalf("rewritten file:\n%s", data)
	}
}

// A client that sends a partial command and then a whole one keeps its
// order, and other clients are not blocked meanwhile.
func TestPartialCommandDoesNotBlockOthers(t *testing.T) {
	addr, _ := testserver.Start(t)
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$5\r\nhel"))
	if got := raw(t, addr, "PING\r\n"); got != "+PONG\r\n" {
		t.Fatalf("other client got %q", got)
	}
	slow.Write([]byte("lo\r\nGET x\r\n"))
	r := bufio.NewReader(slow)
	l1, _ := r.ReadString('\n')
	l2, _ := r.ReadString('\n')
	l3, _ := r.ReadString('\n')
	if l1+l2+l3 != "+OK\r\n$5\r\nhello\r\n" {
		t.Fatalf("slow client got %q", l1+l2+l3)
	}
}

// A client whose unexecuted input passes client-query-buffer-limit is
// closed; others are not affected.
func TestQueryBufferLimit(t *testing.T) {
	addr, _ := testserver.Start(t, "--client-query-buffer-limit", "1mb")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A 3 MB bulk is within proto-max-bulk-len but cannot be buffered.
	c.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n"))
	chunk := make([]byte, 64<<10)
	closed := false
	for i := 0; i < 40 && !closed; i++ {
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write(chunk); err != nil {
			closed = true
		}
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection still open past the query buffer limit (read: %v)", err)
	}
	if got := raw(t, addr, "PING\r\n"); got != "+PONG\r\n" {
		t.Fatalf("other client got %q", got)
	}
}

func TestResetCommand(t *testing.T) {
	addr, _ := testserver.Start(t)
	got := raw(t, addr, "HELLO 3\r\nSELECT 2\r\nCLIENT SETNAME before\r\nCLIENT REPLY SKIP\r\nPING\r\nRESET\r\nCLIENT INFO\r\n")
	i := strings.Index(got, "+RESET\r\n")
	if i < 0 {
		t.Fatalf("no +RESET in %q", got)
	}
	info := got[i:]
	for _, want := range []string{" db=0 ", " name= ", " resp=2"} {
		if !strings.Contains(info, want) {
			t.Errorf("CLIENT INFO after RESET lacks %q: %q", want, info)
		}
	}
	if strings.Contains(got, "+PONG") {
		t.Error("CLIENT REPLY SKIP did not skip PING's reply")
	}
}

func TestHelloAuthAndSetname(t *testing.T) {
	addr, _ := testserver.Start(t, "--requirepass", "pw")
	got := raw(t, addr, "HELLO 3 AUTH default wrong\r\nHELLO 3 AUTH default pw SETNAME app\r\nCLIENT GETNAME\r\n")
	if !strings.HasPrefix(got, "-WRONGPASS") {
		t.Fatalf("wrong password: %q", got)
	}
	if !strings.Contains(got, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n") || !strings.HasSuffix(got, "$3\r\napp\r\n") {
		t.Fatalf("HELLO 3 AUTH … SETNAME: %q", got)
	}
}

func TestDebugSleepAndTime(t *testing.T) {
	addr, _ := testserver.Start(t)
	start := time.Now()
	if got := raw(t, addr, "DEBUG SLEEP 0.2\r\n"); got != "+OK\r\n" {
		t.Fatalf("DEBUG SLEEP = %q", got)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("DEBUG SLEEP 0.2 returned after %v", d)
	}
	got := raw(t, addr, "TIME\r\n")
	var sec int64
	if _, err := fmt.Sscanf(got, "*2\r\n$%d\r\n%d\r\n", new(int), &sec); err != nil || sec < time.Now().Unix()-5 {
		t.Fatalf("TIME = %q (%v)", got, err)
	}
}
