package latency

import (
	"strings"
	"testing"
	"time"
)

// hdrHighest is the highest value an HDR histogram of Redis's settings
// (two significant digits, unit 1 ns) cannot tell apart from v: the
// boundary Bucket must reproduce, computed the histogram's way.
func hdrHighest(v int64) int64 {
	const subBuckets = 256
	bucket := 0
	for x := v | (subBuckets - 1); x >= subBuckets; x >>= 1 {
		bucket++
	}
	size := int64(1) << bucket
	return v - v%size + size - 1
}

func TestBucketBoundariesAreRedis(t *testing.T) {
	for j := range Buckets {
		want := hdrHighest(1024 << j)
		if got := upper(j); got != want {
			t.Errorf("bucket %d ends at %d ns, Redis's step at %d", j, got, want)
		}
	}
	// Redis's labels: the first steps of LATENCY HISTOGRAM.
	for j, want := range []int64{1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056} {
		if got := BucketUsec(j); got != want {
			t.Errorf("bucket %d labelled %d, Redis %d", j, got, want)
		}
	}
	// Every latency in whole µs lands in the first step whose highest
	// value is at least it, as Redis's log iterator counts it.
	for usec := int64(0); usec <= 1_100_000; usec += 1 + usec/97 {
		ns := min(max(usec*1000, 1), 1_000_000_000)
		j := Bucket(usec)
		if j < 0 || j >= Buckets || upper(j) < ns || j > 0 && upper(j-1) >= ns {
			t.Fatalf("%d µs in bucket %d", usec, j)
		}
	}
	if Bucket(-5) != 0 || Bucket(1<<62) != Buckets-1 {
		t.Error("latencies out of range are not clamped")
	}
}

func TestPercentile(t *testing.T) {
	var h [Buckets]int64
	h[0], h[3], h[10] = 50, 49, 1 // ≤1 µs, ≤8 µs, ≤1056 µs
	for _, tt := range []struct {
		p    float64
		want float64
	}{
		{50, 1.031},
		{50.5, 8.255}, // rank 51 (rounded as hdr_value_at_percentile)
		{99, 8.255},
		{99.9, 1056.767},
		{100, 1056.767},
		{0, 0}, // the lowest value of the first bucket with calls
	} {
		if got := Percentile(&h, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	h = [Buckets]int64{}
	h[2] = 1
	if got := Percentile(&h, 0); got != 2.064 {
		t.Errorf("p0 of one call in bucket 2 = %v, want its lowest value 2.064", got)
	}
}

func TestMonitorSamples(t *testing.T) {
	var m Monitor
	t0 := time.Unix(1_700_000_000, 0)
	m.Add("command", 120, t0)
	m.Add("command", 300, t0.Add(500*time.Millisecond)) // same second: the max
	m.Add("command", 200, t0.Add(900*time.Millisecond))
	m.Add("command", 150, t0.Add(time.Second))
	m.Add("expire-cycle", 30, t0.Add(2*time.Second))
	h, allTime, ok := m.History("command")
	if !ok || allTime != 300 || len(h) != 2 || h[0] != (Sample{t0.Unix(), 300}) || h[1] != (Sample{t0.Unix() + 1, 150}) {
		t.Fatalf("history %v, all-time %d, %v", h, allTime, ok)
	}
	if _, _, ok := m.History("COMMAND"); ok {
		t.Error("HISTORY matches names case-insensitively; Redis does not")
	}
	l := m.Latest()
	if len(l) != 2 || l[0] != (Latest{"command", t0.Unix() + 1, 150, 300}) || l[1].Event != "expire-cycle" {
		t.Fatalf("latest %v", l)
	}
	// 160 seconds are kept, the oldest dropped first.
	for i := range 200 {
		m.Add("command", int64(i), t0.Add(time.Duration(10+i)*time.Second))
	}
	h, _, _ = m.History("command")
	if len(h) != Samples || h[0].Latency != 40 || h[Samples-1].Latency != 199 {
		t.Fatalf("%d samples, first %v, last %v", len(h), h[0], h[len(h)-1])
	}
	if n := m.Reset("COMMAND"); n != 1 || m.Len() != 1 {
		t.Errorf("RESET COMMAND forgot %d events, %d left", n, m.Len())
	}
	if n := m.ResetAll(); n != 1 || m.Len() != 0 {
		t.Errorf("RESET forgot %d events, %d left", n, m.Len())
	}
}

// The charts Redis 7.0.15 drew for these samples (LATENCY GRAPH command).
func TestGraphIsRedis(t *testing.T) {
	for _, tt := range []struct {
		latencies []int64
		want      string
	}{
		{[]int64{50, 120, 30, 200, 11}, "" +
			"command - high 200 ms, low 11 ms (all time high 200 ms)\n" +
			strings.Repeat("-", 80) + "\n" +
			"   # \n" +
			" _ | \n" +
			" | | \n" +
			"#|o|_\n" +
			"     \n" +
			"65432\n" +
			"sssss\n"},
		{[]int64{50, 120, 34}, "" +
			"command - high 120 ms, low 34 ms (all time high 120 ms)\n" +
			strings.Repeat("-", 80) + "\n" +
			" # \n" +
			" | \n" +
			" | \n" +
			"#|_\n" +
			"   \n" +
			"654\n" +
			"sss\n"},
	} {
		var m Monitor
		t0 := time.Unix(1_796_227_742, 0)
		for i, l := range tt.latencies {
			m.Add("command", l, t0.Add(time.Duration(i)*time.Second))
		}
		got, ok := m.Graph("command", t0.Add(6*time.Second))
		if tt.want != got || !ok {
			t.Errorf("graph:\n%s\nwant:\n%s", got, tt.want)
		}
	}
	if _, ok := (&Monitor{}).Graph("command", time.Now()); ok {
		t.Error("a graph for an event never seen")
	}
}

func TestGraphLabelsAndWrapping(t *testing.T) {
	for _, tt := range []struct {
		elapsed int64
		want    string
	}{{59, "59s"}, {60, "1m"}, {3599, "59m"}, {3600, "1h"}, {86400 * 3, "3d"}} {
		if got := ago(tt.elapsed); got != tt.want {
			t.Errorf("ago(%d) = %q, want %q", tt.elapsed, got, tt.want)
		}
	}
	var m Monitor
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 100 {
		m.Add("fast-command", int64(i%7), t0.Add(time.Duration(i)*time.Second))
	}
	g, _ := m.Graph("fast-command", t0.Add(100*time.Second))
	lines := strings.Split(strings.TrimSuffix(g, "\n"), "\n")
	// Title, rule, then 80 columns (4 rows, spacing, 3 label rows: "1m"
	// down to "21s"), a blank line, and the other 20 ("20s" to "1s").
	if len(lines) != 2+8+1+8 || len(lines[2]) != 80 || lines[10] != "" || len(lines[11]) != 20 {
		t.Fatalf("wrapped graph:\n%s", g)
	}
}

func TestDoctor(t *testing.T) {
	var m Monitor
	off := m.Doctor(Advice{})
	if !strings.HasPrefix(off, "I'm sorry, Dave, I can't do that.") {
		t.Errorf("monitor off: %q", off)
	}
	if got := m.Doctor(Advice{Threshold: 10}); !strings.HasPrefix(got, "Dave, no latency spike was observed") {
		t.Errorf("no events: %q", got)
	}
	now := time.Unix(1_700_000_100, 0)
	m.Add("command", 100, now.Add(-100*time.Second))
	m.Add("command", 300, now.Add(-50*time.Second))
	m.Add("expire-cycle", 40, now.Add(-10*time.Second))
	got := m.Doctor(Advice{Threshold: 10, SlowlogSlower: 10000, Hz: 10, Now: now})
	for _, want := range []string{
		"Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
			"1. command: 2 latency spikes (average 200ms, mean deviation 100ms, period 50.00 sec). Worst all time event 300ms.\n" +
			"2. expire-cycle: 1 latency spikes (average 40ms, mean deviation 0ms, period 10.00 sec). Worst all time event 40ms.\n" +
			"\nI have a few advices for you:\n\n",
		"- Check your Slow Log",
		"'CONFIG SET hz 100'",
		"- Deleting, expiring or evicting",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("doctor lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "slowlog-log-slower-than") {
		t.Errorf("advises tuning a slowlog already at the threshold:\n%s", got)
	}
	got = m.Doctor(Advice{Threshold: 10, SlowlogSlower: 20000, Hz: 100, Now: now})
	if !strings.Contains(got, "Please use 'CONFIG SET slowlog-log-slower-than 10000'.") || strings.Contains(got, "hz 100") {
		t.Errorf("slowlog tuning / hz advice:\n%s", got)
	}
}
