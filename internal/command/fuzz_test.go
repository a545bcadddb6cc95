package command

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

// fuzzExcluded are the commands the fuzzer never runs, each with why.
// Everything else in the table is fair game.
var fuzzExcluded = map[string]string{
	"shutdown":     "stops the server",
	"monitor":      "turns the connection into a stream that ignores its input",
	"client|pause": "parks every later command (tested in the server package)",
	"memory|purge": "a full GC and heap scavenge per call: too slow to fuzz",
	// A blocking command with no data parks its client, which this harness
	// (no event loop) cannot resume; blocking_integration_test.go and
	// blocking.txt cover them, and their non-blocking paths are the list
	// commands' own.
	"blpop":      "blocks the harness's connection",
	"brpop":      "blocks the harness's connection",
	"blmove":     "blocks the harness's connection",
	"brpoplpush": "blocks the harness's connection",
	"blmpop":     "blocks the harness's connection",
	"bzpopmin":   "blocks the harness's connection",
	"bzpopmax":   "blocks the harness's connection",
	"bzmpop":     "blocks the harness's connection",
	"wait":       "blocks the harness's connection (no replica ever acknowledges)",
	"pfselftest": "ten million adds per call: too slow to fuzz (hll's own tests run it small)",
	"migrate":    "connects to the host and port it is given (dump_integration_test.go covers it)",
	// Lua the fuzzer writes may loop forever (no event loop here to park
	// on); the scripting tests and difftest scripts cover these.
	"eval":             "runs arbitrary Lua",
	"eval_ro":          "runs arbitrary Lua",
	"script|load":      "caches arbitrary Lua for EVALSHA",
	"function|load":    "runs arbitrary Lua",
	"function|restore": "runs arbitrary Lua",
}

// fuzzExcludedDebug are DEBUG subcommands the fuzzer never runs.
var fuzzExcludedDebug = map[string]string{
	"sleep": "blocks for as long as it is told",
	"panic": "panics by design (the recovery is tested in the server package)",
}

// fuzzMaxWork bounds the work an input may ask for by a count: DEBUG
// POPULATE makes that many keys and SRANDMEMBER, HRANDFIELD and
// ZRANDMEMBER with a negative count answer that many elements, by design
// and as in Redis, so a count of two billion keeps one input running for
// hours (the fuzzer stalled at 0 execs/s on such inputs).
const fuzzMaxWork = 100_000

func fuzzHugeWork(argv [][]byte) bool {
	if len(argv) < 3 {
		return false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(argv[2])), 10, 64)
	if err != nil {
		return false
	}
	switch strings.ToLower(string(argv[0])) {
	case "debug":
		return strings.EqualFold(string(argv[1]), "populate") && n > fuzzMaxWork
	case "srandmember", "hrandfield", "zrandmember":
		return n < -fuzzMaxWork // a positive count is bounded by the collection
	}
	return false
}

// fuzzCmd is one command (or container|subcommand) with the words that
// make sense as its arguments.
type fuzzCmd struct {
	argv0 [][]byte // name, and subcommand name for subcommands
	words [][]byte // option tokens from its documentation
}

var fuzzCommands = sync.OnceValue(func() []fuzzCmd {
	var out []fuzzCmd
	add := func(s *Spec, argv0 ...string) {
		if _, ok := fuzzExcluded[s.Name]; ok {
			return
		}
		fc := fuzzCmd{}
		for _, a := range argv0 {
			fc.argv0 = append(fc.argv0, []byte(a))
		}
		var walk func([]Arg)
		walk = func(args []Arg) {
			for _, a := range args {
				if a.Token != "" {
					fc.words = append(fc.words, []byte(a.Token))
				}
				walk(a.Children)
			}
		}
		walk(s.Doc.Args)
		out = append(out, fc)
	}
	for _, s := range DefaultTable().All() {
		add(s, s.Name)
		for _, sub := range s.Subs {
			add(sub, s.Name, sub.shortName())
		}
	}
	return out
})

// fuzzValues are the interesting arguments every command is tried with.
var fuzzValues = func() [][]byte {
	vals := []string{
		// keys the fixture creates, of each type, and one it does not
		"str", "num", "bits", "list", "hash", "set", "ints", "ttl", "zset", "bigz", "hll", "geo", "missing",
		// integers at and around the edges
		"0", "1", "-1", "2", "7", "8", "63", "64", "100", "-100", "4294967295", "4294967296",
		"2147483647", "2147483648", "-2147483648", "536870911", "536870912",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"9223372036854775000", "-9223372036854775000", "1152921504606846975", "1152921504606846976",
		"18446744073709551615", "99999999999999999999", "10000000000000", "-0", "+1", "01", " 1",
		// floats
		"1.5", "-1.5", "0.0", "1e308", "-1e308", "1e-320", "1e400", "inf", "-inf", "+inf", "nan",
		"NaN", "Infinity", "0x10", "1e", ".", "5e-1",
		// strings
		"", " ", "*", "?", "[", "[a-", "\\", "\x00", "\r\n", "héllo", "#1", "#-1", "#9223372036854775807",
		strings.Repeat("x", 1000), strings.Repeat("ab", 40_000),
		// words shared by many commands
		"EX", "PX", "EXAT", "PXAT", "NX", "XX", "GT", "LT", "GET", "KEEPTTL", "PERSIST", "WITHSCORES",
		"MATCH", "COUNT", "TYPE", "BYTE", "BIT", "LEN", "IDX", "MINMATCHLEN", "WITHMATCHLEN",
		"OVERFLOW", "WRAP", "SAT", "FAIL", "SET", "INCRBY", "i64", "u63", "u8", "i1", "i65", "u64",
		"AND", "OR", "XOR", "NOT", "REPLACE", "DB", "ON", "OFF", "SKIP", "YES", "NO", "ALL", "WRITE",
		"ASYNC", "SYNC", "SAMPLES", "ID", "ADDR", "LADDR", "USER", "MAXAGE", "NOSAVE", "SAVE", "ABORT",
		"set-active-expire", "help", "proto-max-bulk-len", "maxmemory", "maxmemory-policy", "hz",
		"timeout", "requirepass", "maxclients", "slowlog-log-slower-than", "slowlog-max-len",
		"client-query-buffer-limit", "lfu-log-factor", "allkeys-lru", "noeviction", "volatile-ttl",
		"AUTH", "SETNAME", "3", "16", "-16",
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out
}()

// fuzzConn is one client of the fuzzed server.
type fuzzConn struct {
	c   *Client
	ctx Ctx
	w   resp.Writer
}

type fuzzHost struct{ clients []*Client }

func (h *fuzzHost) Clients() []*Client { return h.clients }
func (h *fuzzHost) Shutdown()          {}
func (h *fuzzHost) Port() int          { return 6379 }

func newFuzzConn(id int64) *fuzzConn {
	fc := &fuzzConn{c: NewClient(id, "127.0.0.1:"+strconv.FormatInt(40000+id, 10), "127.0.0.1:6379", -1)}
	fc.c.Authed = true
	fc.c.Kill = func() {}
	fc.c.Send = func([]byte) {}
	fc.c.QueryBuf = func() int { return 0 }
	fc.w.Proto = 2
	return fc
}

// fuzzDecoder turns fuzz bytes into commands.
type fuzzDecoder struct{ b []byte }

func (d *fuzzDecoder) byte() (byte, bool) {
	if len(d.b) == 0 {
		return 0, false
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c, true
}

// next returns the next command, or nil at the end of the input.
func (d *fuzzDecoder) next(cmds []fuzzCmd) [][]byte {
	hi, ok1 := d.byte()
	lo, ok2 := d.byte()
	n, ok3 := d.byte()
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	fc := cmds[(int(hi)<<8|int(lo))%len(cmds)]
	argv := append([][]byte{}, fc.argv0...)
	for range int(n % 8) {
		sel, ok := d.byte()
		if !ok {
			break
		}
		switch {
		case sel < 0x40 && len(fc.words) > 0:
			argv = append(argv, fc.words[int(sel)%len(fc.words)])
		case sel < 0xf0:
			argv = append(argv, fuzzValues[int(sel)%len(fuzzValues)])
		default: // raw bytes from the input, length-prefixed
			l, _ := d.byte()
			l = min(l, byte(len(d.b)))
			argv = append(argv, d.b[:l])
			d.b = d.b[l:]
		}
	}
	return argv
}

// fuzzSetup creates one key of each type.
var fuzzSetup = [][]string{
	{"SET", "str", "hello world"},
	{"SET", "num", "42"},
	{"SETBIT", "bits", "100", "1"},
	{"SET", "ttl", "v", "PX", "100000"},
	{"RPUSH", "list", "a", "b"},
	{"HSET", "hash", "f", "v", "n", "7"},
	{"SADD", "set", "m", "n"},
	{"SADD", "ints", "1", "2", "3"},
	{"ZADD", "zset", "1", "a", "2", "b", "-inf", "c"},
	{"ZADD", "bigz", "1", "m", "2", strings.Repeat("y", 100), "3", "n"},
	{"PFADD", "hll", "a", "b", "c"},
	{"GEOADD", "geo", "13.361389", "38.115556", "p", "15.087269", "37.502669", "q"},
}

// runFuzz runs the commands data encodes against a fresh in-process server
// through Exec, the real dispatch, checking after each that no panic was
// recovered and that the connection is sane: exactly one well-formed
// reply, a valid database and protocol.
func runFuzz(t *testing.T, data []byte) {
	var logs bytes.Buffer
	// 4 databases, not 16: a fresh keyspace per input is most of an
	// input's cost, and 4 still has SELECT, MOVE and SWAPDB in and out of range.
	cfg, err := config.Parse([]string{"--databases", "4"})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(cfg, store.New(cfg.Databases()))
	srv.Log = slog.New(slog.NewTextHandler(&logs, nil))
	host := &fuzzHost{}
	srv.Host = host
	conns := []*fuzzConn{newFuzzConn(1), newFuzzConn(2)}
	for _, fc := range conns {
		host.clients = append(host.clients, fc.c)
	}
	for _, a := range fuzzSetup {
		argv := make([][]byte, len(a))
		for i, s := range a {
			argv[i] = []byte(s)
		}
		conns[0].w.Reset()
		srv.Exec(conns[0].c, &conns[0].ctx, argv, &conns[0].w)
	}
	cmds := fuzzCommands()
	d := &fuzzDecoder{b: data}
	var history []string
	for steps := 0; steps < 64; steps++ {
		argv := d.next(cmds)
		if argv == nil {
			return
		}
		if len(argv) > 1 && strings.EqualFold(string(argv[0]), "debug") {
			if _, ok := fuzzExcludedDebug[strings.ToLower(string(argv[1]))]; ok {
				continue
			}
		}
		if fuzzHugeWork(argv) {
			continue
		}
		who := len(history) % len(conns)
		fc := conns[who]
		history = append(history, fmt.Sprintf("c%d %q", who, argv))
		modeBefore := fc.c.ReplyMode
		fc.w.Reset()
		wait := srv.Exec(fc.c, &fc.ctx, argv, &fc.w)
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("after:\n  %s\n%s\nserver log:\n%s", strings.Join(history, "\n  "), fmt.Sprintf(format, a...), logs.String())
		}
		if n := srv.Stats.Panics.Load(); n != 0 {
			fail("%d panics recovered", n)
		}
		if wait > 0 {
			fail("command waits %v", wait)
		}
		replies, err := countReplies(fc.w.B, multiReply(argv[0]))
		if err != nil {
			fail("malformed reply %q: %v", truncate(string(fc.w.B), 300), err)
		}
		want := 1
		if modeBefore != ReplyOn || fc.c.ReplyMode != ReplyOn {
			want = -1 // CLIENT REPLY OFF/SKIP: zero or one
		}
		if multiReply(argv[0]) && replies >= 1 {
			want = replies // (un)subscribing answers once per channel
		}
		if want == 1 && replies != 1 || replies > 1 && want != replies {
			fail("%d replies %q, want %d", replies, truncate(string(fc.w.B), 300), want)
		}
		if db := fc.c.DB(); db < 0 || db >= cfg.Databases() {
			fail("selected database %d", db)
		}
		if p := fc.c.Proto; p != 2 && p != 3 {
			fail("protocol %d", p)
		}
		fc.w.Proto = fc.c.Proto // as the connection does after each command
		if fc.c.CloseAfterReply || fc.c.Killed() {
			// The connection is gone (QUIT, CLIENT KILL): a new client takes its place.
			id := fc.c.ID + 10
			conns[who] = newFuzzConn(id)
			host.clients[who] = conns[who].c
		}
	}
}

// multiReply reports whether the command answers once per argument, as
// the (un)subscribe family does.
func multiReply(name []byte) bool {
	switch strings.ToLower(string(name)) {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		return true
	}
	return false
}

// countReplies counts the replies in b; RESP3 pushes do not count, except
// for the (un)subscribe family (pushes) whose RESP3 replies they are.
func countReplies(b []byte, pushes bool) (int, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	n := 0
	for {
		if _, err := r.Peek(1); err == io.EOF {
			return n, nil
		}
		v, err := resp.ReadValue(r)
		if err != nil {
			return n, err
		}
		if v.Type != '>' || pushes { // a push (an invalidation) is not a reply
			n++
		}
	}
}

// fuzzSeed encodes commands for the seed corpus (inverse of fuzzDecoder
// for commands whose arguments are all in fuzzValues or raw).
func fuzzSeed(t testing.TB, cmds ...[]string) []byte {
	var out []byte
	table := fuzzCommands()
	for _, c := range cmds {
		idx := -1
		for i, fc := range table {
			if len(fc.argv0) <= len(c) && strings.EqualFold(string(bytes.Join(fc.argv0, []byte(" "))), strings.Join(c[:len(fc.argv0)], " ")) {
				if idx < 0 || len(fc.argv0) > len(table[idx].argv0) {
					idx = i
				}
			}
		}
		if idx < 0 {
			t.Fatalf("seed: no command %q", c)
		}
		args := c[len(table[idx].argv0):]
		out = append(out, byte(idx>>8), byte(idx), byte(len(args)))
		for _, a := range args {
			out = append(out, 0xff, byte(len(a)))
			out = append(out, a...)
		}
	}
	return out
}

var fuzzSeeds = [][][]string{
	{{"SET", "k", "v"}, {"GET", "k"}, {"APPEND", "k", "more"}, {"GETRANGE", "k", "0", "-1"}},
	// the crash the hardening issue reported
	{{"CONFIG", "SET", "proto-max-bulk-len", "9223372036854775807"}, {"SETRANGE", "k", "9223372036854775000", "x"}},
	{{"CONFIG", "SET", "proto-max-bulk-len", "9223372036854775807"}, {"SETBIT", "k", "9223372036854775807", "1"},
		{"BITFIELD", "k", "SET", "u8", "#1152921504606846975", "1"}, {"APPEND", "str", "x"}},
	{{"GETRANGE", "str", "-9223372036854775808", "9223372036854775807"}, {"BITCOUNT", "bits", "-9223372036854775808", "9223372036854775807", "BIT"},
		{"BITPOS", "bits", "1", "-9223372036854775808", "9223372036854775807", "BIT"}},
	{{"HELLO", "3"}, {"CLIENT", "REPLY", "SKIP"}, {"GET", "str"}, {"CLIENT", "INFO"}, {"QUIT"}, {"PING"}},
	{{"EXPIRE", "str", "9223372036854775807"}, {"PEXPIREAT", "num", "-9223372036854775808"}, {"SET", "k", "v", "EX", "9223372036854775807"},
		{"GETEX", "num", "PX", "9223372036854775807"}, {"INCRBYFLOAT", "num", "1e308"}, {"INCRBYFLOAT", "num", "1e308"}},
	{{"SELECT", "3"}, {"SWAPDB", "0", "3"}, {"MOVE", "str", "0"}, {"COPY", "num", "num", "DB", "3"}, {"SELECT", "4"}, {"SCAN", "18446744073709551615", "COUNT", "9223372036854775807"}},
	{{"LCS", "str", "num", "IDX", "MINMATCHLEN", "-9223372036854775808", "WITHMATCHLEN"}, {"OBJECT", "FREQ", "list"},
		{"MEMORY", "USAGE", "list", "SAMPLES", "-1"}, {"DEBUG", "SET-ACTIVE-EXPIRE", "0"}},
	{{"ACL", "SETUSER", "u", "on", "nopass", "%R~s*", "&c*", "-@all", "+get", "+select|1", "(+set ~n*)"}, {"ACL", "DRYRUN", "u", "SORT", "list", "STORE", "n"},
		{"AUTH", "u", "x"}, {"GET", "str"}, {"SET", "num", "1"}, {"PUBLISH", "c", "m"}, {"SELECT", "1"}, {"ACL", "LIST"}, {"RESET"}, {"ACL", "GETUSER", "u"}, {"ACL", "LOG"}},
}

// FuzzCommands runs random argument vectors through every command of the
// table. `make fuzz` runs it for a few seconds; plain `go test` runs the
// seeds.
func FuzzCommands(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(fuzzSeed(f, s...))
	}
	// Keep a stray huge allocation from exhausting the machine: strings may
	// not grow past 4 MiB here, whatever proto-max-bulk-len says.
	old := memCeiling
	memCeiling = func() int64 { return 4 << 20 }
	f.Cleanup(func() { memCeiling = old })
	f.Fuzz(runFuzz)
}

// Every excluded command exists, so the list does not rot.
func TestFuzzExclusionsExist(t *testing.T) {
	tab := DefaultTable()
	for name := range fuzzExcluded {
		parent, sub, isSub := strings.Cut(name, "|")
		s := tab.Lookup([]byte(parent))
		if s != nil && isSub {
			s = s.LookupSub([]byte(sub))
		}
		if s == nil {
			t.Errorf("excluded command %q is not in the table", name)
		}
	}
}
