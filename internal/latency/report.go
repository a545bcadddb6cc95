package latency

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// graphCols is the chart's width; a longer history wraps into more charts.
const graphCols = 80

// Graph draws the event's history as LATENCY GRAPH does: a title line, a
// rule, and latency.c's four-row filled sparkline with, under each column,
// how long ago the sample was taken, written vertically. ok is false for
// an event never seen.
func (m *Monitor) Graph(event string, now time.Time) (string, bool) {
	samples, allTime, ok := m.History(event)
	if !ok {
		return "", false
	}
	var lo, hi int64
	seq := make([]point, 0, len(samples))
	for i, s := range samples {
		if i == 0 {
			lo, hi = s.Latency, s.Latency
		}
		lo, hi = min(lo, s.Latency), max(hi, s.Latency)
		seq = append(seq, point{float64(s.Latency), ago(now.Unix() - s.Time)})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, allTime)
	b.WriteString(strings.Repeat("-", graphCols))
	b.WriteByte('\n')
	renderSparkline(&b, seq, graphCols, 4)
	return b.String(), true
}

// ago labels a sample with the seconds, minutes, hours or days since it.
func ago(elapsed int64) string {
	switch {
	case elapsed < 60:
		return strconv.FormatInt(elapsed, 10) + "s"
	case elapsed < 3600:
		return strconv.FormatInt(elapsed/60, 10) + "m"
	case elapsed < 3600*24:
		return strconv.FormatInt(elapsed/3600, 10) + "h"
	}
	return strconv.FormatInt(elapsed/(3600*24), 10) + "d"
}

type point struct {
	value float64
	label string
}

// renderSparkline appends seq as sparkline.c's filled chart of rows rows,
// in chunks of at most cols columns separated by a blank line.
func renderSparkline(b *strings.Builder, seq []point, cols, rows int) {
	if len(seq) == 0 {
		return
	}
	lo, hi := seq[0].value, seq[0].value
	labels := false
	for _, p := range seq {
		lo, hi = min(lo, p.value), max(hi, p.value)
		labels = labels || p.label != ""
	}
	for j := 0; j < len(seq); j += cols {
		if j != 0 {
			b.WriteByte('\n')
		}
		renderRange(b, seq[j:min(j+cols, len(seq))], lo, hi, labels, rows)
	}
}

// renderRange draws one chunk. Each column's value picks one of rows×3
// steps: the top row holding its step shows '_', 'o' or '#', the rows
// below it '|'. Then, after one spacing row, the labels run downwards.
func renderRange(b *strings.Builder, seq []point, lo, hi float64, labels bool, rows int) {
	const fill = "_o#"
	rel := hi - lo
	if rel == 0 {
		rel = 1
	}
	steps := len(fill) * rows
	line := make([]byte, len(seq))
	for row := 0; ; row++ {
		more := false
		for i := range line {
			line[i] = ' '
		}
		for j, p := range seq {
			if row < rows {
				// As sparkline.c: the product truncated, then divided.
				step := int(float64(int(int64((p.value-lo)*float64(steps)))) / rel)
				step = min(max(step, 0), steps-1)
				more = true
				switch c := step - (rows-row-1)*len(fill); {
				case c >= 0 && c < len(fill):
					line[j] = fill[c]
				case c >= len(fill):
					line[j] = '|'
				}
				continue
			}
			if labels && row-rows < 1 {
				more = true
				break
			}
			if k := row - rows - 1; k < len(p.label) {
				more = true
				line[j] = p.label[k]
			}
		}
		if !more {
			return
		}
		b.Write(line)
		b.WriteByte('\n')
	}
}

// Advice is what LATENCY DOCTOR's advice depends on beyond the samples.
type Advice struct {
	Threshold     int64 // latency-monitor-threshold, ms
	SlowlogSlower int64 // slowlog-log-slower-than, µs
	Hz            int
	AnonHugePages bool // the process has transparent huge pages
	Now           time.Time
}

type stats struct {
	samples       int
	avg, mad, max int64
	period        int64 // seconds since the oldest sample, at least 1
}

func (m *Monitor) analyze(event string, now int64) stats {
	ts := m.events[event]
	var st stats
	var sum, oldest int64
	for _, s := range ts.samples {
		if s.time == 0 {
			continue
		}
		st.samples++
		sum += int64(s.latency)
		if oldest == 0 || s.time < oldest {
			oldest = s.time
		}
	}
	st.max = int64(ts.max)
	if st.samples == 0 {
		return st
	}
	st.avg = sum / int64(st.samples)
	st.period = max(now-oldest, 1)
	var dev int64
	for _, s := range ts.samples {
		if s.time != 0 {
			dev += abs(st.avg - int64(s.latency))
		}
	}
	st.mad = dev / int64(st.samples)
	return st
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Doctor writes LATENCY DOCTOR's report: Redis's text for every event and
// the advice for the events this server records (command, fast-command,
// expire-cycle, eviction-cycle, eviction-del) and for transparent huge
// pages.
func (m *Monitor) Doctor(a Advice) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.events) == 0 && a.Threshold == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	var b strings.Builder
	var slowlogEnabled, slowlogTuning, slowlogInspect, scheduler, hz, largeObjects, massEviction, thp bool
	advices := 0
	names := make([]string, 0, len(m.events))
	for name := range m.events {
		names = append(names, name)
	}
	slices.Sort(names)
	now := a.Now.Unix()
	for i, event := range names {
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		st := m.analyze(event, now) // an event has a sample at least
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.",
			i+1, event, st.samples, st.avg, st.mad, float64(st.period)/float64(st.samples), st.max)
		switch strings.ToLower(event) {
		case "command":
			if a.SlowlogSlower < 0 {
				slowlogEnabled = true
				advices++
			} else if a.SlowlogSlower/1000 > a.Threshold {
				slowlogTuning = true
				advices++
			}
			slowlogInspect, largeObjects = true, true
			advices += 2
		case "fast-command":
			scheduler = true
			advices++
		case "expire-cycle":
			hz, largeObjects = true, true
			advices += 2
		case "eviction-del":
			largeObjects = true
			advices++
		case "eviction-cycle":
			massEviction = true
			advices++
		}
		b.WriteByte('\n')
	}
	if a.AnonHugePages {
		thp = true
		advices++
	}
	switch {
	case len(names) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
		return b.String()
	case len(names) > 0 && advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
		return b.String()
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	if slowlogEnabled {
		fmt.Fprintf(&b, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", a.Threshold*1000)
	}
	if slowlogTuning {
		fmt.Fprintf(&b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", a.Threshold*1000)
	}
	if slowlogInspect {
		b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
	}
	if scheduler {
		b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
			"  1) Lower the system load.\n" +
			"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
			"  3) Check if you have a \"noisy neighbour\" problem.\n" +
			"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
			"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
	}
	if hz && a.Hz < 100 {
		b.WriteString("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
	}
	if largeObjects {
		b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
	}
	if massEviction {
		b.WriteString("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n")
	}
	if thp {
		b.WriteString("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n")
	}
	return b.String()
}
