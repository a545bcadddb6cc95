// Package config owns the server configuration: parsing redis.conf and
// redis-server style command-line overrides, validating every value as
// Redis 7.0 does, and the semantics of CONFIG GET, SET and REWRITE, down to
// Redis's reply data and error strings. It knows nothing of networking or
// commands: the server reads values through typed accessors and OnChange
// hooks, and the command layer calls Get, Set and Rewrite. user lines are
// kept for the ACLs (Users), their rules checked by package acl.
//
// Every directive Redis 7.0 knows is accepted. Those smallredis acts on are
// "implemented"; the others are validated, stored and shown by CONFIG GET
// with Redis's defaults, and naming one in the file or on the command line
// adds a warning (see Config.Warnings), so a stock redis.conf loads cleanly.
package config

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is the live configuration of one server.
//
// It is safe for concurrent use. Readers never lock: the values are an
// immutable snapshot behind an atomic pointer, so each accessor is one
// atomic load and an index. Set builds a new snapshot and swaps it in, so
// a reader sees all of a multi-parameter CONFIG SET or none of it.
type Config struct {
	cur atomic.Pointer[state]

	file     string      // absolute path of the config file; "" when started without one
	warnings []string    // set by Parse, read-only afterwards
	users    [][]string  // user directives: name and rules; set by Parse
	renames  [][2]string // rename-command lines in order (lower case); set by Parse

	mu       sync.Mutex       // serializes Set and Rewrite; guards hooks, appliers
	hooks    map[int][]func() // directive id → functions to run after it changes
	appliers []*applier       // vet a Set before it succeeds (OnApply)
	// userLines gives CONFIG REWRITE the user lines (SetUserLines).
	userLines func() []string
	// loading: the dataset is being loaded (SetLoading).
	loading atomic.Bool
}

// state is one snapshot of every directive's value, indexed by directive id.
type state struct {
	val []string // as CONFIG GET shows it
	num []int64  // numbers, yes/no as 1/0, enum index, notify-keyspace-events flags
}

func (s *state) clone() *state {
	return &state{val: append([]string(nil), s.val...), num: append([]int64(nil), s.num...)}
}

// defaults returns a snapshot holding every directive's default; dir
// defaults to the working directory, as Redis reports it.
func defaults() *state {
	s := &state{val: make([]string, len(directives)), num: make([]int64, len(directives))}
	for _, d := range directives {
		s.val[d.id] = d.def
		if d.def != "" || d.kind != kindSpecial { // not replicaof, dir, notify-keyspace-events
			if _, n, err := d.set(d.def, splitDefault(d)); err == nil {
				s.num[d.id] = n
			}
		}
	}
	if wd, err := os.Getwd(); err == nil {
		s.val[idDir] = wd
	}
	return s
}

// splitDefault gives d's default as set's arguments.
func splitDefault(d *directive) []string {
	if d.is(multiArg) {
		return strings.Split(d.def, " ")
	}
	return []string{d.def}
}

// Default returns a configuration holding the defaults, as Parse(nil) does.
func Default() *Config {
	c := &Config{}
	c.cur.Store(defaults())
	return c
}

// ConfigFile is the absolute path of the configuration file, or "" when
// the server was started without one.
func (c *Config) ConfigFile() string { return c.file }

// Renames is the rename-command lines, in order: each command name (lower
// case) and its new one, "" for a command removed.
func (c *Config) Renames() [][2]string { return c.renames }

// Warnings lists what Parse accepted without acting on it: known Redis
// directives smallredis does not implement, loadmodule and similar lines.
// Each names the directive and where it was found; a directive is reported
// once.
func (c *Config) Warnings() []string { return append([]string(nil), c.warnings...) }

// Value returns one parameter's value as CONFIG GET shows it, by name or
// alias (case-insensitive), and whether the parameter exists.
func (c *Config) Value(name string) (string, bool) {
	d := lookup(name)
	if d == nil {
		return "", false
	}
	return c.cur.Load().val[d.id], true
}

// OnChange registers fn to run after a Set that changed the named parameter
// (name or alias). It runs on the goroutine that called Set, after the new
// values are visible to every accessor, so fn may read them. It panics if
// name is not a parameter: that is a programming error.
func (c *Config) OnChange(name string, fn func()) {
	d := lookup(name)
	if d == nil {
		panic("config: OnChange for unknown parameter " + strconv.Quote(name))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hooks == nil {
		c.hooks = make(map[int][]func())
	}
	c.hooks[d.id] = append(c.hooks[d.id], fn)
}

// Sensitive reports whether a parameter's value is a secret (requirepass,
// masterauth, …) that SLOWLOG and MONITOR must redact.
func Sensitive(name string) bool {
	d := lookup(name)
	return d != nil && d.is(sensitive)
}

// Sentinel errors Parse returns for the informational flags, which the
// caller handles (print and exit) instead of starting a server.
var (
	ErrVersion = errors.New("config: version requested (-v, --version)")
	ErrHelp    = errors.New("config: help requested (-h, --help)")
)

// Ids of the directives the accessors read.
var (
	idPort             = mustLookup("port")
	idBind             = mustLookup("bind")
	idProtectedMode    = mustLookup("protected-mode")
	idTCPBacklog       = mustLookup("tcp-backlog")
	idTimeout          = mustLookup("timeout")
	idTCPKeepAlive     = mustLookup("tcp-keepalive")
	idMaxClients       = mustLookup("maxclients")
	idDatabases        = mustLookup("databases")
	idRequirePass      = mustLookup("requirepass")
	idLogLevel         = mustLookup("loglevel")
	idLogFile          = mustLookup("logfile")
	idMaxMemory        = mustLookup("maxmemory")
	idMaxMemoryClients = mustLookup("maxmemory-clients")
	idMaxMemoryPolicy  = mustLookup("maxmemory-policy")
	idMaxMemorySamples = mustLookup("maxmemory-samples")
	idMinReplicas      = mustLookup("min-replicas-to-write")
	idMinReplicasLag   = mustLookup("min-replicas-max-lag")
	idEvictionTenacity = mustLookup("maxmemory-eviction-tenacity")
	idLFULogFactor     = mustLookup("lfu-log-factor")
	idLFUDecayTime     = mustLookup("lfu-decay-time")
	idProtoMaxBulkLen  = mustLookup("proto-max-bulk-len")
	idQueryBufferLimit = mustLookup("client-query-buffer-limit")
	idSlowlogSlower    = mustLookup("slowlog-log-slower-than")
	idSlowlogMaxLen    = mustLookup("slowlog-max-len")
	idLatencyThreshold = mustLookup("latency-monitor-threshold")
	idLatencyTracking  = mustLookup("latency-tracking")
	idLatencyPercents  = mustLookup("latency-tracking-info-percentiles")
	idBusyReply        = mustLookup("busy-reply-threshold")
	idHz               = mustLookup("hz")
	idDir              = mustLookup("dir")
	idKeyLoadDelay     = mustLookup("key-load-delay")
	idKeySaveDelay     = mustLookup("rdb-key-save-delay")
	idDBFilename       = mustLookup("dbfilename")
	idNotify           = mustLookup("notify-keyspace-events")
	idSave             = mustLookup("save")
	idLazyUserDel      = mustLookup("lazyfree-lazy-user-del")
	idLazyUserFlush    = mustLookup("lazyfree-lazy-user-flush")
	idStopWritesBgsave = mustLookup("stop-writes-on-bgsave-error")
	idShutdownSigint   = mustLookup("shutdown-on-sigint")
	idShutdownSigterm  = mustLookup("shutdown-on-sigterm")
	idProtectedConfigs = mustLookup("enable-protected-configs")
	idOOMScoreAdj      = mustLookup("oom-score-adj")
	idOOMScoreValues   = mustLookup("oom-score-adj-values")
	idHashMaxEntries   = mustLookup("hash-max-listpack-entries")
	idHashMaxValue     = mustLookup("hash-max-listpack-value")
	idDebugCommand     = mustLookup("enable-debug-command")
	idPprofAddr        = mustLookup("pprof-addr")
	idTrackingMaxKeys  = mustLookup("tracking-table-max-keys")
	idRedisVersion     = mustLookup("redis-version")
	idRDBCompression   = mustLookup("rdbcompression")
	idRDBChecksum      = mustLookup("rdbchecksum")
	idACLLogMaxLen     = mustLookup("acllog-max-len")
	idACLFile          = mustLookup("aclfile")
	idACLPubsubDefault = mustLookup("acl-pubsub-default")
)

// Users are the configuration's user directives (ACL users defined in the
// file or on the command line): each a name followed by its rules.
func (c *Config) Users() [][]string { return c.users }

// ACLLogMaxLen is how many entries ACL LOG keeps.
func (c *Config) ACLLogMaxLen() int64 { return c.num(idACLLogMaxLen) }

// ACLFile is the file ACL LOAD and ACL SAVE use; "" means none.
func (c *Config) ACLFile() string { return c.str(idACLFile) }

// ACLPubsubAll reports acl-pubsub-default allchannels: new ACL users and
// selectors may use every channel.
func (c *Config) ACLPubsubAll() bool { return c.str(idACLPubsubDefault) == "allchannels" }

// TrackingTableMaxKeys bounds the client-side caching table (0: no limit).
func (c *Config) TrackingTableMaxKeys() int64 { return c.num(idTrackingMaxKeys) }

// RedisVersion is the Redis version HELLO and INFO report.
func (c *Config) RedisVersion() string { return c.str(idRedisVersion) }

func (c *Config) num(id int) int64  { return c.cur.Load().num[id] }
func (c *Config) str(id int) string { return c.cur.Load().val[id] }

// Port is the TCP port to listen on (0: no TCP listener).
func (c *Config) Port() int { return int(c.num(idPort)) }

// Bind lists the addresses to listen on, as redis.conf writes them: "*" is
// every IPv4 address, "::*" every IPv6 one, a leading "-" marks an address
// that may be unavailable. Empty means no TCP listener.
func (c *Config) Bind() []string { return strings.Fields(c.str(idBind)) }

// ProtectedMode reports whether protected mode is on.
func (c *Config) ProtectedMode() bool { return c.num(idProtectedMode) != 0 }

// EnableDebugCommand is who may run DEBUG: "no", "yes" or "local"
// (clients on a loopback address or a unix socket).
func (c *Config) EnableDebugCommand() string { return c.str(idDebugCommand) }

// PprofAddr is where net/http/pprof listens ("" when off). A bare port
// ("6060" or ":6060") means 127.0.0.1: the profiles show the server's
// internals and the CPU profile costs CPU, so reaching them from another
// host takes an address that says so.
func (c *Config) PprofAddr() string {
	v := c.str(idPprofAddr)
	if v == "" {
		return ""
	}
	if !strings.Contains(v, ":") {
		v = ":" + v
	}
	if strings.HasPrefix(v, ":") {
		v = "127.0.0.1" + v
	}
	return v
}

// EnableProtectedConfigs is who may CONFIG SET protected parameters (dir,
// dbfilename): "no", "yes" or "local", as for EnableDebugCommand.
func (c *Config) EnableProtectedConfigs() string { return c.str(idProtectedConfigs) }

// OOMScoreAdj is oom-score-adj: "no", "yes" (or its synonym "relative":
// the values are added to the process's score from before), or
// "absolute".
func (c *Config) OOMScoreAdj() string { return c.str(idOOMScoreAdj) }

// OOMScoreAdjValues is oom-score-adj-values: the scores of a master, a
// replica and a background child, each within -2000..2000.
func (c *Config) OOMScoreAdjValues() (v [3]int) {
	for i, f := range strings.Fields(c.str(idOOMScoreValues)) {
		if i < len(v) {
			v[i], _ = strconv.Atoi(f)
		}
	}
	return v
}

// TCPBacklog is the listen backlog.
func (c *Config) TCPBacklog() int { return int(c.num(idTCPBacklog)) }

// Timeout is how long a client may idle before it is closed; 0 is never.
func (c *Config) Timeout() time.Duration { return time.Duration(c.num(idTimeout)) * time.Second }

// TCPKeepAlive is the TCP keepalive period; 0 turns keepalives off.
func (c *Config) TCPKeepAlive() time.Duration {
	return time.Duration(c.num(idTCPKeepAlive)) * time.Second
}

// MaxClients is the most clients connected at once.
func (c *Config) MaxClients() int { return int(c.num(idMaxClients)) }

// Databases is the number of logical databases (SELECT 0 … n-1).
func (c *Config) Databases() int { return int(c.num(idDatabases)) }

// RequirePass is the default user's password; "" means no password.
func (c *Config) RequirePass() string { return c.str(idRequirePass) }

// LogLevel is one of debug, verbose, notice, warning, nothing.
func (c *Config) LogLevel() string { return c.str(idLogLevel) }

// LogFile is the log file path; "" means standard output.
func (c *Config) LogFile() string { return c.str(idLogFile) }

// MaxMemory is the memory limit in bytes; 0 means no limit.
func (c *Config) MaxMemory() int64 { return c.num(idMaxMemory) }

// MaxMemoryClients is maxmemory-clients in bytes, a percentage resolved
// against maxmemory (0 with no maxmemory); 0 means no client eviction.
func (c *Config) MaxMemoryClients() int64 {
	v := c.num(idMaxMemoryClients)
	if v < 0 {
		return c.MaxMemory() * -v / 100
	}
	return v
}

// MaxMemoryPolicy is the eviction policy name, lower case.
func (c *Config) MaxMemoryPolicy() string { return c.str(idMaxMemoryPolicy) }

// MaxMemorySamples is how many keys eviction samples per round.
func (c *Config) MaxMemorySamples() int { return int(c.num(idMaxMemorySamples)) }

// NoGoodReplicas reports whether writes must be refused with NOREPLICAS:
// min-replicas-to-write and min-replicas-max-lag are both set, and this
// server, which has no replicas, has fewer good ones than that (Redis's
// checkGoodReplicasStatus on a master).
func (c *Config) NoGoodReplicas() bool {
	return c.num(idMinReplicas) > 0 && c.num(idMinReplicasLag) > 0
}

// MaxMemoryEvictionTenacity is eviction's effort per call, 0 to 100.
func (c *Config) MaxMemoryEvictionTenacity() int { return int(c.num(idEvictionTenacity)) }

// LFULogFactor is the LFU counter's logarithm factor.
func (c *Config) LFULogFactor() int { return int(c.num(idLFULogFactor)) }

// LFUDecayTime is the LFU counter's decay period in minutes.
func (c *Config) LFUDecayTime() int { return int(c.num(idLFUDecayTime)) }

// ProtoMaxBulkLen is the largest bulk string a client may send, in bytes.
func (c *Config) ProtoMaxBulkLen() int64 { return c.num(idProtoMaxBulkLen) }

// QueryBufferLimit is client-query-buffer-limit in bytes.
func (c *Config) QueryBufferLimit() int64 { return c.num(idQueryBufferLimit) }

// SlowlogSlowerThan is the slow log threshold in microseconds: a negative
// value disables the slow log, 0 logs every command.
func (c *Config) SlowlogSlowerThan() int64 { return c.num(idSlowlogSlower) }

// LatencyMonitorThreshold is the latency, in milliseconds, from which the
// latency monitor records an event; 0 turns the monitor off.
func (c *Config) LatencyMonitorThreshold() int64 { return c.num(idLatencyThreshold) }

// LatencyTracking reports whether per-command latency histograms are kept.
func (c *Config) LatencyTracking() bool { return c.num(idLatencyTracking) != 0 }

// LatencyTrackingPercentiles are the percentiles INFO latencystats shows,
// spelt as CONFIG GET shows them (Redis's %f without trailing zeros),
// which is also how INFO names them.
func (c *Config) LatencyTrackingPercentiles() []string {
	return strings.Fields(c.str(idLatencyPercents))
}

// BusyReplyThreshold is how long (ms) a script runs before other clients
// get BUSY (busy-reply-threshold, alias lua-time-limit).
func (c *Config) BusyReplyThreshold() int64 { return c.num(idBusyReply) }

// SlowlogMaxLen is how many entries the slow log keeps.
func (c *Config) SlowlogMaxLen() int { return int(c.num(idSlowlogMaxLen)) }

// Hz is the background task frequency, already clamped to 1…500 as Redis does.
func (c *Config) Hz() int { return int(c.num(idHz)) }

// HashMaxListpack is hash-max-listpack-entries and hash-max-listpack-value:
// the most fields, and the longest field or value, a hash may have in the
// listpack encoding.
func (c *Config) HashMaxListpack() (entries, value int64) {
	v := c.cur.Load()
	return v.num[idHashMaxEntries], v.num[idHashMaxValue]
}

// Dir is the absolute working directory for persistence files.
func (c *Config) Dir() string { return c.str(idDir) }

// KeyLoadDelay is the hidden key-load-delay, Redis's test knob: microseconds
// to sleep after each key a load reads (negative -N: 1 µs per N keys).
func (c *Config) KeyLoadDelay() int64 { return c.num(idKeyLoadDelay) }

// RDBKeySaveDelay is the hidden rdb-key-save-delay, its counterpart for each
// key a save writes.
func (c *Config) RDBKeySaveDelay() int64 { return c.num(idKeySaveDelay) }

// DBFilename is the snapshot file name, relative to Dir.
func (c *Config) DBFilename() string { return c.str(idDBFilename) }

// SavePoint is one save directive's pair: snapshot after Seconds when at
// least Changes writes were made.
type SavePoint struct{ Seconds, Changes int64 }

// SavePoints are the save directive's points, in the order given (none:
// nothing saves on its own).
func (c *Config) SavePoints() []SavePoint {
	f := strings.Fields(c.str(idSave))
	out := make([]SavePoint, 0, len(f)/2)
	for i := 0; i+1 < len(f); i += 2 {
		s, _ := strconv.ParseInt(f[i], 10, 64)
		n, _ := strconv.ParseInt(f[i+1], 10, 64)
		out = append(out, SavePoint{s, n})
	}
	return out
}

// HasSavePoints reports whether the save directive has any point, which is
// what makes Redis save on SHUTDOWN and after FLUSHALL, and refuse writes
// after a failed background save.
func (c *Config) HasSavePoints() bool { return c.str(idSave) != "" }

// LazyfreeUserDel is lazyfree-lazy-user-del: DEL frees as UNLINK does.
func (c *Config) LazyfreeUserDel() bool { return c.num(idLazyUserDel) != 0 }

// LazyfreeUserFlush is lazyfree-lazy-user-flush: FLUSHDB and FLUSHALL
// without SYNC or ASYNC flush as ASYNC.
func (c *Config) LazyfreeUserFlush() bool { return c.num(idLazyUserFlush) != 0 }

// StopWritesOnBgsaveError is stop-writes-on-bgsave-error.
func (c *Config) StopWritesOnBgsaveError() bool { return c.num(idStopWritesBgsave) != 0 }

// Shutdown flags of shutdown-on-sigint and shutdown-on-sigterm.
const (
	ShutdownSave   = 1 << iota // SAVE
	ShutdownNoSave             // NOSAVE
	ShutdownNow                // NOW
	ShutdownForce              // FORCE
)

// ShutdownOnSignal is the shutdown-on-sigterm (term) or shutdown-on-sigint
// flags: what a shutdown by that signal does.
func (c *Config) ShutdownOnSignal(term bool) int64 {
	if term {
		return c.num(idShutdownSigterm)
	}
	return c.num(idShutdownSigint)
}

// NotifyKeyspaceEvents is the notification classes in Redis's canonical
// spelling ("" when notifications are off, "AKE" for everything).
func (c *Config) NotifyKeyspaceEvents() string { return c.str(idNotify) }

// NotifyKeyspaceFlags is notify-keyspace-events as bits, in the order of
// the letters K E g $ l s h z x e t m d n (K is bit 0).
func (c *Config) NotifyKeyspaceFlags() int64 { return c.num(idNotify) }

// RDBChecksum reports whether an RDB file SAVE writes ends in its CRC64
// (else 0, which a load does not check).
func (c *Config) RDBChecksum() bool { return c.num(idRDBChecksum) != 0 }

// RDBCompression reports whether DUMP compresses strings with LZF.
func (c *Config) RDBCompression() bool { return c.num(idRDBCompression) != 0 }
