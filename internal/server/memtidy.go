package server

import (
	"runtime"
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
// costs nobody anything: when (next to) no command has run for a second.
type memTidy struct {
	lastCmds  int64 // commands counted at the last check
	idleSince int64 // unix ms since which no command ran; 0 = busy
	lastTidy  int64 // unix ms of the last tidy
	running   atomic.Bool
	after     atomic.Int64 // retained right after the last tidy
	samples   []metrics.Sample

	// read and free are the runtime (tests replace them).
	read func() (live, retained int64, ok bool)
	free func()
}

const (
	tidyIdleMs   = 1000    // quiet this long first
	tidyIdleCmds = 2       // at most this many commands per check is quiet
	tidyEveryMs  = 2000    // at most this often
	tidySlack    = 1 << 20 // ignore this much retained garbage
	tidyFraction = 16      // and up to live/tidyFraction more
)

// check runs from the cron (every 100 ms or faster) with the command count
// and the time.
func (m *memTidy) check(cmds, now int64) {
	// A monitoring poll (INFO every second) is still idle.
	busy := cmds-m.lastCmds > tidyIdleCmds
	m.lastCmds = cmds
	if busy {
		m.idleSince = 0
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
		read, free = m.readRuntime, freeAll
	}
	live, retained, ok := read()
	// Garbage worth a collection, and more than the last tidy left (what it
	// could not return, fragmentation, is no reason to collect again).
	if !ok || retained <= live+live/tidyFraction+tidySlack || retained <= m.after.Load()+tidySlack {
		return
	}
	m.lastTidy = now
	m.running.Store(true)
	go func() {
		free()
		if _, r, ok := read(); ok {
			m.after.Store(r)
		}
		m.running.Store(false)
	}()
}

// freeAll collects twice, so that what sync.Pools hold (a closed
// connection's buffers among them) is dropped too, then returns the free
// pages to the OS.
func freeAll() {
	runtime.GC()
	debug.FreeOSMemory()
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
