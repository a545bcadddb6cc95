package main

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/testcerts"
)

// A TLS configuration that cannot be honoured stops the real binary with
// exit code 1 and says why; nothing is served in its place.
func TestTLSMissingKeyFileFailsStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "smallredis")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	certs := testcerts.Make(t)
	missing := filepath.Join(certs.Dir, "missing.key")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, plain := range []string{"0", strconv.Itoa(port + 1)} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, bin, "--port", plain, "--bind", "127.0.0.1",
			"--tls-port", strconv.Itoa(port), "--tls-cert-file", certs.ServerCert,
			"--tls-key-file", missing, "--tls-ca-cert-file", certs.CA).CombinedOutput()
		cancel()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("port %s: exit = %v, want exit code 1\n%s", plain, err, out)
		}
		want := "Failed to configure TLS: Failed to load private key: " + missing + ": No such file or directory"
		if !strings.Contains(string(out), want) {
			t.Errorf("port %s: output lacks %q:\n%s", plain, want, out)
		}
	}
}
