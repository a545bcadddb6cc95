package command

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/latency"
)

// latencyCommands are Redis 7.0's LATENCY: the latency monitor's events
// (package latency) and the per-command histograms (cmdStats).
var latencyCommands = []*Spec{
	{Name: "latency", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "doctor", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: latencyDoctor},
		{Name: "graph", Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: latencyGraph},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: latencyHelp},
		{Name: "histogram", Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: latencyHistogram},
		{Name: "history", Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: latencyHistory},
		{Name: "latest", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: latencyLatest},
		{Name: "reset", Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: latencyReset},
	}},
}

// LatencyEvent feeds the latency monitor an event of the server's own
// machinery (the expiry cycle, the evictor) that took d, if the monitor is
// on and d reaches its threshold: latencyAddSampleIfNeeded.
func (s *Server) LatencyEvent(event string, d time.Duration) {
	if th := s.Cfg.LatencyMonitorThreshold(); th > 0 && int64(d/time.Millisecond) >= th {
		s.latency.Add(event, int64(d/time.Millisecond), time.Now())
	}
}

// commandLatency is LatencyEvent for a command that took d: "command",
// or "fast-command" for one flagged fast, as Redis's call() names them.
func (s *Server) commandLatency(spec *Spec, d time.Duration) {
	ev := "command"
	if spec.Flags&Fast != 0 {
		ev = "fast-command"
	}
	s.LatencyEvent(ev, d)
}

func latencyLatest(ctx *Ctx) {
	rows := ctx.S.latency.Latest()
	ctx.W.Array(len(rows))
	for _, r := range rows {
		ctx.W.Array(4)
		ctx.W.BulkString(r.Event)
		ctx.W.Int(r.Time)
		ctx.W.Int(r.Latency)
		ctx.W.Int(r.AllTime)
	}
}

func latencyHistory(ctx *Ctx) {
	samples, _, _ := ctx.S.latency.History(string(ctx.Args[2]))
	ctx.W.Array(len(samples))
	for _, s := range samples {
		ctx.W.Array(2)
		ctx.W.Int(s.Time)
		ctx.W.Int(s.Latency)
	}
}

func latencyReset(ctx *Ctx) {
	if len(ctx.Args) == 2 {
		ctx.W.Int(int64(ctx.S.latency.ResetAll()))
		return
	}
	n := 0
	for _, a := range ctx.Args[2:] {
		n += ctx.S.latency.Reset(string(a))
	}
	ctx.W.Int(int64(n))
}

func latencyGraph(ctx *Ctx) {
	g, ok := ctx.S.latency.Graph(string(ctx.Args[2]), time.Now())
	if !ok {
		ctx.Err("ERR No samples available for event '" + string(ctx.Args[2]) + "'")
		return
	}
	ctx.W.Verbatim("txt", g)
}

func latencyDoctor(ctx *Ctx) {
	cfg := ctx.S.Cfg
	ctx.W.Verbatim("txt", ctx.S.latency.Doctor(latency.Advice{
		Threshold:     cfg.LatencyMonitorThreshold(),
		SlowlogSlower: cfg.SlowlogSlowerThan(),
		Hz:            cfg.Hz(),
		AnonHugePages: anonHugePages(),
		Now:           time.Now(),
	}))
}

// anonHugePages reports whether the process has anonymous transparent huge
// pages, which the doctor advises against as Redis's does.
func anonHugePages() bool {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb > 0
		}
	}
	return false
}

// latencyHistogram: LATENCY HISTOGRAM [command …]. A map of the named
// commands that have counted calls (a container names its subcommands;
// unknown names are skipped, repeated ones repeated), or of every command
// with none named.
func latencyHistogram(ctx *Ctx) {
	var specs []*Spec
	if len(ctx.Args) == 2 {
		var walk func([]*Spec)
		walk = func(l []*Spec) {
			for _, sp := range l {
				specs = append(specs, sp)
				walk(sp.Subs)
			}
		}
		walk(ctx.S.Table.All())
	} else {
		for _, a := range ctx.Args[2:] {
			if sp := ctx.S.Table.lookupFull(string(a)); sp != nil {
				specs = append(specs, sp)
				specs = append(specs, sp.Subs...)
			}
		}
	}
	type row struct {
		name string
		h    [latency.Buckets]int64
	}
	var rows []row
	for _, sp := range specs {
		var r row
		if sp.stats.histogram(&r.h) {
			r.name = sp.Name
			rows = append(rows, r)
		}
	}
	w := ctx.W
	w.Map(len(rows))
	for i := range rows {
		r := &rows[i]
		var calls int64
		n := 0
		for _, c := range r.h {
			calls += c
			if c != 0 {
				n++
			}
		}
		w.BulkString(r.name)
		w.Map(2)
		w.BulkString("calls")
		w.Int(calls)
		w.BulkString("histogram_usec")
		w.Map(n)
		var cum int64
		for j, c := range r.h {
			if c != 0 {
				cum += c
				w.Int(latency.BucketUsec(j))
				w.Int(cum)
			}
		}
	}
}

func latencyHelp(ctx *Ctx) {
	writeHelp(ctx, "LATENCY", []string{
		"DOCTOR", "    Return a human readable latency analysis report.",
		"GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>", "    Return time-latency samples for the <event> class.",
		"LATEST", "    Return the latest latency samples for all events.",
		"RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
}

// infoLatencyStats is INFO latencystats: each command's percentiles
// (latency-tracking-info-percentiles) in microseconds.
func infoLatencyStats(s *Server, b *strings.Builder) {
	pcts := s.Cfg.LatencyTrackingPercentiles()
	vals := make([]float64, len(pcts))
	for i, p := range pcts {
		vals[i], _ = strconv.ParseFloat(p, 64)
	}
	var h [latency.Buckets]int64
	var walk func([]*Spec)
	walk = func(specs []*Spec) {
		for _, sp := range specs {
			if sp.stats.histogram(&h) {
				b.WriteString("latency_percentiles_usec_" + sp.Name + ":")
				for i, p := range pcts {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString("p" + p + "=" + strconv.FormatFloat(latency.Percentile(&h, vals[i]), 'f', 3, 64))
				}
				b.WriteString("\r\n")
			}
			walk(sp.Subs)
		}
	}
	walk(s.Table.All())
}
