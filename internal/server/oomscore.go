package server

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
)

// oomScorePath is the kernel's knob for this process (a variable so tests
// can point it at a file of their own).
var oomScorePath = "/proc/self/oom_score_adj"

// oomScore is Redis's setOOMScoreAdj state. It is the process's, not a
// server's: the kernel keeps one score per process.
var oomScore struct {
	mu       sync.Mutex
	adjusted bool // we changed the score; base is what it was before
	base     int
}

var errOOMScore = errors.New("Failed to set current oom_score_adj. Check server logs.")

// applyOOMScoreAdj makes the process's oom_score_adj what oom-score-adj
// and oom-score-adj-values say, as Redis's setOOMScoreAdj does for a
// master (the only role here): the first value, added to the score the
// process had before (yes, relative) or as it is (absolute), clamped to
// -1000..1000. Turning it off restores the score from before, and with it
// off the score is never touched, so a value set from outside stays.
func (s *Server) applyOOMScoreAdj() error {
	o := &oomScore
	o.mu.Lock()
	defer o.mu.Unlock()
	mode := s.cfg.OOMScoreAdj()
	var val int
	switch {
	case mode != "no":
		if !o.adjusted {
			o.adjusted = true
			b, err := os.ReadFile(oomScorePath)
			if err != nil {
				s.log.Warn("Unable to read oom_score_adj: " + err.Error())
				return errOOMScore
			}
			o.base, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		val = s.cfg.OOMScoreAdjValues()[0]
		if mode != "absolute" {
			val += o.base
		}
		val = min(max(val, -1000), 1000)
	case o.adjusted:
		o.adjusted = false
		val = o.base
	default:
		return nil
	}
	f, err := os.OpenFile(oomScorePath, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(strconv.Itoa(val) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.log.Warn("Unable to write oom_score_adj: " + err.Error())
		return errOOMScore
	}
	return nil
}
