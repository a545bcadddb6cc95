package server_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// gzipMagic starts every profile in pprof's format (gzipped protobuf).
var gzipMagic = []byte{0x1f, 0x8b}

func TestPprofAddr(t *testing.T) {
	_, srv := testserver.Start(t, "--pprof-addr", "0") // a bare port: loopback
	addr := srv.PprofAddr()
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("pprof listens on %q, want 127.0.0.1:port", addr)
	}
	for path, want := range map[string]string{
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
		"/debug/pprof/cmdline":           "",
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d %.80q, want 200 containing %q", path, resp.StatusCode, body, want)
		}
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(body, gzipMagic) {
		t.Errorf("CPU profile: %d %.80q, want a gzipped profile", resp.StatusCode, body)
	}
}

func TestPprofAddrOffByDefault(t *testing.T) {
	_, srv := testserver.Start(t)
	if a := srv.PprofAddr(); a != "" {
		t.Errorf("pprof listens on %q without pprof-addr", a)
	}
}

func TestDebugPprof(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	dir := t.TempDir()
	cpu, heap, gor := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof"), filepath.Join(dir, "g.pprof")

	if err := c.Do(ctx, "DEBUG", "PPROF", "CPU", "30", cpu).Err(); err != nil {
		t.Fatal(err)
	}
	// One CPU profile at a time, process-wide.
	if err := c.Do(ctx, "DEBUG", "PPROF", "CPU", "1", filepath.Join(dir, "other")).Err(); err == nil ||
		!strings.Contains(err.Error(), "already running") {
		t.Errorf("second CPU profile: %v, want 'already running'", err)
	}
	for range 1000 {
		c.Set(ctx, "k", "v", 0)
	}
	if got, err := c.Do(ctx, "DEBUG", "PPROF", "CPU", "STOP").Text(); err != nil || got != cpu {
		t.Fatalf("STOP: %q, %v; want the path %q", got, err, cpu)
	}
	if err := c.Do(ctx, "DEBUG", "PPROF", "CPU", "STOP").Err(); err == nil {
		t.Error("STOP without a profile: no error")
	}
	// A profile that ends by itself.
	short := filepath.Join(dir, "short.pprof")
	if err := c.Do(ctx, "DEBUG", "PPROF", "CPU", "0.2", short).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "DEBUG", "PPROF", "HEAP", heap).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "DEBUG", "PPROF", "GOROUTINE", gor).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := c.Do(ctx, "DEBUG", "PPROF", "CPU", "STOP").Err(); err == nil {
		t.Error("the 0.2 s profile still ran after 0.5 s")
	}
	for _, p := range []string{cpu, short, heap, gor} {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.HasPrefix(b, gzipMagic) {
			t.Errorf("%s: %d bytes, %v; want a gzipped profile", filepath.Base(p), len(b), err)
		}
	}

	for _, args := range [][]any{
		{"DEBUG", "PPROF", "CPU", "0", cpu},
		{"DEBUG", "PPROF", "CPU", "abc", cpu},
		{"DEBUG", "PPROF", "CPU", "1", filepath.Join(dir, "no", "such", "dir")},
		{"DEBUG", "PPROF", "HEAP", filepath.Join(dir, "no", "such", "dir")},
		{"DEBUG", "PPROF", "MUTEX", heap},
		{"DEBUG", "PPROF", "HEAP"},
	} {
		if err := c.Do(ctx, args...).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR ") {
			t.Errorf("%v: %v, want an ERR", args, err)
		}
	}
}

func TestDebugPprofNeedsDebug(t *testing.T) {
	addr, _ := testserver.Start(t, "--enable-debug-command", "no")
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	err := c.Do(context.Background(), "DEBUG", "PPROF", "HEAP", filepath.Join(t.TempDir(), "h")).Err()
	if err == nil || !strings.Contains(err.Error(), "DEBUG command not allowed") {
		t.Errorf("DEBUG PPROF with enable-debug-command no: %v", err)
	}
}
