package server

import (
	"cmp"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/store"
)

// clientMemory is the server-wide side of the clients' buffers: giving
// memory back to the OS after big buffers are freed, and Redis's recent
// maximum input and output buffer sizes (INFO clients).
type clientMemory struct {
	freed    atomic.Int64 // bytes of client buffers freed since the last release to the OS
	lastFree atomic.Int64 // unix ms of the last free
	freeing  atomic.Bool  // a release to the OS is running
	evicting atomic.Bool  // evictClients is running

	// Cron only: the largest buffers seen in each of the last seconds, as
	// Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS.
	peakIn, peakOut [8]int64
}

const (
	// releaseAfter bytes of client buffers freed, and releaseQuiet ms
	// without more, the cron returns the memory to the OS: with nothing
	// else allocating, no collection would run and the process would keep
	// its peak (a client that took 2 GB of replies) indefinitely.
	releaseAfter = 32 << 20
	releaseQuiet = 500
)

// noteFreed records that n bytes of queued output became garbage. Only
// output queued for a slow socket counts: the buffers every busy client
// grows and drops would have the cron release memory after each burst of
// traffic, and a release is a full collection.
func (s *Server) noteFreed(n int64) {
	if n > 0 {
		s.mem.freed.Add(n)
		s.mem.lastFree.Store(store.NowMs())
	}
}

// clientsCron is the periodic client work, called every 100 ms: returning
// freed buffers to the OS, and once a second (second is the unix second)
// the recent maximum buffer sizes and waking clients that may be over
// their output limit, so a soft limit is enforced even on a client that
// gets no new replies.
func (s *Server) clientsCron(now int64, second int64, everySecond bool) {
	m := &s.mem
	if m.freed.Load() >= releaseAfter && now-m.lastFree.Load() >= releaseQuiet && m.freeing.CompareAndSwap(false, true) {
		m.freed.Store(0)
		go func() {
			debug.FreeOSMemory()
			m.freeing.Store(false)
		}()
	}
	if !everySecond {
		return
	}
	lim := s.limits.Load()
	var in, out int64
	s.mu.Lock()
	for _, c := range s.conns {
		b := c.client.Buffers()
		in = max(in, c.qbuf.Load()+b.QueryFree)
		out = max(out, b.Omem)
		l := lim[limitClass(c.client)]
		if b.Omem > 0 && (l.Hard > 0 && b.Omem >= l.Hard || l.Soft > 0 && b.Omem >= l.Soft) {
			_ = c.gc.Wake() // flush checks the limit on its loop
		} else if c.out.bigBuf.Load() && c.client.IdleMs(now) >= 2000 {
			_ = c.gc.Wake() // its loop drops the big reply buffer (send)
		}
	}
	s.mu.Unlock()
	i := second % int64(len(m.peakIn))
	m.peakIn[i], m.peakOut[i] = in, out
	for j := range m.peakIn {
		in, out = max(in, m.peakIn[j]), max(out, m.peakOut[j])
	}
	s.st.Stats.RecentMaxInput.Store(in)
	s.st.Stats.RecentMaxOutput.Store(out)
}

// evictClients is Redis's client eviction: while the memory of all clients
// is at maxmemory-clients or more, the biggest clients (not CLIENT
// NO-EVICT) are closed, the biggest first, as Redis's evictClients. A
// client's memory is what it is charged (CLIENT LIST tot-mem): its query
// buffer, replies not yet sent, queued transaction. account calls it when
// a client's memory grows; below the limit it costs a config read and an
// atomic load.
func (s *Server) evictClients() {
	limit := s.cfg.MaxMemoryClients()
	if limit <= 0 || s.st.KS.ClientMemory() < limit || !s.mem.evicting.CompareAndSwap(false, true) {
		return
	}
	defer s.mem.evicting.Store(false)
	type candidate struct {
		c   *conn
		mem int64
	}
	var cands []candidate
	s.mu.Lock()
	total := s.st.KS.ClientMemory() // with the clients it is of (closed)
	for _, c := range s.conns {
		mem := c.client.Buffers().Total
		switch {
		case c.client.Killed():
			total -= mem // closing: its memory is about to be returned
		case !c.client.NoEvict():
			cands = append(cands, candidate{c, mem})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(b.mem, a.mem) })
	now := time.Now()
	for _, x := range cands {
		if total < limit {
			break
		}
		s.log.Info("Evicting client: " + x.c.client.Info(now))
		x.c.client.MarkKilled()
		s.st.Stats.EvictedClients.Add(1)
		total -= x.mem
	}
	if total >= limit {
		s.log.Warn("Over client maxmemory after evicting all evictable clients")
	}
}
