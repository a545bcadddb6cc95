package config

import (
	"errors"
	"strings"
	"sync"
)

// maxmemory-policy names, in the order Redis lists them in its error text.
var policies = struct {
	sync.RWMutex
	names []string // guarded by the embedded mutex
}{names: []string{
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
	// Our own policy (package evict): the default, see the README.
	"allkeys-lrfu", "volatile-lrfu",
}}

// RegisterMaxMemoryPolicy adds name to the values maxmemory-policy accepts,
// for eviction policies beyond Redis's eight. Call it from an init function
// so that the configuration file can name the policy. Registering a name
// twice is a no-op.
func RegisterMaxMemoryPolicy(name string) {
	name = strings.ToLower(name)
	policies.Lock()
	defer policies.Unlock()
	for _, n := range policies.names {
		if n == name {
			return
		}
	}
	policies.names = append(policies.names, name)
}

func policyNames() []string {
	policies.RLock()
	defer policies.RUnlock()
	return policies.names[:len(policies.names):len(policies.names)]
}

func hzClamp(n int64) int64 { return min(max(n, 1), 500) }

// isBaseName reports whether p names a file with no directory part.
func isBaseName(p string) bool { return !strings.ContainsAny(p, `/\`) }

var (
	yesNoLocal = []string{"no", "yes", "local"}
	// oomCanon: CONFIG GET shows oom-score-adj relative as yes, its synonym.
	oomCanon = map[string]string{"relative": "yes"}
)

// directives is every parameter Redis 7.0 accepts, in the order CONFIG
// REWRITE appends them. Defaults are Redis's except port (2345) and
// maxmemory-policy (allkeys-lrfu, our own policy: see the README). port and bind are immutable here: the
// server does not re-listen at run time.
var directives = []*directive{
	// Network and clients.
	integer("port", 0, 65535, 2345, implemented),
	special("bind", "* -::*", implemented|multiArg, parseBind, rewriteBind),
	str("bind-source-addr", "", emptyIsUnset),
	boolean("protected-mode", true, implemented),
	integer("tcp-backlog", 0, intMax, 511, implemented|immutable),
	str("unixsocket", "", immutable|emptyIsUnset),
	&directive{name: "unixsocketperm", kind: kindOctal, flags: immutable, def: "0", min: 0, max: 0o777},
	integer("timeout", 0, intMax, 0, implemented),
	integer("tcp-keepalive", 0, intMax, 300, implemented),
	integer("maxclients", 1, uintMax, 10000, implemented),
	str("requirepass", "", implemented|sensitive|emptyIsUnset),
	memory("client-query-buffer-limit", 1<<20, longMax, 1<<30, implemented),
	memory("proto-max-bulk-len", 1<<20, longMax, 512<<20, implemented),
	special("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		implemented|multiArg, parseOutputBufferLimit, rewriteOutputBufferLimit),
	integer("io-threads", 1, 128, 1, immutable),
	boolean("io-threads-do-reads", false, immutable),
	integer("tracking-table-max-keys", 0, longMax, 1000000, implemented),
	// Ours: the Redis version HELLO and INFO report (see the README);
	// hidden, so CONFIG GET * lists what Redis 7.0 lists.
	special("redis-version", "7.4.0", implemented|hidden, parseRedisVersion, nil),
	integer("socket-mark-id", 0, uintMax, 0, immutable),
	memory("maxmemory-clients", -100, longMax, 0, percent),

	// General.
	integer("databases", 1, intMax, 16, implemented|immutable),
	enum("loglevel", "notice", []string{"debug", "verbose", "notice", "warning", "nothing"}, implemented),
	str("logfile", "", implemented|immutable),
	boolean("syslog-enabled", false, immutable),
	str("syslog-ident", "redis", immutable),
	enum("syslog-facility", "local0",
		[]string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, immutable),
	boolean("daemonize", false, immutable),
	enum("supervised", "no", []string{"upstart", "systemd", "auto", "no"}, immutable),
	str("pidfile", "", immutable|emptyIsUnset),
	boolean("always-show-logo", false, immutable),
	boolean("set-proc-title", true, immutable),
	str("proc-title-template", "{title} {listen-addr} {server-mode}", 0),
	integer("hz", 0, intMax, 10, implemented),
	boolean("dynamic-hz", true, 0),
	boolean("crash-log-enabled", true, 0),
	boolean("crash-memcheck-enabled", true, 0),
	boolean("use-exit-on-panic", false, hidden),
	integer("watchdog-period", 0, intMax, 0, hidden),
	str("ignore-warnings", "", 0),
	integer("shutdown-timeout", 0, intMax, 10, 0),
	special("shutdown-on-sigint", "default", implemented|multiArg, parseShutdownFlags, nil),
	special("shutdown-on-sigterm", "default", implemented|multiArg, parseShutdownFlags, nil),
	enum("enable-protected-configs", "no", yesNoLocal, implemented|immutable),
	enum("enable-debug-command", "no", yesNoLocal, implemented|immutable),
	// Ours: net/http/pprof of the running server (see the README's
	// Scaling section); off by default, a bare port means loopback.
	&directive{name: "pprof-addr", kind: kindString, flags: implemented | immutable | hidden | emptyIsUnset, check: checkPprofAddr},
	enum("enable-module-command", "no", yesNoLocal, immutable),
	enum("oom-score-adj", "no", []string{"no", "yes", "relative", "absolute"}, 0),
	special("oom-score-adj-values", "0 200 800", multiArg, parseOOMScoreAdjValues, rewriteOOMScoreAdjValues),
	boolean("disable-thp", true, immutable),
	boolean("jemalloc-bg-thread", true, 0),
	str("server_cpulist", "", immutable|emptyIsUnset),
	str("bio_cpulist", "", immutable|emptyIsUnset),
	str("aof_rewrite_cpulist", "", immutable|emptyIsUnset),
	str("bgsave_cpulist", "", immutable|emptyIsUnset),

	// Memory and eviction.
	memory("maxmemory", 0, longMax, 0, implemented),
	&directive{name: "maxmemory-policy", kind: kindEnum, flags: implemented, def: "allkeys-lrfu", enumFn: policyNames},
	integer("maxmemory-samples", 1, intMax, 5, implemented),
	integer("maxmemory-eviction-tenacity", 0, 100, 10, implemented),
	integer("lfu-log-factor", 0, intMax, 10, implemented),
	integer("lfu-decay-time", 0, intMax, 1, implemented),
	boolean("replica-ignore-maxmemory", true, 0).aka("slave-ignore-maxmemory"),
	boolean("lazyfree-lazy-eviction", false, 0),
	boolean("lazyfree-lazy-expire", false, 0),
	boolean("lazyfree-lazy-server-del", false, 0),
	boolean("lazyfree-lazy-user-del", false, implemented),
	boolean("lazyfree-lazy-user-flush", false, implemented),
	integer("active-expire-effort", 1, 10, 1, 0),
	boolean("activerehashing", true, 0),
	boolean("activedefrag", false, 0),
	memory("active-defrag-ignore-bytes", 1, longMax, 100<<20, 0),
	integer("active-defrag-threshold-lower", 0, 1000, 10, 0),
	integer("active-defrag-threshold-upper", 0, 1000, 100, 0),
	integer("active-defrag-cycle-min", 1, 99, 1, 0),
	integer("active-defrag-cycle-max", 1, 99, 25, 0),
	integer("active-defrag-max-scan-fields", 1, longMax, 1000, 0),

	// Monitoring.
	integer("slowlog-log-slower-than", -1, longMax, 10000, implemented),
	integer("slowlog-max-len", 0, longMax, 128, implemented),
	integer("latency-monitor-threshold", 0, longMax, 0, implemented),
	boolean("latency-tracking", true, implemented),
	special("latency-tracking-info-percentiles", "50 99 99.9", implemented|multiArg, parsePercentiles, rewritePercentiles),
	special("notify-keyspace-events", "", implemented, parseNotify, rewriteNotify),
	integer("acllog-max-len", 0, longMax, 128, implemented),
	str("aclfile", "", implemented|immutable),
	enum("acl-pubsub-default", "resetchannels", []string{"allchannels", "resetchannels"}, implemented),
	integer("busy-reply-threshold", 0, longMax, 5000, implemented).aka("lua-time-limit"),

	// Persistence.
	special("dir", "", implemented|protected|denyLoading, parseDir, rewriteDir),
	str("dbfilename", "dump.rdb", implemented|protected),
	special("save", "3600 1 300 100 60 10000", implemented|multiArg, parseSave, rewriteSave),
	boolean("stop-writes-on-bgsave-error", true, implemented),
	boolean("rdbcompression", true, implemented),
	boolean("rdbchecksum", true, implemented|immutable),
	boolean("rdb-del-sync-files", false, 0),
	boolean("rdb-save-incremental-fsync", true, 0),
	integer("rdb-key-save-delay", intMin, intMax, 0, implemented|hidden),
	integer("key-load-delay", intMin, intMax, 0, implemented|hidden),
	integer("loading-process-events-interval-bytes", 1024, intMax, 2<<20, hidden),
	enum("sanitize-dump-payload", "no", []string{"no", "yes", "clients"}, 0),
	boolean("appendonly", false, denyLoading),
	str("appendfilename", "appendonly.aof", immutable),
	str("appenddirname", "appendonlydir", immutable),
	enum("appendfsync", "everysec", []string{"everysec", "always", "no"}, 0),
	boolean("no-appendfsync-on-rewrite", false, 0),
	integer("auto-aof-rewrite-percentage", 0, intMax, 100, 0),
	memory("auto-aof-rewrite-min-size", 0, longMax, 64<<20, 0),
	boolean("aof-load-truncated", true, 0),
	boolean("aof-use-rdb-preamble", true, 0),
	boolean("aof-timestamp-enabled", false, 0),
	boolean("aof-rewrite-incremental-fsync", true, 0),
	boolean("aof-disable-auto-gc", false, 0),

	// Replication.
	special("replicaof", "", immutable|multiArg, parseReplicaOf, rewriteReplicaOf).aka("slaveof"),
	str("masteruser", "", sensitive|emptyIsUnset),
	str("masterauth", "", sensitive|emptyIsUnset),
	boolean("replica-serve-stale-data", true, 0).aka("slave-serve-stale-data"),
	boolean("replica-read-only", true, 0).aka("slave-read-only"),
	boolean("replica-lazy-flush", false, 0).aka("slave-lazy-flush"),
	integer("replica-priority", 0, intMax, 100, 0).aka("slave-priority"),
	boolean("replica-announced", true, 0),
	str("replica-announce-ip", "", emptyIsUnset).aka("slave-announce-ip"),
	integer("replica-announce-port", 0, 65535, 0, 0).aka("slave-announce-port"),
	boolean("replica-ignore-disk-write-errors", false, 0),
	boolean("repl-diskless-sync", true, 0),
	integer("repl-diskless-sync-delay", 0, intMax, 5, 0),
	integer("repl-diskless-sync-max-replicas", 0, intMax, 0, 0),
	enum("repl-diskless-load", "disabled", []string{"disabled", "on-empty-db", "swapdb"}, denyLoading),
	integer("repl-ping-replica-period", 1, intMax, 10, 0).aka("repl-ping-slave-period"),
	integer("repl-timeout", 1, intMax, 60, 0),
	boolean("repl-disable-tcp-nodelay", false, 0),
	memory("repl-backlog-size", 1, longMax, 1<<20, 0),
	integer("repl-backlog-ttl", 0, longMax, 3600, 0),
	integer("min-replicas-to-write", 0, intMax, 0, implemented).aka("min-slaves-to-write"),
	integer("min-replicas-max-lag", 0, intMax, 10, implemented).aka("min-slaves-max-lag"),
	enum("propagation-error-behavior", "ignore", []string{"ignore", "panic", "panic-on-replicas"}, 0),

	// Cluster.
	boolean("cluster-enabled", false, immutable),
	str("cluster-config-file", "nodes.conf", immutable),
	integer("cluster-node-timeout", 0, longMax, 15000, 0),
	integer("cluster-port", 0, 65535, 0, immutable),
	str("cluster-announce-ip", "", emptyIsUnset),
	str("cluster-announce-hostname", "", emptyIsUnset),
	integer("cluster-announce-port", 0, 65535, 0, 0),
	integer("cluster-announce-bus-port", 0, 65535, 0, 0),
	integer("cluster-announce-tls-port", 0, 65535, 0, 0),
	enum("cluster-preferred-endpoint-type", "ip", []string{"ip", "hostname", "unknown-endpoint"}, 0),
	integer("cluster-replica-validity-factor", 0, intMax, 10, 0).aka("cluster-slave-validity-factor"),
	integer("cluster-migration-barrier", 0, intMax, 1, 0),
	boolean("cluster-allow-replica-migration", true, 0),
	boolean("cluster-require-full-coverage", true, 0),
	boolean("cluster-replica-no-failover", false, 0).aka("cluster-slave-no-failover"),
	boolean("cluster-allow-reads-when-down", false, 0),
	boolean("cluster-allow-pubsubshard-when-down", true, 0),
	memory("cluster-link-sendbuf-limit", 0, longMax, 0, 0),

	// Data structure encodings.
	integer("hash-max-listpack-entries", 0, longMax, 512, implemented).aka("hash-max-ziplist-entries"),
	memory("hash-max-listpack-value", 0, longMax, 64, implemented).aka("hash-max-ziplist-value"),
	integer("list-max-listpack-size", intMin, intMax, -2, implemented).aka("list-max-ziplist-size"),
	integer("list-compress-depth", 0, intMax, 0, implemented), // accepted; nodes are never compressed
	integer("set-max-intset-entries", 0, longMax, 512, implemented),
	integer("set-max-listpack-entries", 0, longMax, 128, implemented), // Redis 7.2
	memory("set-max-listpack-value", 0, longMax, 64, implemented),     // Redis 7.2
	integer("zset-max-listpack-entries", 0, longMax, 128, implemented).aka("zset-max-ziplist-entries"),
	memory("zset-max-listpack-value", 0, longMax, 64, implemented).aka("zset-max-ziplist-value"),
	memory("hll-sparse-max-bytes", 0, longMax, 3000, implemented),
	memory("stream-node-max-bytes", 0, longMax, 4096, 0),
	integer("stream-node-max-entries", 0, longMax, 100, 0),

	// TLS: read by the server's TLS listener (see Config.TLS). tls-port is
	// immutable like port; the rest may change at run time: OnApply hooks
	// rebuild the TLS context, and a change that cannot be honoured is
	// refused. tls-replication, tls-cluster and the tls-client-* files are
	// for outgoing links, which smallredis does not make: validated, unused.
	integer("tls-port", 0, 65535, 0, implemented|immutable),
	str("tls-cert-file", "", implemented|emptyIsUnset),
	str("tls-key-file", "", implemented|emptyIsUnset),
	str("tls-key-file-pass", "", implemented|sensitive|emptyIsUnset),
	str("tls-client-cert-file", "", implemented|emptyIsUnset),
	str("tls-client-key-file", "", implemented|emptyIsUnset),
	str("tls-client-key-file-pass", "", implemented|sensitive|emptyIsUnset),
	str("tls-dh-params-file", "", implemented|emptyIsUnset),
	str("tls-ca-cert-file", "", implemented|emptyIsUnset),
	str("tls-ca-cert-dir", "", implemented|emptyIsUnset),
	enum("tls-auth-clients", "yes", []string{"no", "yes", "optional"}, implemented),
	boolean("tls-replication", false, implemented),
	boolean("tls-cluster", false, implemented),
	str("tls-protocols", "", implemented|emptyIsUnset),
	str("tls-ciphers", "", implemented|emptyIsUnset),
	str("tls-ciphersuites", "", implemented|emptyIsUnset),
	boolean("tls-prefer-server-ciphers", false, implemented),
	boolean("tls-session-caching", true, implemented),
	integer("tls-session-cache-size", 0, intMax, 20*1024, implemented),
	integer("tls-session-cache-timeout", 0, intMax, 300, implemented),
}

// byName maps every lower-case name and alias to its directive.
var byName = func() map[string]*directive {
	m := make(map[string]*directive, 2*len(directives))
	for i, d := range directives {
		d.id = i
		switch d.name {
		case "hz":
			d.clamp = hzClamp
		case "repl-backlog-size":
			d.clamp = func(n int64) int64 { return max(n, 16<<10) } // Redis's smallest backlog
		case "dbfilename":
			d.check = checkDBFilename
		case "appendfilename":
			d.check = checkAppendFilename
		case "appenddirname":
			d.check = checkAppendDirname
		case "oom-score-adj":
			d.canon = oomCanon
		case "proc-title-template":
			d.check = checkProcTitleTemplate
		case "cluster-announce-hostname":
			d.check = checkHostname
		case "activedefrag":
			d.check = checkActiveDefrag
		}
		for _, n := range []string{d.name, d.alias} {
			if n == "" {
				continue
			}
			if _, dup := m[n]; dup {
				panic("config: duplicate directive " + n)
			}
			m[n] = d
		}
	}
	return m
}()

// lookup finds a directive by name or alias, ignoring case.
func lookup(name string) *directive { return byName[strings.ToLower(name)] }

func mustLookup(name string) int {
	d := byName[name]
	if d == nil {
		panic("config: no directive " + name)
	}
	return d.id
}

func checkDBFilename(v string) error {
	if !isBaseName(v) {
		return errors.New("dbfilename can't be a path, just a filename")
	}
	return nil
}

func checkAppendFilename(v string) error {
	if v == "" {
		return errors.New("appendfilename can't be empty")
	}
	if !isBaseName(v) {
		return errors.New("appendfilename can't be a path, just a filename")
	}
	return nil
}

func checkAppendDirname(v string) error {
	if v == "" {
		return errors.New("appenddirname can't be empty")
	}
	if !isBaseName(v) {
		return errors.New("appenddirname can't be a path, just a dirname")
	}
	return nil
}
