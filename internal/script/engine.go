// Package script owns Redis's scripting engine: Lua 5.1 interpreters
// (github.com/yuin/gopher-lua) with the sandbox Redis 7 gives scripts, the
// conversions between Lua values and RESP replies, Redis's error formats,
// the cache of compiled EVAL scripts and the function libraries of
// FUNCTION LOAD. It knows nothing of the network or of the command table:
// scripts reach commands through the Caller interface, which the command
// package implements (and where the rules on what a script may call live).
package script

import (
	"container/list"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/smallredis/smallredis/internal/resp"
)

// Caller runs commands for a script. Call appends the command's reply to w
// in protocol w.Proto; a command the script may not call gets an error reply
// ("-ERR This Redis command is not allowed from script") instead. args may
// share memory with the script's Lua strings: Call must not modify them.
type Caller interface {
	Call(args [][]byte, w *resp.Writer)
}

// Logger receives redis.log lines (level is one of LogDebug…LogWarning).
type Logger func(level int, msg string)

// Log levels as redis.LOG_* names them.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// DefaultMaxEvictable is how many scripts EVAL may leave in the cache
// before the least recently used one is dropped, as Redis 7.4 bounds it;
// scripts added by SCRIPT LOAD are never evicted.
const DefaultMaxEvictable = 500

// Script is one compiled EVAL script.
type Script struct {
	SHA   string
	Body  string
	Flags Flags
	// Shebang is set when the body starts with "#!lua": flags then apply
	// as written (no flags means writes allowed, OOM refused).
	Shebang bool

	proto  *lua.FunctionProto
	loaded bool          // by SCRIPT LOAD: never evicted
	elem   *list.Element // in the LRU while evictable
}

// Engine is the scripting engine of one server: a pool of interpreters for
// EVAL, the script cache, and the function libraries. Safe for concurrent
// use; a script runs on the goroutine that calls Eval or FCall.
type Engine struct {
	Log Logger
	// MaxEvictable bounds the EVAL-only scripts kept (0: DefaultMaxEvictable).
	MaxEvictable int

	mu      sync.Mutex // guards idle, scripts, lru, evicted
	idle    []*State
	scripts map[string]*Script
	lru     list.List
	evicted int64

	running atomic.Pointer[State] // the state running a script, for Kill
	rng     atomic.Uint64         // math.random's state; 0 before the first draw

	fmu   sync.Mutex // guards funcs; held while a library loads, not while a function runs
	funcs *functions
}

// NewEngine makes an engine with an empty cache.
func NewEngine() *Engine {
	return &Engine{scripts: map[string]*Script{}}
}

// SHA1Hex is the hex SHA1 of s, as scripts are named.
func SHA1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// Lookup returns the cached script with that SHA (case-insensitive), or nil.
func (e *Engine) Lookup(sha []byte) *Script {
	if len(sha) != 40 {
		return nil
	}
	var buf [40]byte
	for i, c := range sha {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.scripts[string(buf[:])]
	if s != nil && s.elem != nil {
		e.lru.MoveToFront(s.elem)
	}
	return s
}

// Exists reports whether a script is cached (SCRIPT EXISTS).
func (e *Engine) Exists(sha string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.scripts[strings.ToLower(sha)]
	return ok
}

// Load compiles body and caches it; load marks it as SCRIPT LOAD's (kept
// until SCRIPT FLUSH). It returns Redis's error text for a script that does
// not compile or has a bad shebang.
func (e *Engine) Load(body string, load bool) (*Script, string) {
	sha := SHA1Hex(body)
	e.mu.Lock()
	if s := e.scripts[sha]; s != nil {
		if load && !s.loaded {
			s.loaded = true
			e.lru.Remove(s.elem)
			s.elem = nil
		} else if s.elem != nil {
			e.lru.MoveToFront(s.elem)
		}
		e.mu.Unlock()
		return s, ""
	}
	e.mu.Unlock()

	s := &Script{SHA: sha, Body: body}
	code := body
	if strings.HasPrefix(body, "#!") {
		flags, n, err := parseShebang(body)
		if err != "" {
			return nil, err
		}
		s.Flags, s.Shebang = flags, true
		code = body[n:] // the shebang line's newline stays: line numbers hold
	}
	proto, err := compile(code, "user_script")
	if err != "" {
		return nil, "ERR Error compiling script (new function): " + err
	}
	s.proto = proto

	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.scripts[sha]; old != nil { // compiled meanwhile by another client
		return old, ""
	}
	e.scripts[sha] = s
	if load {
		s.loaded = true
		return s, ""
	}
	s.elem = e.lru.PushFront(s)
	max := e.MaxEvictable
	if max <= 0 {
		max = DefaultMaxEvictable
	}
	for e.lru.Len() > max {
		old := e.lru.Remove(e.lru.Back()).(*Script)
		old.elem = nil
		delete(e.scripts, old.SHA)
		e.evicted++
	}
	return s, ""
}

// Flush empties the script cache (SCRIPT FLUSH). Interpreters are dropped
// too, so nothing a script left in one survives.
func (e *Engine) Flush() {
	e.mu.Lock()
	e.scripts = map[string]*Script{}
	e.lru.Init()
	idle := e.idle
	e.idle = nil
	e.mu.Unlock()
	for _, st := range idle {
		st.L.Close()
	}
}

// Stats reports the number of cached scripts, the memory their bodies
// take, and how many EVAL scripts were evicted (INFO).
func (e *Engine) Stats() (n int, bodyBytes int64, evicted int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.scripts {
		bodyBytes += int64(len(s.Body))
	}
	return len(e.scripts), bodyBytes, e.evicted
}

// get takes an idle interpreter or makes one.
func (e *Engine) get() *State {
	e.mu.Lock()
	if n := len(e.idle); n > 0 {
		st := e.idle[n-1]
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		return st
	}
	e.mu.Unlock()
	return newState(e, false)
}

// put returns an interpreter to the pool; a killed one is replaced, since
// the script may have left it anywhere.
func (e *Engine) put(st *State) {
	if st.kill.fired() {
		st.L.Close()
		return
	}
	e.mu.Lock()
	if len(e.idle) < 8 {
		e.idle = append(e.idle, st)
		st = nil
	}
	e.mu.Unlock()
	if st != nil {
		st.L.Close()
	}
}

// Kill stops the running script at its next Lua instruction (SCRIPT KILL,
// FUNCTION KILL); it reports whether one was running.
func (e *Engine) Kill() bool {
	st := e.running.Load()
	if st == nil {
		return false
	}
	st.kill.fire()
	return true
}

// Run is one execution of a script or function.
type Run struct {
	Keys, Args [][]byte
	Caller     Caller
	// W receives the script's result, converted for protocol W.Proto.
	W *resp.Writer
	// StopAt, when set, lets Eval return before the script has ended,
	// so that the caller can move it to another goroutine: once it runs
	// past that time, or before it calls what could run Lua under Go
	// (pcall, table.sort, string.gsub, coroutines, a Lua iterator,
	// setmetatable), the script stops at an instruction and Eval returns
	// with Stopped true; Continue then finishes it, on any goroutine.
	StopAt time.Time
	// ErrCounted: the result is the error reply of a command the script
	// called, which errorstats counted when the command replied (Redis's
	// ignore_err_stats_update): the script's reply must not count it again.
	ErrCounted bool

	stopped *State   // the interpreter of a stopped script (it copied Keys and Args)
	name    string   // and what its errors call it
	lib     *Library // a stopped function's library
	// unstarted: the script stopped before its start (its interpreter is
	// tainted), with nargs arguments pushed.
	unstarted bool
	nargs     int
}

// Stopped reports whether Eval returned before the script's end.
func (r *Run) Stopped() bool { return r.stopped != nil }

// Continue finishes a script Eval stopped (Stopped), writing its result
// to r.W; it does not stop it again.
func (e *Engine) Continue(r *Run) {
	st := r.stopped
	if st == nil {
		return
	}
	r.stopped = nil
	var err error
	if r.unstarted {
		r.unstarted = false
		err = st.L.PCall(r.nargs, 1, st.handler)
	} else {
		err = st.L.Continue()
	}
	st.end(r, r.name, err)
	if lib := r.lib; lib != nil {
		r.lib = nil
		e.fcallEnd(lib)
		return
	}
	e.put(st)
}

// Eval runs a cached script: KEYS and ARGV are set, and the result (or
// Redis's error) is written to r.W, unless the script stopped (see
// Run.StopAt; Keys and Args are no longer read by then).
func (e *Engine) Eval(s *Script, r *Run) {
	st := e.get()
	fn := st.fns[s]
	if fn == nil {
		if st.fns == nil || len(st.fns) >= 2*DefaultMaxEvictable {
			st.fns = map[*Script]*lua.LFunction{}
		}
		fn = st.L.NewFunctionFromProto(s.proto)
		st.fns[s] = fn
	}
	fn.Env = st.env
	st.setKeysArgv(r.Keys, r.Args)
	st.L.Push(fn)
	if st.exec(r, s.SHA, 0) {
		return // Continue puts st back
	}
	e.put(st)
}
