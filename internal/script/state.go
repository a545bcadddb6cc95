package script

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/smallredis/smallredis/internal/lualib"
	"github.com/smallredis/smallredis/internal/resp"
)

// Version is what redis.REDIS_VERSION reports; VersionNum its number.
var (
	Version    = "7.2.0"
	VersionNum = 0x070200
)

// Interpreter limits. Lua calls do not grow the Go stack in gopher-lua,
// but pcall, metamethods and Go functions do: the call stack bound keeps a
// runaway recursion a Lua error ("stack overflow"), never a Go crash. It
// is fixed (not MinimizeStackMemory, whose growth made deep recursion
// quadratic: seconds at 10000 frames); 2000 frames take ~200 KB.
const (
	callStackSize   = 2000
	registrySize    = 1024
	registryMaxSize = 1 << 20
)

// State is one Lua interpreter with Redis's sandbox. Not safe for
// concurrent use: one script runs in it at a time.
type State struct {
	e   *Engine
	L   *lua.LState
	g   *lua.LTable // the real globals
	env *lua.LTable // what scripts see as _G: reads reach g, writes fail
	emt *lua.LTable // env's metatable
	// cmdErrs: this run's error tables of commands' error replies
	// (markCmdErr), cleared when it ends.
	cmdErrs map[*lua.LTable]struct{}
	// What getmetatable returns for _G and for strings.
	gview, sview *lua.LTable

	kill killSwitch
	run  *Run
	resp int // redis.setresp
	// fn is set for the functions interpreter; loading is set while a
	// library's code runs (only register_function works then).
	fn      bool
	loading *loadingLib

	handler *lua.LFunction
	fns     map[*Script]*lua.LFunction // EVAL scripts' functions in this state
	reply   resp.Writer                // redis.call's replies, reused
	argv    [][]byte
	// The last EVAL's KEYS and ARGV, refilled by the next one.
	keys, args *lua.LTable

	// Stopping (Run.StopAt): stopCheck is pastStop, made once; a
	// tainted interpreter (a script called setmetatable or getmetatable,
	// so a metamethod may be a Lua function) runs scripts to their end.
	stopCheck func() bool
	tainted   bool
}

// killSwitch cancels the interpreter's context: gopher-lua checks it
// before every instruction, so even an endless loop stops.
type killSwitch struct {
	cancel context.CancelFunc
	done   atomic.Bool
}

func (k *killSwitch) fire() {
	k.done.Store(true)
	k.cancel()
}

func (k *killSwitch) fired() bool { return k.done.Load() }

// errKilled is the message of a script stopped by SCRIPT KILL.
const errKilled = "ERR Script killed by user with SCRIPT KILL..."

func newState(e *Engine, fn bool) *State {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:    true,
		CallStackSize:   callStackSize,
		RegistrySize:    registrySize,
		RegistryMaxSize: registryMaxSize,
	})
	st := &State{e: e, L: L, fn: fn, resp: 2}
	ctx, cancel := context.WithCancel(context.Background())
	st.kill.cancel = cancel
	L.SetContext(ctx)

	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.OsLibName, lua.OpenOs},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	lualib.OpenCJSON(L)
	lualib.OpenCMsgpack(L)
	lualib.OpenStruct(L)
	lualib.OpenBit(L)
	g := L.G.Global
	st.g = g
	// What Redis 7 removes from the base library, plus gopher-lua's extras.
	for _, name := range []string{"dofile", "loadfile", "print", "require", "module", "newproxy",
		"setfenv", "getfenv", "_printregs", "channel", "package", "debug", "io"} {
		g.RawSetString(name, lua.LNil)
	}
	// Redis 7.2 leaves os.clock only.
	os := L.NewTable()
	os.RawSetString("clock", L.GetField(g.RawGetString("os"), "clock"))
	g.RawSetString("os", os)
	// string.gfind is Lua 5.0's name for gmatch, which Redis's Lua keeps.
	if str, ok := g.RawGetString("string").(*lua.LTable); ok {
		str.RawSetString("gfind", str.RawGetString("gmatch"))
	}
	st.openMath()
	st.openRedis()
	st.markLeaves() // the originals too: the fixes call them, pairs returns its iterator
	st.openBaseFixes()

	st.markLeaves()
	st.stopCheck = st.pastStop

	st.handler = L.NewFunction(st.errorHandler)
	st.emt = L.NewTable()
	readonly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	})
	// Library tables are read-only as in Redis 7: scripts see proxies.
	for _, name := range []string{"string", "table", "math", "redis", "bit", "cjson", "struct", "cmsgpack", "os", "coroutine"} {
		lib, ok := g.RawGetString(name).(*lua.LTable)
		if !ok {
			continue
		}
		proxy := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__index", lib)
		mt.RawSetString("__newindex", readonly)
		L.SetMetatable(proxy, mt)
		g.RawSetString(name, proxy)
		lib.SetReadOnly(true)
		mt.SetReadOnly(true)
		proxy.SetReadOnly(true)
	}
	gmt := L.NewTable()
	gmt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
	gmt.RawSetString("__newindex", readonly)
	L.SetMetatable(g, gmt)

	st.env = L.NewTable()
	emt := st.emt
	emt.RawSetString("__index", g)
	emt.RawSetString("__newindex", readonly)
	emt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(st.env, emt)
	g.RawSetString("_G", st.env)
	// What getmetatable shows for _G and strings: read-only stand-ins with
	// Redis's fields, so no script reaches g or the string library behind
	// its proxy.
	st.gview = L.NewTable()
	st.gview.RawSetString("__index", gmt.RawGetString("__index"))
	st.sview = L.NewTable()
	st.sview.RawSetString("__index", g.RawGetString("string"))
	if smt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		smt.SetReadOnly(true)
	}
	for _, t := range []*lua.LTable{g, gmt, st.env, emt, st.gview, st.sview} {
		t.SetReadOnly(true)
	}
	return st
}

// compile parses and compiles a chunk, returning Redis's text for a
// syntax error ("user_script:1: …").
func compile(code, chunk string) (*lua.FunctionProto, string) {
	ast, err := parse.Parse(strings.NewReader(code), chunk)
	if err != nil {
		if pe, ok := err.(*parse.Error); ok {
			near := pe.Token
			if near == "" || pe.Pos.Line == parse.EOF {
				near = "<eof>"
			}
			line := pe.Pos.Line
			if line == parse.EOF {
				line = strings.Count(code, "\n") + 1
			}
			msg := pe.Message
			switch msg {
			case "syntax error":
				msg = "unexpected symbol"
			case "unterminated string":
				msg = "unfinished string"
			}
			return nil, chunk + ":" + strconv.Itoa(line) + ": " + msg + " near '" + near + "'"
		}
		return nil, err.Error()
	}
	proto, err := lua.Compile(ast, chunk)
	if err != nil {
		return nil, err.Error()
	}
	// No Lua 5.0 "arg" table for the chunk's varargs: it would cost a
	// table (and a map) per call.
	proto.IsVarArg &^= lua.VarArgNeedsArg
	return proto, ""
}

// setKeysArgv sets the KEYS and ARGV globals for an EVAL. The previous
// EVAL's tables are refilled when that script left them as they were made
// and the count is the same; nothing outlives an EVAL to see the change
// (globals are read-only, _G is replaced when a script wrote to it).
func (st *State) setKeysArgv(keys, args [][]byte) {
	// The globals change only here (scripts cannot write them), so a
	// refilled table is already the global.
	if t := st.refill(st.keys, keys); t != st.keys {
		st.keys = t
		st.g.RawSetString("KEYS", t)
	}
	if t := st.refill(st.args, args); t != st.args {
		st.args = t
		st.g.RawSetString("ARGV", t)
	}
}

// refill puts list into t when t holds exactly len(list) elements, at 1…n,
// and has no metatable; otherwise it makes a new table.
func (st *State) refill(t *lua.LTable, list [][]byte) *lua.LTable {
	n := len(list)
	if t == nil || t.Metatable != lua.LNil || t.Len() != n {
		return st.strings(list)
	}
	after := lua.LValue(lua.LNil)
	if n > 0 {
		after = lua.LNumber(n)
	}
	if k, _ := t.Next(after); k != lua.LNil {
		return st.strings(list) // other keys were added
	}
	for i, b := range list {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}

func (st *State) strings(list [][]byte) *lua.LTable {
	t := st.L.CreateTable(len(list), 0)
	for i, b := range list {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}

// exec calls the function pushed before its nargs arguments and writes
// its result, or its error in Redis's format, to r.W. name is what errors
// call the script: its SHA, or the function's name. With r.StopAt set
// the script may stop before its end (see Run.StopAt), at once in a
// tainted interpreter: exec then returns true, and Engine.Continue ends it.
func (st *State) exec(r *Run, name string, nargs int) (stopped bool) {
	L := st.L
	st.run, st.resp = r, 2
	st.e.running.Store(st)
	var err error
	switch {
	case !r.StopAt.IsZero() && st.tainted:
		r.stopped, r.name, r.unstarted, r.nargs = st, name, true, nargs
		return true
	case !r.StopAt.IsZero():
		if stopped, err = L.PCallStoppable(nargs, 1, st.handler, st.stopCheck); stopped {
			r.stopped, r.name = st, name
			return true
		}
	default:
		err = L.PCall(nargs, 1, st.handler)
	}
	st.end(r, name, err)
	return false
}

// pastStop is the stoppable call's check: the script runs past StopAt.
func (st *State) pastStop() bool { return st.run != nil && time.Now().After(st.run.StopAt) }

// end writes the ended script's result or error.
func (st *State) end(r *Run, name string, err error) {
	L := st.L
	st.e.running.Store(nil)
	st.run = nil
	if err != nil {
		L.SetTop(0)
		obj := lua.LValue(lua.LNil)
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		r.W.Error(errorText(obj, name))
		r.ErrCounted = st.countedErr(obj)
	} else {
		v := L.Get(-1)
		L.SetTop(0)
		writeValue(r.W, v, st.resp, 0)
		r.ErrCounted = st.countedErr(v)
	}
	clear(st.cmdErrs)
	// A script that set fields on _G (rawset) must not leave them to the
	// next one.
	if k, _ := st.env.Next(lua.LNil); k != lua.LNil {
		st.env = st.freshEnv()
	}
}

func (st *State) freshEnv() *lua.LTable {
	env := st.L.NewTable()
	st.L.SetMetatable(env, st.emt)
	env.SetReadOnly(true)
	st.g.RawSetString("_G", env)
	return env
}

// errorHandler turns what a script raised into Redis's error table at the
// point of the error: a string becomes {err="ERR …"}, and the line of the
// innermost Lua function is recorded for the reply's "on …:line" suffix
// (Redis's __redis__err__handler).
func (st *State) errorHandler(L *lua.LState) int {
	v := L.Get(1)
	var t *lua.LTable
	if st.kill.fired() {
		t = L.NewTable()
		t.RawSetString("err", lua.LString(errKilled))
	} else if tt, ok := v.(*lua.LTable); ok {
		t = tt
	} else {
		t = L.NewTable()
		s := "nil"
		if v != lua.LNil {
			s = luaMessage(v.String())
		}
		t.RawSetString("err", lua.LString("ERR "+s))
	}
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" || dbg.CurrentLine < 0 {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// errorText renders a raised error as Redis 7 replies it:
// "<msg> script: <name>, on @user_script:<line>."
func errorText(v lua.LValue, name string) string {
	t, ok := v.(*lua.LTable)
	if !ok {
		return "ERR " + lua.LVAsString(v)
	}
	msg, ok := t.RawGetString("err").(lua.LString)
	if !ok {
		return "ERR unknown error"
	}
	s := strings.TrimRight(string(msg), "\r\n")
	src, ok1 := t.RawGetString("source").(lua.LString)
	line, ok2 := t.RawGetString("line").(lua.LNumber)
	if ok1 && ok2 {
		s += " script: " + name + ", on " + string(src) + ":" + strconv.Itoa(int(line)) + "."
	}
	return s
}

// luaMessage rewrites gopher-lua's wording of the common runtime errors
// into Lua 5.1's, which scripts and their tests match on.
func luaMessage(s string) string {
	pos, msg := "", s
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "user_") {
		pos, msg = s[:i+2], s[i+2:]
	}
	var a, b, op string
	if n, _ := fmt.Sscanf(msg, "cannot perform %s operation between %s and %s", &op, &a, &b); n == 3 {
		if op == "concat" {
			bad := a
			if a == "string" || a == "number" {
				bad = b
			}
			return pos + "attempt to concatenate a " + bad + " value"
		}
		bad := a
		if a == "number" {
			bad = b
		}
		return pos + "attempt to perform arithmetic on a " + bad + " value"
	}
	if rest, ok := strings.CutPrefix(msg, "attempt to index a non-table object("); ok {
		if i := strings.IndexByte(rest, ')'); i >= 0 {
			return pos + "attempt to index a " + rest[:i] + " value"
		}
	}
	if msg == "__len undefined" {
		return pos + "attempt to get length of a nil value"
	}
	if msg == "attempt to call a non-function object" {
		return pos + "attempt to call a nil value"
	}
	return s
}
