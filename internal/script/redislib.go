package script

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// openRedis installs the redis table: call/pcall and the helpers of
// Redis 7's script API.
func (st *State) openRedis() {
	L := st.L
	r := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return st.call(L, true) },
		"pcall":              func(L *lua.LState) int { return st.call(L, false) },
		"error_reply":        errorReply,
		"status_reply":       statusReply,
		"sha1hex":            sha1hex,
		"log":                st.log,
		"setresp":            st.setresp,
		"set_repl":           setRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      st.aclCheck,
	}
	for name, f := range fns {
		r.RawSetString(name, L.NewFunction(f))
	}
	for name, v := range map[string]int{
		"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
	} {
		r.RawSetString(name, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(Version))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(VersionNum))
	st.g.RawSetString("redis", r)
}

// raise raises Redis's error table {err=msg}, as redis.call does with a
// command's error reply.
func raise(L *lua.LState, msg string) {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	L.Error(t, 0)
}

// call is redis.call (raise) and redis.pcall: the arguments become the
// command's, the reply becomes Lua values (by the setresp protocol), and
// an error reply is raised or returned as {err=…}.
func (st *State) call(L *lua.LState, raiseErr bool) int {
	if st.run == nil || st.loading != nil {
		raise(L, "ERR redis.call is not allowed here")
		return 0
	}
	n := L.GetTop()
	if n == 0 {
		return st.callErr(L, raiseErr, "ERR Please specify at least one argument for this redis lib call")
	}
	args := st.argv[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args = append(args, stringArg(string(v)))
		case lua.LNumber:
			args = append(args, formatArg(float64(v)))
		default:
			st.argv = args
			return st.callErr(L, raiseErr, "ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	st.argv = args
	w := &st.reply
	w.Reset()
	w.Proto = st.resp
	st.run.Caller.Call(args, w)
	v, _, ok := parseReply(L, w.B, st.resp)
	if !ok {
		v = lua.LFalse
	}
	if t, isErr := v.(*lua.LTable); isErr && len(w.B) > 0 && w.B[0] == '-' {
		st.markCmdErr(t)
	}
	if len(w.B) > 64<<10 {
		w.B = nil // a huge reply's buffer is not kept
	}
	if t, isErr := v.(*lua.LTable); isErr && raiseErr && len(w.B) > 0 && w.B[0] == '-' {
		L.Error(t, 0)
		return 0
	}
	L.Push(v)
	return 1
}

func (st *State) callErr(L *lua.LState, raiseErr bool, msg string) int {
	if raiseErr {
		raise(L, msg)
		return 0
	}
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	L.Push(t)
	return 1
}

// stringArg is a Lua string as a command argument, without a copy: Lua
// strings are immutable and the Caller must not modify its arguments
// (commands never do: theirs alias the connection's input buffer).
func stringArg(s string) []byte {
	if s == "" {
		return emptyArg
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

var emptyArg = []byte{}

// formatArg renders a Lua number argument as Redis does ("%.17g").
func formatArg(f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && (f != 0 || !math.Signbit(f)) { // -0 is "-0"
		return strconv.AppendInt(nil, int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'g', 17, 64)
	switch s {
	case "+Inf":
		s = "inf"
	case "-Inf":
		s = "-inf"
	case "NaN":
		s = "nan"
		if math.Signbit(f) {
			s = "-nan" // glibc's printf
		}
	}
	return []byte(s)
}

// errorTable builds Redis's error table from a message as
// redis.error_reply receives it: "-CODE msg" or "msg" (code ERR).
func errorTable(L *lua.LState, s string) *lua.LTable {
	code, msg := "ERR", s
	if strings.HasPrefix(s, "-") {
		if i := strings.IndexByte(s, ' '); i >= 0 {
			code, msg = s[1:i], s[i+1:]
		} else {
			msg = s[1:]
		}
	} else if i := strings.IndexByte(s, ' '); i >= 0 {
		code, msg = s[:i], s[i+1:]
	} else {
		code, msg = "ERR", s
	}
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+strings.TrimRight(msg, "\r\n")))
	return t
}

func errorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString && L.Get(1).Type() != lua.LTNumber {
		L.Push(errorTable(L, "-ERR wrong number or type of arguments"))
		return 1
	}
	s := L.ToString(1)
	if !strings.HasPrefix(s, "-") {
		s = "-" + s
	}
	L.Push(errorTable(L, s))
	return 1
}

func statusReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString && L.Get(1).Type() != lua.LTNumber {
		L.Push(errorTable(L, "-ERR wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", lua.LString(L.ToString(1)))
	L.Push(t)
	return 1
}

func sha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.Error(lua.LString("wrong number of arguments"), 0)
		return 0
	}
	L.Push(lua.LString(SHA1Hex(L.ToString(1))))
	return 1
}

func (st *State) log(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raise(L, "ERR redis.log() requires two arguments or more.")
		return 0
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		raise(L, "ERR First argument must be a number (log level).")
		return 0
	}
	level := int(lv)
	if level < LogDebug || level > LogWarning {
		raise(L, "ERR Invalid debug level.")
		return 0
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		if i > 2 {
			b.WriteByte(' ')
		}
		b.WriteString(L.ToString(i))
	}
	if st.e.Log != nil {
		st.e.Log(level, b.String())
	}
	return 0
}

func (st *State) setresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "ERR redis.setresp() requires one argument.")
		return 0
	}
	v := L.ToInt(1)
	if v != 2 && v != 3 {
		raise(L, "ERR RESP version must be 2 or 3.")
		return 0
	}
	st.resp = v
	return 0
}

func setRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "ERR redis.set_repl() requires two arguments.")
		return 0
	}
	v := L.ToInt(1)
	if v < 0 || v > 3 {
		raise(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
		return 0
	}
	return 0
}

// aclCheck is redis.acl_check_cmd: whether the script's user may run the
// command with these arguments; an unknown command is an error.
func (st *State) aclCheck(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 {
		raise(L, "ERR Please specify at least one argument for this redis lib call")
		return 0
	}
	args := make([][]byte, n)
	for i := range args {
		args[i] = []byte(L.ToString(i + 1))
	}
	allowed := true
	if c, ok := st.run.Caller.(interface {
		ACLCheck(args [][]byte) (known, allowed bool)
	}); ok {
		var known bool
		if known, allowed = c.ACLCheck(args); !known {
			raise(L, "ERR Invalid command passed to redis.acl_check_cmd()")
			return 0
		}
	}
	L.Push(lua.LBool(allowed))
	return 1
}

// Redis's PRNG for math.random (redisLrand48: the 48-bit linear
// congruential generator of drand48). One sequence for the whole server,
// as Redis 7 has one Lua state: it starts where drand48 does and goes on
// from script to script; math.randomseed resets it.
const (
	randA    = 0x5DEECE66D
	randC    = 0xB
	randMask = 1<<48 - 1
	randMax  = math.MaxInt32
)

const randInit = 0x1234ABCD330E

func (st *State) seed(s int32) { st.e.rng.Store(uint64(uint32(s))<<16 | 0x330E) }

func (st *State) lrand48() int32 {
	for {
		old := st.e.rng.Load()
		x := old
		if x == 0 {
			x = randInit
		}
		x = (randA*x + randC) & randMask
		if st.e.rng.CompareAndSwap(old, x) {
			return int32(x >> 17)
		}
	}
}

func (st *State) openMath() {
	m, ok := st.g.RawGetString("math").(*lua.LTable)
	if !ok {
		return
	}
	// Lua 5.1's math.huge is infinity (gopher-lua's is MaxFloat64).
	m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	m.RawSetString("random", st.L.NewFunction(func(L *lua.LState) int {
		r := float64(st.lrand48()%randMax) / float64(randMax)
		switch L.GetTop() {
		case 0:
			L.Push(lua.LNumber(r))
		case 1:
			u := L.CheckInt(1)
			if u < 1 {
				L.RaiseError("bad argument #1 to 'random' (interval is empty)")
			}
			L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
		case 2:
			l, u := L.CheckInt(1), L.CheckInt(2)
			if l > u {
				L.RaiseError("bad argument #2 to 'random' (interval is empty)")
			}
			L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
		default:
			L.RaiseError("wrong number of arguments")
		}
		return 1
	}))
	m.RawSetString("randomseed", st.L.NewFunction(func(L *lua.LState) int {
		st.seed(int32(L.CheckInt(1)))
		return 0
	}))
}

// openBaseFixes replaces the base functions where gopher-lua differs from
// Lua 5.1 in ways scripts notice: tonumber of exponent forms, error with a
// number message (Lua adds the position), and rawset on the read-only
// tables.
func (st *State) openBaseFixes() {
	L, g := st.L, st.g
	tonumber := g.RawGetString("tonumber").(*lua.LFunction)
	g.RawSetString("tonumber", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() == 1 {
			if s, ok := L.Get(1).(lua.LString); ok {
				t := strings.TrimSpace(string(s))
				if f, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXnN") {
					L.Push(lua.LNumber(f))
					return 1
				}
			}
		}
		L.Insert(tonumber, 1)
		L.Call(L.GetTop()-1, 1)
		return 1
	}))
	errorFn := g.RawGetString("error").(*lua.LFunction)
	g.RawSetString("error", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok {
			L.Replace(1, lua.LString(n.String()))
		}
		L.Insert(errorFn, 1)
		L.Call(L.GetTop()-1, 0)
		return 0
	}))
	// string.rep is the one-call way to ask for gigabytes: past
	// proto-max-bulk-len's default it fails as Lua does when out of memory.
	if str, ok := g.RawGetString("string").(*lua.LTable); ok {
		str.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
			s := L.CheckString(1)
			// Lua 5.1 takes the count as a C int (2^40 is 0).
			n := int64(int32(int64(L.CheckNumber(2))))
			if n > 0 && int64(len(s))*n > maxStringRep {
				L.Error(lua.LString("not enough memory"), 0)
				return 0
			}
			if n <= 0 {
				L.Push(lua.LString(""))
				return 1
			}
			L.Push(lua.LString(strings.Repeat(s, int(n))))
			return 1
		}))
	}
	// The read-only proxies (_G and the library tables) iterate and read
	// as the tables behind them.
	throughProxy := func(name string, results int) {
		fn := g.RawGetString(name).(*lua.LFunction)
		g.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if t, ok := L.Get(1).(*lua.LTable); ok {
				if real := st.behind(t); real != nil {
					L.Replace(1, real)
				}
			}
			L.Insert(fn, 1)
			L.Call(L.GetTop()-1, results)
			return results
		}))
	}
	throughProxy("next", 2)
	pairs := g.RawGetString("pairs").(*lua.LFunction)
	nextFn := g.RawGetString("next")
	g.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok {
			if real := st.behind(t); real != nil {
				L.Push(nextFn)
				L.Push(real)
				L.Push(lua.LNil)
				return 3
			}
		}
		L.Insert(pairs, 1)
		L.Call(L.GetTop()-1, 3)
		return 3
	}))
	// tostring of numbers as Lua 5.1's "%.14g" (inf, nan, 0.33333333333333);
	// concatenation still uses gopher-lua's formatting.
	tostring := g.RawGetString("tostring").(*lua.LFunction)
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok {
			L.Push(lua.LString(formatNumber(float64(n))))
			return 1
		}
		L.Insert(tostring, 1)
		L.Call(L.GetTop()-1, 1)
		return 1
	}))
	throughProxy("rawget", 1)
	// A script that reaches metatables may leave a Lua function as a
	// metamethod where later scripts meet it: its interpreter no longer
	// runs scripts stoppably (State.tainted).
	setmetatable := g.RawGetString("setmetatable").(*lua.LFunction)
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		st.tainted = true
		return setmetatable.GFunction(L)
	}))
	// getmetatable answers as Redis's: nil for a library (Redis's are
	// plain read-only tables) and for any value but a table or a string
	// (so cjson.null's __tostring stays out of reach); for _G and strings,
	// read-only tables with Redis's one field. The proxies' own
	// metatables, which lead to the tables behind them, stay out of reach.
	getmetatable := g.RawGetString("getmetatable").(*lua.LFunction)
	g.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
		st.tainted = true
		switch v := L.Get(1).(type) {
		case lua.LString:
			L.Push(st.sview)
			return 1
		case *lua.LTable:
			if v == st.env {
				L.Push(st.gview)
				return 1
			}
			if st.behind(v) == nil {
				return getmetatable.GFunction(L)
			}
		}
		// Redis's other values (cjson.null is a light userdata) have none.
		L.Push(lua.LNil)
		return 1
	}))
}

const maxStringRep = 512 << 20

// callsLua are the sandbox's Go functions that may call a Lua function
// they are given (or, for the metatable ones, let a script install one
// where later scripts meet it): a stoppable script stops before calling
// them (Run.StopAt). The coroutine library is all such.
var callsLua = map[string]bool{
	"pcall": true, "xpcall": true, "load": true, "setmetatable": true, "getmetatable": true,
	"table.sort": true, "table.foreach": true, "table.foreachi": true, "string.gsub": true,
}

// markLeaves marks every other Go function of the sandbox, and the
// iterators its closures return (ipairs', pairs', gmatch's), Leaf.
func (st *State) markLeaves() {
	mark := func(name string, v lua.LValue) {
		fn, ok := v.(*lua.LFunction)
		if !ok || !fn.IsG || callsLua[name] {
			return
		}
		fn.Leaf = true
		for _, uv := range fn.Upvalues {
			if f, ok := uv.Value().(*lua.LFunction); ok && f.IsG {
				f.Leaf = true
			}
		}
	}
	st.g.ForEach(func(k, v lua.LValue) {
		name := k.String()
		if t, ok := v.(*lua.LTable); ok {
			if name != "coroutine" && name != "_G" {
				t.ForEach(func(k, v lua.LValue) { mark(name+"."+k.String(), v) })
			}
			return
		}
		mark(name, v)
	})
}

// formatNumber is Lua 5.1's number format, "%.14g" as glibc prints it: a
// nan with the sign bit set (what 0/0 and 1%0 give on x86) is "-nan".
func formatNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// behind returns the table a read-only proxy stands for, or nil.
func (st *State) behind(t *lua.LTable) *lua.LTable {
	if t == st.env {
		return st.g
	}
	if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString("__newindex") == st.emt.RawGetString("__newindex") {
		if real, ok := mt.RawGetString("__index").(*lua.LTable); ok {
			return real
		}
	}
	return nil
}
