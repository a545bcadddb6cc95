package script

import (
	"strconv"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/smallredis/smallredis/internal/resp"
)

// echoCaller answers each command with a fixed RESP reply, recording args.
type echoCaller struct {
	reply string
	got   [][]string
}

func (c *echoCaller) Call(args [][]byte, w *resp.Writer) {
	var a []string
	for _, x := range args {
		a = append(a, string(x))
	}
	c.got = append(c.got, a)
	w.B = append(w.B, c.reply...)
}

func eval(t *testing.T, e *Engine, body string, proto int, c Caller) string {
	t.Helper()
	s, errMsg := e.Load(body, false)
	if errMsg != "" {
		return "-" + errMsg + "\r\n"
	}
	w := &resp.Writer{Proto: proto}
	if c == nil {
		c = &echoCaller{reply: "+OK\r\n"}
	}
	e.Eval(s, &Run{Keys: [][]byte{[]byte("k1")}, Args: [][]byte{[]byte("a1")}, Caller: c, W: w})
	return string(w.B)
}

func TestLuaToRESP(t *testing.T) {
	e := NewEngine()
	for _, tc := range []struct {
		body  string
		proto int
		want  string
	}{
		{"return 3.99", 2, ":3\r\n"},
		{"return -3.99", 2, ":-3\r\n"},
		{"return 'x'", 2, "$1\r\nx\r\n"},
		{"return true", 2, ":1\r\n"},
		{"return false", 2, "$-1\r\n"},
		{"return nil", 2, "$-1\r\n"},
		{"return nil", 3, "_\r\n"},
		{"return true", 3, ":1\r\n"}, // booleans follow redis.setresp, not the client
		{"redis.setresp(3) return true", 3, "#t\r\n"},
		{"redis.setresp(3) return false", 3, "#f\r\n"},
		{"redis.setresp(3) return false", 2, ":0\r\n"},
		{"return {1, 2, nil, 4}", 2, "*2\r\n:1\r\n:2\r\n"},
		{"return {ok='fine'}", 2, "+fine\r\n"},
		{"return {err='CODE bad'}", 2, "-CODE bad\r\n"},
		{"return {err=1}", 2, "*0\r\n"},
		{"return {double=1.5}", 3, ",1.5\r\n"},
		{"return {double=1.5}", 2, "$3\r\n1.5\r\n"},
		{"return {big_number='12'}", 3, "(12\r\n"},
		{"return {map={a=1}}", 3, "%1\r\n$1\r\na\r\n:1\r\n"},
		{"return {map={a=1}}", 2, "*2\r\n$1\r\na\r\n:1\r\n"},
		{"return {set={a=true}}", 3, "~1\r\n$1\r\na\r\n"},
		{"return {verbatim_string={format='txt', string='hi'}}", 3, "=6\r\ntxt:hi\r\n"},
		{"return KEYS[1] .. ARGV[1]", 2, "$4\r\nk1a1\r\n"},
		{"return redis.error_reply('boom')", 2, "-ERR boom\r\n"},
		{"return redis.error_reply('MY boom')", 2, "-MY boom\r\n"},
		{"return redis.status_reply('S')", 2, "+S\r\n"},
	} {
		if got := eval(t, e, tc.body, tc.proto, nil); got != tc.want {
			t.Errorf("%s (RESP%d) = %q, want %q", tc.body, tc.proto, got, tc.want)
		}
	}
}

func TestRESPToLua(t *testing.T) {
	e := NewEngine()
	for _, tc := range []struct {
		reply, body, want string
	}{
		{":42\r\n", "return redis.call('x') + 1", ":43\r\n"},
		{"$-1\r\n", "return tostring(redis.call('x'))", "$5\r\nfalse\r\n"},
		{"*-1\r\n", "return tostring(redis.call('x'))", "$5\r\nfalse\r\n"},
		{"_\r\n", "redis.setresp(3) return tostring(redis.call('x'))", "$3\r\nnil\r\n"},
		{"+PONG\r\n", "return redis.call('x').ok", "$4\r\nPONG\r\n"},
		{"-ERR no\r\n", "return redis.pcall('x').err", "$6\r\nERR no\r\n"},
		{"*2\r\n$1\r\na\r\n:1\r\n", "local r = redis.call('x') return r[1] .. r[2]", "$2\r\na1\r\n"},
		{"%1\r\n$1\r\nf\r\n$1\r\nv\r\n", "redis.setresp(3) return redis.call('x').map.f", "$1\r\nv\r\n"},
		{"~1\r\n$1\r\nm\r\n", "redis.setresp(3) return tostring(redis.call('x').set.m)", "$4\r\ntrue\r\n"},
		{",1.5\r\n", "redis.setresp(3) return redis.call('x').double * 2", ":3\r\n"},
		{"#t\r\n", "redis.setresp(3) return tostring(redis.call('x'))", "$4\r\ntrue\r\n"},
		{"(123\r\n", "redis.setresp(3) return redis.call('x').big_number", "$3\r\n123\r\n"},
		{"=6\r\ntxt:hi\r\n", "redis.setresp(3) return redis.call('x').verbatim_string.string", "$2\r\nhi\r\n"},
	} {
		if got := eval(t, e, tc.body, 2, &echoCaller{reply: tc.reply}); got != tc.want {
			t.Errorf("reply %q, %s = %q, want %q", tc.reply, tc.body, got, tc.want)
		}
	}
}

func TestCallArguments(t *testing.T) {
	e := NewEngine()
	c := &echoCaller{reply: "+OK\r\n"}
	eval(t, e, "redis.call('set', 'k', 3, 0.1, -2, 1e20, 2^53)", 2, c)
	want := "set k 3 0.10000000000000001 -2 1e+20 9007199254740992"
	if got := strings.Join(c.got[0], " "); got != want {
		t.Fatalf("arguments %q, want %q", got, want)
	}
	for body, want := range map[string]string{
		"redis.call()":       "Please specify at least one argument",
		"redis.call({})":     "must be strings or integers",
		"redis.call('x', 1)": "", // fine
	} {
		got := eval(t, e, body, 2, &echoCaller{reply: "+OK\r\n"})
		if want != "" && !strings.Contains(got, want) || want == "" && strings.HasPrefix(got, "-") {
			t.Errorf("%s = %q, want %q", body, got, want)
		}
	}
}

func TestErrorFormats(t *testing.T) {
	e := NewEngine()
	for body, want := range map[string]string{
		"error('boom')":           "-ERR user_script:1: boom script: ",
		"error({err='X y'})":      "-X y script: ",
		"x = 1":                   "-ERR user_script:1: Attempt to modify a readonly table script: ",
		"return y":                "-ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: ",
		"return (":                "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'",
		"local a\nreturn 1 .. {}": "-ERR user_script:2: attempt to concatenate a table value script: ",
		"string.x = 1":            "-ERR user_script:1: Attempt to modify a readonly table",
		"rawset(_G, 'x', 1)":      "-ERR Attempt to modify a readonly table script: ",
	} {
		if got := eval(t, e, body, 2, nil); !strings.HasPrefix(got, want) {
			t.Errorf("%q = %q, want prefix %q", body, got, want)
		}
	}
	if got := eval(t, e, "local a = 1\nlocal b = 2\nreturn redis.call('x')", 2, &echoCaller{reply: "-WRONGTYPE bad\r\n"}); !strings.HasSuffix(got, ", on @user_script:3.\r\n") {
		t.Errorf("error line: %q", got)
	}
}

// math.random follows Redis's redisLrand48 sequence: 40, 85, 36 for
// math.random(100) on a fresh server, and a seed restarts it.
func TestRandomSequence(t *testing.T) {
	e := NewEngine()
	if got := eval(t, e, "return {math.random(100), math.random(100), math.random(100)}", 2, nil); got != "*3\r\n:40\r\n:85\r\n:36\r\n" {
		t.Fatalf("first draws %q", got)
	}
	a := eval(t, e, "math.randomseed(7) return math.random(1000)", 2, nil)
	b := eval(t, e, "math.randomseed(7) return math.random(1000)", 2, nil)
	if a != b {
		t.Fatalf("same seed, %q then %q", a, b)
	}
}

func TestShebang(t *testing.T) {
	for _, tc := range []struct {
		body  string
		flags Flags
		err   string
	}{
		{"#!lua\nreturn 1", 0, ""},
		{"#!lua flags=no-writes,allow-oom\nreturn 1", FlagNoWrites | FlagAllowOOM, ""},
		{"#!lua flags=bad\n", 0, "ERR Unexpected flag in script shebang: bad"},
		{"#!lua x=y\n", 0, "ERR Unknown lua shebang option: x=y"},
		{"#!js\n", 0, "ERR Unexpected engine in script shebang: #!js"},
	} {
		f, _, err := parseShebang(tc.body)
		if f != tc.flags || err != tc.err {
			t.Errorf("%q: flags %v err %q, want %v %q", tc.body, f, err, tc.flags, tc.err)
		}
	}
}

func TestLibraries(t *testing.T) {
	e := NewEngine()
	if _, err := e.LoadLibrary("#!lua name=l\nredis.register_function('f', function(keys, args) return keys[1] .. args[1] end)", false); err != "" {
		t.Fatal(err)
	}
	f := e.Function("f")
	w := &resp.Writer{Proto: 2}
	e.FCall(f, &Run{Keys: [][]byte{[]byte("k")}, Args: [][]byte{[]byte("a")}, Caller: &echoCaller{}, W: w})
	if string(w.B) != "$2\r\nka\r\n" {
		t.Fatalf("FCALL = %q", w.B)
	}
	if _, err := e.LoadLibrary("#!lua name=l2\nredis.register_function('f', function() end)", false); err != "ERR Function f already exists" {
		t.Fatalf("duplicate function: %q", err)
	}
	if _, err := e.LoadLibrary("#!lua name=l3\nwhile true do end", false); err != "ERR Error registering functions: ERR FUNCTION LOAD timeout" {
		t.Fatalf("endless load: %q", err)
	}
	if l, fn := e.FunctionCounts(); l != 1 || fn != 1 {
		t.Fatalf("counts %d %d", l, fn)
	}
	if !e.DeleteLibrary("l") || e.Function("f") != nil {
		t.Fatal("DeleteLibrary")
	}
}

func TestLuaMessage(t *testing.T) {
	for in, want := range map[string]string{
		"user_script:1: cannot perform concat operation between string and nil": "user_script:1: attempt to concatenate a nil value",
		"user_script:1: cannot perform add operation between nil and number":    "user_script:1: attempt to perform arithmetic on a nil value",
		"user_script:2: attempt to index a non-table object(nil) with key 'x'":  "user_script:2: attempt to index a nil value",
		"user_script:1: something else":                                         "user_script:1: something else",
	} {
		if got := luaMessage(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	_ = lua.LNil
}

// KEYS and ARGV tables are refilled from one EVAL to the next: whatever a
// script did to them must not show in the next script, which sees only its
// own keys and arguments.
func TestKeysArgvFreshEachEval(t *testing.T) {
	run := func(e *Engine, body string, keys []string) string {
		s, errMsg := e.Load(body, false)
		if errMsg != "" {
			t.Fatal(errMsg)
		}
		r := &Run{Args: [][]byte{[]byte("a1")}, Caller: &echoCaller{reply: "+OK\r\n"}, W: &resp.Writer{Proto: 2}}
		for _, k := range keys {
			r.Keys = append(r.Keys, []byte(k))
		}
		e.Eval(s, r)
		return string(r.W.B)
	}
	const show = "local function d(t) local n = 0 for k, v in pairs(t) do n = n + 1 end " +
		"return #t .. ':' .. n .. ':' .. table.concat(t, ',') .. ':' .. tostring(getmetatable(t)) end " +
		"return d(KEYS) .. ' ' .. d(ARGV)"
	keysets := [][]string{{"k1"}, {"k1", "k2"}, nil}
	want := map[int]string{}
	ref := NewEngine()
	for i, keys := range keysets {
		want[i] = run(ref, show, keys)
	}
	e := NewEngine()
	for _, mess := range []string{
		"KEYS.x = 1 ARGV.y = 2",
		"KEYS[5] = 'k5' ARGV[2] = 'a2'",
		"KEYS[1] = nil ARGV[1] = nil",
		"KEYS[1] = 'z' ARGV[1] = 'w'",
		"setmetatable(KEYS, {}) setmetatable(ARGV, {__index = function() return 'm' end})",
		"table.insert(KEYS, 'k') table.remove(ARGV)",
		"KEYS[100] = 1 ARGV[-1] = 1",
		"",
	} {
		for i, keys := range keysets {
			for j := range keysets { // the messed-up tables had another count
				run(e, mess+" return 0", keysets[j])
				if got := run(e, show, keys); got != want[i] {
					t.Errorf("after %q with %v keys, %v keys: %q, want %q", mess, keysets[j], keys, got, want[i])
				}
			}
		}
	}
}

// Every write a script can make to the sandbox's shared tables fails as in
// Redis 7 and leaves nothing behind for the next script.
func TestReadOnlySandbox(t *testing.T) {
	e := NewEngine()
	const probe = "return {('abc'):upper(), type(string.x), type(getmetatable('').__index), type(table.insert), type(redis.call), tostring(cjson.null), type(getmetatable(string))}"
	const want = "*7\r\n$3\r\nABC\r\n$3\r\nnil\r\n$5\r\ntable\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n$15\r\nuserdata: (nil)\r\n$3\r\nnil\r\n"
	for _, body := range []string{
		"rawset(string, 'x', 1)",
		"setmetatable(string, {})",
		"getmetatable('').__index = nil",
		"getmetatable('').__index.x = 1",
		"rawset(getmetatable(''), '__index', nil)",
		"setmetatable(getmetatable(''), {__index = function() return 1 end})",
		"table.insert(getmetatable(''), 1)",
		"setmetatable(_G, {})",
		"getmetatable(_G).__index = nil",
		"setmetatable(redis, {})",
		"rawset(redis, 'call', nil)",
		"setmetatable(table, {})",
		"table.insert(string, 1)",
		"string.x = 1",
	} {
		if got := eval(t, e, body, 2, nil); !strings.Contains(got, "Attempt to modify a readonly table") {
			t.Errorf("%q = %q, want the read-only error", body, got)
		}
		if got := eval(t, e, probe, 2, nil); got != want {
			t.Fatalf("after %q: %q, want %q", body, got, want)
		}
	}
	// cjson.null's metatable is out of reach, and setmetatable takes tables.
	for _, body := range []string{"getmetatable(cjson.null).__tostring = nil", "setmetatable(cjson.null, {})"} {
		if got := eval(t, e, body, 2, nil); !strings.HasPrefix(got, "-ERR") {
			t.Errorf("%q = %q, want an error", body, got)
		}
	}
	if got := eval(t, e, probe, 2, nil); got != want {
		t.Fatalf("after cjson.null: %q, want %q", got, want)
	}
	// The script's own tables stay writable.
	if got := eval(t, e, "local t = setmetatable({}, {}) rawset(t, 1, 'a') table.insert(t, 'b') table.sort(t) table.remove(t) return t", 2, nil); got != "*1\r\n$1\r\na\r\n" {
		t.Errorf("own table: %q", got)
	}
}

// TestNumberEdges covers what gopher-lua's fast paths (SMALLREDIS.md)
// compute and box, with Redis 7.0.15's replies: -0, nan, inf, huge and
// non-integral values, % with negative and infinite operands, string
// operands, for loops, calls and returns of every arity. The differential
// suite (testdata/scripting_vm.txt) has more, against a live Redis.
func TestNumberEdges(t *testing.T) {
	e := NewEngine()
	str := func(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
	for _, tc := range []struct{ body, want string }{
		{"local z = 0 return tostring(1 / (z * -1))", str("-inf")},
		{"local z = 0 return tostring(z * -1)", str("-0")},
		{"return tostring(1 % 0)", str("-nan")},
		{"return tostring(-(0/0))", str("nan")},
		{"return tostring(5 % math.huge)", str("-nan")},
		{"return {7 % 3, -7 % 3, 7 % -3, -7 % -3}", "*4\r\n:1\r\n:2\r\n:-2\r\n:-1\r\n"},
		{"return tostring(-5.5 % 2)", str("0.5")},
		{"return tostring(2^53 + 1)", str("9.007199254741e+15")},
		{"return 'x' .. 1/3 .. ',' .. 2^63 .. ',' .. 0/0 .. ',' .. -1/0", str("x0.33333333333333,9.2233720368548e+18,-nan,-inf")},
		{"return 'x' .. 123456789012 .. ',' .. 12345678901234567", str("x123456789012,1.2345678901235e+16")},
		{"return '10' + 5", ":15\r\n"},
		{"local n = 0/0 return {n == n, n < n, n <= n, n ~= n}", "*4\r\n$-1\r\n$-1\r\n$-1\r\n:1\r\n"},
		{"local s = '' for i = 1, 2, 0.25 do s = s .. i .. ',' end return s", str("1,1.25,1.5,1.75,2,")},
		{"for i = '1', 2 do return i end", ":1\r\n"},
		{"for i = 1, 'x' do end", "-ERR user_script:1: 'for' limit must be a number script: "},
		{"local n = 0 for i = 1, 0/0 do n = n + 1 end return n", ":0\r\n"},
		{"local s = 0 for i = 10, 1, -3 do s = s * 10 + i end return s", ":10741\r\n"},
		{"local t = {1, 2, 3} t[2] = nil t[1.0] = 'one' return {t[1], t[2], t[3]}", "*1\r\n$3\r\none\r\n"},
		{"local function f(a, b) return b end return tostring(f(1))", str("nil")},
		{"local function f(a) return a, a * 2, a * 3 end local x, y = f(2) return {x, y}", "*2\r\n:2\r\n:4\r\n"},
		{"local function f(...) return select('#', ...) end return f(1, nil, 3)", ":3\r\n"},
		{"local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(20)", ":6765\r\n"},
		{"local function f(n) return 1 + f(n + 1) end return f(1)", "-ERR user_script:1: stack overflow"},
		{"local c = 0 local function inc() c = c + 1 return c end for i = 1, 5 do inc() end return c", ":5\r\n"},
		{"local t = setmetatable({}, {__index = function(t, k) return k * 2 end}) return t[21]", ":42\r\n"},
		{"math.pi = 3", "-ERR user_script:1: Attempt to modify a readonly table script: "},
	} {
		got := eval(t, e, tc.body, 2, nil)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.body, got, tc.want)
		}
	}
	// Numbers passed to commands are %.17g, -0 and -nan included.
	c := &echoCaller{reply: "+OK\r\n"}
	eval(t, e, "local z = 0 redis.call('echo', z * -1, 0/0, 1/3, 2^53)", 2, c)
	if got, want := strings.Join(c.got[0], " "), "echo -0 -nan 0.33333333333333331 9007199254740992"; got != want {
		t.Errorf("redis.call arguments %q, want %q", got, want)
	}
}

// A RESTORE that fails leaves the libraries as they were: REPLACE checks
// its functions against the other libraries' before removing any, and
// function names are case-insensitive.
func TestRestoreLibrariesKeepsOldOnCollision(t *testing.T) {
	e := NewEngine()
	for _, code := range []string{
		"#!lua name=lib1\nredis.register_function('f6', function() return 6 end)",
		"#!lua name=lib2\nredis.register_function('F3', function() return 33 end)",
	} {
		if _, err := e.LoadLibrary(code, false); err != "" {
			t.Fatal(err)
		}
	}
	dump := []string{"#!lua name=lib1\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f3', function() return 3 end)"}
	if err := e.RestoreLibraries(dump, "APPEND"); err != "ERR Library lib1 already exists" {
		t.Fatalf("APPEND: %q", err)
	}
	if err := e.RestoreLibraries(dump, "REPLACE"); err != "ERR Function f3 already exists" {
		t.Fatalf("REPLACE: %q", err)
	}
	if e.Function("f6") == nil || e.Function("f3") == nil || e.Function("f1") != nil {
		t.Fatalf("libraries changed by failed restores: f6 %v f3 %v f1 %v", e.Function("f6"), e.Function("f3"), e.Function("f1"))
	}
	// Replacing the library that holds the name is no collision.
	if err := e.RestoreLibraries([]string{"#!lua name=lib2\nredis.register_function('f3', function() return 3 end)"}, "REPLACE"); err != "" {
		t.Fatalf("REPLACE of the owner: %q", err)
	}
	if f := e.Function("F3"); f == nil || f.Lib.Name != "lib2" {
		t.Fatalf("f3 after replace: %v", f)
	}
}
