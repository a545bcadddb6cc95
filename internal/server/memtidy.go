package server

import (
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// memTidy returns memory to the OS once the server falls idle after its
// heap grew. Go collects only when the heap doubles (GOGC=100) and
// returns freed pages slowly, so after a burst of writes (a million-field
// hash, a big load through redis-cli --pipe) the process keeps the
// garbage of every table it outgrew, up to twice the live data, for as
// long as nothing allocates. Redis's allocator gives such pages back
// within seconds; this does the same, at the one moment a full collection
// costs nobody anything: when no command has run for a second.
type memTidy struct {
	lastCmds  int64 // commands counted at the last check
	idleSince int64 // unix ms since which no command ran; 0 = busy
	lastTidy  int64 // unix ms of the last tidy
	running   atomic.Bool
	samples   []metrics.Sample

	// read and free are the runtime (tests replace them).
	read func() (live, retained int64, ok bool)
	free func()
}

const (
	tidyIdleMs   = 1000     // quiet this long first
	tidyEveryMs  = 10000    // at most this often
	tidySlack    = 16 << 20 // ignore this much retained garbage
	tidyFraction = 4        // and up to live/tidyFraction more
)

// check runs from the cron (every 100 ms or faster) with the command count
// and the time.
func (m *memTidy) check(cmds, now int64) {
	if cmds != m.lastCmds {
		m.lastCmds, m.idleSince = cmds, 0
		return
	}
	if m.idleSince == 0 {
		m.idleSince = now
	}
	if now-m.idleSince < tidyIdleMs || now-m.lastTidy < tidyEveryMs || m.running.Load() {
		return
	}
	read, free := m.read, m.free
	if read == nil {
		read, free = m.readRuntime, debug.FreeOSMemory
	}
	live, retained, ok := read()
	if !ok || retained <= live+live/tidyFraction+tidySlack {
		return
	}
	m.lastTidy = now
	m.running.Store(true)
	go func() {
		free()
		m.running.Store(false)
	}()
}

// readRuntime is the live heap after the last collection and the memory
// the runtime holds from the OS (mapped, less what it released).
func (m *memTidy) readRuntime() (live, retained int64, ok bool) {
	if m.samples == nil {
		m.samples = []metrics.Sample{
			{Name: "/gc/heap/live:bytes"},
			{Name: "/memory/classes/total:bytes"},
			{Name: "/memory/classes/heap/released:bytes"},
		}
	}
	metrics.Read(m.samples)
	for _, s := range m.samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return 0, 0, false // not on this runtime
		}
	}
	live = int64(m.samples[0].Value.Uint64())
	retained = int64(m.samples[1].Value.Uint64()) - int64(m.samples[2].Value.Uint64())
	return live, retained, true
}
