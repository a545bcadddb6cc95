package command

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/smallredis/smallredis/internal/config"
)

// infoSections lists INFO's sections in Redis's order; "default" and
// "all" select all of these.
var infoSections = []struct {
	name string
	fn   func(s *Server, b *strings.Builder)
}{
	{"server", infoServer},
	{"clients", infoClients},
	{"memory", infoMemory},
	{"persistence", infoPersistence},
	{"stats", infoStats},
	{"replication", infoReplication},
	{"cpu", infoCPU},
	{"modules", func(*Server, *strings.Builder) {}},
	{"errorstats", infoErrorStats},
	{"cluster", func(s *Server, b *strings.Builder) { b.WriteString("cluster_enabled:0\r\n") }},
	{"keyspace", infoKeyspace},
}

// extraSections are only shown when asked for or with "all"/"everything".
var extraSections = map[string]func(*Server, *strings.Builder){
	"commandstats": infoCommandStats,
	"latencystats": infoLatencyStats,
	"runtime":      infoRuntime,
}

// info: INFO [section [section …]]
func info(ctx *Ctx) {
	want := map[string]bool{}
	all := len(ctx.Args) == 1
	for _, a := range ctx.Args[1:] {
		s := strings.ToLower(string(a))
		switch s {
		case "all", "everything":
			all = true
			want["commandstats"] = true
			want["latencystats"] = true
			want["runtime"] = true
		case "default":
			all = true
		default:
			want[s] = true
		}
	}
	var b strings.Builder
	emit := func(name string, fn func(*Server, *strings.Builder)) {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + strings.ToUpper(name[:1]) + name[1:] + "\r\n")
		fn(ctx.S, &b)
	}
	for _, sec := range infoSections {
		if all || want[sec.name] {
			emit(sec.name, sec.fn)
		}
	}
	for _, name := range []string{"commandstats", "latencystats", "runtime"} {
		if want[name] {
			emit(name, extraSections[name])
		}
	}
	ctx.W.Verbatim("txt", b.String())
}

func kv(b *strings.Builder, k string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", k, v)
}

func infoServer(s *Server, b *strings.Builder) {
	up := time.Since(s.Start)
	kv(b, "redis_version", s.Cfg.RedisVersion())
	kv(b, "smallredis_version", Version)
	kv(b, "redis_git_sha1", "00000000")
	kv(b, "redis_git_dirty", 0)
	kv(b, "redis_build_id", "0")
	kv(b, "redis_mode", "standalone")
	kv(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	kv(b, "arch_bits", 64)
	kv(b, "monotonic_clock", "POSIX clock_gettime")
	kv(b, "multiplexing_api", "epoll")
	kv(b, "go_version", runtime.Version())
	kv(b, "process_id", os.Getpid())
	kv(b, "process_supervised", "no")
	kv(b, "run_id", s.RunID)
	kv(b, "tcp_port", s.Host.Port())
	kv(b, "server_time_usec", time.Now().UnixMicro())
	kv(b, "uptime_in_seconds", int64(up/time.Second))
	kv(b, "uptime_in_days", int64(up/(24*time.Hour)))
	kv(b, "hz", s.Cfg.Hz())
	kv(b, "configured_hz", s.Cfg.Hz())
	kv(b, "lru_clock", (time.Now().Unix())&(1<<24-1))
	exe, _ := os.Executable()
	kv(b, "executable", exe)
	kv(b, "config_file", s.Cfg.ConfigFile())
	kv(b, "io_threads_active", 0)
}

func infoClients(s *Server, b *strings.Builder) {
	kv(b, "connected_clients", len(s.Host.Clients()))
	kv(b, "cluster_connections", 0)
	kv(b, "maxclients", s.Cfg.MaxClients())
	kv(b, "client_recent_max_input_buffer", s.Stats.RecentMaxInput.Load())
	kv(b, "client_recent_max_output_buffer", s.Stats.RecentMaxOutput.Load())
	blocked, timed := s.BlockedClients()
	// As Redis, clients held by CLIENT PAUSE count as blocked.
	kv(b, "blocked_clients", blocked+s.PausedClients())
	kv(b, "tracking_clients", s.TrackingClients())
	kv(b, "clients_in_timeout_table", timed)
}

// rss reads the resident set size from /proc.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res int64
	fmt.Sscan(string(data), &size, &res)
	return res * int64(os.Getpagesize())
}

func infoMemory(s *Server, b *strings.Builder) {
	m := memoryOverview(s)
	maxmem := s.Cfg.MaxMemory()
	kv(b, "used_memory", m.used)
	kv(b, "used_memory_human", config.FormatMemoryHuman(m.used))
	kv(b, "used_memory_rss", m.rss)
	kv(b, "used_memory_rss_human", config.FormatMemoryHuman(m.rss))
	kv(b, "used_memory_peak", m.peak)
	kv(b, "used_memory_peak_human", config.FormatMemoryHuman(m.peak))
	kv(b, "used_memory_peak_perc", fmt.Sprintf("%.2f%%", 100*ratio(m.used, m.peak)))
	kv(b, "used_memory_overhead", m.overhead+m.clients)
	kv(b, "used_memory_startup", 0)
	kv(b, "used_memory_dataset", m.dataset)
	kv(b, "used_memory_dataset_perc", fmt.Sprintf("%.2f%%", 100*ratio(m.dataset, m.used)))
	kv(b, "allocator_allocated", m.heapAlloc)
	kv(b, "allocator_active", m.heapActive)
	kv(b, "allocator_resident", m.heapRe)
	total := totalSystemMemory()
	kv(b, "total_system_memory", total)
	kv(b, "total_system_memory_human", config.FormatMemoryHuman(total))
	nScripts, scriptBytes, _ := s.Scripts.Stats()
	nLibs, nFuncs, funcBytes := s.Scripts.FunctionStats()
	kv(b, "used_memory_scripts_eval", scriptBytes)
	kv(b, "number_of_cached_scripts", nScripts)
	kv(b, "number_of_functions", nFuncs)
	kv(b, "number_of_libraries", nLibs)
	kv(b, "used_memory_functions", funcBytes)
	kv(b, "used_memory_scripts", scriptBytes+funcBytes)
	kv(b, "used_memory_scripts_human", config.FormatMemoryHuman(scriptBytes+funcBytes))
	kv(b, "maxmemory", maxmem)
	kv(b, "maxmemory_human", config.FormatMemoryHuman(maxmem))
	kv(b, "maxmemory_policy", s.Cfg.MaxMemoryPolicy())
	kv(b, "allocator_frag_ratio", fmt.Sprintf("%.2f", ratio(m.heapActive, m.heapAlloc)))
	kv(b, "allocator_frag_bytes", m.heapActive-m.heapAlloc)
	kv(b, "allocator_rss_ratio", fmt.Sprintf("%.2f", ratio(m.heapRe, m.heapActive)))
	kv(b, "allocator_rss_bytes", m.heapRe-m.heapActive)
	kv(b, "rss_overhead_ratio", fmt.Sprintf("%.2f", ratio(m.rss, m.heapRe)))
	kv(b, "rss_overhead_bytes", m.rss-m.heapRe)
	kv(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", ratio(m.rss, m.used)))
	kv(b, "mem_fragmentation_bytes", m.rss-m.used)
	kv(b, "mem_not_counted_for_evict", 0)
	kv(b, "mem_replication_backlog", 0)
	kv(b, "mem_clients_slaves", 0)
	kv(b, "mem_clients_normal", m.clients)
	kv(b, "mem_aof_buffer", 0)
	kv(b, "mem_allocator", "go")
	kv(b, "active_defrag_running", 0)
	kv(b, "lazyfree_pending_objects", 0)
	kv(b, "lazyfreed_objects", s.Stats.LazyFreed.Load())
	// Ours: the record arena behind used_memory. Records are written to
	// chunks and compacted a little at a time, so the chunks hold more than
	// the live records: overwritten and deleted records not yet reclaimed.
	kv(b, "arena_allocated", m.arena)
	kv(b, "arena_live", m.records)
	kv(b, "used_memory_go_heap", m.heapAlloc)
}

func totalSystemMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

func infoPersistence(s *Server, b *strings.Builder) {
	loading := s.Loading()
	kv(b, "loading", b2i(loading))
	kv(b, "async_loading", 0)
	p := &s.persist
	kv(b, "rdb_changes_since_last_save", s.DirtySinceSave())
	kv(b, "rdb_bgsave_in_progress", b2i(p.bgRunning.Load()))
	kv(b, "rdb_last_save_time", p.lastSave.Load())
	kv(b, "rdb_last_bgsave_status", okErr(p.lastOK.Load()))
	kv(b, "rdb_last_bgsave_time_sec", p.lastBgSecs.Load())
	cur := int64(-1)
	if p.bgRunning.Load() {
		cur = time.Now().Unix() - p.bgStart.Load()
	}
	kv(b, "rdb_current_bgsave_time_sec", cur)
	kv(b, "rdb_saves", p.saves.Load())
	kv(b, "rdb_last_load_keys_expired", p.loadExpir.Load())
	kv(b, "rdb_last_load_keys_loaded", p.loaded.Load())
	kv(b, "aof_enabled", 0)
	kv(b, "aof_rewrite_in_progress", 0)
	kv(b, "aof_last_bgrewrite_status", "ok")
	kv(b, "aof_last_write_status", "ok")
	if loading {
		infoLoading(s, b)
	}
}

func infoStats(s *Server, b *strings.Builder) {
	st := &s.Stats
	kv(b, "total_connections_received", st.Connections.Load())
	kv(b, "total_commands_processed", st.Commands.Load())
	kv(b, "instantaneous_ops_per_sec", st.InstantaneousOps.Load())
	kv(b, "total_net_input_bytes", st.NetInput.Load())
	kv(b, "total_net_output_bytes", st.NetOutput.Load())
	kv(b, "rejected_connections", st.Rejected.Load())
	kv(b, "expired_keys", s.KS.ExpiredKeys())
	kv(b, "evicted_keys", s.EvictedKeys())
	kv(b, "evicted_clients", st.EvictedClients.Load())
	exceeded, current := s.Evict.ExceededTime()
	kv(b, "total_eviction_exceeded_time", exceeded.Milliseconds())
	kv(b, "current_eviction_exceeded_time", current.Milliseconds())
	kv(b, "keyspace_hits", st.Hits.Load())
	kv(b, "keyspace_misses", st.Misses.Load())
	channels, patterns, shard := s.PubSubCounts()
	kv(b, "pubsub_channels", channels)
	kv(b, "pubsub_patterns", patterns)
	kv(b, "pubsubshard_channels", shard)
	// Nothing forks: Redis's zeros, which tools read.
	kv(b, "latest_fork_usec", 0)
	kv(b, "total_forks", 0)
	kv(b, "migrate_cached_sockets", s.migrateCached())
	kv(b, "tracking_total_keys", s.tracking.tab.Keys())
	kv(b, "tracking_total_items", s.tracking.tab.Items())
	kv(b, "tracking_total_prefixes", s.tracking.tab.Prefixes())
	kv(b, "total_error_replies", st.ErrorReplies.Load())
	kv(b, "total_reads_processed", st.Reads.Load())
	kv(b, "total_writes_processed", st.Writes.Load())
	kv(b, "client_output_buffer_limit_disconnections", st.OutputLimitDisconnections.Load())
	// Redis 7.2's ACL counters (7.0 has none).
	kv(b, "acl_access_denied_auth", st.AuthDenied.Load())
	kv(b, "acl_access_denied_cmd", st.ACLDeniedCmd.Load())
	kv(b, "acl_access_denied_key", st.ACLDeniedKey.Load())
	kv(b, "acl_access_denied_channel", st.ACLDeniedChannel.Load())
}

func infoReplication(s *Server, b *strings.Builder) {
	kv(b, "role", "master")
	kv(b, "connected_slaves", 0)
	kv(b, "master_failover_state", "no-failover")
	kv(b, "master_replid", s.RunID)
	kv(b, "master_replid2", "0000000000000000000000000000000000000000")
	kv(b, "master_repl_offset", 0)
	kv(b, "second_repl_offset", -1)
	kv(b, "repl_backlog_active", 0)
	kv(b, "repl_backlog_size", 1048576)
	kv(b, "repl_backlog_first_byte_offset", 0)
	kv(b, "repl_backlog_histlen", 0)
}

func infoCPU(s *Server, b *strings.Builder) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
	kv(b, "used_cpu_sys", tv(ru.Stime))
	kv(b, "used_cpu_user", tv(ru.Utime))
	kv(b, "used_cpu_sys_children", "0.000000")
	kv(b, "used_cpu_user_children", "0.000000")
}

func infoErrorStats(s *Server, b *strings.Builder) {
	st := &s.Stats
	st.errMu.Lock()
	defer st.errMu.Unlock()
	keys := make([]string, 0, len(st.errors))
	for k := range st.errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", k, st.errors[k])
	}
}

func infoCommandStats(s *Server, b *strings.Builder) {
	var walk func(specs []*Spec)
	walk = func(specs []*Spec) {
		for _, sp := range specs {
			if len(sp.Subs) > 0 {
				walk(sp.Subs)
				continue
			}
			calls := sp.stats.calls()
			rej, fail := sp.stats.rejected.Load(), sp.stats.failed.Load()
			if calls == 0 && rej == 0 && fail == 0 {
				continue
			}
			usec := sp.stats.usec()
			per := 0.0
			if calls > 0 {
				per = float64(usec) / float64(calls)
			}
			fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				sp.Name, calls, usec, per, rej, fail)
		}
	}
	walk(s.Table.All())
}

func infoKeyspace(s *Server, b *strings.Builder) {
	now := time.Now().UnixMilli()
	for i := 0; i < s.KS.Databases(); i++ {
		db := s.KS.DB(i)
		if n := db.Len(); n > 0 {
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", i, n, db.Expires(), db.AvgTTL(now))
		}
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
