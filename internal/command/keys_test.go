package command

import (
	"math"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/resp"
)

// The key and expiry specs must say what Redis 7.0.15's COMMAND INFO says
// (captured with `redis-cli --json command info …`): clients and proxies
// route and check ACLs from it.
func TestKeySpecsMatchRedis(t *testing.T) {
	tests := []struct {
		name              string
		arity             int
		flags             string
		first, last, step int
		acl               string
	}{
		{"del", -2, "write", 1, -1, 1, "keyspace write slow"},
		{"unlink", -2, "write fast", 1, -1, 1, "keyspace write fast"},
		{"exists", -2, "readonly fast", 1, -1, 1, "keyspace read fast"},
		{"touch", -2, "readonly fast", 1, -1, 1, "keyspace read fast"},
		{"type", 2, "readonly fast", 1, 1, 1, "keyspace read fast"},
		{"rename", 3, "write", 1, 2, 1, "keyspace write slow"},
		{"renamenx", 3, "write fast", 1, 2, 1, "keyspace write fast"},
		{"copy", -3, "write denyoom", 1, 2, 1, "keyspace write slow"},
		{"move", 3, "write fast", 1, 1, 1, "keyspace write fast"},
		{"swapdb", 3, "write fast", 0, 0, 0, "keyspace write fast dangerous"},
		{"randomkey", 1, "readonly", 0, 0, 0, "keyspace read slow"},
		{"keys", 2, "readonly", 0, 0, 0, "keyspace read slow dangerous"},
		{"scan", -2, "readonly", 0, 0, 0, "keyspace read slow"},
		{"object", -2, "", 0, 0, 0, "slow"},
		{"object|idletime", 3, "readonly", 2, 2, 1, "keyspace read slow"},
		{"object|encoding", 3, "readonly", 2, 2, 1, "keyspace read slow"},
		{"object|refcount", 3, "readonly", 2, 2, 1, "keyspace read slow"},
		{"object|freq", 3, "readonly", 2, 2, 1, "keyspace read slow"},
		{"object|help", 2, "loading stale", 0, 0, 0, "keyspace slow"},
		{"expire", -3, "write fast", 1, 1, 1, "keyspace write fast"},
		{"pexpire", -3, "write fast", 1, 1, 1, "keyspace write fast"},
		{"expireat", -3, "write fast", 1, 1, 1, "keyspace write fast"},
		{"pexpireat", -3, "write fast", 1, 1, 1, "keyspace write fast"},
		{"ttl", 2, "readonly fast", 1, 1, 1, "keyspace read fast"},
		{"pttl", 2, "readonly fast", 1, 1, 1, "keyspace read fast"},
		{"expiretime", 2, "readonly fast", 1, 1, 1, "keyspace read fast"},
		{"pexpiretime", 2, "readonly fast", 1, 1, 1, "keyspace read fast"},
		{"persist", 2, "write fast", 1, 1, 1, "keyspace write fast"},
	}
	table := DefaultTable()
	for _, tt := range tests {
		name, sub, _ := strings.Cut(tt.name, "|")
		s := table.Lookup([]byte(name))
		if s != nil && sub != "" {
			s = s.LookupSub([]byte(sub))
		}
		if s == nil {
			t.Errorf("%s: not in the table", tt.name)
			continue
		}
		got := []any{s.Arity, strings.Join(s.Flags.Names(), " "), s.FirstKey, s.LastKey, s.Step, strings.Join(s.ACL, " ")}
		want := []any{tt.arity, tt.flags, tt.first, tt.last, tt.step, tt.acl}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: spec %v, Redis says %v", tt.name, got, want)
				break
			}
		}
	}
}

func TestParseCursor(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true}, // strtoul consumes nothing and leaves nothing
		{"17", 17, true},
		{"+5", 5, true},
		{"-0", 0, true},
		{"00", 0, true},
		{"-1", math.MaxUint64, true}, // strtoul negates in unsigned arithmetic
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"-18446744073709551615", 1, true},
		{"-", 0, false},
		{"+", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"0x1", 0, false},
		{"1.5", 0, false},
		{"x", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseCursor([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseCursor(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseInt32(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"15", 15, true},
		{"-1", -1, true},
		{"2147483647", math.MaxInt32, true},
		{"-2147483648", math.MinInt32, true},
		{"2147483648", 0, false},
		{"-2147483649", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{"1.0", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt32([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseInt32(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRoundToSeconds(t *testing.T) {
	tests := []struct{ ms, want int64 }{
		{0, 0},
		{499, 0},
		{500, 1},
		{1499, 1},
		{1500, 2},
		{100_000, 100},
		// Redis 7.0.15 replies 9223372036854776 to EXPIRETIME after
		// PEXPIREAT k 9223372036854775807.
		{math.MaxInt64, 9223372036854776},
	}
	for _, tt := range tests {
		if got := roundToSeconds(tt.ms); got != tt.want {
			t.Errorf("roundToSeconds(%d) = %d, want %d", tt.ms, got, tt.want)
		}
	}
}

func TestParseExpireFlags(t *testing.T) {
	const (
		nxErr = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
		gtErr = "-ERR GT and LT options at the same time are not compatible\r\n"
	)
	tests := []struct {
		args  string
		flags int
		reply string
	}{
		{"", 0, ""},
		{"nx", expNX, ""},
		{"XX", expXX, ""},
		{"gt", expGT, ""},
		{"Lt", expLT, ""},
		{"xx gt", expXX | expGT, ""},
		{"lt xx", expXX | expLT, ""},
		{"xx xx", expXX, ""},
		{"nx nx", expNX, ""},
		{"nx xx", 0, nxErr},
		{"gt nx", 0, nxErr},
		{"nx lt", 0, nxErr},
		{"gt lt", 0, gtErr},
		{"xx gt lt", 0, gtErr},
		{"nx gt lt", 0, nxErr}, // the NX check comes first
		{"foo", 0, "-ERR Unsupported option foo\r\n"},
		{"nx xx foo", 0, "-ERR Unsupported option foo\r\n"}, // unknown words fail before combinations
	}
	for _, tt := range tests {
		ctx := &Ctx{W: &resp.Writer{Proto: 2}, S: &Server{}, Cmd: &Spec{Name: "expire"}}
		var args [][]byte
		for _, f := range strings.Fields(tt.args) {
			args = append(args, []byte(f))
		}
		flags, ok := parseExpireFlags(ctx, args)
		if ok != (tt.reply == "") || flags != tt.flags || string(ctx.W.B) != tt.reply {
			t.Errorf("%q: flags %b ok %v reply %q; want flags %b reply %q", tt.args, flags, ok, ctx.W.B, tt.flags, tt.reply)
		}
	}
}
