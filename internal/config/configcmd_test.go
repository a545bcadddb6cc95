package config

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestGetMatchesRedisDefaults compares CONFIG GET * with what a stock Redis
// 7.0.15 returns (testdata, captured from redis-server): the same names, and
// the same values except where smallredis chose other defaults.
func TestGetMatchesRedisDefaults(t *testing.T) {
	f, err := os.Open("testdata/redis-7.0.15-defaults.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	redis := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && line[0] != '#' {
			name, value, _ := strings.Cut(line, "\t")
			redis[name] = value
		}
	}
	wd, _ := os.Getwd()
	ours := map[string]string{}
	for _, kv := range Default().Get("*") {
		ours[kv[0]] = kv[1]
	}
	differ := map[string]string{"port": "2345", "maxmemory-policy": "allkeys-lrfu", "dir": wd}
	for name, want := range redis {
		got, ok := ours[name]
		if d, ok := differ[name]; ok {
			want = d
		}
		if !ok {
			t.Errorf("CONFIG GET * lacks %s", name)
		} else if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for name := range ours {
		if _, ok := redis[name]; !ok && !newerThan70[name] {
			t.Errorf("CONFIG GET * has %s, which Redis 7.0 does not", name)
		}
	}
}

// newerThan70 are the directives we take from Redis 7.2, which 7.0 lacks.
var newerThan70 = map[string]bool{"set-max-listpack-entries": true, "set-max-listpack-value": true}

func TestGet(t *testing.T) {
	c := Default()
	pairs := func(kv ...string) [][2]string {
		var out [][2]string
		for i := 0; i < len(kv); i += 2 {
			out = append(out, [2]string{kv[i], kv[i+1]})
		}
		return out
	}
	tests := []struct {
		patterns []string
		want     [][2]string
	}{
		{[]string{"maxmemory"}, pairs("maxmemory", "0")},
		{[]string{"MAXMEMORY"}, pairs("MAXMEMORY", "0")},
		{[]string{"MAXMEMORY", "maxmemory"}, pairs("MAXMEMORY", "0")},
		{[]string{"maxmemory*"}, pairs("maxmemory", "0", "maxmemory-clients", "0",
			"maxmemory-eviction-tenacity", "10", "maxmemory-policy", "allkeys-lrfu", "maxmemory-samples", "5")},
		{[]string{"MAXMEM*"}, pairs("maxmemory", "0", "maxmemory-clients", "0",
			"maxmemory-eviction-tenacity", "10", "maxmemory-policy", "allkeys-lrfu", "maxmemory-samples", "5")},
		{[]string{"port", "maxmemory-p*", "maxmemory*", "port"}, pairs("port", "2345",
			"maxmemory-policy", "allkeys-lrfu", "maxmemory", "0", "maxmemory-clients", "0",
			"maxmemory-eviction-tenacity", "10", "maxmemory-samples", "5")},
		{[]string{"?ort", "[b]ind"}, pairs("port", "2345", "bind", "* -::*")},
		{[]string{"*slave-pri*"}, pairs("slave-priority", "100")},
		{[]string{"slave-priority", "replica-priority"}, pairs("slave-priority", "100", "replica-priority", "100")},
		{[]string{"save", "appendonly", "requirepass", "notify-keyspace-events"},
			pairs("save", "3600 1 300 100 60 10000", "appendonly", "no", "requirepass", "", "notify-keyspace-events", "")},
		{[]string{"use-exit-on-panic"}, pairs("use-exit-on-panic", "no")},
		{[]string{"use-exit*"}, nil},
		{[]string{"nonexistent", "nothing*"}, nil},
		{[]string{}, nil},
	}
	for _, tt := range tests {
		if got := c.Get(tt.patterns...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Get(%q) =\n%q\nwant\n%q", tt.patterns, got, tt.want)
		}
	}
	if n := len(c.Get("*")); n != 192+len(newerThan70) {
		t.Errorf("Get(*) has %d parameters, Redis 7.0.15 has 192 plus %d from 7.2", n, len(newerThan70))
	}
}

// redisSetErrors are CONFIG SET replies from redis-server 7.0.15, except
// where marked: each case changes nothing.
var redisSetErrors = []struct {
	pairs []string
	want  string
}{
	{[]string{"databases", "1"}, "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
	{[]string{"DATABASES", "1"}, "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config"},
	{[]string{"foo", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"databases", "1", "foo", "2"}, "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
	{[]string{"foo", "2", "databases", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"maxmemory", "1", "MAXMEMORY", "2"}, "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"},
	{[]string{"maxmemory", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"MaxMemory", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory", "1.5mb"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory", "1 mb"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"slave-priority", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"},
	{[]string{"maxmemory-policy", "foo"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, allkeys-lrfu, volatile-lrfu"},
	// Redis 7.0 has no "nothing" level; 7.2 added it.
	{[]string{"loglevel", "foo"}, "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing"},
	{[]string{"appendonly", "maybe"}, "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"},
	{[]string{"timeout", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
	{[]string{"timeout", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	{[]string{"timeout", "1.5"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	{[]string{"timeout", " 5"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	{[]string{"timeout", "+5"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	{[]string{"timeout", "05"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	{[]string{"maxclients", "0"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
	{[]string{"proto-max-bulk-len", "100"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
	{[]string{"client-query-buffer-limit", "100"}, "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive"},
	{[]string{"slowlog-log-slower-than", "-2"}, "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive"},
	{[]string{"dir", "/nonexistent"}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
	{[]string{"dbfilename", "a/b"}, "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"},
	{[]string{"save", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"save", "100"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"save", "0 1"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"maxmemory-clients", "101%"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"},
	{[]string{"maxmemory-clients", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"},
	{[]string{"unixsocketperm", "700"}, "ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable config"},
	{[]string{"socket-mark-id", "1"}, "ERR CONFIG SET failed (possibly related to argument 'socket-mark-id') - can't set immutable config"},
	// Redis 7.0 can change port and bind at run time; smallredis cannot.
	{[]string{"oom-score-adj-values", "1 2"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"},
	{[]string{"oom-score-adj-values", "1 2 3000"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
	{[]string{"client-output-buffer-limit", "normal 1 2"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "foo 1 2 3"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "normal 1mb 2 x"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{[]string{"latency-tracking-info-percentiles", "101"}, "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
	{[]string{"latency-tracking-info-percentiles", "x"}, "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"},
	{[]string{"replicaof", "a 1"}, "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"},
	{[]string{"notify-keyspace-events", "Kq"}, "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
	{[]string{"shutdown-on-sigint", "save nosave"}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"},
	{[]string{"shutdown-on-sigint", "bogus"}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"},
	{[]string{"shutdown-on-sigint", ""}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"},
	{[]string{"propagation-error-behavior", "x"}, "ERR CONFIG SET failed (possibly related to argument 'propagation-error-behavior') - argument(s) must be one of the following: ignore, panic, panic-on-replicas"},
	{[]string{"replica-ignore-disk-write-errors", "x"}, "ERR CONFIG SET failed (possibly related to argument 'replica-ignore-disk-write-errors') - argument must be 'yes' or 'no'"},
	{[]string{"appendfilename", "x"}, "ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config"},
	{[]string{"proc-title-template", "{bogus}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"cluster-announce-hostname", "a_b"}, "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"},
	{[]string{"activedefrag", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"},
	{[]string{"enable-protected-configs", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'enable-protected-configs') - can't set immutable config"},
	// Atomicity: a good pair before a bad one is not applied.
	{[]string{"maxmemory", "1mb", "timeout", "5", "maxclients", "0"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
	{[]string{"loglevel", "debug", "hz", "x"}, "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"},
}

func toPairs(kv []string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

func TestSetErrors(t *testing.T) {
	c := Default()
	before := c.Get("*")
	for _, tt := range redisSetErrors {
		err := c.Set(toPairs(tt.pairs))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Set(%q) = %v\nwant %s", tt.pairs, err, tt.want)
		}
	}
	if after := c.Get("*"); !reflect.DeepEqual(before, after) {
		t.Error("a failed Set changed a value")
	}
	if c.MaxMemory() != 0 || c.Timeout() != 0 || c.LogLevel() != "notice" {
		t.Error("a failed Set changed an accessor's value")
	}
}

func TestSetValues(t *testing.T) {
	tests := []struct {
		pairs []string
		name  string // parameter to read back
		want  string
	}{
		{[]string{"maxmemory", "10MB"}, "maxmemory", "10485760"},
		{[]string{"maxmemory", "1k"}, "maxmemory", "1000"},
		{[]string{"maxmemory", ""}, "maxmemory", "0"},
		{[]string{"maxmemory", "010"}, "maxmemory", "10"},
		{[]string{"loglevel", "WARNING"}, "loglevel", "warning"},
		{[]string{"loglevel", "nothing"}, "loglevel", "nothing"},
		{[]string{"maxmemory-policy", "ALLKEYS-LFU"}, "maxmemory-policy", "allkeys-lfu"},
		{[]string{"protected-mode", "NO"}, "protected-mode", "no"},
		{[]string{"hz", "1000"}, "hz", "500"},
		{[]string{"hz", "0"}, "hz", "1"},
		{[]string{"save", "100 1 200 2"}, "save", "100 1 200 2"},
		{[]string{"save", ""}, "save", ""},
		{[]string{"notify-keyspace-events", "KEA"}, "notify-keyspace-events", "AKE"},
		{[]string{"notify-keyspace-events", "Kg$lshzxetdmn"}, "notify-keyspace-events", "AKm"},
		{[]string{"notify-keyspace-events", "Exmn"}, "notify-keyspace-events", "xnEm"},
		{[]string{"notify-keyspace-events", ""}, "notify-keyspace-events", ""},
		{[]string{"oom-score-adj", "relative"}, "oom-score-adj", "yes"},
		{[]string{"maxmemory-clients", "10%"}, "maxmemory-clients", "10%"},
		{[]string{"client-output-buffer-limit", "replica 1mb 2mb 3"}, "client-output-buffer-limit",
			"normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60"},
		{[]string{"latency-tracking-info-percentiles", "50 99.99 100"}, "latency-tracking-info-percentiles", "50 99.99 100"},
		{[]string{"latency-tracking-info-percentiles", ""}, "latency-tracking-info-percentiles", ""},
		{[]string{"shutdown-on-sigint", "nosave now"}, "shutdown-on-sigint", "nosave now"},
		{[]string{"shutdown-on-sigint", "NOW force"}, "shutdown-on-sigint", "now force"},
		{[]string{"shutdown-on-sigint", "default now"}, "shutdown-on-sigint", "now"},
		{[]string{"replica-priority", "1", "slave-priority", "2"}, "replica-priority", "2"},
		{[]string{"requirepass", "p w"}, "requirepass", "p w"},
		{[]string{"timeout", "0"}, "timeout", "0"},
		{[]string{"client-output-buffer-limit", ""}, "client-output-buffer-limit",
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{[]string{"repl-backlog-size", "1"}, "repl-backlog-size", "16384"},
		{[]string{"bind-source-addr", "10.0.0.1"}, "bind-source-addr", "10.0.0.1"},
	}
	for _, tt := range tests {
		c := Default()
		if err := c.Set(toPairs(tt.pairs)); err != nil {
			t.Errorf("Set(%q): %v", tt.pairs, err)
			continue
		}
		if got := get(t, c, tt.name); got != tt.want {
			t.Errorf("Set(%q): %s = %q, want %q", tt.pairs, tt.name, got, tt.want)
		}
	}
}

func TestSetAccessors(t *testing.T) {
	c := Default()
	err := c.Set(toPairs([]string{
		"maxmemory", "100mb", "timeout", "30", "maxclients", "5", "proto-max-bulk-len", "2mb",
		"client-query-buffer-limit", "3mb", "requirepass", "pw", "maxmemory-policy", "volatile-lfu",
		"maxmemory-samples", "7", "maxmemory-eviction-tenacity", "50", "slowlog-log-slower-than", "0",
		"slowlog-max-len", "9", "tcp-keepalive", "60", "hz", "100", "lfu-log-factor", "3",
		"lfu-decay-time", "4", "loglevel", "debug", "protected-mode", "no", "notify-keyspace-events", "Kx",
	}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"MaxMemory", c.MaxMemory(), int64(100 << 20)},
		{"Timeout", c.Timeout().String(), "30s"},
		{"MaxClients", c.MaxClients(), 5},
		{"ProtoMaxBulkLen", c.ProtoMaxBulkLen(), int64(2 << 20)},
		{"QueryBufferLimit", c.QueryBufferLimit(), int64(3 << 20)},
		{"RequirePass", c.RequirePass(), "pw"},
		{"MaxMemoryPolicy", c.MaxMemoryPolicy(), "volatile-lfu"},
		{"MaxMemorySamples", c.MaxMemorySamples(), 7},
		{"MaxMemoryEvictionTenacity", c.MaxMemoryEvictionTenacity(), 50},
		{"SlowlogSlowerThan", c.SlowlogSlowerThan(), int64(0)},
		{"SlowlogMaxLen", c.SlowlogMaxLen(), 9},
		{"TCPKeepAlive", c.TCPKeepAlive().String(), "1m0s"},
		{"Hz", c.Hz(), 100},
		{"LFULogFactor", c.LFULogFactor(), 3},
		{"LFUDecayTime", c.LFUDecayTime(), 4},
		{"LogLevel", c.LogLevel(), "debug"},
		{"ProtectedMode", c.ProtectedMode(), false},
		{"NotifyKeyspaceEvents", c.NotifyKeyspaceEvents(), "xK"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s() = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestSetProtected(t *testing.T) {
	dir := t.TempDir()
	c, err := Parse([]string{"--enable-protected-configs", "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set([][2]string{{"dir", dir}, {"dbfilename", "x.rdb"}}); err != nil {
		t.Fatal(err)
	}
	if c.Dir() != dir || c.DBFilename() != "x.rdb" {
		t.Errorf("dir %q dbfilename %q", c.Dir(), c.DBFilename())
	}
	err = c.Set([][2]string{{"dir", "/nonexistent-smallredis"}})
	if want := "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	err = c.Set([][2]string{{"dbfilename", "a/b"}})
	if want := "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if err := os.Mkdir(dir+"/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Set([][2]string{{"dir", "sub"}}); err != nil || c.Dir() != dir+"/sub" {
		t.Errorf("relative dir: %v, %q", err, c.Dir())
	}
}

func TestOnChange(t *testing.T) {
	c := Default()
	var maxmem, prio, policy int
	c.OnChange("maxmemory", func() {
		maxmem++
		if c.MaxMemory() != 1<<20 {
			t.Errorf("hook sees maxmemory %d", c.MaxMemory())
		}
	})
	c.OnChange("slave-priority", func() { prio++ })
	c.OnChange("MAXMEMORY-POLICY", func() { policy++ })

	steps := []struct {
		pairs                  []string
		maxmem, prio, policies int
	}{
		{[]string{"maxmemory", "1mb"}, 1, 0, 0},
		{[]string{"maxmemory", "1048576"}, 1, 0, 0}, // same value: no change
		{[]string{"maxmemory", "2mb", "maxclients", "0"}, 1, 0, 0},
		{[]string{"replica-priority", "5", "slave-priority", "6"}, 1, 1, 0},
		{[]string{"maxmemory-policy", "allkeys-lrfu"}, 1, 1, 0},
		{[]string{"maxmemory-policy", "noeviction"}, 1, 1, 1},
	}
	for _, s := range steps {
		_ = c.Set(toPairs(s.pairs))
		if maxmem != s.maxmem || prio != s.prio || policy != s.policies {
			t.Errorf("after %q: hooks ran %d, %d, %d times; want %d, %d, %d",
				s.pairs, maxmem, prio, policy, s.maxmem, s.prio, s.policies)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("OnChange of an unknown parameter should panic")
		}
	}()
	c.OnChange("nope", func() {})
}

func TestRegisterMaxMemoryPolicy(t *testing.T) {
	policies.Lock()
	saved := append([]string(nil), policies.names...)
	policies.Unlock()
	t.Cleanup(func() {
		policies.Lock()
		policies.names = saved
		policies.Unlock()
	})

	RegisterMaxMemoryPolicy("allkeys-S3FIFO")
	RegisterMaxMemoryPolicy("allkeys-s3fifo")
	c, err := Parse([]string{"--maxmemory-policy", "ALLKEYS-S3FIFO"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxMemoryPolicy() != "allkeys-s3fifo" {
		t.Errorf("policy %q", c.MaxMemoryPolicy())
	}
	err = c.Set([][2]string{{"maxmemory-policy", "x"}})
	want := "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: " +
		"volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, allkeys-lrfu, volatile-lrfu, allkeys-s3fifo"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestSensitive(t *testing.T) {
	for name, want := range map[string]bool{"requirepass": true, "MASTERAUTH": true, "masteruser": true, "maxmemory": false, "nope": false} {
		if Sensitive(name) != want {
			t.Errorf("Sensitive(%q) = %v", name, !want)
		}
	}
}

// TestConcurrentSet runs readers against writers (go test -race): a reader
// sees each multi-parameter Set entirely or not at all.
func TestConcurrentSet(t *testing.T) {
	c := Default()
	var readers, writers sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = c.MaxMemory() + int64(c.Timeout()) + int64(c.MaxClients())
				_ = c.MaxMemoryPolicy() + c.RequirePass()
				kv := c.Get("maxmemory", "timeout")
				mm, _ := strconv.Atoi(kv[0][1])
				to, _ := strconv.Atoi(kv[1][1])
				if mm != to*1000 {
					t.Errorf("torn read: maxmemory %d, timeout %d", mm, to)
					return
				}
			}
		}()
	}
	for w := 0; w < 2; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < 500; i++ {
				n := i*2 + w
				err := c.Set([][2]string{{"timeout", strconv.Itoa(n)}, {"maxmemory", fmt.Sprintf("%dk", n)}})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
}

// enable-protected-configs decides who may set dir and dbfilename: "local"
// admits only local clients, as Redis's allowProtectedAction does.
func TestSetProtectedLocal(t *testing.T) {
	const refused = "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
	for _, tt := range []struct {
		setting string
		local   bool
		ok      bool
	}{
		{"no", false, false},
		{"no", true, false},
		{"local", false, false},
		{"local", true, true},
		{"yes", false, true},
		{"yes", true, true},
	} {
		c, err := Parse([]string{"--enable-protected-configs", tt.setting})
		if err != nil {
			t.Fatal(err)
		}
		err = c.SetFrom([][2]string{{"dir", t.TempDir()}}, tt.local)
		if tt.ok && err != nil || !tt.ok && (err == nil || err.Error() != refused) {
			t.Errorf("%s, local %v: %v", tt.setting, tt.local, err)
		}
		if got := c.EnableProtectedConfigs(); got != tt.setting {
			t.Errorf("EnableProtectedConfigs = %q, want %q", got, tt.setting)
		}
	}
	// Set is a non-local client's CONFIG SET.
	c, _ := Parse([]string{"--enable-protected-configs", "local"})
	if err := c.Set([][2]string{{"dbfilename", "x.rdb"}}); err == nil {
		t.Error("Set of dbfilename under local succeeded")
	}
}
