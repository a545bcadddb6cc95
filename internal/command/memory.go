package command

import (
	"fmt"
	"os"
	"runtime"
	rdebug "runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/smallredis/smallredis/internal/store"
)

// memoryCommands is the MEMORY family.
var memoryCommands = []*Spec{
	{Name: "memory", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "doctor", Arity: 2, ACL: []string{"slow"}, Handler: memoryDoctor},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: memoryHelp},
		{Name: "malloc-stats", Arity: 2, ACL: []string{"slow"}, Handler: memoryMallocStats},
		{Name: "purge", Arity: 2, ACL: []string{"slow"}, Handler: memoryPurge},
		{Name: "stats", Arity: 2, ACL: []string{"slow"}, Handler: memoryStats},
		{Name: "usage", Arity: -3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"read", "slow"}, Handler: memoryUsage},
	}},
}

// memoryUsage: MEMORY USAGE key [SAMPLES count]
//
// The size is the key's record (key, value, metadata), its share of the hash
// table and any value held outside the arena. Values of other types report
// their own estimate (store.Sizer) whole, so SAMPLES is validated as Redis
// does but changes nothing.
func memoryUsage(ctx *Ctx) {
	for j := 3; j < len(ctx.Args); j++ {
		if !eqFold(ctx.Args[j], "samples") || j+1 >= len(ctx.Args) {
			ctx.Err(ErrSyntax)
			return
		}
		n, ok := parseInt(ctx.Args[j+1])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		if n < 0 {
			ctx.Err(ErrSyntax)
			return
		}
		j++
	}
	// Redis 7.0 looks the key up in the dictionary directly: no keyspace
	// hit or miss is counted.
	ctx.Peek(ctx.Args[2], func(e *store.Entry) {
		if !e.Exists() {
			ctx.W.Null()
			return
		}
		ctx.W.Int(e.MemoryUsage())
	})
}

// memOverview is what INFO memory, MEMORY STATS and MEMORY DOCTOR report,
// gathered once. Redis's terms map onto ours as follows: used memory is what
// the store charges for data (records, tables, big values; see
// store.Keyspace.UsedMemory) plus the clients' buffers, overhead is the hash
// tables (and, in Redis's overhead totals, the clients' buffers), and the
// "allocator" is Go's heap.
type memOverview struct {
	used, peak, overhead, dataset int64
	keys                          int64
	arena, records                int64 // arena chunk bytes, and the live records in them
	rss                           int64
	heapAlloc, heapActive, heapRe int64 // Go heap: live objects, spans in use, mapped and not released
	clients                       int64 // client connections' buffers (store.Keyspace.ClientMemory)
	dbs                           []dbOverhead
}

type dbOverhead struct {
	id     int
	tables int64
}

var heapMetrics = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

func memoryOverview(s *Server) memOverview {
	var m memOverview
	for i := range s.KS.Databases() {
		db := s.KS.DB(i)
		if db.Len() == 0 {
			continue
		}
		st := db.MemoryStats()
		m.overhead += st.Tables
		m.keys += st.Keys
		m.arena += st.Arena
		m.records += st.Records
		m.dbs = append(m.dbs, dbOverhead{id: i, tables: st.Tables})
	}
	m.used = s.KS.UsedMemory()
	m.clients = s.KS.ClientMemory()
	m.peak = s.notePeak(m.used)
	m.dataset = max(0, m.used-m.overhead-m.clients)
	m.rss = rss()
	samples := make([]metrics.Sample, len(heapMetrics))
	copy(samples, heapMetrics)
	metrics.Read(samples) // unlike ReadMemStats, does not stop the world
	val := func(i int) int64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return int64(samples[i].Value.Uint64())
		}
		return 0
	}
	m.heapAlloc = val(0)
	m.heapActive = val(0) + val(1)
	m.heapRe = val(2) - val(3)
	return m
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// memoryStats: MEMORY STATS, with Redis 7.0's fields in its order.
func memoryStats(ctx *Ctx) {
	m := memoryOverview(ctx.S)
	w := ctx.W
	w.Map(27 + len(m.dbs))
	num := func(k string, v int64) { w.BulkString(k); w.Int(v) }
	dbl := func(k string, v float64) { w.BulkString(k); w.Double(v) }
	num("peak.allocated", m.peak)
	num("total.allocated", m.used)
	num("startup.allocated", 0)
	num("replication.backlog", 0)
	num("clients.slaves", 0)
	num("clients.normal", m.clients)
	num("cluster.links", 0)
	num("aof.buffer", 0)
	num("lua.caches", 0)
	num("functions.caches", 0)
	for _, d := range m.dbs {
		w.BulkString("db." + strconv.Itoa(d.id))
		w.Map(2)
		num("overhead.hashtable.main", d.tables)
		num("overhead.hashtable.expires", 0) // a TTL is a bit in the main table's slot
	}
	num("overhead.total", m.overhead+m.clients)
	num("keys.count", m.keys)
	perKey := int64(0)
	if m.keys > 0 {
		perKey = m.used / m.keys
	}
	num("keys.bytes-per-key", perKey)
	num("dataset.bytes", m.dataset)
	dbl("dataset.percentage", 100*ratio(m.dataset, m.used))
	dbl("peak.percentage", 100*ratio(m.used, m.peak))
	num("allocator.allocated", m.heapAlloc)
	num("allocator.active", m.heapActive)
	num("allocator.resident", m.heapRe)
	dbl("allocator-fragmentation.ratio", ratio(m.heapActive, m.heapAlloc))
	num("allocator-fragmentation.bytes", m.heapActive-m.heapAlloc)
	dbl("allocator-rss.ratio", ratio(m.heapRe, m.heapActive))
	num("allocator-rss.bytes", m.heapRe-m.heapActive)
	dbl("rss-overhead.ratio", ratio(m.rss, m.heapRe))
	num("rss-overhead.bytes", m.rss-m.heapRe)
	dbl("fragmentation", ratio(m.rss, m.used))
	num("fragmentation.bytes", m.rss-m.used)
}

// Redis 7.0's MEMORY DOCTOR texts.
const (
	doctorOK    = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	doctorEmpty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
		"Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	doctorIntro    = "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
	doctorBigPeak  = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n"
	doctorHighRSS  = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"go\".\n\n"
	doctorFrag     = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n"
	doctorAllocRSS = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n"
	doctorProcRSS  = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n"
	doctorClients  = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n"
	doctorOutro    = "I'm here to keep you safe, Sam. I want to help you.\n"
)

// memoryDoctor: MEMORY DOCTOR, Redis's checks applied to our figures.
func memoryDoctor(ctx *Ctx) {
	ctx.W.Verbatim("txt", doctorReport(memoryOverview(ctx.S), len(ctx.S.Host.Clients())))
}

func doctorReport(m memOverview, clients int) string {
	if m.used < 5<<20 {
		return doctorEmpty
	}
	var b strings.Builder
	add := func(cond bool, text string) {
		if cond {
			b.WriteString(text)
		}
	}
	const tenMB = 10 << 20
	add(ratio(m.peak, m.used) > 1.5, doctorBigPeak)
	add(ratio(m.rss, m.used) > 1.4 && m.rss-m.used > tenMB, doctorHighRSS)
	add(ratio(m.heapActive, m.heapAlloc) > 1.1 && m.heapActive-m.heapAlloc > tenMB, doctorFrag)
	add(ratio(m.heapRe, m.heapActive) > 1.1 && m.heapRe-m.heapActive > tenMB, doctorAllocRSS)
	add(ratio(m.rss, m.heapRe) > 1.1 && m.rss-m.heapRe > tenMB, doctorProcRSS)
	add(clients > 0 && m.clients/int64(clients) > 200<<10, doctorClients)
	if b.Len() == 0 {
		return doctorOK
	}
	return doctorIntro + b.String() + doctorOutro
}

// memoryMallocStats: MEMORY MALLOC-STATS. Redis reports its allocator's
// statistics; ours is Go's, so this is the runtime's view of the heap.
func memoryMallocStats(ctx *Ctx) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var b strings.Builder
	fmt.Fprintf(&b, "___ Begin Go runtime memory statistics (%s) ___\n", runtime.Version())
	fmt.Fprintf(&b, "HeapAlloc: %d\nHeapInuse: %d\nHeapIdle: %d\nHeapReleased: %d\nHeapSys: %d\nHeapObjects: %d\n",
		ms.HeapAlloc, ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.HeapSys, ms.HeapObjects)
	fmt.Fprintf(&b, "StackInuse: %d\nMSpanInuse: %d\nGCSys: %d\nOtherSys: %d\nSys: %d\n",
		ms.StackInuse, ms.MSpanInuse, ms.GCSys, ms.OtherSys, ms.Sys)
	fmt.Fprintf(&b, "NumGC: %d\nNextGC: %d\nGCCPUFraction: %.6f\nMemoryLimit: %d\nGOGC: %s\n",
		ms.NumGC, ms.NextGC, ms.GCCPUFraction, rdebug.SetMemoryLimit(-1), gogc())
	// Where the process's memory goes, class by class (the figures that
	// explain RSS above the live heap).
	var classes []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") && d.Kind == metrics.KindUint64 {
			classes = append(classes, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(classes)
	for _, c := range classes {
		fmt.Fprintf(&b, "%s %d\n", c.Name, c.Value.Uint64())
	}
	b.WriteString("--- End Go runtime memory statistics ---\n")
	ctx.W.Verbatim("txt", b.String())
}

func gogc() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v
	}
	return "100"
}

// memoryPurge: MEMORY PURGE. Collects garbage and returns freed pages to
// the operating system, as Redis asks jemalloc to purge dirty pages.
func memoryPurge(ctx *Ctx) {
	rdebug.FreeOSMemory()
	ctx.W.OK()
}

// memoryHelp: MEMORY HELP
func memoryHelp(ctx *Ctx) {
	writeHelp(ctx, "MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
}
