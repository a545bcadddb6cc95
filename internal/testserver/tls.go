package testserver

import (
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/server"
)

// StartTLS runs smallredis in-process on 127.0.0.1 with a TLS port and,
// when plain is set, a plain port too (otherwise port 0: TLS only), with
// the given extra directives (certificates included), and stops it when
// the test ends. plainAddr is "" without a plain port.
func StartTLS(t testing.TB, plain bool, args ...string) (tlsAddr, plainAddr string, srv *server.Server) {
	t.Helper()
	tlsPort, port := FreePort(t), 0
	if plain {
		port = FreePort(t)
	}
	all := []string{"--port", strconv.Itoa(port), "--tls-port", strconv.Itoa(tlsPort), "--bind", "127.0.0.1"}
	cfg, err := config.Parse(append(all, args...))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv = server.New(cfg, log)
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()
	tlsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
	waitListening(t, tlsAddr, done)
	if plain {
		plainAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		waitListening(t, plainAddr, done)
	}
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
	waitLoaded(t, srv)
	return tlsAddr, plainAddr, srv
}
