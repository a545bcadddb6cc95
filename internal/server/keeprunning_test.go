package server

import (
	"io"
	"log/slog"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
)

// A background task that panics is logged and run again; one that returns
// is not.
func TestKeepRunningRestartsAfterPanic(t *testing.T) {
	cfg, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	runs := 0
	s.keepRunning("test", func() {
		if runs++; runs == 1 {
			panic("boom")
		}
	})
	if runs != 2 {
		t.Fatalf("task ran %d times, want 2 (once more after its panic)", runs)
	}
	if n := s.st.Stats.Panics.Load(); n != 1 {
		t.Fatalf("Stats.Panics = %d, want 1", n)
	}
}
