package lualib

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// OpenBit registers the global table bit (LuaBitOp 1.0.2) as Redis 7.0
// does: 32-bit operations on Lua numbers, results as signed 32-bit.
func OpenBit(L *lua.LState) {
	setGlobalTable(L, "bit", map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return bret(L, barg(L, 1)) },
		"bnot":    func(L *lua.LState) int { return bret(L, ^barg(L, 1)) },
		"band":    bitOp(func(a, b uint32) uint32 { return a & b }),
		"bor":     bitOp(func(a, b uint32) uint32 { return a | b }),
		"bxor":    bitOp(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  bitShift(func(b, n uint32) uint32 { return b << n }),
		"rshift":  bitShift(func(b, n uint32) uint32 { return b >> n }),
		"arshift": bitShift(func(b, n uint32) uint32 { return uint32(int32(b) >> n) }),
		"rol":     bitShift(func(b, n uint32) uint32 { return b<<n | b>>(32-n) }),
		"ror":     bitShift(func(b, n uint32) uint32 { return b<<(32-n) | b>>n }),
		"bswap": func(L *lua.LState) int {
			b := barg(L, 1)
			return bret(L, b>>24|(b>>8)&0xff00|(b&0xff00)<<8|b<<24)
		},
		"tohex": bitToHex,
	})
}

// barg converts argument idx as LuaBitOp does: add 2^52+2^51 and keep
// the low 32 bits of the double, which rounds to nearest-even and wraps
// modulo 2^32. A non-number (that does not read as one) is an error.
func barg(L *lua.LState, idx int) uint32 {
	n, ok := toNumber(L.Get(idx))
	if idx > L.GetTop() {
		ok = false
	}
	b := uint32(math.Float64bits(n + 6755399441055744.0))
	if b == 0 && !ok {
		typeError(L, idx, "number")
	}
	return b
}

func bret(L *lua.LState, b uint32) int {
	L.Push(lua.LNumber(int32(b)))
	return 1
}

func bitOp(op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := barg(L, 1)
		for i := L.GetTop(); i > 1; i-- {
			b = op(b, barg(L, i))
		}
		return bret(L, b)
	}
}

func bitShift(op func(b, n uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := barg(L, 1)
		n := barg(L, 2) & 31
		return bret(L, op(b, n))
	}
}

func bitToHex(L *lua.LState) int {
	b := barg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(barg(L, 2))
	}
	digits := "0123456789abcdef"
	if n == math.MinInt32 { // Redis's fix: -n would overflow
		n = math.MinInt32 + 1
	}
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	if n > 8 {
		n = 8
	}
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[b&15]
		b >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
