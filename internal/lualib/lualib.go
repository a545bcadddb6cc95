// Package lualib owns the Lua libraries Redis 7.0 gives scripts beyond
// Lua's own: cjson (lua-cjson 2.1.0), cmsgpack (lua-cmsgpack 0.4.0), struct
// (Roberto Ierusalimschy's struct) and bit (LuaBitOp 1.0.2), written for
// gopher-lua to reproduce the C libraries of Redis's deps/lua byte for byte:
// the same outputs, the same error messages, the same quirks.
//
// It knows nothing of RESP, commands or the store: the scripting engine
// calls the Open functions on each interpreter it creates.
package lualib

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// setGlobalTable registers t under name, as Redis's luaLoadLib does.
func setGlobalTable(L *lua.LState, name string, funcs map[string]lua.LGFunction) *lua.LTable {
	t := L.NewTable()
	for k, f := range funcs {
		t.RawSetString(k, L.NewFunction(f))
	}
	L.SetGlobal(name, t)
	return t
}

// raise is luaL_error: msg prefixed with the caller's position when the
// caller is Lua code ("user_script:1: "), bare when it is a Go function
// such as pcall. gopher-lua's RaiseError differs: it skips Go frames.
func raise(L *lua.LState, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = sprintf(format, args...)
	}
	L.Error(lua.LString(where(L)+msg), 0)
}

// where is luaL_where(L, 1).
func where(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	return sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// funcName is the name luaL_argerror reports for the running Go function:
// the name it was called by, or "?" when the caller is not Lua code (pcall).
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	n := dbg.Name
	if n == "" || n[0] == '(' || n[0] == '<' || n == "main chunk" || n == "corountine" {
		return "?"
	}
	return n
}

// argError is luaL_argerror.
func argError(L *lua.LState, n int, msg string) {
	raise(L, "bad argument #%d to '%s' (%s)", n, funcName(L), msg)
}

// typeError is luaL_typerror.
func typeError(L *lua.LState, n int, want string) {
	argError(L, n, want+" expected, got "+typeNameAt(L, n))
}

// typeNameAt is luaL_typename: "no value" past the top.
func typeNameAt(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return typeName(L.Get(n))
}

// typeName is lua_typename of a value's type.
func typeName(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTBool:
		return "boolean"
	case lua.LTNumber:
		return "number"
	case lua.LTString:
		return "string"
	case lua.LTTable:
		return "table"
	case lua.LTFunction:
		return "function"
	case lua.LTThread:
		return "thread"
	}
	return "userdata"
}

// toNumber is lua_tonumber: numbers, and strings that read as numbers.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return str2d(string(x))
	}
	return 0, false
}

// str2d is luaO_str2d: strtod over the whole string (surrounding
// whitespace allowed), or a hexadecimal integer.
func str2d(s string) (float64, bool) {
	t := strings.TrimRight(s, " \t\n\v\f\r")
	lead := strings.TrimLeft(t, " \t\n\v\f\r")
	if lead == "" {
		return 0, false
	}
	f, n := strtod(lead)
	if n == len(lead) && n > 0 {
		return f, true
	}
	return 0, false
}

// checkNumber is luaL_checknumber.
func checkNumber(L *lua.LState, n int) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return f
}

// checkInteger is luaL_checkinteger: the number truncated toward zero.
func checkInteger(L *lua.LState, n int) int64 {
	return dtoi(checkNumber(L, n))
}

// dtoi converts like a C cast of a double to a 64-bit integer on x86-64,
// where out-of-range values become the "integer indefinite" value.
func dtoi(f float64) int64 {
	if f != f || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

// dtoi32 converts like a C cast of a double to int as gcc compiles it
// on x86-64: a 64-bit conversion whose low 32 bits are kept.
func dtoi32(f float64) int32 {
	return int32(dtoi(f))
}

// toLString is lua_tolstring: strings, and numbers formatted "%.14g".
func toLString(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return fmtG(float64(x), 14), true
	}
	return "", false
}

// checkString is luaL_checklstring.
func checkString(L *lua.LState, n int) string {
	s, ok := toLString(L.Get(n))
	if !ok {
		typeError(L, n, "string")
	}
	return s
}

// fmtG is C's printf("%.<prec>g") as glibc prints it, inf and nan included.
func fmtG(f float64, prec int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// each walks t in gopher-lua's lua_next order (array part, then keys in
// insertion order) until f returns false.
func each(t *lua.LTable, f func(k, v lua.LValue) bool) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if !f(k, v) {
			return
		}
	}
}
