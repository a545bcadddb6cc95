package script

import (
	"bytes"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/smallredis/smallredis/internal/resp"
)

// maxDepth bounds the nesting converted either way, as Lua's stack bounds
// Redis's recursive conversion.
const maxDepth = 1000

// writeValue writes a script's result by Redis's Lua-to-RESP rules:
// numbers truncate to integers, true is 1 (RESP3: true), false and nil
// are null (under redis.setresp(3): booleans), a table with a string err / ok field is
// an error / status, double / big_number / map / set / verbatim_string
// tables are RESP3 types (the writer downgrades them for RESP2), and any
// other table is an array of its elements up to the first nil.
func writeValue(w *resp.Writer, v lua.LValue, proto, depth int) {
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LNumber:
		w.Int(int64(v))
	case lua.LBool:
		switch {
		case proto == 3:
			w.Bool(bool(v))
		case bool(v):
			w.Int(1)
		default:
			w.Null()
		}
	case *lua.LTable:
		if depth >= maxDepth {
			w.Error("ERR reached lua stack limit")
			return
		}
		writeTable(w, v, proto, depth)
	default:
		w.Null()
	}
}

// maxCmdErrs bounds the command error tables a run remembers (a script
// failing pcall in a loop); past it, a returned one is counted again.
const maxCmdErrs = 64

// markCmdErr remembers t, the error table of a command's error reply: the
// command counted it in errorstats when it replied, so the script's reply
// of it must not count it again (Redis marks the table with a field
// scripts do not see, ignore_err_stats_update).
func (st *State) markCmdErr(t *lua.LTable) {
	if st.cmdErrs == nil {
		st.cmdErrs = make(map[*lua.LTable]struct{})
	}
	if len(st.cmdErrs) < maxCmdErrs {
		st.cmdErrs[t] = struct{}{}
	}
}

// countedErr reports whether v is an error table a command already counted.
func (st *State) countedErr(v lua.LValue) bool {
	t, ok := v.(*lua.LTable)
	if !ok {
		return false
	}
	_, counted := st.cmdErrs[t]
	return counted
}

func writeTable(w *resp.Writer, t *lua.LTable, proto, depth int) {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(string(s))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(string(bytes.Map(oneLine, []byte(s))))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BigNum(string(bytes.Map(oneLine, []byte(s))))
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(_, _ lua.LValue) { n++ })
		w.Map(n)
		m.ForEach(func(k, v lua.LValue) {
			writeValue(w, k, proto, depth+1)
			writeValue(w, v, proto, depth+1)
		})
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		s.ForEach(func(_, _ lua.LValue) { n++ })
		w.Set(n)
		s.ForEach(func(k, _ lua.LValue) { writeValue(w, k, proto, depth+1) })
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, ok1 := vt.RawGetString("format").(lua.LString)
		s, ok2 := vt.RawGetString("string").(lua.LString)
		if ok1 && ok2 && len(f) == 3 {
			w.Verbatim(string(f), string(s))
			return
		}
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		writeValue(w, t.RawGetInt(i), proto, depth+1)
	}
}

func oneLine(r rune) rune {
	if r == '\r' || r == '\n' {
		return ' '
	}
	return r
}

// parseReply converts one RESP reply, as a command wrote it for a script,
// into Lua values by Redis's RESP-to-Lua rules. proto is the script's
// redis.setresp: under RESP2 null is false, under RESP3 nil, and the RESP3
// types become {map=…}, {set=…}, {double=…}, {big_number=…},
// {verbatim_string={format=…, string=…}} and booleans.
func parseReply(L *lua.LState, b []byte, proto int) (lua.LValue, []byte, bool) {
	return parseAt(L, b, proto, 0)
}

func parseAt(L *lua.LState, b []byte, proto, depth int) (lua.LValue, []byte, bool) {
	if len(b) < 3 || depth > maxDepth {
		return lua.LNil, nil, false
	}
	i := bytes.IndexByte(b, '\n')
	if i < 2 {
		return lua.LNil, nil, false
	}
	line, rest := b[1:i-1], b[i+1:]
	switch b[0] {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, rest, true
	case '-':
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(line))
		return t, rest, true
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return L.NumberValue(lua.LNumber(n)), rest, true
	case '$', '=':
		n, err := strconv.Atoi(string(line))
		if err != nil {
			return lua.LNil, nil, false
		}
		if n < 0 {
			return nullValue(proto), rest, true
		}
		if len(rest) < n+2 {
			return lua.LNil, nil, false
		}
		s := rest[:n]
		rest = rest[n+2:]
		if b[0] == '=' && n >= 4 {
			vt := L.CreateTable(0, 2)
			vt.RawSetString("format", lua.LString(s[:3]))
			vt.RawSetString("string", lua.LString(s[4:]))
			t := L.CreateTable(0, 1)
			t.RawSetString("verbatim_string", vt)
			return t, rest, true
		}
		return lua.LString(s), rest, true
	case '*', '>', '~', '%', '|':
		n, err := strconv.Atoi(string(line))
		if err != nil {
			return lua.LNil, nil, false
		}
		if n < 0 {
			return nullValue(proto), rest, true
		}
		switch b[0] {
		case '%', '|':
			m := L.CreateTable(0, n)
			for j := 0; j < n; j++ {
				var k, v lua.LValue
				var ok bool
				if k, rest, ok = parseAt(L, rest, proto, depth+1); !ok {
					return lua.LNil, nil, false
				}
				if v, rest, ok = parseAt(L, rest, proto, depth+1); !ok {
					return lua.LNil, nil, false
				}
				if k != lua.LNil {
					m.RawSet(k, v)
				}
			}
			if b[0] == '|' { // an attribute: the reply follows it
				return parseAt(L, rest, proto, depth)
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("map", m)
			return t, rest, true
		case '~':
			s := L.CreateTable(0, n)
			for j := 0; j < n; j++ {
				var k lua.LValue
				var ok bool
				if k, rest, ok = parseAt(L, rest, proto, depth+1); !ok {
					return lua.LNil, nil, false
				}
				if k != lua.LNil {
					s.RawSet(k, lua.LTrue)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", s)
			return t, rest, true
		}
		t := L.CreateTable(n, 0)
		for j := 1; j <= n; j++ {
			var v lua.LValue
			var ok bool
			if v, rest, ok = parseAt(L, rest, proto, depth+1); !ok {
				return lua.LNil, nil, false
			}
			t.RawSetInt(j, v)
		}
		return t, rest, true
	case '_':
		return lua.LNil, rest, true
	case '#':
		return lua.LBool(len(line) == 1 && line[0] == 't'), rest, true
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(f))
		return t, rest, true
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, rest, true
	}
	return lua.LNil, nil, false
}

func nullValue(proto int) lua.LValue {
	if proto == 3 {
		return lua.LNil
	}
	return lua.LFalse
}
