package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// Redis 7.0.15's protected-mode reply, copied from its networking.c
// (typo "a an" included) rather than from our constant, so a slip in
// either shows.
const denied = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

const debugRefused = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`

// remote is a source address Redis 7.0 does not count as local: it trusts
// exactly 127.0.0.1 and ::1, so 127.0.0.2 (still on the loopback
// interface, hence usable in a test) stands in for a remote peer.
var remote = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}

// session sends in from src and reads until it has as many bytes as want
// (the reply the caller expects), the server closes, or 5 s pass; closed
// reports whether the server closed the connection right after.
func session(t *testing.T, src *net.TCPAddr, addr, in, want string) (out string, closed bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		if src != nil {
			t.Skipf("cannot dial from %v: %v", src, err)
		}
		t.Fatal(err)
	}
	defer c.Close()
	if in != "" {
		_, _ = c.Write([]byte(in))
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < len(want) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return string(got), !isTimeout(err)
		}
	}
	// The server closes (if it does) as it writes the last reply.
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(buf)
	got = append(got, buf[:n]...)
	return string(got), err != nil && !isTimeout(err)
}

func infoField(t *testing.T, c *redis.Client, field string) string {
	t.Helper()
	s, err := c.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO stats has no %s:\n%s", field, s)
	return ""
}

func TestProtectedModeDeniesNonLocalClients(t *testing.T) {
	// testserver binds 127.0.0.1 explicitly: Redis 7.0 applies protected
	// mode whatever bind says (checked against redis-server 7.0.15).
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	local := redis.NewClient(&redis.Options{Addr: addr})
	defer local.Close()
	if err := local.Do(ctx, "CONFIG", "RESETSTAT").Err(); err != nil {
		t.Fatal(err)
	}
	received := infoField(t, local, "total_connections_received")

	out, closed := session(t, remote, addr, "", denied)
	if out != denied || !closed {
		t.Fatalf("non-local client got %q (closed %v), want DENIED and close", out, closed)
	}
	// Whatever it sends is never run.
	session(t, remote, addr, "SET intruder 1\r\nCONFIG SET maxmemory 1\r\n", denied)
	if n, err := local.Exists(ctx, "intruder").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS intruder = %d, %v: a denied client's SET ran", n, err)
	}
	if got := infoField(t, local, "rejected_connections"); got != "2" {
		t.Errorf("rejected_connections = %s, want 2", got)
	}
	if got := infoField(t, local, "total_connections_received"); got != received {
		t.Errorf("total_connections_received = %s, was %s: denied connections are not received", got, received)
	}

	// 127.0.0.1 is served.
	if out, _ := session(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, addr, "PING\r\n", "+PONG\r\n"); out != "+PONG\r\n" {
		t.Fatalf("127.0.0.1 got %q", out)
	}

	// CONFIG SET protected-mode applies to the next connection.
	if err := local.ConfigSet(ctx, "protected-mode", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if out, closed := session(t, remote, addr, "PING\r\n", "+PONG\r\n"); out != "+PONG\r\n" || closed {
		t.Fatalf("with protected-mode no, non-local client got %q (closed %v)", out, closed)
	}
	if err := local.ConfigSet(ctx, "protected-mode", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if out, _ := session(t, remote, addr, "", denied); out != denied {
		t.Fatalf("protected-mode yes again: got %q", out)
	}

	// A password turns protected mode off: the client must authenticate.
	if err := local.ConfigSet(ctx, "requirepass", "pw").Err(); err != nil {
		t.Fatal(err)
	}
	want := "-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n"
	if out, _ = session(t, remote, addr, "PING\r\nAUTH pw\r\nPING\r\n", want); out != want {
		t.Fatalf("with requirepass, non-local client got %q, want %q", out, want)
	}
}

// The same non-local connection gets the same bytes from redis-server,
// which, like ours, was started with an explicit --bind 127.0.0.1: in Redis
// 7.0 bind does not switch protected mode off.
func TestProtectedModeMatchesRedis(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	oursAddr, _ := testserver.Start(t)
	theirs, closedTheirs := session(t, remote, redisAddr, "", denied)
	ours, closedOurs := session(t, remote, oursAddr, "", denied)
	if theirs != denied || !closedTheirs {
		t.Fatalf("redis-server sent %q (closed %v): the expected text is stale", theirs, closedTheirs)
	}
	if ours != theirs || closedOurs != closedTheirs {
		t.Fatalf("ours %q (closed %v), redis %q", ours, closedOurs, theirs)
	}
}

func TestEnableDebugCommand(t *testing.T) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	refused := "-" + debugRefused + "\r\n"
	tests := []struct {
		setting       string
		local, remote string // replies to DEBUG SLEEP 0 from 127.0.0.1 and 127.0.0.2
	}{
		{"no", refused, refused},
		{"local", "+OK\r\n", refused},
		{"yes", "+OK\r\n", "+OK\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.setting, func(t *testing.T) {
			addr, _ := testserver.Start(t, "--enable-debug-command", tt.setting, "--protected-mode", "no")
			if out, _ := session(t, local, addr, "DEBUG SLEEP 0\r\n", tt.local); out != tt.local {
				t.Errorf("local DEBUG SLEEP 0 = %q, want %q", out, tt.local)
			}
			if out, _ := session(t, remote, addr, "DEBUG SLEEP 0\r\n", tt.remote); out != tt.remote {
				t.Errorf("non-local DEBUG SLEEP 0 = %q, want %q", out, tt.remote)
			}
		})
	}

	// Redis's default is "no"; arity is checked first, authentication after.
	addr, _ := testserver.Start(t, "--enable-debug-command", "no", "--requirepass", "pw")
	want := "-ERR wrong number of arguments for 'debug' command\r\n" + refused + "+OK\r\n" + refused
	if out, _ := session(t, local, addr, "DEBUG\r\nDEBUG HELP\r\nAUTH pw\r\nDEBUG SET-ACTIVE-EXPIRE 0\r\n", want); out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Password: "pw"})
	defer c.Close()
	if v, err := c.ConfigGet(context.Background(), "enable-debug-command").Result(); err != nil || v["enable-debug-command"] != "no" {
		t.Errorf("CONFIG GET enable-debug-command = %v, %v", v, err)
	}
	stats, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil || !strings.Contains(stats, "cmdstat_debug:calls=0,") || !strings.Contains(stats, "rejected_calls=3,") {
		t.Errorf("refused DEBUG must count as rejected calls, not calls:\n%s %v", stats, err)
	}
}

func TestEnableProtectedConfigsLocal(t *testing.T) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	const refused = "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n"
	set := "CONFIG SET dbfilename other.rdb\r\n"
	addr, _ := testserver.Start(t, "--enable-protected-configs", "local", "--protected-mode", "no")
	if out, _ := session(t, remote, addr, set, refused); out != refused {
		t.Errorf("non-local CONFIG SET dbfilename = %q, want %q", out, refused)
	}
	if out, _ := session(t, local, addr, set, "+OK\r\n"); out != "+OK\r\n" {
		t.Errorf("local CONFIG SET dbfilename = %q", out)
	}
	addr, _ = testserver.Start(t)
	if out, _ := session(t, local, addr, set, refused); out != refused {
		t.Errorf("by default, local CONFIG SET dbfilename = %q, want %q", out, refused)
	}
}

func TestShutdownArguments(t *testing.T) {
	addr, _ := testserver.Start(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	for _, tt := range []struct {
		args []any
		want string
	}{
		{[]any{"NOSAVE", "SAVE"}, "ERR syntax error"},
		{[]any{"save", "nosave"}, "ERR syntax error"},
		{[]any{"now", "now", "nosave", "save"}, "ERR syntax error"},
		{[]any{"ABORT", "NOW"}, "ERR syntax error"},
		{[]any{"force", "abort"}, "ERR syntax error"},
		{[]any{"save", "abort"}, "ERR syntax error"},
		{[]any{"abort", "bogus"}, "ERR syntax error"},
		{[]any{"nosave", "bogus"}, "ERR syntax error"},
		{[]any{"ABORT"}, "ERR No shutdown in progress."},
		{[]any{"abort", "abort"}, "ERR No shutdown in progress."},
		// (SHUTDOWN SAVE that cannot save: TestPersistErrors.)
	} {
		err := c.Do(ctx, append([]any{"SHUTDOWN"}, tt.args...)...).Err()
		if err == nil || err.Error() != tt.want {
			t.Errorf("SHUTDOWN %v = %v, want %s", tt.args, err, tt.want)
		}
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("server gone after SHUTDOWN %v: %v", tt.args, err)
		}
	}
}

// syncBuffer is a log destination the server's goroutines and the test
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFailedAuthIsCountedAndLogged(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	addr, _ := testserver.StartWithLogger(t, log, "--requirepass", "secret")
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr, Password: "secret"})
	defer admin.Close()
	if got := infoField(t, admin, "acl_access_denied_auth"); got != "0" {
		t.Fatalf("acl_access_denied_auth = %s before any failure", got)
	}

	d := net.Dialer{}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := conn.LocalAddr().String()
	// Five failures at once: wrong passwords, an unknown user, HELLO AUTH.
	_, _ = conn.Write([]byte("AUTH guess1\r\nAUTH guess2\r\nAUTH nobody guess3\r\n" +
		"HELLO 3 AUTH default guess4\r\nHELLO 2 AUTH default guess5\r\nAUTH secret\r\n"))
	buf := make([]byte, 4096)
	var got []byte
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for !bytes.HasSuffix(got, []byte("+OK\r\n")) {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("read: %v after %q", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if n := bytes.Count(got, []byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n")); n != 5 {
		t.Fatalf("%d WRONGPASS replies in %q", n, got)
	}
	if v := infoField(t, admin, "acl_access_denied_auth"); v != "5" {
		t.Errorf("acl_access_denied_auth = %s, want 5", v)
	}
	for _, f := range []string{"acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel"} {
		if v := infoField(t, admin, f); v != "0" {
			t.Errorf("%s = %s, want 0", f, v)
		}
	}

	// One warning for the burst (the rate limit holds back the rest), with
	// the client's address and never a password.
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "authentication failed") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one log line for the burst, got %d:\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "client="+client) ||
		!strings.Contains(lines[0], "user=default") {
		t.Errorf("log line %q lacks level=WARN, client=%s or user=default", lines[0], client)
	}
	if strings.Contains(logs.String(), "guess") || strings.Contains(logs.String(), "secret") {
		t.Errorf("a password reached the log:\n%s", logs.String())
	}

	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if v := infoField(t, admin, "acl_access_denied_auth"); v != "0" {
		t.Errorf("after CONFIG RESETSTAT acl_access_denied_auth = %s", v)
	}
}
