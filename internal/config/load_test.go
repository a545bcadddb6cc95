package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeConf writes content to a new file in a test directory and returns its path.
func writeConf(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// get returns one value, failing the test if the parameter does not exist.
func get(t *testing.T, c *Config, name string) string {
	t.Helper()
	v, ok := c.Value(name)
	if !ok {
		t.Fatalf("no parameter %q", name)
	}
	return v
}

func TestParseFileErrors(t *testing.T) {
	enumLevels := "argument(s) must be one of the following: debug, verbose, notice, warning, nothing"
	tests := []struct {
		content string
		line    int
		text    string
		reason  string
	}{
		{"port 1\n\n# c\nfoo bar\n", 4, "foo bar", "Bad directive or wrong number of arguments"},
		{"port abc", 1, "port abc", "argument couldn't be parsed into an integer"},
		{"\t PORT   99999  \r\n", 1, "PORT   99999", "argument must be between 0 and 65535 inclusive"},
		{"port", 1, "port", "wrong number of arguments"},
		{"port 1 2", 1, "port 1 2", "wrong number of arguments"},
		{"# x\nmaxmemory \"abc\n", 2, `maxmemory "abc`, "Unbalanced quotes in configuration line"},
		{"requirepass 'a b'c", 1, "requirepass 'a b'c", "Unbalanced quotes in configuration line"},
		{"maxmemory 1x", 1, "maxmemory 1x", "argument must be a memory value"},
		{"requirepass \"a\\x41b\\n\"\nloglevel xx\n", 2, "loglevel xx", enumLevels},
		{"maxmemory-policy bogus", 1, "maxmemory-policy bogus", "argument(s) must be one of the following: " +
			"volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, allkeys-lrfu, volatile-lrfu"},
		{"databases 0", 1, "databases 0", "argument must be between 1 and 2147483647 inclusive"},
		{"appendonly maybe", 1, "appendonly maybe", "argument must be 'yes' or 'no'"},
		{"save 10", 1, "save 10", "Invalid save parameters"},
		{"unixsocketperm 999", 1, "unixsocketperm 999", "argument couldn't be parsed as an octal number"},
		{"unixsocketperm 1777", 1, "unixsocketperm 1777", "argument must be between 0 and 777 inclusive"},
		{"dir /nonexistent-smallredis-dir", 1, "dir /nonexistent-smallredis-dir", "No such file or directory"},
		{"dir /etc/hostname", 1, "dir /etc/hostname", "Not a directory"},
		{"dbfilename a/b.rdb", 1, "dbfilename a/b.rdb", "dbfilename can't be a path, just a filename"},
		{"rename-command FOO", 1, "rename-command FOO", "Bad directive or wrong number of arguments"},
		{"lua-replicate-commands 1 2", 1, "lua-replicate-commands 1 2", "Bad directive or wrong number of arguments"},
		{"mymodule.param", 1, "mymodule.param", "Module config specified without value"},
		{"sentinel monitor a", 1, "sentinel monitor a", "sentinel directive while not in sentinel mode"},
		{"client-output-buffer-limit normal 1 2", 1, "client-output-buffer-limit normal 1 2",
			"Wrong number of arguments in buffer limit configuration."},
	}
	for _, tt := range tests {
		path := writeConf(t, tt.content)
		_, err := Parse([]string{path})
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want a *ParseError", tt.content, err)
			continue
		}
		want := ParseError{File: path, Line: tt.line, Text: tt.text, Reason: tt.reason}
		if *pe != want {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.content, *pe, want)
		}
	}
}

func TestParseErrorText(t *testing.T) {
	path := writeConf(t, "port 1\n\n# c\nfoo bar\n")
	_, err := Parse([]string{path})
	want := "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
		"Reading the configuration file " + path + ", at line 4\n" +
		">>> 'foo bar'\n" +
		"Bad directive or wrong number of arguments"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}

	_, err = Parse([]string{"--port", "1", "--timeout", "abc"})
	want = "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
		"Reading the command line, at argument 3\n" +
		">>> 'timeout \"abc\"'\n" +
		"argument couldn't be parsed into an integer"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestParseMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.conf")
	_, err := Parse([]string{path})
	want := "Fatal error, can't open config file '" + path + "': No such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"Port", c.Port(), 2345},
		{"Bind", strings.Join(c.Bind(), " "), "* -::*"},
		{"ProtectedMode", c.ProtectedMode(), true},
		{"TCPBacklog", c.TCPBacklog(), 511},
		{"Timeout", c.Timeout(), time.Duration(0)},
		{"TCPKeepAlive", c.TCPKeepAlive(), 300 * time.Second},
		{"MaxClients", c.MaxClients(), 10000},
		{"Databases", c.Databases(), 16},
		{"RequirePass", c.RequirePass(), ""},
		{"LogLevel", c.LogLevel(), "notice"},
		{"LogFile", c.LogFile(), ""},
		{"MaxMemory", c.MaxMemory(), int64(0)},
		{"MaxMemoryPolicy", c.MaxMemoryPolicy(), "allkeys-lrfu"},
		{"MaxMemorySamples", c.MaxMemorySamples(), 5},
		{"MaxMemoryEvictionTenacity", c.MaxMemoryEvictionTenacity(), 10},
		{"LFULogFactor", c.LFULogFactor(), 10},
		{"LFUDecayTime", c.LFUDecayTime(), 1},
		{"ProtoMaxBulkLen", c.ProtoMaxBulkLen(), int64(512 << 20)},
		{"QueryBufferLimit", c.QueryBufferLimit(), int64(1 << 30)},
		{"SlowlogSlowerThan", c.SlowlogSlowerThan(), int64(10000)},
		{"SlowlogMaxLen", c.SlowlogMaxLen(), 128},
		{"Hz", c.Hz(), 10},
		{"Dir", c.Dir(), wd},
		{"DBFilename", c.DBFilename(), "dump.rdb"},
		{"NotifyKeyspaceEvents", c.NotifyKeyspaceEvents(), ""},
		{"ConfigFile", c.ConfigFile(), ""},
		{"Warnings", len(c.Warnings()), 0},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s() = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseFileValues(t *testing.T) {
	dir := t.TempDir()
	path := writeConf(t, `# comment
   # indented comment

PORT 7000
bind 127.0.0.1 ::1
Bind 10.0.0.1 -::1
requirepass "se cret\x21\n"
maxmemory 100MB
maxmemory 2gb
maxmemory-policy VOLATILE-TTL
loglevel warning
logfile '/tmp/it\'s.log'
timeout 30
tcp-keepalive 0
slowlog-log-slower-than -1
hz 1000
dir `+dir+`
notify-keyspace-events "Exmn"
save 900 1
save 300 10
client-output-buffer-limit replica 1mb 2mb 3
client-output-buffer-limit pubsub 64mb 16mb 90
slaveof 10.0.0.2 6380
list-max-ziplist-entries 512
`)
	c, err := Parse([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"Port", c.Port(), 7000},
		{"Bind", strings.Join(c.Bind(), ","), "10.0.0.1,-::1"},
		{"RequirePass", c.RequirePass(), "se cret!\n"},
		{"MaxMemory", c.MaxMemory(), int64(2 << 30)},
		{"MaxMemoryPolicy", c.MaxMemoryPolicy(), "volatile-ttl"},
		{"LogLevel", c.LogLevel(), "warning"},
		{"LogFile", c.LogFile(), "/tmp/it's.log"},
		{"Timeout", c.Timeout(), 30 * time.Second},
		{"TCPKeepAlive", c.TCPKeepAlive(), time.Duration(0)},
		{"SlowlogSlowerThan", c.SlowlogSlowerThan(), int64(-1)},
		{"Hz", c.Hz(), 500},
		{"Dir", c.Dir(), dir},
		{"NotifyKeyspaceEvents", c.NotifyKeyspaceEvents(), "xnEm"},
		{"ConfigFile", c.ConfigFile(), path},
		{"save", get(t, c, "save"), "900 1 300 10"},
		{"client-output-buffer-limit", get(t, c, "client-output-buffer-limit"),
			"normal 0 0 0 slave 1048576 2097152 3 pubsub 67108864 16777216 90"},
		{"replicaof", get(t, c, "replicaof"), "10.0.0.2 6380"},
		{"slaveof", get(t, c, "SLAVEOF"), "10.0.0.2 6380"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if _, err := Parse([]string{writeConf(t, "logfile '/tmp/it's.log'\n")}); err == nil {
		t.Error("a quote inside '…' should end it")
	}
}

// rename-command is checked as Redis's config loading checks it, against
// the names earlier lines left.
func TestParseRenameCommand(t *testing.T) {
	defer func(f func(string) bool) { CommandExists = f }(CommandExists)
	CommandExists = func(n string) bool { return n == "flushdb" || n == "get" || n == "set" }
	for _, tt := range []struct {
		conf string
		want [][2]string
		err  string
	}{
		{"rename-command FLUSHDB badger\nrename-command badger ''\n", [][2]string{{"flushdb", "badger"}, {"badger", ""}}, ""},
		{"rename-command get set\n", nil, "Target command name already exists"},
		{"rename-command nosuch x\n", nil, "No such command in rename-command"},
		{"rename-command get x\nrename-command get y\n", nil, "No such command in rename-command"},
		{"rename-command get x\nrename-command set get\n", [][2]string{{"get", "x"}, {"set", "get"}}, ""},
		{"rename-command get x\nrename-command set x\n", nil, "Target command name already exists"},
	} {
		c, err := Parse([]string{writeConf(t, tt.conf)})
		var pe *ParseError
		switch {
		case tt.err != "":
			if !errors.As(err, &pe) || pe.Reason != tt.err {
				t.Errorf("%q: err %v, want %q", tt.conf, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.conf, err)
		case fmt.Sprint(c.Renames()) != fmt.Sprint(tt.want):
			t.Errorf("%q: Renames() = %q, want %q", tt.conf, c.Renames(), tt.want)
		}
	}
}

func TestParseWarnings(t *testing.T) {
	path := writeConf(t, `port 7000
daemonize yes
rename-command FLUSHALL ""
daemonize no
list-max-ziplist-value 64
user alice on >pw ~* +@all
loadmodule /x/y.so arg
mymodule.size 10
sentinel
appendonly yes
`)
	c, err := Parse([]string{path, "--io-threads", "4"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		path + ":2: 'daemonize' is not implemented by smallredis: accepted and ignored",
		path + ":7: 'loadmodule' is not supported by smallredis: ignored",
		path + ":8: 'mymodule.size' is a module parameter, and smallredis has no modules: ignored",
		path + ":9: 'sentinel' is not supported by smallredis: ignored",
		path + ":10: 'appendonly' is not implemented by smallredis: accepted and ignored",
		"command line argument 2: 'io-threads' is not implemented by smallredis: accepted and ignored",
	}
	if r := c.Renames(); len(r) != 1 || r[0] != [2]string{"flushall", ""} {
		t.Errorf("Renames() = %q, want FLUSHALL removed", r)
	}
	if u := c.Users(); len(u) != 1 || strings.Join(u[0], " ") != "alice on >pw ~* +@all" {
		t.Errorf("Users() = %q, want the user line's arguments", u)
	}
	got := c.Warnings()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v := get(t, c, "daemonize"); v != "no" {
		t.Errorf("warn-only daemonize = %q, want the last value, no", v)
	}
	if v := get(t, c, "io-threads"); v != "4" {
		t.Errorf("io-threads = %q", v)
	}
}

// TestParseStockRedisConf loads the redis.conf Debian's redis-server 7.0
// package installs: every directive in it must be known.
func TestParseStockRedisConf(t *testing.T) {
	const stock = "/etc/redis/redis.conf"
	if _, err := os.Stat(stock); err != nil {
		t.Skip("no stock redis.conf:", err)
	}
	c, err := Parse([]string{stock})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Bind(), " "); got != "127.0.0.1 -::1" {
		t.Errorf("bind = %q", got)
	}
	if c.Port() != 6379 || c.Dir() != "/var/lib/redis" || c.LogFile() != "/var/log/redis/redis-server.log" {
		t.Errorf("port %d dir %q logfile %q", c.Port(), c.Dir(), c.LogFile())
	}
	if len(c.Warnings()) == 0 {
		t.Error("expected warnings for the directives smallredis does not implement")
	}
	for _, w := range c.Warnings() {
		if !strings.HasPrefix(w, stock+":") {
			t.Errorf("warning without location: %s", w)
		}
	}
}

func TestParseCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want map[string]string
	}{
		{[]string{"--port", "6380", "--bind", "127.0.0.1", "::1", "--maxmemory", "100mb"},
			map[string]string{"port": "6380", "bind": "127.0.0.1 ::1", "maxmemory": "104857600"}},
		{[]string{"--requirepass", "--x"}, map[string]string{"requirepass": "--x"}},
		{[]string{"--save", "--port", "7000"}, map[string]string{"save": "", "port": "7000"}},
		{[]string{"--port", "7000", "--save"}, map[string]string{"save": "", "port": "7000"}},
		{[]string{"--save", "100", "1", "200", "2"}, map[string]string{"save": "100 1 200 2"}},
		{[]string{"--save", ""}, map[string]string{"save": ""}},
		// One argument to a many-argument directive is split at spaces,
		// as Redis 7.0 does (redis-server --save "60 1" works).
		{[]string{"--save", "60 1"}, map[string]string{"save": "60 1"}},
		{[]string{"--save", "", "--save", "60 1 10 100"}, map[string]string{"save": "60 1 10 100"}},
		{[]string{"--shutdown-on-sigterm", "nosave force"}, map[string]string{"shutdown-on-sigterm": "nosave force"}},
		{[]string{"--port 7001", "--maxmemory 1k"}, map[string]string{"port": "7001", "maxmemory": "1000"}},
		{[]string{"--slowlog-log-slower-than", "-1"}, map[string]string{"slowlog-log-slower-than": "-1"}},
		{[]string{"--MAXMEMORY-policy", "noeviction"}, map[string]string{"maxmemory-policy": "noeviction"}},
		{[]string{"--requirepass", "a b", "--loglevel", "debug"}, map[string]string{"requirepass": "a b", "loglevel": "debug"}},
		{[]string{"--port", "1", "--port", "2"}, map[string]string{"port": "2"}},
	}
	for _, tt := range tests {
		c, err := Parse(tt.args)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.args, err)
			continue
		}
		for k, v := range tt.want {
			if got := get(t, c, k); got != v {
				t.Errorf("Parse(%q): %s = %q, want %q", tt.args, k, got, v)
			}
		}
	}
}

func TestParseCommandLineErrors(t *testing.T) {
	tests := []struct {
		args   []string
		want   error // a sentinel, or nil to compare text and reason
		line   int
		text   string
		reason string
	}{
		{args: []string{"-v"}, want: ErrVersion},
		{args: []string{"--version"}, want: ErrVersion},
		{args: []string{"-h"}, want: ErrHelp},
		{args: []string{"--help"}, want: ErrHelp},
		{args: []string{"--port"}, line: 1, text: "port", reason: "wrong number of arguments"},
		{args: []string{"--port", "1", "--maxmemory"}, line: 3, text: "maxmemory", reason: "wrong number of arguments"},
		{args: []string{"--port", "1", "2"}, line: 1, text: `port "1" "2"`, reason: "wrong number of arguments"},
		{args: []string{"--foo", "bar"}, line: 1, text: `foo "bar"`, reason: "Bad directive or wrong number of arguments"},
		{args: []string{"--", "bar"}, line: 1, text: "", reason: "Bad directive or wrong number of arguments"},
		{args: []string{"-p", "6380"}, line: 1, text: `"-p" "6380"`, reason: "Bad directive or wrong number of arguments"},
		{args: []string{`--requirepass "x`}, line: 1, text: `requirepass "x`, reason: "Unbalanced quotes in configuration line"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.args)
		if tt.want != nil {
			if err != tt.want {
				t.Errorf("Parse(%q) = %v, want %v", tt.args, err, tt.want)
			}
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "" || pe.Line != tt.line || pe.Text != tt.text || pe.Reason != tt.reason {
			t.Errorf("Parse(%q) = %#v, want line %d text %q reason %q", tt.args, err, tt.line, tt.text, tt.reason)
		}
	}
	if _, err := Parse([]string{"--port", "1", "-"}); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("stdin: %v", err)
	}
}

// TestOverridesBeatFile: command-line options apply after the file, and
// save lines keep adding up across both, as in redis-server.
func TestOverridesBeatFile(t *testing.T) {
	path := writeConf(t, "port 7000\nmaxmemory 1mb\ntimeout 5\nsave 100 1\n")
	c, err := Parse([]string{path, "--port", "7001", "--timeout", "0", "--save", "200", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port() != 7001 || c.Timeout() != 0 || c.MaxMemory() != 1<<20 {
		t.Errorf("port %d timeout %v maxmemory %d", c.Port(), c.Timeout(), c.MaxMemory())
	}
	if got := get(t, c, "save"); got != "100 1 200 2" {
		t.Errorf("save = %q", got)
	}
	c, err = Parse([]string{path, "--save", ""})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "save"); got != "" {
		t.Errorf(`save "" after the file: %q`, got)
	}
}

func TestParseInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("conf.d/a.conf", "maxmemory 1mb\n")
	write("conf.d/b.conf", "maxmemory 2mb\ntimeout 7\n")
	base := write("base.conf", "port 7000\ntimeout 3\n")
	main := write("main.conf", "include "+base+"\ninclude "+dir+"/conf.d/*.conf\ninclude "+dir+"/empty.d/*.conf\nport 7001\n")
	c, err := Parse([]string{main})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port() != 7001 || c.MaxMemory() != 2<<20 || c.Timeout() != 7*time.Second {
		t.Errorf("port %d maxmemory %d timeout %v", c.Port(), c.MaxMemory(), c.Timeout())
	}

	bad := write("bad.conf", "port 1\n\nbogus 1\n")
	main = write("main2.conf", "# x\ninclude "+bad+"\n")
	_, err = Parse([]string{main})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != bad || pe.Line != 3 || pe.Text != "bogus 1" {
		t.Errorf("error in included file: %#v", err)
	}

	_, err = Parse([]string{write("main3.conf", "include "+dir+"/missing.conf\n")})
	if err == nil || !strings.Contains(err.Error(), "can't open config file '"+dir+"/missing.conf'") {
		t.Errorf("missing include: %v", err)
	}

	self := filepath.Join(dir, "self.conf")
	write("self.conf", "include "+self+"\n")
	if _, err := Parse([]string{self}); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "nesting") {
		t.Errorf("self include: %v", err)
	}
}

// user directives: one per name, rules checked for syntax (not command
// names) while parsing, errors naming the argument as Redis does.
func TestParseUserErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "foo", "--user", "foo"}, "Error in user declaration 'foo': Duplicate user found. A user can only be defined once in config files"},
		{[]string{"--user", "foo", "on", "badrule"}, "Error in user declaration 'foo': Syntax error"},
		{[]string{"--user", "foo", "on", "+nosuch", "#abc"}, "Error in user declaration 'on': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
	} {
		_, err := Parse(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %s", tt.args, err, tt.want)
		}
	}
	c, err := Parse([]string{"--user", "foo", "on", "+nosuch", "(~a", "+get)"})
	if err != nil || len(c.Users()) != 1 {
		t.Fatalf("an unknown command is for start-up to report: %v", err)
	}
}
