package server

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
)

// oom-score-adj follows Redis's setOOMScoreAdj (Redis's unit/oom-score-adj):
// relative adds the master's value to the score from before, absolute sets
// it, off restores the score from before, and while off the score is never
// written, so one set from outside stays. The kernel's file is replaced by
// a temporary one.
func TestOOMScoreAdj(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oom_score_adj")
	old := oomScorePath
	oomScorePath = path
	t.Cleanup(func() { oomScorePath = old })
	write := func(v string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	cfg, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	set := func(kv ...string) {
		t.Helper()
		var pairs [][2]string
		for i := 0; i < len(kv); i += 2 {
			pairs = append(pairs, [2]string{kv[i], kv[i+1]})
		}
		if err := cfg.Set(pairs); err != nil {
			t.Fatal(err)
		}
	}
	write("22")
	set("oom-score-adj-values", "1 1 1") // off: not written
	if got := read(); got != "22" {
		t.Fatalf("values changed while off: score %s, want 22", got)
	}
	set("oom-score-adj-values", "9 9 9", "oom-score-adj", "yes")
	if got := read(); got != "31" {
		t.Fatalf("relative: score %s, want 31", got)
	}
	set("oom-score-adj-values", "15 20 30")
	if got := read(); got != "37" {
		t.Fatalf("new master value: score %s, want 37", got)
	}
	set("oom-score-adj", "absolute")
	if got := read(); got != "15" {
		t.Fatalf("absolute: score %s, want 15", got)
	}
	set("oom-score-adj-values", "2000 0 0")
	if got := read(); got != "1000" {
		t.Fatalf("clamped: score %s, want 1000", got)
	}
	set("oom-score-adj", "no")
	if got := read(); got != "22" {
		t.Fatalf("off: score %s, want 22 restored", got)
	}
	// A score that cannot be written fails the CONFIG SET and keeps the
	// old value.
	oomScorePath = filepath.Join(t.TempDir(), "missing", "oom_score_adj")
	err = cfg.Set([][2]string{{"oom-score-adj", "yes"}})
	if err == nil || !strings.Contains(err.Error(), "Failed to set current oom_score_adj. Check server logs.") ||
		!strings.Contains(err.Error(), "'oom-score-adj'") {
		t.Fatalf("unwritable score: err %v", err)
	}
	if got := cfg.OOMScoreAdj(); got != "no" {
		t.Fatalf("oom-score-adj after the failure = %q, want no", got)
	}
	oomScore.adjusted = false
}
