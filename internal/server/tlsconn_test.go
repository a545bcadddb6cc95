package server

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/testcerts"
)

// tlsPair is a server-side tlsConn and its client over net.Pipe, whose
// writes block until the other side reads: a peer that does not read.
func tlsPair(t *testing.T) (*tlsConn, *tls.Conn) {
	certs := testcerts.Make(t)
	cert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{cert}})
	ccfg := certs.ClientConfig(t, false)
	ccfg.ServerName = "localhost"
	cli := tls.Client(b, ccfg)
	cli.SetDeadline(time.Now().Add(5 * time.Second))
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	tc := &tlsConn{tc: srv, raw: a, wake: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(func() { tc.Close(); cli.Close() })
	return tc, cli
}

// AsyncWrite never blocks on a peer that does not read, is counted as
// buffered output, and never overtakes the reply of the batch running when
// it was queued (MONITOR's +OK comes before the feed).
func TestTLSConnAsyncWriteOrder(t *testing.T) {
	tc, cli := tlsPair(t)
	tc.begin()
	done := make(chan struct{})
	go func() {
		for range 100 {
			tc.AsyncWrite([]byte("feed\r\n"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("AsyncWrite blocked on a peer that does not read")
	}
	if n := tc.OutboundBuffered(); n != 600 {
		t.Fatalf("OutboundBuffered = %d, want the 600 queued bytes", n)
	}
	time.Sleep(50 * time.Millisecond) // time for a flusher that ignored the batch to jump the queue
	go func() {
		tc.Write([]byte("+OK\r\n"))
		tc.end()
	}()
	want := "+OK\r\n"
	for range 100 {
		want += "feed\r\n"
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(cli, got); err != nil || string(got) != want {
		t.Fatalf("client read %q, %v", got, err)
	}
	// The flusher's Write returns just after the client has read it all.
	for start := time.Now(); tc.OutboundBuffered() != 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("OutboundBuffered after the client read everything = %d", tc.OutboundBuffered())
		}
	}
	tc.Close()
	if err := tc.AsyncWrite([]byte("x")); err == nil {
		t.Fatal("AsyncWrite after Close succeeded")
	}
}
