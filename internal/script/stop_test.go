package script

import (
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/resp"
)

// A stoppable script stops exactly where it must (past StopAt, before a Go
// function that calls Lua, before a Lua iterator; never before a leaf) and,
// continued, replies what it replies when run to its end in one go.
func TestStopAndContinue(t *testing.T) {
	for _, tc := range []struct {
		body string
		late bool // StopAt already passed
		stop bool
	}{
		{"return 1", false, false},
		{"return redis.call('get', KEYS[1])", false, false},
		{"local t = {} for i, v in ipairs({1, 2, 3}) do t[i] = v * 2 end for k in pairs(t) do end return t", false, false},
		{"return {string.format('%d', 5), cjson.encode({1}), tostring(7), string.rep('a', 3)}", false, false},
		{"local n = 0 for i = 1, 100000 do n = n + i end return n", false, false},
		{"local n = 0 for i = 1, 100000 do n = n + i end return n", true, true},
		{"local n = 0 local function f(x) return x + 1 end for i = 1, 5000 do n = f(n) end return n", true, true},
		{"return {pcall(function() return 2 end)}", false, true},
		{"local ok, e = pcall(error, 'x') return e", false, true},
		{"local n = 0 for x in function() n = n + 1 if n < 3 then return n end end do end return n", false, true},
		{"return string.gsub('abc', '%w', function(c) return c .. c end)", false, true},
		{"local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t", false, true},
		{"return coroutine.wrap(function() return 4 end)()", false, true},
		{"local t = setmetatable({}, {__index = function() return 9 end}) return t.x", false, true},
		{"redis.call('set', 'a', 'b') local ok = pcall(function() end) error('late')", false, true},
		{"local x = redis.call('get', 'k') return {x, pcall(redis.call, 'get', 'k')}", false, true},
	} {
		want := eval(t, NewEngine(), tc.body, 2, nil)
		e := NewEngine()
		s, errMsg := e.Load(tc.body, false)
		if errMsg != "" {
			t.Fatalf("%s: %s", tc.body, errMsg)
		}
		w := &resp.Writer{Proto: 2}
		c := &echoCaller{reply: "+OK\r\n"}
		r := &Run{Keys: [][]byte{[]byte("k1")}, Args: [][]byte{[]byte("a1")}, Caller: c, W: w, StopAt: time.Now().Add(time.Hour)}
		if tc.late {
			r.StopAt = time.Now().Add(-time.Second)
		}
		e.Eval(s, r)
		if r.Stopped() != tc.stop {
			t.Errorf("%s: stopped %v, want %v", tc.body, r.Stopped(), tc.stop)
		}
		if r.Stopped() {
			if len(w.B) != 0 {
				t.Errorf("%s: a stopped script replied %q", tc.body, w.B)
			}
			done := make(chan struct{})
			go func() { e.Continue(r); close(done) }() // on another goroutine, as the server does
			<-done
			if r.Stopped() {
				t.Errorf("%s: stopped again", tc.body)
			}
		}
		if got := string(w.B); got != want {
			t.Errorf("%s: %q, want %q", tc.body, got, want)
		}
		// The interpreter went back to the pool in a usable state.
		if got := eval(t, e, "return 1", 2, nil); got != ":1\r\n" {
			t.Errorf("%s: next script: %q", tc.body, got)
		}
	}
}

// An interpreter in which a script reached a metatable runs no script
// stoppably any more: the next one stops before its first instruction and
// runs whole in Continue.
func TestStopTainted(t *testing.T) {
	e := NewEngine()
	if got := eval(t, e, "local m = getmetatable('') return 1", 2, nil); got != ":1\r\n" {
		t.Fatal(got)
	}
	s, _ := e.Load("return 2", false)
	w := &resp.Writer{Proto: 2}
	r := &Run{Caller: &echoCaller{}, W: w, StopAt: time.Now().Add(time.Hour)}
	e.Eval(s, r)
	if !r.Stopped() || len(w.B) != 0 {
		t.Fatalf("tainted: stopped %v, reply %q", r.Stopped(), w.B)
	}
	e.Continue(r)
	if string(w.B) != ":2\r\n" {
		t.Fatalf("continued: %q", w.B)
	}
}
