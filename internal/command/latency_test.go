package command

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// latencyLine is INFO latencystats' line for cmd, "" when it has none.
func latencyLine(s *strServer, cmd string) string {
	for _, line := range strings.Split(s.do("info", "latencystats"), "\r\n") {
		if v, ok := strings.CutPrefix(line, "latency_percentiles_usec_"+cmd+":"); ok {
			return v
		}
	}
	return ""
}

func TestInfoLatencyStats(t *testing.T) {
	s := newStrServer(t)
	s.do("set", "a", "b")
	s.do("client", "id")
	format := regexp.MustCompile(`^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	for _, cmd := range []string{"set", "client|id"} {
		if l := latencyLine(s, cmd); !format.MatchString(l) {
			t.Errorf("%s: %q", cmd, l)
		}
	}
	if l := latencyLine(s, "get"); l != "" {
		t.Errorf("a command never called has a line: %q", l)
	}
	s.do("config", "set", "latency-tracking-info-percentiles", "0.0 50.0 100.0")
	if l := latencyLine(s, "set"); !regexp.MustCompile(`^p0=\d+\.\d{3},p50=\d+\.\d{3},p100=\d+\.\d{3}$`).MatchString(l) {
		t.Errorf("percentiles 0 50 100: %q", l)
	}
	s.do("config", "set", "latency-tracking-info-percentiles", "")
	if l := latencyLine(s, "set"); l != "" {
		t.Errorf("no percentiles: %q", l)
	}
	s.do("config", "resetstat")
	s.do("config", "set", "latency-tracking", "no")
	s.do("set", "a", "b")
	if l := latencyLine(s, "set"); l != "" {
		t.Errorf("latency-tracking no still counts: %q", l)
	}
	if !strings.Contains(s.do("info", "commandstats"), "cmdstat_set:calls=1,") {
		t.Error("latency-tracking no stopped commandstats too")
	}
	if strings.Contains(s.do("info", "commandstats"), "Latencystats") {
		t.Error("INFO commandstats shows latencystats")
	}
}

// The histogram's calls are the sum of its buckets, the buckets cumulative
// counts at Redis's labels, in RESP3 a map of maps.
func TestLatencyHistogramReply(t *testing.T) {
	s := newStrServer(t)
	spec := s.srv.Table.lookupFull("get")
	spec.stats.called(0, 0, true)
	spec.stats.called(0, 3, true)
	spec.stats.called(1, 3, true)
	spec.stats.called(0, 2_000_000, true)
	// 0 µs is in the first step, 3 µs in "4", 2 s clamped to 1 s in the
	// last (1082130 µs, as Redis labels it).
	want := "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:4\r\n$14\r\nhistogram_usec\r\n*6\r\n" +
		":1\r\n:1\r\n:4\r\n:3\r\n:1082130\r\n:4\r\n"
	if got := s.do("latency", "histogram", "get"); got != want {
		t.Errorf("RESP2:\n%q\nwant\n%q", got, want)
	}
	s.w.Proto = 3
	got := s.do("latency", "histogram", "get")
	if !strings.HasPrefix(got, "%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:4\r\n$14\r\nhistogram_usec\r\n%3\r\n") {
		t.Errorf("RESP3: %q", got)
	}
}

// The monitor records commands at or over the threshold as "command" or,
// for fast ones, "fast-command", and the server's own events through
// LatencyEvent; nothing while the threshold is 0.
func TestLatencyMonitorEvents(t *testing.T) {
	s := newStrServer(t)
	s.srv.LatencyEvent("expire-cycle", time.Second)
	s.srv.commandLatency(s.srv.Table.lookupFull("get"), time.Second)
	if n := s.srv.latency.Len(); n != 0 {
		t.Fatalf("%d events with the monitor off", n)
	}
	s.do("config", "set", "latency-monitor-threshold", "5")
	s.srv.LatencyEvent("expire-cycle", 4*time.Millisecond)
	if n := s.srv.latency.Len(); n != 0 {
		t.Fatalf("an event under the threshold recorded")
	}
	s.srv.LatencyEvent("expire-cycle", 5*time.Millisecond)
	s.srv.commandLatency(s.srv.Table.lookupFull("get"), 7*time.Millisecond)
	s.srv.commandLatency(s.srv.Table.lookupFull("keys"), 9*time.Millisecond)
	var events []string
	for _, l := range s.srv.latency.Latest() {
		events = append(events, l.Event)
	}
	if strings.Join(events, " ") != "command expire-cycle fast-command" {
		t.Errorf("events %v", events)
	}
}

// BenchmarkCmdStatsCalled is what execInner pays per call for commandstats
// alone and with the latency histogram (latency-tracking yes): the
// difference is a bits.Len64 (the call is counted in its bucket instead
// of the plain counter).
func BenchmarkCmdStatsCalled(b *testing.B) {
	s := newStrServer(b)
	st := &s.srv.Table.lookupFull("get").stats
	for _, hist := range []bool{false, true} {
		name := "commandstats"
		if hist {
			name += "+histogram"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				st.called(0, int64(i&63), hist)
			}
		})
	}
}
