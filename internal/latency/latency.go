// Package latency owns Redis 7.0's latency monitor (latency.c): named
// events, each a ring of 160 one-second samples of the worst latency seen
// in that second, and the reports LATENCY LATEST, HISTORY, GRAPH and DOCTOR
// give of them. It also owns the bucket math of the per-command latency
// histograms (histogram.go), so that LATENCY HISTOGRAM and INFO
// latencystats agree on Redis's power-of-two boundaries.
//
// It knows nothing of commands, configuration or the server: callers decide
// when a latency reaches the threshold, pass what the doctor's advice
// depends on, and store the histograms' counters where their writers are.
package latency

import (
	"slices"
	"sync"
	"time"
)

// Samples is how many samples an event keeps: one per second, the latest
// 160 seconds with a spike (Redis's LATENCY_TS_LEN).
const Samples = 160

type sample struct {
	time    int64  // unix seconds; 0 = empty slot
	latency uint32 // ms
}

type series struct {
	idx     int // next slot to write
	samples [Samples]sample
	max     uint32 // all-time high, ms
}

// Monitor is the set of event time series. The zero Monitor is ready to
// use; it is safe for concurrent use. Adding a sample takes a lock, which
// is fine: samples are only added for spikes past the threshold.
type Monitor struct {
	mu     sync.Mutex
	events map[string]*series
}

// Add records that event took ms milliseconds at now: the second's sample
// keeps the worst latency within it, as latencyAddSample does.
func (m *Monitor) Add(event string, ms int64, now time.Time) {
	lat := uint32(min(max(ms, 0), 1<<32-1))
	sec := now.Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*series{}
	}
	ts := m.events[event]
	if ts == nil {
		ts = &series{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, lat)
	prev := &ts.samples[(ts.idx+Samples-1)%Samples]
	if prev.time == sec {
		prev.latency = max(prev.latency, lat)
		return
	}
	ts.samples[ts.idx] = sample{sec, lat}
	ts.idx = (ts.idx + 1) % Samples
}

// Reset forgets the named event, matched case-insensitively as Redis's
// latencyResetEvent does, and reports how many events it forgot.
func (m *Monitor) Reset(event string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for name := range m.events {
		if equalFold(name, event) {
			delete(m.events, name)
			n++
		}
	}
	return n
}

// ResetAll forgets every event and reports how many there were.
func (m *Monitor) ResetAll() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.events)
	clear(m.events)
	return n
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Latest is one row of LATENCY LATEST.
type Latest struct {
	Event            string
	Time             int64 // unix seconds of the latest sample
	Latency, AllTime int64 // ms
}

// Latest lists every event's latest sample and all-time high, by name.
func (m *Monitor) Latest() []Latest {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Latest, 0, len(m.events))
	for name, ts := range m.events {
		last := ts.samples[(ts.idx+Samples-1)%Samples]
		out = append(out, Latest{name, last.time, int64(last.latency), int64(ts.max)})
	}
	slices.SortFunc(out, func(a, b Latest) int { return cmpString(a.Event, b.Event) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Sample is one point of an event's history.
type Sample struct {
	Time    int64 // unix seconds
	Latency int64 // ms
}

// History is the event's samples, oldest first; ok is false for an event
// never seen (names match exactly, as Redis's event dictionary does).
func (m *Monitor) History(event string) (out []Sample, allTime int64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[event]
	if ts == nil {
		return nil, 0, false
	}
	for j := range Samples {
		s := ts.samples[(ts.idx+j)%Samples]
		if s.time != 0 {
			out = append(out, Sample{s.time, int64(s.latency)})
		}
	}
	return out, int64(ts.max), true
}

// Len is how many events have samples.
func (m *Monitor) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}
