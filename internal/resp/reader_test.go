package resp

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
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
		auth bool     // AuthRequired
		want []string // nil: no command (incomplete, or an empty request skipped)
		n    int      // bytes consumed
		err  string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", false, []string{"GET", "k"}, 20, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", false, []string{"ECHO", ""}, 20, ""},
		{"binary bulk", "*1\r\n$4\r\na\r\nb\r\n", false, []string{"a\r\nb"}, 14, ""},
		{"incomplete header", "*2\r", false, nil, 3, ""},
		{"incomplete bulk", "*2\r\n$3\r\nGET\r\n$5\r\nab", false, nil, 19, ""},
		{"incomplete crlf", "*1\r\n$3\r\nGET\r", false, nil, 12, ""},
		{"incomplete bulk header", "*1\r\n+", false, nil, 5, ""}, // Redis waits for the line too
		{"zero multibulk skipped", "*0\r\n", false, nil, 4, ""},
		{"negative multibulk skipped", "*-1\r\n", false, nil, 5, ""},
		{"empty then command", "*0\r\n\r\nPING\r\n", false, []string{"PING"}, 12, ""},
		{"bad multibulk", "*x\r\n", false, nil, 0, "invalid multibulk length"},
		{"multibulk lf only", "*1\n", false, nil, 0, "invalid multibulk length"},
		{"multibulk too many", "*2147483648\r\n", false, nil, 0, "invalid multibulk length"},
		{"bad bulk len", "*1\r\n$x\r\n", false, nil, 0, "invalid bulk length"},
		{"bulk len leading zero", "*1\r\n$01\r\nx\r\n", false, nil, 0, "invalid bulk length"},
		{"bulk len plus", "*1\r\n$+1\r\nx\r\n", false, nil, 0, "invalid bulk length"},
		{"bulk len zero", "*1\r\n$0\r\n\r\n", false, []string{""}, 10, ""},
		{"bulk len ten digits", "*1\r\n$0000000001\r\nx\r\n", false, nil, 0, "invalid bulk length"},
		{"multibulk leading zero", "*01\r\n", false, nil, 0, "invalid multibulk length"},
		{"multibulk minus zero", "*-0\r\n", false, nil, 0, "invalid multibulk length"},
		{"bulk lf only", "*1\r\n$1\n", false, nil, 0, "invalid bulk length"},
		{"negative bulk", "*1\r\n$-1\r\n", false, nil, 0, "invalid bulk length"},
		{"huge bulk", "*1\r\n$4294967296\r\n", false, nil, 0, "invalid bulk length"},
		{"overflow bulk", "*1\r\n$99999999999999999999999\r\n", false, nil, 0, "invalid bulk length"},
		{"expected dollar", "*1\r\n+OK\r\n", false, nil, 0, "expected '$', got '+'"},
		{"expected dollar raw byte", "*1\r\n\xffOK\r\n", false, nil, 0, "expected '$', got '\xff'"},
		{"bad terminator", "*1\r\n$1\r\nabc\r\n", false, nil, 0, "invalid bulk terminator"},
		{"inline", "PING\r\n", false, []string{"PING"}, 6, ""},
		{"inline lf only", "set a b\n", false, []string{"set", "a", "b"}, 8, ""},
		{"inline spaces", "  set   a  b  \r\n", false, []string{"set", "a", "b"}, 16, ""},
		{"inline empty skipped", "\r\n", false, nil, 2, ""},
		{"inline dq", `set k "a b\x41\n"` + "\r\n", false, []string{"set", "k", "a bA\n"}, 19, ""},
		{"inline sq", `set k 'it\'s'` + "\r\n", false, []string{"set", "k", "it's"}, 15, ""},
		{"inline empty quoted", `set k ""` + "\r\n", false, []string{"set", "k", ""}, 10, ""},
		{"inline unbalanced", `set k "abc` + "\r\n", false, nil, 0, "unbalanced quotes in request"},
		{"inline quote then char", `set k "a"b` + "\r\n", false, nil, 0, "unbalanced quotes in request"},
		{"inline incomplete", "PIN", false, nil, 3, ""},
		// Redis 7's limits before AUTH (networking.c processMultibulkBuffer).
		{"unauth 10 args", "*10\r\n", true, nil, 5, ""},
		{"unauth 11 args", "*11\r\n", true, nil, 0, "unauthenticated multibulk length"},
		{"authed 11 args", "*11\r\n", false, nil, 5, ""},
		{"unauth bulk 16384", "*1\r\n$16384\r\n", true, nil, 12, ""},
		{"unauth bulk 16385", "*1\r\n$16385\r\n", true, nil, 0, "unauthenticated bulk length"},
		{"unauth invalid first", "*1\r\n$-5\r\n", true, nil, 0, "invalid bulk length"},
		{"unauth inline", "AUTH " + strings.Repeat("a", 20000) + "\r\n", true, []string{"AUTH", strings.Repeat("a", 20000)}, 20007, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Parser{AuthRequired: tt.auth}
			args, n, err := p.Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != "ERR Protocol error: "+tt.err {
					t.Fatalf("err = %v, want %q", err, "ERR Protocol error: "+tt.err)
				}
				if !IsProtocolError(err) {
					t.Fatalf("err %T is not a ProtocolError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected err %v", err)
			}
			if n != tt.n {
				t.Fatalf("n = %d, want %d", n, tt.n)
			}
			if got := strs(args); tt.want == nil && len(got) != 0 || strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("args = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	p := Parser{MaxBulkLen: 10}
	if _, _, err := p.Parse([]byte("*1\r\n$11\r\n")); err == nil || !strings.Contains(err.Error(), "invalid bulk length") {
		t.Fatalf("bulk over MaxBulkLen: %v", err)
	}
	p = Parser{MaxBulkLen: 10}
	if args, n, err := p.Parse([]byte("*1\r\n$10\r\n")); err != nil || n != 9 || args != nil {
		t.Fatalf("bulk at MaxBulkLen: n=%d err=%v, want incomplete", n, err)
	}
	long := bytes.Repeat([]byte("a"), MaxInlineLen+1)
	for _, tt := range []struct {
		prefix, err string
	}{
		{"", "too big inline request"},
		{"*", "too big mbulk count string"},
		{"*1\r\n$", "too big bulk count string"},
	} {
		// Whole, and trickling in: the limit counts the line, not the read.
		in := append([]byte(tt.prefix), long...)
		var p Parser
		if _, _, err := p.Parse(in); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Fatalf("%q…: %v, want %s", tt.prefix, err, tt.err)
		}
		p = Parser{}
		var err error
		for i := 0; i < len(in) && err == nil; i += 1000 {
			_, _, err = p.Parse(in[i:min(i+1000, len(in))])
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Fatalf("%q… in pieces: %v, want %s", tt.prefix, err, tt.err)
		}
		// At the limit, with its newline, the line is accepted.
		p = Parser{}
		ok := append([]byte(tt.prefix), long[:MaxInlineLen-len(tt.prefix)]...)
		if _, _, err := p.Parse(ok); err != nil {
			t.Fatalf("%q… at the limit: %v", tt.prefix, err)
		}
	}
}

// feed parses in as a stream cut into the given piece sizes (cycled), the
// way a connection receives it, and returns the commands and the error.
func feed(p *Parser, in []byte, sizes []int) (cmds []string, err error) {
	for i := 0; len(in) > 0; i++ {
		k := len(in)
		if len(sizes) > 0 {
			k = min(max(sizes[i%len(sizes)], 1), len(in))
		}
		piece := in[:k]
		in = in[k:]
		for len(piece) > 0 {
			args, n, err := p.Parse(piece)
			if err != nil {
				return cmds, err
			}
			if n == 0 || n > len(piece) {
				return cmds, fmt.Errorf("consumed %d of %d", n, len(piece))
			}
			if len(args) == 0 && n != len(piece) {
				return cmds, fmt.Errorf("no command but consumed %d of %d", n, len(piece))
			}
			if len(args) > 0 {
				cmds = append(cmds, strings.Join(strs(args), "\x00"))
			}
			piece = piece[n:]
		}
	}
	return cmds, nil
}

var splitStreams = []string{
	"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n",
	"PING\r\nset a \"b c\"\r\n\r\n*0\r\n*1\r\n$4\r\nPING\r\n  echo 'x y'\n",
	"*1\r\n$0\r\n\r\n*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n",
	"*1\r\n$4\r\nPINGxx",
	"*2\r\n$3\r\nGET\r\n+OK\r\n",
	"*1\r\n$" + fmt.Sprint(BigArg+5) + "\r\n" + strings.Repeat("v", BigArg+5) + "\r\n*1\r\n$4\r\nPING\r\n",
}

// A stream cut anywhere parses as it does whole.
func TestParseSplitAnywhere(t *testing.T) {
	for _, s := range splitStreams {
		in := []byte(s)
		var whole Parser
		want, wantErr := feed(&whole, in, nil)
		check := func(what string, sizes []int) {
			t.Helper()
			var p Parser
			got, err := feed(&p, in, sizes)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%q %s: %q %v, whole: %q %v", s[:min(len(s), 40)], what, got, err, want, wantErr)
			}
		}
		check("byte by byte", []int{1})
		check("in 3s and 7s", []int{3, 7})
		for cut := 1; cut < len(in) && cut < 200; cut++ {
			check(fmt.Sprintf("cut at %d", cut), []int{cut, len(in)})
		}
	}
}

// Arguments of a request that spanned reads must not alias the caller's
// buffer, which the caller reuses.
func TestParseSpanningArgsOwned(t *testing.T) {
	in := AppendRequest(nil, "SET", "key", "value", strings.Repeat("x", BigArg))
	var p Parser
	buf := make([]byte, 10)
	var args [][]byte
	for off := 0; off < len(in); off += len(buf) {
		k := copy(buf, in[off:])
		a, n, err := p.Parse(buf[:k])
		if err != nil || n != k {
			t.Fatalf("n=%d err=%v", n, err)
		}
		args = a
		clear(buf) // the caller reuses its buffer
	}
	if got := strs(args); len(got) != 4 || got[0] != "SET" || got[1] != "key" || got[2] != "value" || got[3] != strings.Repeat("x", BigArg) {
		t.Fatalf("args %q", got)
	}
}

// Detach makes a command survive the buffer it was parsed from.
func TestParseDetach(t *testing.T) {
	buf := AppendRequest(nil, "SET", "key", "value")
	var p Parser
	args, _, err := p.Parse(buf)
	if err != nil || len(args) != 3 {
		t.Fatal(args, err)
	}
	Detach(args)
	clear(buf)
	if got := strings.Join(strs(args), " "); got != "SET key value" {
		t.Fatalf("after Detach: %q", got)
	}
}

// Buffered counts the unfinished request's bytes (the query buffer).
func TestParseBuffered(t *testing.T) {
	var p Parser
	in := AppendRequest(nil, "SET", "key", strings.Repeat("v", 100))
	p.Parse(in[:30])
	p.Parse(in[30:31])
	if p.Buffered() != 31 {
		t.Fatalf("Buffered = %d, want 31", p.Buffered())
	}
	if args, _, _ := p.Parse(in[31:]); len(args) != 3 || p.Buffered() != 0 {
		t.Fatalf("after the rest: args %d, Buffered %d", len(args), p.Buffered())
	}
	// A complete command and the start of the next: only the start is held.
	two := append(AppendRequest(nil, "PING"), "*1\r\n$4\r\nPI"...)
	_, n, _ := p.Parse(two)
	if _, _, _ = p.Parse(two[n:]); p.Buffered() != len(two)-n {
		t.Fatalf("Buffered = %d, want %d", p.Buffered(), len(two)-n)
	}
}

// A declared argument count allocates nothing up front.
func TestParseHugeCountNoAlloc(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var p Parser
	for i := 0; i < 100; i++ {
		p = Parser{}
		if args, _, err := p.Parse([]byte("*2147483647\r\n$3\r\nset\r\n$5\r\n")); err != nil || args != nil {
			t.Fatalf("args=%q err=%v", args, err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > 16<<10 {
		t.Fatalf("%d bytes allocated per huge declared count", per)
	}
}

// A big bulk spanning many reads is received into one buffer of its
// declared size: no growing, no copy of what came before.
func TestParseBigBulkOneAllocation(t *testing.T) {
	const size = 8 << 20
	in := AppendRequest(nil, "SET", "k", strings.Repeat("v", size))
	var p Parser
	p.Parse(AppendRequest(nil, "PING")) // warm the args slice
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var args [][]byte
	for off := 0; off < len(in); off += 4096 {
		a, _, err := p.Parse(in[off:min(off+4096, len(in))])
		if err != nil {
			t.Fatal(err)
		}
		args = a
	}
	runtime.ReadMemStats(&after)
	if len(args) != 3 || len(args[2]) != size {
		t.Fatalf("args %d", len(args))
	}
	allocs, bytes := after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc
	t.Logf("%d allocations, %d bytes for a %d-byte bulk", allocs, bytes, size)
	// MemStats counts every goroutine's allocations (the runtime's and the
	// test framework's too), so the count has slack; the bytes say that the
	// bulk was received into one buffer of its size, not grown by copying.
	if allocs > 40 || bytes > size+64<<10 {
		t.Fatalf("%d allocations, %d bytes for a %d-byte bulk", allocs, bytes, size)
	}
	if !p.Owned(args[2]) || p.Owned(args[1]) || p.Owned(args[2][:10]) {
		t.Fatal("Owned: want the big bulk only")
	}
	// The next request drops it.
	p.Parse(AppendRequest(nil, "PING"))
	for _, a := range append(p.cmd[:cap(p.cmd)], p.bigs[:cap(p.bigs)]...) {
		if len(a) == size {
			t.Fatal("parser still references the big bulk")
		}
	}
}

// bigRequest is one multibulk of n one-byte arguments, as in the issue's
// probe (4 M arguments in 28 MB).
func bigRequest(n int) []byte {
	b := fmt.Appendf(nil, "*%d\r\n$6\r\nEXISTS\r\n", n)
	for i := 1; i < n; i++ {
		b = append(b, "$1\r\nx\r\n"...)
	}
	return b
}

// parseInReads feeds in as reads of 1–4 KB and returns the time taken and
// the arguments of the one command.
func parseInReads(t *testing.T, in []byte) (time.Duration, int) {
	t.Helper()
	var p Parser
	sizes := []int{1024, 4096, 1500, 3000, 2048}
	cmds := 0
	nargs := 0
	d := cpuTime(func() {
		for i, off := 0, 0; off < len(in); i++ {
			k := min(sizes[i%len(sizes)], len(in)-off)
			args, n, err := p.Parse(in[off : off+k])
			if err != nil || n != k {
				t.Fatalf("n=%d of %d err=%v", n, k, err)
			}
			if len(args) > 0 {
				cmds++
				nargs = len(args)
			}
			off += k
		}
	})
	if cmds != 1 {
		t.Fatalf("%d commands", cmds)
	}
	return d, nargs
}

// Parsing cost is linear in the request however it is split: a 4 M-argument
// request arriving in 1–4 KB reads takes ≤ 150 × a 40 k-argument one (a
// parser that rescans the partial request is ~10,000 ×). The best of a few
// runs is compared, in CPU time: the machine is shared.
func TestParseLinearInReads(t *testing.T) {
	small, big := 40_000, 4_000_000
	if raceEnabled {
		small, big = 10_000, 1_000_000
	}
	best := func(in []byte, args, runs int) time.Duration {
		d := time.Duration(1 << 62)
		for range runs {
			runtime.GC()
			took, n := parseInReads(t, in)
			if n != args {
				t.Fatalf("%d args, want %d", n, args)
			}
			d = min(d, took)
		}
		return d
	}
	// The garbage collector's pacing, not the parser, would decide which
	// runs a collection lands in.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	smallBest := best(bigRequest(small), small, 20)
	bigBest := best(bigRequest(big), big, 4)
	ratio := float64(bigBest) / float64(smallBest)
	t.Logf("%d args: %v, %d args: %v, ratio %.0f (linear: %d)", small, smallBest, big, bigBest, ratio, big/small)
	if ratio > 150 {
		t.Fatalf("%d args took %.0f × %d args", big, ratio, small)
	}
}

// A partial request trickling in byte by byte costs O(1) per byte: 10 × the
// bytes cost ≤ 30 × the time (rescanning would be ~100 ×).
func TestParseTrickleLinear(t *testing.T) {
	trickle := func(in []byte) time.Duration {
		var p Parser
		return cpuTime(func() {
			for i := range in {
				if args, n, err := p.Parse(in[i : i+1]); err != nil || n != 1 || args != nil {
					t.Fatalf("byte %d: n=%d err=%v args=%q", i, n, err, args)
				}
			}
		})
	}
	const small = 20_000
	mb := bigRequest(1_000_000) // never completes
	inline := append([]byte("SET key "), bytes.Repeat([]byte("v"), MaxInlineLen-100)...)
	for _, tt := range []struct {
		name string
		in   []byte
		big  int
	}{
		{"multibulk", mb, 10 * small},
		{"inline", inline, min(10*small, len(inline))},
	} {
		best, bigBest := time.Duration(1<<62), time.Duration(1<<62)
		for i := 0; i < 3; i++ {
			best = min(best, trickle(tt.in[:small]))
			bigBest = min(bigBest, trickle(tt.in[:tt.big]))
		}
		want := float64(tt.big) / small
		ratio := float64(bigBest) / float64(best)
		t.Logf("%s: %d bytes %v, %d bytes %v: ratio %.1f (linear %.1f)", tt.name, small, best, tt.big, bigBest, ratio, want)
		if ratio > 3*want {
			t.Fatalf("%s: %.1f × the bytes took %.1f × the time", tt.name, want, ratio)
		}
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
	// A command cut between two reads, as in any pipeline, reuses the
	// parser's memory once warm.
	cut := len(in) - 7
	p.Parse(in[:cut])
	p.Parse(in[cut:])
	if a := testing.AllocsPerRun(1000, func() { p.Parse(in[:cut]); p.Parse(in[cut:]) }); a != 0 {
		t.Fatalf("allocs per cut parse = %v, want 0", a)
	}
}

func BenchmarkParse(b *testing.B) {
	in := AppendRequest(nil, "SET", "key:000000001", "0123456789012345678901234567890123456789012345678901234567890123")
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if args, n, err := p.Parse(in); len(args) == 0 || n != len(in) || err != nil {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkParseManyArgs is the 4 M-argument request in 1–4 KB reads.
func BenchmarkParseManyArgs(b *testing.B) {
	in := bigRequest(4_000_000)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var p Parser
		for off := 0; off < len(in); off += 4096 {
			if _, _, err := p.Parse(in[off:min(off+4096, len(in))]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*0\r\n", "*-1\r\n", "*1\r\n$0\r\n\r\n",
		"PING\r\n", "set a \"b\\x41\"\r\n", "set a 'b\\'c'\r\n", "\r\n", "*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n", "*1\r\n+x\r\n",
		"*99999999999\r\n", "*1\r\n$512000000000\r\n", "  \"unterminated\r\n",
		"*11\r\n", "*1\r\n$16385\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte{1, 3, 7}, false)
	}
	f.Fuzz(func(t *testing.T, in, cuts []byte, auth bool) {
		whole := Parser{MaxBulkLen: 1 << 20, AuthRequired: auth}
		want, wantErr := feed(&whole, in, nil)
		if wantErr != nil && !IsProtocolError(wantErr) {
			t.Fatalf("whole: %v", wantErr)
		}
		if len(in) > MaxInlineLen {
			return // a line's length limit applies to what has arrived
		}
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c)
		}
		split := Parser{MaxBulkLen: 1 << 20, AuthRequired: auth}
		got, err := feed(&split, in, sizes)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("in pieces %v: %q %v; whole: %q %v", sizes, got, err, want, wantErr)
		}
	})
}
