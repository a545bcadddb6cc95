package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "smallredis v=") {
		t.Fatalf("--version: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "Usage:") {
		t.Fatalf("--help: %d %q", code, out.String())
	}
	conf := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(conf, []byte("port 1234\nno-such-directive 1\n"), 0o644)
	errb.Reset()
	if code := run([]string{conf}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "line 2") ||
		!strings.Contains(errb.String(), "no-such-directive") {
		t.Fatalf("unknown directive: %d %q", code, errb.String())
	}
}

// The real binary starts, answers, and exits 0 on SIGTERM, saving its
// final snapshot in its working directory first (the default save points
// are configured, as Redis's).
func TestSignalShutdown(t *testing.T) {
	bin := binary(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var c net.Conn
	var err error
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("server did not listen: %v\n%s", err, logs.String())
	}
	c.Write([]byte("PING\r\n"))
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	if string(buf[:n]) != "+PONG\r\n" {
		t.Fatalf("PING = %q", buf[:n])
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 10s after SIGTERM")
	}
	if fi, err := os.Stat(filepath.Join(cmd.Dir, "dump.rdb")); err != nil || fi.Size() == 0 {
		t.Errorf("no final snapshot after SIGTERM: %v\n%s", err, logs.String())
	}
	for _, want := range []string{"smallredis starting", "port=" + strconv.Itoa(port), "pid=", "Saving the final RDB snapshot", "smallredis stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start-up/shutdown log lacks %q:\n%s", want, logs.String())
		}
	}
}
