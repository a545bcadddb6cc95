package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/server"
	"github.com/smallredis/smallredis/internal/testcerts"
	"github.com/smallredis/smallredis/internal/testserver"
)

func tlsClient(t *testing.T, addr string, cfg *tls.Config, proto int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, Protocol: proto,
		MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// go-redis over TLS with a client certificate (tls-auth-clients yes, the
// default), RESP3 and RESP2, next to a plain port that keeps working.
func TestTLSGoRedis(t *testing.T) {
	certs := testcerts.Make(t)
	tlsAddr, plainAddr, _ := testserver.StartTLS(t, true, certs.ServerArgs()...)
	ctx := context.Background()
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			c := tlsClient(t, tlsAddr, certs.ClientConfig(t, true), proto)
			key := fmt.Sprintf("tls:%d", proto)
			if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := c.Get(ctx, key).Result(); err != nil || v != "v" {
				t.Fatalf("GET = %q, %v", v, err)
			}
			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range 200 {
					p.Set(ctx, fmt.Sprintf("%s:%d", key, i), i, 0)
					p.Get(ctx, fmt.Sprintf("%s:%d", key, i))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 200 {
				if v := cmds[2*i+1].(*redis.StringCmd).Val(); v != strconv.Itoa(i) {
					t.Fatalf("pipelined GET %d = %q", i, v)
				}
			}
			hello, err := c.Do(ctx, "HELLO", strconv.Itoa(proto)).Result()
			if err != nil {
				t.Fatal(err)
			}
			if proto == 3 {
				if m, ok := hello.(map[any]any); !ok || m["proto"] != int64(3) {
					t.Fatalf("HELLO 3 over TLS = %#v", hello)
				}
			}
			info, err := c.ClientInfo(ctx).Result()
			if err != nil || info.Resp != proto {
				t.Fatalf("CLIENT INFO = %+v, %v", info, err)
			}
			if info.LAddr != tlsAddr {
				t.Fatalf("CLIENT INFO laddr=%s, want the TLS address %s", info.LAddr, tlsAddr)
			}
		})
	}
	// The same keyspace on the plain port, which sees the TLS clients.
	plain := redis.NewClient(&redis.Options{Addr: plainAddr})
	defer plain.Close()
	if v, err := plain.Get(ctx, "tls:3").Result(); err != nil || v != "v" {
		t.Fatalf("plain GET of a key set over TLS = %q, %v", v, err)
	}
	tc := tlsClient(t, tlsAddr, certs.ClientConfig(t, true), 2)
	if err := tc.Do(ctx, "CLIENT", "SETNAME", "over-tls").Err(); err != nil {
		t.Fatal(err)
	}
	list, err := plain.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, "name=over-tls") {
			line = l
		}
	}
	if !strings.Contains(line, " laddr="+tlsAddr+" ") || !strings.Contains(line, " addr=127.0.0.1:") {
		t.Fatalf("CLIENT LIST line of a TLS client = %q (want laddr=%s)", line, tlsAddr)
	}
}

// tls-auth-clients: yes requires a certificate from the CA, optional checks
// one only when given, no never asks.
func TestTLSClientAuth(t *testing.T) {
	certs := testcerts.Make(t)
	rogue, err := tls.LoadX509KeyPair(certs.RogueClientCert, certs.RogueClient)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode                 string
		none, valid, untrust bool // accepted?
	}{
		{"yes", false, true, false},
		{"optional", true, true, false},
		{"no", true, true, true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			addr, _, _ := testserver.StartTLS(t, false, append(certs.ServerArgs(), "--tls-auth-clients", tc.mode)...)
			// Send it even though the server's request names only its own
			// CA, which makes crypto/tls clients withhold other certificates.
			withRogue := certs.ClientConfig(t, false)
			withRogue.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				return &rogue, nil
			}
			for _, c := range []struct {
				name string
				cfg  *tls.Config
				ok   bool
			}{
				{"no certificate", certs.ClientConfig(t, false), tc.none},
				{"CA-signed certificate", certs.ClientConfig(t, true), tc.valid},
				{"untrusted certificate", withRogue, tc.untrust},
			} {
				err := tlsClient(t, addr, c.cfg, 2).Ping(context.Background()).Err()
				if (err == nil) != c.ok {
					t.Errorf("%s: PING err = %v, want accepted=%v", c.name, err, c.ok)
				}
			}
		})
	}
}

// A client speaking plaintext to the TLS port is closed, never served.
func TestTLSPortRefusesPlaintext(t *testing.T) {
	certs := testcerts.Make(t)
	addr, _, _ := testserver.StartTLS(t, false, append(certs.ServerArgs(), "--tls-auth-clients", "no")...)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("PING\r\n"))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(nc)
	if strings.Contains(string(got), "PONG") || isTimeout(err) {
		t.Fatalf("plaintext client got %q, err %v; want the connection closed", got, err)
	}
}

func TestTLSRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	if help, _ := exec.Command(cli, "--help").CombinedOutput(); !strings.Contains(string(help), "--tls") {
		t.Skip("this redis-cli is built without TLS (no --tls in redis-cli --help)")
	}
	certs := testcerts.Make(t)
	addr, _, _ := testserver.StartTLS(t, false, certs.ServerArgs()...)
	_, port, _ := net.SplitHostPort(addr)
	run := func(args ...string) string {
		all := append([]string{"--tls", "--cert", certs.ClientCert, "--key", certs.ClientKey,
			"--cacert", certs.CA, "-h", "127.0.0.1", "-p", port}, args...)
		out, err := exec.Command(cli, all...).CombinedOutput()
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
	if got := run("config", "get", "tls-port"); got != "tls-port\n"+port {
		t.Fatalf("config get tls-port = %q", got)
	}
	if got := run("info", "server"); !strings.Contains(got, "tcp_port:0") {
		t.Fatalf("port 0 (TLS only): INFO server lacks tcp_port:0: %q", got)
	}
}

// CLIENT KILL, MONITOR, CLIENT PAUSE and QUIT work on TLS connections as
// on plain ones: they share the connection code.
func TestTLSClientFeatures(t *testing.T) {
	certs := testcerts.Make(t)
	tlsAddr, plainAddr, _ := testserver.StartTLS(t, true, append(certs.ServerArgs(), "--tls-auth-clients", "no")...)
	ctx := context.Background()
	plain := redis.NewClient(&redis.Options{Addr: plainAddr})
	defer plain.Close()
	dial := func() (*tls.Conn, *bufio.Reader) {
		c, err := tls.Dial("tcp", tlsAddr, certs.ClientConfig(t, false))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	send := func(c *tls.Conn, r *bufio.Reader, cmd string) string {
		t.Helper()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
			t.Fatal(err)
		}
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return l
	}

	t.Run("monitor", func(t *testing.T) {
		m, r := dial()
		if l := send(m, r, "MONITOR"); l != "+OK\r\n" {
			t.Fatalf("MONITOR = %q", l)
		}
		plain.Set(ctx, "mk", "x", 0)
		m.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatal("no MONITOR line over TLS for SET")
			}
			if strings.Contains(l, `"set" "mk" "x"`) {
				break
			}
		}
	})
	t.Run("kill", func(t *testing.T) {
		v, r := dial()
		id := strings.TrimSpace(strings.TrimPrefix(send(v, r, "CLIENT ID"), ":"))
		if n, err := plain.Do(ctx, "CLIENT", "KILL", "ID", id).Int(); err != nil || n != 1 {
			t.Fatalf("CLIENT KILL ID %s = %d, %v", id, n, err)
		}
		v.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := r.ReadByte(); err == nil || isTimeout(err) {
			t.Fatalf("killed TLS client still open (read: %v)", err)
		}
	})
	t.Run("pause", func(t *testing.T) {
		c, r := dial()
		if err := plain.Do(ctx, "CLIENT", "PAUSE", "500", "WRITE").Err(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if l := send(c, r, "SET pk 1"); l != "+OK\r\n" {
			t.Fatalf("SET = %q", l)
		}
		if d := time.Since(start); d < 400*time.Millisecond {
			t.Fatalf("SET over TLS ran after %v, inside a 500ms pause", d)
		}
	})
	t.Run("quit", func(t *testing.T) {
		c, r := dial()
		if l := send(c, r, "QUIT"); l != "+OK\r\n" {
			t.Fatalf("QUIT = %q", l)
		}
		if _, err := r.ReadByte(); err != io.EOF {
			t.Fatalf("after QUIT: %v, want EOF", err)
		}
	})
}

// The TLS client counts against maxclients like any other.
func TestTLSMaxClients(t *testing.T) {
	certs := testcerts.Make(t)
	tlsAddr, _, _ := testserver.StartTLS(t, false, append(certs.ServerArgs(), "--tls-auth-clients", "no", "--maxclients", "1")...)
	first := tlsClient(t, tlsAddr, certs.ClientConfig(t, false), 2)
	if err := first.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	// Read without writing: the server writes the error and closes.
	second, err := tls.Dial("tcp", tlsAddr, certs.ClientConfig(t, false))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, _ := io.ReadAll(second); string(got) != "-ERR max number of clients reached\r\n" {
		t.Fatalf("second client got %q", got)
	}
}

// CONFIG SET of tls-* directives rebuilds the TLS context, refusing what
// cannot be honoured (as Redis does) and applying the rest to new
// connections.
func TestTLSConfigSet(t *testing.T) {
	certs := testcerts.Make(t)
	tlsAddr, plainAddr, _ := testserver.StartTLS(t, true, certs.ServerArgs()...)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: plainAddr, Protocol: 2})
	defer c.Close()
	for _, tc := range []struct{ name, value, want string }{
		{"tls-cert-file", "/no/such.crt", "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs."},
		{"tls-protocols", "TLSv9", "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs."},
		{"tls-ciphersuites", "bogus", "ERR CONFIG SET failed (possibly related to argument 'tls-ciphersuites') - Unable to update TLS configuration. Check server logs."},
		{"tls-port", "1", "ERR CONFIG SET failed (possibly related to argument 'tls-port') - can't set immutable config"},
	} {
		before, _ := c.ConfigGet(ctx, tc.name).Result()
		if err := c.ConfigSet(ctx, tc.name, tc.value).Err(); err == nil || err.Error() != tc.want {
			t.Errorf("CONFIG SET %s %s: %v, want %q", tc.name, tc.value, err, tc.want)
		}
		if after, _ := c.ConfigGet(ctx, tc.name).Result(); after[tc.name] != before[tc.name] {
			t.Errorf("refused CONFIG SET %s left %q (was %q)", tc.name, after[tc.name], before[tc.name])
		}
	}
	noCert := certs.ClientConfig(t, false)
	if err := tlsClient(t, tlsAddr, noCert, 2).Ping(ctx).Err(); err == nil {
		t.Fatal("no client certificate accepted with tls-auth-clients yes")
	}
	if err := c.ConfigSet(ctx, "tls-auth-clients", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := tlsClient(t, tlsAddr, noCert, 2).Ping(ctx).Err(); err != nil {
		t.Fatalf("after CONFIG SET tls-auth-clients no: %v", err)
	}
	// TLS 1.2 only: a TLS 1.3-only client is refused from now on.
	if err := c.ConfigSet(ctx, "tls-protocols", "TLSv1.2").Err(); err != nil {
		t.Fatal(err)
	}
	only13 := certs.ClientConfig(t, false)
	only13.MinVersion = tls.VersionTLS13
	if err := tlsClient(t, tlsAddr, only13, 2).Ping(ctx).Err(); err == nil {
		t.Fatal("TLS 1.3 client accepted with tls-protocols TLSv1.2")
	}
}

// tls-session-caching and tls-session-cache-timeout govern resumption.
func TestTLSSessionResumption(t *testing.T) {
	certs := testcerts.Make(t)
	for _, tc := range []struct {
		args   []string
		resume bool
	}{
		{nil, true},
		{[]string{"--tls-session-caching", "no"}, false},
		{[]string{"--tls-session-cache-timeout", "0"}, false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append(certs.ServerArgs(), "--tls-auth-clients", "no")
			addr, _, _ := testserver.StartTLS(t, false, append(args, tc.args...)...)
			cfg := certs.ClientConfig(t, false)
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			var resumed bool
			for range 2 {
				c, err := tls.Dial("tcp", addr, cfg)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("PING\r\n")) // reading the reply also reads the session ticket
				if l, err := bufio.NewReader(c).ReadString('\n'); l != "+PONG\r\n" {
					t.Fatalf("PING = %q, %v", l, err)
				}
				resumed = c.ConnectionState().DidResume
				c.Close()
			}
			if resumed != tc.resume {
				t.Fatalf("second connection resumed=%v, want %v", resumed, tc.resume)
			}
		})
	}
}

// A TLS directive that cannot be honoured stops Run before anything
// listens; it never falls back to plaintext.
func TestTLSStartupErrors(t *testing.T) {
	certs := testcerts.Make(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing key file", []string{"--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.Dir + "/nope.key",
			"--tls-ca-cert-file", certs.CA}, "Failed to load private key: " + certs.Dir + "/nope.key: No such file or directory"},
		{"missing cert file", []string{"--tls-cert-file", certs.Dir + "/nope.crt", "--tls-key-file", certs.ServerKey,
			"--tls-ca-cert-file", certs.CA}, "Failed to load certificate: " + certs.Dir + "/nope.crt"},
		{"key of another certificate", []string{"--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ClientKey,
			"--tls-ca-cert-file", certs.CA}, "private key does not match public key"},
		{"no key file", []string{"--tls-cert-file", certs.ServerCert, "--tls-ca-cert-file", certs.CA}, "No tls-key-file configured!"},
		{"no CA with client auth", []string{"--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey},
			"Either tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{"bad protocols", append(certs.ServerArgs(), "--tls-protocols", "SSLv3"), "Invalid tls-protocols specified"},
		{"protocol gap", append(certs.ServerArgs(), "--tls-protocols", "TLSv1.1 TLSv1.3"), "leaves a gap"},
		{"bad ciphers", append(certs.ServerArgs(), "--tls-ciphers", "nonsense"), "Failed to configure ciphers: nonsense"},
		{"CA file of garbage", []string{"--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey,
			"--tls-ca-cert-file", certs.ServerKey}, "Failed to configure CA certificate(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := testserver.FreePort(t)
			args := append([]string{"--port", "0", "--bind", "127.0.0.1", "--tls-port", strconv.Itoa(port)}, tc.args...)
			cfg, err := config.Parse(args)
			if err != nil {
				t.Fatal(err)
			}
			srv := server.New(cfg, slog.New(slog.DiscardHandler))
			done := make(chan error, 1)
			go func() { done <- srv.Run() }()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				srv.Shutdown()
				t.Fatal("Run started serving")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Failed to configure TLS") {
				t.Fatalf("Run = %v, want an error with %q", err, tc.want)
			}
			if nc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				nc.Close()
				t.Fatal("the TLS port accepts connections after a failed start")
			}
		})
	}
}

func TestNoListenerIsAnError(t *testing.T) {
	cfg, err := config.Parse([]string{"--port", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := server.New(cfg, slog.New(slog.DiscardHandler)).Run(); err == nil ||
		err.Error() != "Configured to not listen anywhere, exiting." {
		t.Fatalf("Run with port 0 and no tls-port = %v", err)
	}
}

// A TLS subscriber that never reads is held to its pubsub output limit
// too: its connection's own queue does not grow without bound.
func TestTLSSlowSubscriberDisconnected(t *testing.T) {
	certs := testcerts.Make(t)
	addr, plain, _ := testserver.StartTLS(t, true, append(certs.ServerArgs(), "--client-output-buffer-limit", "pubsub", "256kb", "0", "0")...)
	tc, err := tls.Dial("tcp", addr, certs.ClientConfig(t, true))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	fmt.Fprintf(tc, "SUBSCRIBE feed\r\n")
	buf := make([]byte, 64)
	if _, err := tc.Read(buf); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pub := redis.NewClient(&redis.Options{Addr: plain})
	defer pub.Close()
	payload := strings.Repeat("x", 1024)
	for i := 0; i < 10000; i++ { // 10 MB, never read
		if err := pub.Publish(ctx, "feed", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for pub.PubSubNumSub(ctx, "feed").Val()["feed"] != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := pub.PubSubNumSub(ctx, "feed").Val()["feed"]; n != 0 {
		t.Fatalf("the TLS subscriber is still there (NUMSUB %d)", n)
	}
	if info := pub.Info(ctx, "stats").Val(); !strings.Contains(info, "client_output_buffer_limit_disconnections:1\r") {
		t.Errorf("want one disconnection counted: %s", info)
	}
}
