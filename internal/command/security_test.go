package command

import (
	"testing"
	"time"
)

// The auth-failure log lets one line a second through and reports what it
// held back on the next line.
func TestRateLimit(t *testing.T) {
	var r rateLimit
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at         time.Duration
		ok         bool
		suppressed int64
	}{
		{0, true, 0},
		{10 * time.Millisecond, false, 0},
		{500 * time.Millisecond, false, 0},
		{999 * time.Millisecond, false, 0},
		{time.Second, true, 3},
		{time.Second + time.Millisecond, false, 0},
		{5 * time.Second, true, 1},
		{10 * time.Second, true, 0},
	}
	for _, s := range steps {
		ok, n := r.allow(t0.Add(s.at))
		if ok != s.ok || n != s.suppressed {
			t.Errorf("at %v: allow = %v, %d; want %v, %d", s.at, ok, n, s.ok, s.suppressed)
		}
	}
}
