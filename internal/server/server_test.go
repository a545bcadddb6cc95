package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/testserver"
)

func clients(t *testing.T, addr string) map[string]*redis.Client {
	out := map[string]*redis.Client{}
	for _, proto := range []int{3, 2} {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto})
		t.Cleanup(func() { c.Close() })
		out[fmt.Sprintf("resp%d", proto)] = c
	}
	return out
}

func TestGoRedisBasics(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	for name, c := range clients(t, addr) {
		t.Run(name, func(t *testing.T) {
			if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
				t.Fatalf("PING = %q, %v", v, err)
			}
			if err := c.Set(ctx, name+":k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := c.Get(ctx, name+":k").Result(); err != nil || v != "v" {
				t.Fatalf("GET = %q, %v", v, err)
			}
			if _, err := c.Get(ctx, name+":missing").Result(); err != redis.Nil {
				t.Fatalf("GET missing err = %v, want redis.Nil", err)
			}
			info, err := c.ClientInfo(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			want := 3
			if name == "resp2" {
				want = 2
			}
			if info.Resp != want {
				t.Fatalf("CLIENT INFO resp=%d, want %d (HELLO not negotiated)", info.Resp, want)
			}
			if err := c.Do(ctx, "CLIENT", "SETNAME", "n-"+name).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := c.Do(ctx, "CLIENT", "GETNAME").Text(); err != nil || v != "n-"+name {
				t.Fatalf("GETNAME = %q, %v", v, err)
			}
			s, err := c.Info(ctx, "server").Result()
			if err != nil || !strings.Contains(s, "redis_version:7.") || !strings.Contains(s, "redis_mode:standalone") {
				t.Fatalf("INFO server = %q, %v", s, err)
			}
			cfg, err := c.ConfigGet(ctx, "maxmemory").Result()
			if err != nil || cfg["maxmemory"] != "0" {
				t.Fatalf("CONFIG GET maxmemory = %v, %v", cfg, err)
			}
			list, err := c.ClientList(ctx).Result()
			if err != nil || !strings.Contains(list, "name=n-"+name) || !strings.Contains(list, "lib-name=go-redis") {
				t.Fatalf("CLIENT LIST = %q, %v", list, err)
			}
		})
	}
}

// Every goroutine's pipelined replies must be its own, in order.
func TestPipelinesDoNotInterleave(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	const goroutines, per = 100, 1000
	for _, proto := range []int{3, 2} {
		// A connection per goroutine, all at once (spread over the event
		// loops), and timeouts for a loaded machine under -race: what is
		// tested is whose replies come back, not how fast.
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, PoolSize: goroutines,
			ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, PoolTimeout: 60 * time.Second})
		t.Cleanup(func() { c.Close() })
		name := fmt.Sprintf("resp%d", proto)
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					pipe := c.Pipeline()
					gets := make([]*redis.StringCmd, per)
					for i := 0; i < per; i++ {
						key := fmt.Sprintf("%s:%d:%d", name, g, i)
						pipe.Set(ctx, key, key+"-v", 0)
						gets[i] = pipe.Get(ctx, key)
					}
					if _, err := pipe.Exec(ctx); err != nil {
						errs <- err
						return
					}
					for i, g2 := range gets {
						want := fmt.Sprintf("%s:%d:%d-v", name, g, i)
						if g2.Val() != want {
							errs <- fmt.Errorf("got %q, want %q", g2.Val(), want)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

// raw sends bytes and reads what comes back until the server closes or
// goes quiet.
func raw(t *testing.T, addr, in string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return string(out)
		}
	}
}

func TestInlineAndProtocolErrors(t *testing.T) {
	addr, _ := testserver.Start(t)
	if got := raw(t, addr, "PING\r\n"); got != "+PONG\r\n" {
		t.Fatalf("inline PING = %q", got)
	}
	if got := raw(t, addr, "set k \"a b\"\r\nget k\r\n"); got != "+OK\r\n$3\r\na b\r\n" {
		t.Fatalf("inline quoted = %q", got)
	}
	got := raw(t, addr, "*1\r\n$x\r\n")
	if got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Fatalf("malformed = %q", got)
	}
	// A client declaring a 4 GB bulk gets an error, not an allocation.
	got = raw(t, addr, "*2\r\n$3\r\nSET\r\n$4294967296\r\n")
	if !strings.HasPrefix(got, "-ERR Protocol error: invalid bulk length") {
		t.Fatalf("4GB bulk = %q", got)
	}
	// The server keeps serving others.
	if got := raw(t, addr, "PING\r\n"); got != "+PONG\r\n" {
		t.Fatalf("after errors PING = %q", got)
	}
}

// A value arriving in many small writes is assembled correctly.
func TestLargeValueInPieces(t *testing.T) {
	addr, _ := testserver.Start(t)
	val := strings.Repeat("0123456789", 1<<20) // 10 MB
	req := resp.AppendRequest(nil, "SET", "big", val)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < len(req); i += 7919 {
		end := min(i+7919, len(req))
		if _, err := c.Write(req[i:end]); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(c)
	if v, err := resp.ReadValue(r); err != nil || v.Str != "OK" {
		t.Fatalf("SET = %v, %v", v, err)
	}
	c.Write(resp.AppendRequest(nil, "GET", "big"))
	if v, err := resp.ReadValue(r); err != nil || v.Str != val {
		t.Fatalf("GET big: len %d, %v", len(v.Str), err)
	}
}

func TestRequirePass(t *testing.T) {
	addr, _ := testserver.Start(t, "--requirepass", "secret")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("PING without auth: %v", err)
	}
	c2 := redis.NewClient(&redis.Options{Addr: addr, Password: "secret"})
	defer c2.Close()
	if err := c2.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING with password: %v", err)
	}
	c3 := redis.NewClient(&redis.Options{Addr: addr, Password: "wrong", Protocol: 2})
	defer c3.Close()
	if err := c3.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("PING with a wrong password: %v", err)
	}
}

func TestMaxClients(t *testing.T) {
	addr, _ := testserver.Start(t, "--maxclients", "2")
	// Fill both places. The probe connection the test server's start-up
	// made may still be counted for a moment, so retry a rejected dial.
	for i := 0; i < 2; i++ {
		for try := 0; ; try++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			if line == "+PONG\r\n" {
				defer c.Close()
				break
			}
			c.Close()
			if try == 50 {
				t.Fatalf("client %d: %q", i, line)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := raw(t, addr, "PING\r\n"); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q", got)
	}
}

func TestClientKillAndIdleTimeout(t *testing.T) {
	addr, _ := testserver.Start(t, "--timeout", "1")
	ctx := context.Background()
	victim, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	victim.Write([]byte("CLIENT ID\r\n"))
	line, _ := bufio.NewReader(victim).ReadString('\n')
	id := strings.TrimSpace(strings.TrimPrefix(line, ":"))
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	n, err := c.Do(ctx, "CLIENT", "KILL", "ID", id).Int()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID = %d, %v", n, err)
	}
	victim.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := victim.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("killed client still open (read: %v)", err)
	}
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := idle.Read(make([]byte, 1)); err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("idle client not closed by timeout (err=%v after %v)", err, time.Since(start))
	}
}

func TestShutdownCommand(t *testing.T) {
	addr, srv := testserver.Start(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	_ = c.Do(context.Background(), "SHUTDOWN", "NOSAVE").Err()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after SHUTDOWN")
	}
}

func TestMonitor(t *testing.T) {
	addr, _ := testserver.Start(t)
	m, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := bufio.NewReader(m)
	m.Write([]byte("MONITOR\r\n"))
	if l, _ := r.ReadString('\n'); l != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", l)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	c.Set(context.Background(), "mk", "a\nb", 0)
	m.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal("no MONITOR line for SET")
		}
		if strings.Contains(l, `"set" "mk" "a\nb"`) {
			return
		}
	}
}

// MONITOR shows commands in Redis's order: a transaction's commands before
// its EXEC, an aborted EXEC too; a script before its commands, which show
// as [db lua].
func TestMonitorOrder(t *testing.T) {
	addr, _ := testserver.Start(t)
	m, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := bufio.NewReader(m)
	m.Write([]byte("MONITOR\r\n"))
	if l, _ := r.ReadString('\n'); l != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", l)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cr := bufio.NewReader(c)
	for _, cmd := range []string{"MULTI", "SET foo bar", "EXEC", "MULTI", "NOSUCH", "EXEC", `EVAL "redis.call('set', KEYS[1], ARGV[1])" 1 k v`} {
		c.Write([]byte(cmd + "\r\n"))
		l, _ := cr.ReadString('\n')
		if strings.HasPrefix(l, "*") { // EXEC's one reply
			cr.ReadString('\n')
		}
	}
	want := []string{`"multi"`, `"set" "foo" "bar"`, `"exec"`, `"multi"`, `"exec"`, `"EVAL"`, `lua] "set" "k" "v"`}
	m.SetReadDeadline(time.Now().Add(2 * time.Second))
	for _, w := range want {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no MONITOR line for %s", w)
		}
		if !strings.Contains(strings.ToLower(l), strings.ToLower(w)) {
			t.Fatalf("MONITOR line %q, want one with %s", l, w)
		}
	}
}

func TestRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	addr, _ := testserver.Start(t)
	_, port, _ := net.SplitHostPort(addr)
	run := func(args ...string) string {
		out, err := exec.Command(cli, append([]string{"-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("ping"); got != "PONG" {
		t.Fatalf("ping = %q", got)
	}
	if got := run("set", "k", "v"); got != "OK" {
		t.Fatalf("set = %q", got)
	}
	if got := run("get", "k"); got != "v" {
		t.Fatalf("get = %q", got)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// Redis's default bind ("* -::*") serves IPv4 and, where the host has it,
// IPv6: clients that resolve localhost to ::1 first must connect.
func TestBindIPv4AndIPv6(t *testing.T) {
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback on this host")
	} else {
		l.Close()
	}
	addr, _ := testserver.Start(t, "--bind", "127.0.0.1", "-::1")
	_, port, _ := net.SplitHostPort(addr)
	for _, host := range []string{"127.0.0.1", "::1"} {
		if got := raw(t, net.JoinHostPort(host, port), "PING\r\n"); got != "+PONG\r\n" {
			t.Errorf("PING over %s = %q", host, got)
		}
	}
}

// CONFIG SET port and bind listen again, as Redis: the new address takes
// connections and the old one none; an address that cannot be bound is
// refused with Redis's error and the old listeners stay.
func TestConfigSetPortRebinds(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	free, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	if err := c.ConfigSet(ctx, "port", strconv.Itoa(port)).Err(); err != nil {
		t.Fatal(err)
	}
	moved := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer moved.Close()
	if v, err := moved.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET on the new port: %q %v", v, err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("the old port still takes connections")
	}
	// The connection made before the change stays.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("old connection: %v", err)
	}
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = moved.ConfigSet(ctx, "port", strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)).Err()
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port" {
		t.Fatalf("busy port: %v", err)
	}
	err = moved.ConfigSet(ctx, "bind", "192.0.2.1").Err()
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses." {
		t.Fatalf("unbindable address: %v", err)
	}
	fresh := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer fresh.Close()
	if err := fresh.Ping(ctx).Err(); err != nil {
		t.Fatalf("after refused changes the listener is gone: %v", err)
	}
	if p, _ := fresh.ConfigGet(ctx, "port").Result(); p["port"] != strconv.Itoa(port) {
		t.Fatalf("port after a refused change: %v", p)
	}
}
