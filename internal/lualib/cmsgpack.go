package lualib

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// OpenCMsgpack registers the global table cmsgpack (lua-cmsgpack 0.4.0) as
// Redis 7.0 does: pack, unpack, unpack_one, unpack_limit.
func OpenCMsgpack(L *lua.LState) {
	t := setGlobalTable(L, "cmsgpack", map[string]lua.LGFunction{
		"pack":   msgpackPack,
		"unpack": func(L *lua.LState) int { return msgpackUnpack(L, 0, 0) },
		"unpack_one": func(L *lua.LState) int {
			offset := optInteger(L, 2, 0)
			popToOne(L)
			return msgpackUnpack(L, 1, offset)
		},
		"unpack_limit": func(L *lua.LState) int {
			limit := checkInteger(L, 2)
			offset := optInteger(L, 3, 0)
			popToOne(L)
			return msgpackUnpack(L, limit, offset)
		},
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
}

// optInteger is luaL_optinteger.
func optInteger(L *lua.LState, n int, def int64) int64 {
	if n > L.GetTop() || L.Get(n) == lua.LNil {
		return def
	}
	return checkInteger(L, n)
}

// popToOne is the C code's lua_pop(L, lua_gettop(L)-1), which leaves an
// empty stack empty.
func popToOne(L *lua.LState) {
	if L.GetTop() >= 1 {
		L.SetTop(1)
	}
}

// msgpackMaxNesting is the table depth past which tables pack as nil,
// which is how cyclic tables survive.
const msgpackMaxNesting = 16

func msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		argError(L, 0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = msgpackEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func msgpackEncode(b []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return msgpackBytes(b, string(x))
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		return msgpackNumber(b, float64(x))
	case *lua.LTable:
		if level == msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(x); ok {
			b = msgpackHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = msgpackEncode(b, x.RawGetInt(i), level+1)
			}
			return b
		}
		keys := luaNextOrder(x)
		b = msgpackHeader(b, len(keys), 0x80, 0xde, 0xdf)
		for _, k := range keys {
			b = msgpackEncode(b, k, level+1)
			b = msgpackEncode(b, x.RawGet(k), level+1)
		}
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLen is table_is_an_array: keys exactly 1..n, n the count
// (which is then also what lua_objlen answers).
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	var count, max int32
	ok := true
	each(t, func(k, _ lua.LValue) bool {
		n, isNum := k.(lua.LNumber)
		f := float64(n)
		if !isNum || f <= 0 || float64(dtoi32(f)) != f {
			ok = false
			return false
		}
		if int32(f) > max {
			max = int32(f)
		}
		count++
		return true
	})
	return int(count), ok && max == count
}

func msgpackNumber(b []byte, n float64) []byte {
	if !math.IsInf(n, 0) && float64(dtoi(n)) == n {
		return msgpackInt(b, dtoi(n))
	}
	if f := float32(n); float64(f) == n {
		return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(f))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(n))
}

func msgpackInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 127:
		return append(b, byte(n))
	case n >= 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

func msgpackBytes(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func msgpackHeader(b []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
}

// luaMaxCStack is LUAI_MAXCSTACK: lua_checkstack refuses to grow a C
// function's frame past it, which bounds what unpack returns and nests.
const luaMaxCStack = 8000

type msgpackDecoder struct {
	L     *lua.LState
	data  string
	pos   int
	slots int // the C frame's stack use: top - base
	err   int // 0, errEOF, errBadFmt
}

const (
	errEOF = 1 + iota
	errBadFmt
)

func (d *msgpackDecoder) need(n int) bool {
	if len(d.data)-d.pos < n {
		d.err = errEOF
		return false
	}
	return true
}

func (d *msgpackDecoder) checkStack(msg string) {
	if d.slots+1 > luaMaxCStack {
		raise(d.L, "stack overflow (%s)", msg)
	}
}

func (d *msgpackDecoder) u16(i int) int { return int(binary.BigEndian.Uint16([]byte(d.data[i : i+2]))) }
func (d *msgpackDecoder) u32(i int) uint32 {
	return binary.BigEndian.Uint32([]byte(d.data[i : i+4]))
}
func (d *msgpackDecoder) u64(i int) uint64 {
	return binary.BigEndian.Uint64([]byte(d.data[i : i+8]))
}

// value decodes one object; on a truncated or bad input it sets d.err
// and returns what it had (nil or a partly filled table).
func (d *msgpackDecoder) value() lua.LValue {
	if !d.need(1) {
		return lua.LNil
	}
	d.checkStack("too many return values at once; use unpack_one or unpack_limit instead.")
	c := d.data[d.pos]
	p := d.pos
	fixed := func(n int, v func() lua.LValue) lua.LValue {
		if !d.need(n) {
			return lua.LNil
		}
		r := v()
		d.pos += n
		return r
	}
	str := func(hdr, n int) lua.LValue {
		if !d.need(hdr + n) {
			return lua.LNil
		}
		s := d.data[d.pos+hdr : d.pos+hdr+n]
		d.pos += hdr + n
		return lua.LString(s)
	}
	switch c {
	case 0xcc:
		return fixed(2, func() lua.LValue { return lua.LNumber(d.data[p+1]) })
	case 0xd0:
		return fixed(2, func() lua.LValue { return lua.LNumber(int8(d.data[p+1])) })
	case 0xcd:
		return fixed(3, func() lua.LValue { return lua.LNumber(d.u16(p + 1)) })
	case 0xd1:
		return fixed(3, func() lua.LValue { return lua.LNumber(int16(d.u16(p + 1))) })
	case 0xce:
		return fixed(5, func() lua.LValue { return lua.LNumber(d.u32(p + 1)) })
	case 0xd2:
		return fixed(5, func() lua.LValue { return lua.LNumber(int32(d.u32(p + 1))) })
	case 0xcf: // pushed through lua_pushinteger: 2^63 and up turn negative
		return fixed(9, func() lua.LValue { return lua.LNumber(float64(int64(d.u64(p + 1)))) })
	case 0xd3:
		return fixed(9, func() lua.LValue { return lua.LNumber(float64(int64(d.u64(p + 1)))) })
	case 0xc0:
		d.pos++
		return lua.LNil
	case 0xc3:
		d.pos++
		return lua.LTrue
	case 0xc2:
		d.pos++
		return lua.LFalse
	case 0xca:
		return fixed(5, func() lua.LValue { return lua.LNumber(math.Float32frombits(d.u32(p + 1))) })
	case 0xcb:
		return fixed(9, func() lua.LValue { return lua.LNumber(math.Float64frombits(d.u64(p + 1))) })
	case 0xd9:
		if !d.need(2) {
			return lua.LNil
		}
		return str(2, int(d.data[p+1]))
	case 0xda:
		if !d.need(3) {
			return lua.LNil
		}
		return str(3, d.u16(p+1))
	case 0xdb:
		if !d.need(5) {
			return lua.LNil
		}
		n := d.u32(p + 1)
		if uint64(n) > uint64(len(d.data)-d.pos-5) {
			d.pos += 5
			d.err = errEOF
			return lua.LNil
		}
		return str(5, int(n))
	case 0xdc, 0xde:
		if !d.need(3) {
			return lua.LNil
		}
		d.pos += 3
		return d.container(c == 0xdc, uint64(d.u16(p+1)))
	case 0xdd, 0xdf:
		if !d.need(5) {
			return lua.LNil
		}
		d.pos += 5
		return d.container(c == 0xdd, uint64(d.u32(p+1)))
	}
	switch {
	case c&0x80 == 0:
		d.pos++
		return lua.LNumber(c)
	case c&0xe0 == 0xe0:
		d.pos++
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return str(1, int(c&0x1f))
	case c&0xf0 == 0x90:
		d.pos++
		return d.container(true, uint64(c&0xf))
	case c&0xf0 == 0x80:
		d.pos++
		return d.container(false, uint64(c&0xf))
	}
	d.err = errBadFmt
	return lua.LNil
}

func (d *msgpackDecoder) container(array bool, n uint64) lua.LValue {
	// Size the table for what the input can hold, not what it claims
	// (L.NewTable would preallocate 32 hash slots for every table).
	hint := int(min(n, uint64(len(d.data)-d.pos)))
	var t *lua.LTable
	if array {
		t = d.L.CreateTable(hint, 0)
	} else {
		t = d.L.CreateTable(0, 0)
	}
	markBuilt(t)
	d.slots++ // the table
	defer func() { d.slots-- }()
	if array {
		d.checkStack("in function mp_decode_to_lua_array")
		for i := 1; uint64(i) <= n; i++ {
			d.slots++ // the index
			v := d.value()
			d.slots--
			if d.err != 0 {
				return t
			}
			t.RawSetInt(i, v)
		}
		return t
	}
	for ; n > 0; n-- {
		k := d.value()
		if d.err != 0 {
			return t
		}
		d.slots++
		v := d.value()
		d.slots--
		if d.err != 0 {
			return t
		}
		switch kn := k.(type) {
		case *lua.LNilType:
			raise0(d.L, "table index is nil")
		case lua.LNumber:
			if kn != kn {
				raise0(d.L, "table index is NaN")
			}
		}
		t.RawSet(k, v)
	}
	return t
}

// raise0 is luaG_runerror from inside a C function: no position.
func raise0(L *lua.LState, msg string) {
	L.Error(lua.LString(msg), 0)
}

func msgpackUnpack(L *lua.LState, limit, offset int64) int {
	s := checkString(L, 1)
	decodeAll := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		// The C code prints the input length where it says limit, and
		// lua_pushfstring's %d reads an int of each 64-bit argument.
		raise(L, "Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(len(s)))
	} else if offset > int64(len(s)) {
		raise(L, "Start offset %d greater than input length %d.", int32(offset), int32(len(s)))
	}
	if decodeAll {
		limit = math.MaxInt32
	}
	d := msgpackDecoder{L: L, data: s, pos: int(offset), slots: 1}
	var res []lua.LValue
	for cnt := int64(0); d.pos < len(s) && cnt < limit; cnt++ {
		v := d.value()
		switch d.err {
		case errEOF:
			raise(L, "Missing bytes in input.")
		case errBadFmt:
			raise(L, "Bad data format in input.")
		}
		res = append(res, v)
		d.slots++
	}
	if !decodeAll {
		next := int32(len(s) - (len(s) - d.pos))
		if d.pos == len(s) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range res {
		L.Push(v)
	}
	if decodeAll {
		return len(res)
	}
	return len(res) + 1
}
