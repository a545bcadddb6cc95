package resp

import (
	"bytes"
	"strings"
	"testing"
)

func strs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		n    int // bytes consumed; 0 = incomplete
		err  string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}, 20, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO", ""}, 20, ""},
		{"binary bulk", "*1\r\n$4\r\na\r\nb\r\n", []string{"a\r\nb"}, 14, ""},
		{"incomplete header", "*2\r", nil, 0, ""},
		{"incomplete bulk", "*2\r\n$3\r\nGET\r\n$5\r\nab", nil, 0, ""},
		{"incomplete crlf", "*1\r\n$3\r\nGET\r", nil, 0, ""},
		{"zero multibulk", "*0\r\n", []string{}, 4, ""},
		{"negative multibulk", "*-1\r\n", []string{}, 5, ""},
		{"bad multibulk", "*x\r\n", nil, 0, "invalid multibulk length"},
		{"bad bulk len", "*1\r\n$x\r\n", nil, 0, "invalid bulk length"},
		{"negative bulk", "*1\r\n$-1\r\n", nil, 0, "invalid bulk length"},
		{"huge bulk", "*1\r\n$4294967296\r\n", nil, 0, "invalid bulk length"},
		{"overflow bulk", "*1\r\n$99999999999999999999999\r\n", nil, 0, "invalid bulk length"},
		{"expected dollar", "*1\r\n+OK\r\n", nil, 0, "expected '$', got '+'"},
		{"bad terminator", "*1\r\n$1\r\nabc\r\n", nil, 0, "invalid bulk terminator"},
		{"inline", "PING\r\n", []string{"PING"}, 6, ""},
		{"inline lf only", "set a b\n", []string{"set", "a", "b"}, 8, ""},
		{"inline spaces", "  set   a  b  \r\n", []string{"set", "a", "b"}, 16, ""},
		{"inline empty", "\r\n", []string{}, 2, ""},
		{"inline dq", `set k "a b\x41\n"` + "\r\n", []string{"set", "k", "a bA\n"}, 19, ""},
		{"inline sq", `set k 'it\'s'` + "\r\n", []string{"set", "k", "it's"}, 15, ""},
		{"inline empty quoted", `set k ""` + "\r\n", []string{"set", "k", ""}, 10, ""},
		{"inline unbalanced", `set k "abc` + "\r\n", nil, 0, "unbalanced quotes in request"},
		{"inline quote then char", `set k "a"b` + "\r\n", nil, 0, "unbalanced quotes in request"},
		{"inline incomplete", "PIN", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			args, n, err := p.Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), "ERR Protocol error: ") {
					t.Fatalf("err %q lacks Redis's prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected err %v", err)
			}
			if n != tt.n {
				t.Fatalf("n = %d, want %d", n, tt.n)
			}
			if tt.n == 0 {
				return
			}
			if got := strs(args); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("args = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	p := Parser{MaxBulkLen: 10}
	if _, _, err := p.Parse([]byte("*1\r\n$11\r\n")); err == nil {
		t.Fatal("bulk over MaxBulkLen accepted")
	}
	if _, n, err := p.Parse([]byte("*1\r\n$10\r\n")); err != nil || n != 0 {
		t.Fatalf("bulk at MaxBulkLen: n=%d err=%v, want incomplete", n, err)
	}
	long := bytes.Repeat([]byte("a"), MaxInlineLen+1)
	if _, _, err := p.Parse(long); err == nil || !strings.Contains(err.Error(), "too big inline request") {
		t.Fatalf("long inline: %v", err)
	}
	if _, _, err := p.Parse(append([]byte("*"), long...)); err == nil || !strings.Contains(err.Error(), "too big mbulk count string") {
		t.Fatalf("long mbulk header: %v", err)
	}
}

// A declared multibulk length must not allocate up front.
func TestParseHugeCountNoAlloc(t *testing.T) {
	var p Parser
	in := []byte("*2147483647\r\n$3\r\nset\r\n")
	p.Parse(in)
	allocs := testing.AllocsPerRun(100, func() {
		_, n, err := p.Parse(in)
		if err != nil || n != 0 {
			t.Fatalf("n=%d err=%v", n, err)
		}
	})
	if allocs > 0 {
		t.Fatalf("allocs = %v", allocs)
	}
}

func TestParsePipelined(t *testing.T) {
	var in []byte
	for i := 0; i < 100; i++ {
		in = AppendRequest(in, "SET", "key", "value")
	}
	var p Parser
	count := 0
	for len(in) > 0 {
		args, n, err := p.Parse(in)
		if err != nil || n == 0 {
			t.Fatalf("n=%d err=%v", n, err)
		}
		if len(args) != 3 || string(args[2]) != "value" {
			t.Fatalf("args %q", strs(args))
		}
		in = in[n:]
		count++
	}
	if count != 100 {
		t.Fatalf("parsed %d", count)
	}
}

func TestParseZeroAlloc(t *testing.T) {
	in := AppendRequest(nil, "SET", "key:000000001", "value-value-value")
	var p Parser
	p.Parse(in) // warm the args slice
	if a := testing.AllocsPerRun(1000, func() { p.Parse(in) }); a != 0 {
		t.Fatalf("allocs per parse = %v, want 0", a)
	}
}

func BenchmarkParse(b *testing.B) {
	in := AppendRequest(nil, "SET", "key:000000001", "0123456789012345678901234567890123456789012345678901234567890123")
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, n, err := p.Parse(in); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*0\r\n", "*-1\r\n", "*1\r\n$0\r\n\r\n",
		"PING\r\n", "set a \"b\\x41\"\r\n", "set a 'b\\'c'\r\n", "\r\n", "*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n", "*1\r\n+x\r\n",
		"*99999999999\r\n", "*1\r\n$512000000000\r\n", "  \"unterminated\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := Parser{MaxBulkLen: 1 << 20}
		for len(in) > 0 {
			args, n, err := p.Parse(in)
			if err != nil {
				if !IsProtocolError(err) {
					t.Fatalf("non-protocol error %v", err)
				}
				return
			}
			if n == 0 {
				return
			}
			if n > len(in) {
				t.Fatalf("consumed %d of %d", n, len(in))
			}
			for _, a := range args {
				if len(a) > len(in) && in[0] == '*' {
					t.Fatalf("arg longer than input")
				}
			}
			in = in[n:]
		}
	})
}
