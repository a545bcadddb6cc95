// Package testserver starts servers for tests: smallredis in-process on a
// free loopback port, and a real redis-server as a subprocess for the
// differential tests.
package testserver

import (
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/server"
)

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs smallredis in-process on 127.0.0.1 with the given extra
// directives (e.g. "--requirepass", "x") and stops it when the test ends.
// DEBUG is enabled (--enable-debug-command yes), as in StartRedis, since
// tests use DEBUG SLEEP and DEBUG SET-ACTIVE-EXPIRE; pass
// "--enable-debug-command", "no" to test Redis's default.
func Start(t testing.TB, args ...string) (addr string, srv *server.Server) {
	t.Helper()
	return start(t, nil, nil, args)
}

// StartWithFile is Start with a config file (for CONFIG REWRITE tests).
func StartWithFile(t testing.TB, file string, args ...string) (addr string, srv *server.Server) {
	t.Helper()
	return start(t, nil, []string{file}, args)
}

// StartWithLogger is Start logging to log (to check what the server logs).
func StartWithLogger(t testing.TB, log *slog.Logger, args ...string) (addr string, srv *server.Server) {
	t.Helper()
	return start(t, log, nil, args)
}

// StartLoading is Start without waiting for the RDB file to load: the test
// sees the server answer -LOADING meanwhile.
func StartLoading(t testing.TB, args ...string) (addr string, srv *server.Server) {
	t.Helper()
	return startServer(t, nil, nil, args, false)
}

func start(t testing.TB, log *slog.Logger, pre, args []string) (addr string, srv *server.Server) {
	t.Helper()
	return startServer(t, log, pre, args, true)
}

func startServer(t testing.TB, log *slog.Logger, pre, args []string, loaded bool) (addr string, srv *server.Server) {
	t.Helper()
	port := FreePort(t)
	// A directory of its own: SAVE writes there and a start loads from it,
	// so tests never share (or leave behind) an RDB file.
	all := append(pre, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--enable-debug-command", "yes", "--dir", t.TempDir(), "--save", "")
	cfg, err := config.Parse(append(all, args...))
	if err != nil {
		t.Fatal(err)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv = server.New(cfg, log)
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitListening(t, addr, done)
	t.Cleanup(func() {
		srv.Shutdown()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15s")
		}
	})
	if loaded {
		waitLoaded(t, srv)
	}
	return addr, srv
}

// waitLoaded waits for the start's RDB load: a test's first command should
// find the data, not -LOADING.
func waitLoaded(t testing.TB, srv *server.Server) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); srv.State().Loading(); {
		if time.Now().After(deadline) {
			t.Fatalf("still loading after 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

func waitListening(t testing.TB, addr string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited at start: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s after 10s", addr)
}

// StartRedis runs Debian's redis-server on a free loopback port for the
// differential tests, with DEBUG enabled as in Start. Without redis-server the test is skipped, except
// under CI (CI=true), where that is a failure: `make test` installs it.
func StartRedis(t testing.TB, args ...string) (addr string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not installed; run `make test`, which installs it")
		}
		t.Skip("redis-server not installed (make test installs it)")
	}
	port := FreePort(t)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
		"--enable-debug-command", "yes",
		"--dir", t.TempDir())
	cmd.Args = append(cmd.Args, args...) // last wins, as in Redis (e.g. --dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitListening(t, addr, done)
	return addr
}

// RaceEnabled reports whether the test binary was built with -race, under
// which timing bounds mean nothing.
func RaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
