package command

import (
	"math"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

// strServer is a command server with one client, for driving handlers
// through Exec without a network.
type strServer struct {
	srv *Server
	c   *Client
	ctx Ctx
	w   resp.Writer
}

func newStrServer(t testing.TB) *strServer {
	t.Helper()
	cfg, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &strServer{srv: NewServer(cfg, store.New(16)), c: NewClient(1, "127.0.0.1:1", "127.0.0.1:2", -1), w: resp.Writer{Proto: 2}}
}

// do runs one command and returns its raw RESP reply.
func (s *strServer) do(args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	s.w.Reset()
	s.srv.Exec(s.c, &s.ctx, argv, &s.w)
	return string(s.w.B)
}

// putList stores a non-string value at key, which no command of this
// family can create.
func (s *strServer) putList(key string) {
	s.srv.KS.DB(0).Update([]byte(key), store.NowMs(), func(e *store.Entry) {
		e.SetObj(store.TypeList, []string{"a"})
	})
}

// The string and bitmap specs must say what Redis 7.0.15's COMMAND INFO
// says: clients and proxies route and check ACLs from it.
func TestStringSpecsMatchRedis(t *testing.T) {
	tests := []struct {
		name              string
		arity             int
		flags             string
		first, last, step int
		acl               string
	}{
		{"get", 2, "readonly fast", 1, 1, 1, "read string fast"},
		{"set", -3, "write denyoom", 1, 1, 1, "write string slow"},
		{"getex", -2, "write fast", 1, 1, 1, "write string fast"},
		{"getdel", 2, "write fast", 1, 1, 1, "write string fast"},
		{"getset", 3, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"mget", -2, "readonly fast", 1, -1, 1, "read string fast"},
		{"mset", -3, "write denyoom", 1, -1, 2, "write string slow"},
		{"msetnx", -3, "write denyoom", 1, -1, 2, "write string slow"},
		{"setnx", 3, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"setex", 4, "write denyoom", 1, 1, 1, "write string slow"},
		{"psetex", 4, "write denyoom", 1, 1, 1, "write string slow"},
		{"incr", 2, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"incrby", 3, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"decr", 2, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"decrby", 3, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"append", 3, "write denyoom fast", 1, 1, 1, "write string fast"},
		{"strlen", 2, "readonly fast", 1, 1, 1, "read string fast"},
		{"getrange", 4, "readonly", 1, 1, 1, "read string slow"},
		{"substr", 4, "readonly", 1, 1, 1, "read string slow"},
		{"setrange", 4, "write denyoom", 1, 1, 1, "write string slow"},
		{"lcs", -3, "readonly", 1, 2, 1, "read string slow"},
		{"setbit", 4, "write denyoom", 1, 1, 1, "write bitmap slow"},
		{"getbit", 3, "readonly fast", 1, 1, 1, "read bitmap fast"},
		{"bitcount", -2, "readonly", 1, 1, 1, "read bitmap slow"},
		{"bitpos", -3, "readonly", 1, 1, 1, "read bitmap slow"},
		{"bitop", -4, "write denyoom", 2, -1, 1, "write bitmap slow"},
		{"bitfield", -2, "write denyoom", 1, 1, 1, "write bitmap slow"},
		{"bitfield_ro", -2, "readonly fast", 1, 1, 1, "read bitmap fast"},
	}
	table := DefaultTable()
	for _, tt := range tests {
		s := table.Lookup([]byte(tt.name))
		if s == nil {
			t.Errorf("%s: not in the table", tt.name)
			continue
		}
		if s.Arity != tt.arity || strings.Join(s.Flags.Names(), " ") != tt.flags ||
			s.FirstKey != tt.first || s.LastKey != tt.last || s.Step != tt.step ||
			strings.Join(s.ACL, " ") != tt.acl {
			t.Errorf("%s: arity %d flags %q keys %d,%d,%d acl %q; want %d %q %d,%d,%d %q", tt.name,
				s.Arity, strings.Join(s.Flags.Names(), " "), s.FirstKey, s.LastKey, s.Step, strings.Join(s.ACL, " "),
				tt.arity, tt.flags, tt.first, tt.last, tt.step, tt.acl)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"01", 0, false},
		{"00", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"000000000000000000001", 0, false}, // 21 bytes: rejected before parsing
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseFloat(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"1.5", 1.5, true},
		{"-1.5", -1.5, true},
		{"+1.5", 1.5, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"1e3", 1000, true},
		{"1E+3", 1000, true},
		{"1e-3", 0.001, true},
		{"0x10", 16, true},
		{"0x1.8", 1.5, true},
		{"0x1p-2", 0.25, true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"+INF", math.Inf(1), true},
		{"0e999", 0, true},
		{"4e-320", 4e-320, true}, // denormal: ERANGE but not zero, accepted
		{"1e-400", 0, false},     // underflow to zero
		{"1e400", 0, false},      // overflow
		{"nan", 0, false},
		{"-nan", 0, false},
		{"infinit", 0, false},
		{"", 0, false},
		{".", 0, false},
		{"e5", 0, false},
		{"1e", 0, false},
		{"1e+", 0, false},
		{"0x", 0, false},
		{"0x1p", 0, false},
		{"0x_1p0", 0, false},
		{"1_000", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1\x00", 0, false},
		{"--1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseFloat([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseFloat(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEqFold(t *testing.T) {
	for _, tt := range []struct {
		b, s string
		want bool
	}{
		{"nx", "nx", true}, {"NX", "nx", true}, {"nX", "NX", true}, {"keepttl", "KEEPTTL", true},
		{"n", "nx", false}, {"nxx", "nx", false}, {"", "", true}, {"[x", "{x", false},
	} {
		if got := eqFold([]byte(tt.b), tt.s); got != tt.want {
			t.Errorf("eqFold(%q, %q) = %v", tt.b, tt.s, got)
		}
	}
}

// The expected sums are what Redis 7.0.15 on x86-64 replies to
// SET k a; INCRBYFLOAT k b.
func TestLongDouble(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"10.5", "0.1", "10.6"},
		{"3.0e3", "0", "3000"},
		{"0.1", "0.2", "0.3"},
		{"1.1", "2.2", "3.3"},
		{"0", "1e-20", "0"},
		{"0", "-1e-20", "0"},
		{"0", "-0", "0"},
		{"0", "0x10", "16"},
		{"0", "0x1.8", "1.5"},
		{"7", "-7", "0"},
		{"0", "-0.0000001", "-0.0000001"},
		{"1e17", "1", "100000000000000001"},
		{"0", "1.23456789012345678901", "1.23456789012345679"},
		{"123456789.123456789", "123456789.123456789", "246913578.24691357799747493"},
		{"0", "1e300", "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144"},
		{"0", "1.5e-4940", "0"},
		{"0", "3.64e-4951", "0"},
		{"0", "0x1.000001p-16446", "0"},
		{"0", "0e99999999999999", "0"},
		{"0", strings.Repeat("0", 5000) + "1", "1"},
		{"0", "0x1.0000000000000001p0", "1"},
	}
	for _, tt := range tests {
		a, ok1 := parseLongDouble([]byte(tt.a))
		b, ok2 := parseLongDouble([]byte(tt.b))
		if !ok1 || !ok2 {
			t.Errorf("%s + %s: parse failed", tt.a, tt.b)
			continue
		}
		sum, ok := addLongDouble(a, b)
		if !ok {
			t.Errorf("%s + %s: not finite", tt.a, tt.b)
			continue
		}
		if got := string(appendLongDouble(nil, sum)); got != tt.want {
			t.Errorf("%s + %s = %s; want %s", tt.a, tt.b, got, tt.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "abc", "nan", "1e", "1e4933", "-1e4933", "1e-5000", "1.8e-4951", "0x1p-16446", "0x1p16384", "1e99999999999999", strings.Repeat("1", 5120)} {
		if _, ok := parseLongDouble([]byte(bad)); ok {
			t.Errorf("parseLongDouble(%q) accepted", bad)
		}
	}
	// 1e4932 is finite, but twice it is not.
	big, _ := parseLongDouble([]byte("1e4932"))
	if _, ok := addLongDouble(big, big); ok {
		t.Error("1e4932+1e4932 should overflow")
	}
	inf, ok := parseLongDouble([]byte("inf"))
	if !ok {
		t.Fatal("inf should parse")
	}
	if _, ok := addLongDouble(inf, ldZero()); ok {
		t.Error("inf+0 should be rejected")
	}
}

func TestParseSetOptions(t *testing.T) {
	tests := []struct {
		opts   string
		getex  bool
		flags  setFlags
		expire string
		ok     bool
	}{
		{"", false, 0, "", true},
		{"NX", false, setNX, "", true},
		{"nx NX", false, setNX, "", true},
		{"NX XX", false, 0, "", false},
		{"XX GET KEEPTTL", false, setXX | setGet | setKeepTTL, "", true},
		{"EX 10", false, setEX, "10", true},
		{"EX 10 EX 20", false, setEX, "20", true},
		{"EX 10 PX 20", false, 0, "", false},
		{"KEEPTTL PXAT 5", false, 0, "", false},
		{"PXAT 5 KEEPTTL", false, 0, "", false},
		{"EX", false, 0, "", false},
		{"PERSIST", false, 0, "", false},
		{"PERSIST", true, setPersist, "", true},
		{"PERSIST EXAT 1", true, 0, "", false},
		{"EXAT 1", true, setEXAT, "1", true},
		{"NX", true, 0, "", false},
		{"GET", true, 0, "", false},
		{"KEEPTTL", true, 0, "", false},
	}
	for _, tt := range tests {
		var opts [][]byte
		for _, f := range strings.Fields(tt.opts) {
			opts = append(opts, []byte(f))
		}
		flags, expire, ok := parseSetOptions(opts, tt.getex)
		if ok != tt.ok || (ok && (flags != tt.flags || string(expire) != tt.expire)) {
			t.Errorf("parseSetOptions(%q, getex=%v) = %b, %q, %v; want %b, %q, %v",
				tt.opts, tt.getex, flags, expire, ok, tt.flags, tt.expire, tt.ok)
		}
	}
}

func TestSubstring(t *testing.T) {
	s := []byte("This is a string")
	tests := []struct {
		start, end int64
		want       string
	}{
		{0, 3, "This"}, {-3, -1, "ing"}, {0, -1, "This is a string"}, {10, 100, "string"},
		{100, 200, ""}, {5, 3, ""}, {-1, -5, ""}, {-100, -50, "T"}, {0, -100, "T"},
		{math.MaxInt64, math.MinInt64, ""}, {math.MinInt64, math.MaxInt64, "This is a string"},
	}
	for _, tt := range tests {
		if got := string(substring(s, tt.start, tt.end)); got != tt.want {
			t.Errorf("substring(%d, %d) = %q; want %q", tt.start, tt.end, got, tt.want)
		}
	}
	if got := substring(nil, 0, -1); len(got) != 0 {
		t.Errorf("substring of empty = %q", got)
	}
}

// No list commands exist in this family, so the WRONGTYPE paths are
// driven here with a list stored directly in the keyspace. Each case also
// checks that the key was left alone.
func TestStringWrongType(t *testing.T) {
	const wrongType = "-" + ErrWrongType + "\r\n"
	s := newStrServer(t)
	s.putList("l")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"get", "l"}, wrongType},
		{[]string{"set", "l", "v", "GET"}, wrongType},
		{[]string{"getex", "l"}, wrongType},
		{[]string{"getex", "l", "EX", "-1"}, wrongType},
		{[]string{"getdel", "l"}, wrongType},
		{[]string{"getset", "l", "v"}, wrongType},
		{[]string{"incr", "l"}, wrongType},
		{[]string{"incrby", "l", "x"}, "-" + ErrNotInt + "\r\n"}, // the increment is parsed first
		{[]string{"incrbyfloat", "l", "x"}, wrongType},
		{[]string{"append", "l", "x"}, wrongType},
		{[]string{"strlen", "l"}, wrongType},
		{[]string{"getrange", "l", "0", "1"}, wrongType},
		{[]string{"setrange", "l", "0", "x"}, wrongType},
		{[]string{"setrange", "l", "0", ""}, wrongType},
		{[]string{"lcs", "l", "nokey"}, "-" + ErrLCSType + "\r\n"},
		{[]string{"lcs", "nokey", "l", "FOO"}, "-" + ErrLCSType + "\r\n"},
		{[]string{"mget", "nokey", "l"}, "*2\r\n$-1\r\n$-1\r\n"},
		{[]string{"msetnx", "x", "1", "l", "2"}, ":0\r\n"},
		{[]string{"setbit", "l", "0", "1"}, wrongType},
		{[]string{"getbit", "l", "0"}, wrongType},
		{[]string{"bitcount", "l"}, wrongType},
		{[]string{"bitcount", "l", "a", "b"}, wrongType},
		{[]string{"bitpos", "l", "1"}, wrongType},
		{[]string{"bitop", "and", "d", "nokey", "l"}, wrongType},
		{[]string{"bitfield", "l", "get", "u8", "0"}, wrongType},
		{[]string{"bitfield", "l", "set", "u8", "0", "1"}, wrongType},
		{[]string{"bitfield_ro", "l", "get", "u8", "0"}, wrongType},
		{[]string{"type", "l"}, "+list\r\n"},
		{[]string{"exists", "x", "d"}, ":0\r\n"},
	}
	for _, tt := range tests {
		if got := s.do(tt.args...); got != tt.want {
			t.Errorf("%v = %q; want %q", tt.args, got, tt.want)
		}
	}
	// Without GET, SET, MSET, SETEX and BITOP's destination overwrite
	// another type.
	for _, args := range [][]string{{"set", "l", "v"}, {"mset", "l", "v"}, {"setex", "l", "10", "v"}} {
		s.putList("l")
		s.do(args...)
		if got := s.do("type", "l"); got != "+string\r\n" {
			t.Errorf("%v left type %q", args, got)
		}
	}
	s.putList("l")
	s.do("set", "src", "x")
	if got := s.do("bitop", "or", "l", "src"); got != ":1\r\n" || s.do("get", "l") != "$1\r\nx\r\n" {
		t.Errorf("BITOP onto a list: %q", got)
	}
}

// Every lookupKeyRead in Redis counts a keyspace hit or miss; write
// lookups do not.
func TestStringKeyspaceHits(t *testing.T) {
	s := newStrServer(t)
	s.do("set", "k", "v")
	tests := []struct {
		args         []string
		hits, misses int64
	}{
		{[]string{"get", "k"}, 1, 0},
		{[]string{"get", "nokey"}, 0, 1},
		{[]string{"mget", "k", "nokey", "k"}, 2, 1},
		{[]string{"strlen", "k"}, 1, 0},
		{[]string{"getrange", "nokey", "0", "1"}, 0, 1},
		{[]string{"getrange", "k", "x", "1"}, 0, 0},
		{[]string{"getex", "k"}, 1, 0},
		{[]string{"set", "k", "v", "GET"}, 1, 0},
		{[]string{"set", "k", "v"}, 0, 0},
		{[]string{"getset", "k", "v"}, 1, 0},
		{[]string{"incr", "n"}, 0, 0},
		{[]string{"append", "k", "x"}, 0, 0},
		{[]string{"lcs", "k", "nokey"}, 1, 1},
		{[]string{"getbit", "k", "0"}, 1, 0},
		{[]string{"bitcount", "nokey"}, 0, 1},
		{[]string{"bitpos", "k", "1"}, 1, 0},
		{[]string{"bitop", "or", "d", "k", "nokey"}, 1, 1},
		{[]string{"bitfield", "k", "get", "u8", "0"}, 1, 0},
		{[]string{"bitfield", "k", "set", "u8", "0", "1"}, 0, 0},
		{[]string{"setbit", "k", "0", "1"}, 0, 0},
		{[]string{"getdel", "k"}, 1, 0},
	}
	for _, tt := range tests {
		h0, m0 := s.srv.Stats.Hits.Load(), s.srv.Stats.Misses.Load()
		s.do(tt.args...)
		if h, m := s.srv.Stats.Hits.Load()-h0, s.srv.Stats.Misses.Load()-m0; h != tt.hits || m != tt.misses {
			t.Errorf("%v: hits %d misses %d; want %d %d", tt.args, h, m, tt.hits, tt.misses)
		}
	}
}

// GET (hit and miss) and SET without options are the hot path: no
// allocation per call.
func TestGetSetDoNotAllocate(t *testing.T) {
	s := newStrServer(t)
	s.do("set", "key", "value")
	for _, args := range [][]string{
		{"get", "key"}, {"get", "missing"}, {"set", "key", "value"}, {"set", "key2", "another value"},
	} {
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		n := testing.AllocsPerRun(1000, func() {
			s.w.Reset()
			s.srv.Exec(s.c, &s.ctx, argv, &s.w)
		})
		if n != 0 {
			t.Errorf("%v: %v allocs per call; want 0", args, n)
		}
	}
}

func benchExec(b *testing.B, setup []string, args ...string) {
	s := newStrServer(b)
	if setup != nil {
		s.do(setup...)
	}
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, argv, &s.w)
	}
}

func BenchmarkGetHandler(b *testing.B) {
	b.Run("hit", func(b *testing.B) { benchExec(b, []string{"set", "key", "value"}, "get", "key") })
	b.Run("miss", func(b *testing.B) { benchExec(b, nil, "get", "key") })
}

func BenchmarkSetHandler(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchExec(b, nil, "set", "key", "value") })
	b.Run("ex", func(b *testing.B) { benchExec(b, nil, "set", "key", "value", "EX", "100") })
}

func BenchmarkIncrHandler(b *testing.B) { benchExec(b, nil, "incr", "counter") }
