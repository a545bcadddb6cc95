package command

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/config"
)

// Loading the dataset at start. As Redis, the server listens while the RDB
// file loads: a command without the ok-loading flag (Spec.Flags Loading:
// INFO, CONFIG, CLIENT, PUBLISH, SUBSCRIBE, … but not PING or any command
// on keys) answers -LOADING, which clients retry, CONFIG SET refuses dir,
// appendonly and repl-diskless-load, INFO persistence shows the progress,
// and SHUTDOWN or a signal exits without saving the half-loaded dataset.
// The load's writes are no changes (store.Entry.Unrecorded): nothing counts
// them as dirty and WATCH, tracking and notifications never see them.

// ErrLoading is Redis's shared.loadingerr.
const ErrLoading = config.ErrLoading

// ErrLoadStopped is LoadRDB's error when the server shut down during it.
var ErrLoadStopped = errors.New("load stopped: the server is shutting down")

// BeginLoading marks the dataset as loading. The server calls it before
// anything listens, so no command can see a keyspace still being filled;
// LoadRDB ends it.
func (s *Server) BeginLoading() {
	s.Cfg.SetLoading(true)
	s.persist.state.Or(stateLoading)
}

func (s *Server) endLoading() {
	s.persist.state.And(^uint32(stateLoading))
	s.Cfg.SetLoading(false)
}

// Loading reports whether the dataset is being loaded (INFO loading).
func (s *Server) Loading() bool { return s.persist.state.Load()&stateLoading != 0 }

// The bits of persistState.state.
const (
	stateLoading = 1 << iota // the start is loading the RDB file
	stateDown                // the final save is written: no command runs any more
)

// keyLoadDelay is Redis's debugDelay after the n-th key a load reads, for
// the hidden key-load-delay: usec µs or, with a negative -N, 1 µs after every
// N-th key (Redis draws a chance of 1/N: the shortest sleep is a system call,
// so short delays are spread out).
func keyLoadDelay(usec int64, n int64) {
	if usec < 0 {
		if n%-usec != 0 {
			return
		}
		usec = 1
	}
	if usec > 0 {
		time.Sleep(time.Duration(usec) * time.Microsecond)
	}
}

// infoLoading writes the progress fields Redis's INFO persistence has while
// loading.
func infoLoading(s *Server, b *strings.Builder) {
	p := &s.persist
	total, done, used := p.loadTotal.Load(), p.loadDone.Load(), p.loadUsedMem.Load()
	perc, remaining := 0.0, int64(1)
	switch {
	case total > 0:
		perc = float64(done) / float64(total) * 100
		remaining = total - done
	case used > 0:
		// used-mem only estimates the file's size: never past 100 %.
		perc = min(float64(done)/float64(used)*100, 99.99)
		remaining = max(used-done, 1)
	}
	eta := int64(1) // Redis's stand-in before a second has passed
	if elapsed := time.Now().Unix() - p.loadStart.Load(); elapsed != 0 {
		eta = elapsed * remaining / (done + 1)
	}
	kv(b, "loading_start_time", p.loadStart.Load())
	kv(b, "loading_total_bytes", total)
	kv(b, "loading_rdb_used_mem", used)
	kv(b, "loading_loaded_bytes", done)
	kv(b, "loading_loaded_perc", strconv.FormatFloat(perc, 'f', 2, 64))
	kv(b, "loading_eta_seconds", eta)
}
