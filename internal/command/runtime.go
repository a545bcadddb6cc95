package command

import (
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"

	"github.com/smallredis/smallredis/internal/procs"
)

// INFO runtime: the Go runtime's own figures, for telling the garbage
// collector's share of the server's work from the commands' (bench/scale.sh
// reads them). Not a Redis section: it is shown only when asked for by
// name or with INFO all/everything, so INFO and INFO default stay Redis's.
//
// CPU figures are the runtime's estimates (runtime/metrics /cpu/classes),
// cumulative since start; pause percentiles and GC cycles count from the
// last CONFIG RESETSTAT (or start), so a benchmark can reset and read.

// Indexes into runtimeSamples.
const (
	rtGCCPU = iota
	rtUserCPU
	rtScavengeCPU
	rtCycles
	rtPauses
	rtHeapLive
	rtHeapGoal
	rtHeapObjects
	rtScanHeap
	rtScanGlobals
	rtScanStack
	rtGOGC
	rtMemLimit
	rtGoroutines
	rtSchedLatency
)

var runtimeSamples = []metrics.Sample{
	{Name: "/cpu/classes/gc/total:cpu-seconds"},
	{Name: "/cpu/classes/user:cpu-seconds"},
	{Name: "/cpu/classes/scavenge/total:cpu-seconds"},
	{Name: "/gc/cycles/total:gc-cycles"},
	{Name: "/sched/pauses/total/gc:seconds"},
	{Name: "/gc/heap/live:bytes"},
	{Name: "/gc/heap/goal:bytes"},
	{Name: "/gc/heap/objects:objects"},
	{Name: "/gc/scan/heap:bytes"},
	{Name: "/gc/scan/globals:bytes"},
	{Name: "/gc/scan/stack:bytes"},
	{Name: "/gc/gogc:percent"},
	{Name: "/gc/gomemlimit:bytes"},
	{Name: "/sched/goroutines:goroutines"},
	{Name: "/sched/latencies:seconds"},
}

// runtimeBase is what CONFIG RESETSTAT resets the counted figures to.
var runtimeBase struct {
	mu     sync.Mutex // guards the fields below and runtimeSamples
	cycles uint64
	pauses []uint64 // GC pause histogram counts at the reset
	sched  []uint64 // scheduling latency histogram counts at the reset
}

// resetRuntimeStats makes pause percentiles and GC cycles count from now.
func resetRuntimeStats() {
	runtimeBase.mu.Lock()
	defer runtimeBase.mu.Unlock()
	metrics.Read(runtimeSamples)
	runtimeBase.cycles = runtimeSamples[rtCycles].Value.Uint64()
	runtimeBase.pauses = append(runtimeBase.pauses[:0], runtimeSamples[rtPauses].Value.Float64Histogram().Counts...)
	runtimeBase.sched = append(runtimeBase.sched[:0], runtimeSamples[rtSchedLatency].Value.Float64Histogram().Counts...)
}

func infoRuntime(_ *Server, b *strings.Builder) {
	runtimeBase.mu.Lock()
	defer runtimeBase.mu.Unlock()
	metrics.Read(runtimeSamples)
	f := func(i int) float64 { return runtimeSamples[i].Value.Float64() }
	u := func(i int) uint64 { return runtimeSamples[i].Value.Uint64() }
	gc, user, scav := f(rtGCCPU), f(rtUserCPU), f(rtScavengeCPU)
	kv(b, "go_version", runtime.Version())
	kv(b, "go_gomaxprocs", runtime.GOMAXPROCS(0)) // follows the load (internal/procs)
	kv(b, "go_procs_limit", procs.Limit())        // the most it may rise to: event loops, stripes
	kv(b, "go_num_cpu", runtime.NumCPU())
	kv(b, "go_goroutines", u(rtGoroutines))
	kv(b, "go_gogc_percent", u(rtGOGC))
	kv(b, "go_memory_limit", u(rtMemLimit))
	kv(b, "go_heap_live_bytes", u(rtHeapLive))
	kv(b, "go_heap_goal_bytes", u(rtHeapGoal))
	kv(b, "go_heap_objects", u(rtHeapObjects))
	// What the last GC had to scan: flat in the number of keys, since the
	// store keeps keys and string values in pointer-free arenas.
	kv(b, "go_gc_scan_heap_bytes", u(rtScanHeap))
	kv(b, "go_gc_scan_globals_bytes", u(rtScanGlobals))
	kv(b, "go_gc_scan_stack_bytes", u(rtScanStack))
	kv(b, "go_cpu_user_seconds", seconds(user))
	kv(b, "go_cpu_gc_seconds", seconds(gc))
	kv(b, "go_cpu_scavenge_seconds", seconds(scav))
	share := 0.0
	if busy := user + gc + scav; busy > 0 {
		share = gc / busy
	}
	kv(b, "go_gc_cpu_share", strconv.FormatFloat(share, 'f', 4, 64))
	kv(b, "go_gc_cycles", u(rtCycles)-runtimeBase.cycles)
	pauses := runtimeSamples[rtPauses].Value.Float64Histogram()
	writeQuantiles(b, "go_gc_pause", pauses, runtimeBase.pauses)
	writeQuantiles(b, "go_sched_latency", runtimeSamples[rtSchedLatency].Value.Float64Histogram(), runtimeBase.sched)
}

func seconds(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// writeQuantiles writes name_count and name_{p50,p99,p999,max}_usec of a
// runtime histogram less the counts in base: each quantile is the upper
// bound of the bucket it falls in (the runtime's buckets are a few percent
// wide), so the figures are upper bounds.
func writeQuantiles(b *strings.Builder, name string, h *metrics.Float64Histogram, base []uint64) {
	counts := make([]uint64, len(h.Counts))
	var total uint64
	for i, c := range h.Counts {
		if i < len(base) {
			c -= min(c, base[i])
		}
		counts[i] = c
		total += c
	}
	kv(b, name+"_count", total)
	for _, q := range []struct {
		suffix string
		q      float64
	}{{"_p50_usec", 0.5}, {"_p99_usec", 0.99}, {"_p999_usec", 0.999}, {"_max_usec", 1}} {
		kv(b, name+q.suffix, strconv.FormatFloat(quantile(h.Buckets, counts, total, q.q)*1e6, 'f', 1, 64))
	}
}

// quantile is the upper bound of the bucket holding quantile q of the
// counts (bucket i spans buckets[i] to buckets[i+1]); 0 with no samples.
func quantile(buckets []float64, counts []uint64, total uint64, q float64) float64 {
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank && c > 0 {
			hi := buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = buckets[i]
			}
			return hi
		}
	}
	return 0
}
