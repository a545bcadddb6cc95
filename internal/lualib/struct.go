package lualib

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// OpenStruct registers the global table struct (Roberto Ierusalimschy's
// struct library 0.2 as vendored by Redis: pack, unpack, size), on the
// x86-64 ABI Redis is built for: little-endian native order, long and
// size_t of 8 bytes, int of 4, alignment up to 8.
func OpenStruct(L *lua.LState) {
	setGlobalTable(L, "struct", map[string]lua.LGFunction{
		"pack":   structPack,
		"unpack": structUnpack,
		"size":   structSize,
	})
}

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
	bigEndian        = 0
	littleEndian     = 1
)

type structHeader struct {
	endian int
	align  int
}

// structFormat walks a format string as the C code's pointer does.
type structFormat struct {
	s string
	i int
}

func (f *structFormat) more() bool { return f.i < len(f.s) && f.s[f.i] != 0 }

// getnum reads an optional decimal count.
func (f *structFormat) getnum(L *lua.LState, df int) int {
	if f.i >= len(f.s) || !isDigit(f.s[f.i]) {
		return df
	}
	a := 0
	for f.i < len(f.s) && isDigit(f.s[f.i]) {
		d := int(f.s[f.i] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			raise(L, "integral size overflow")
		}
		a = a*10 + d
		f.i++
	}
	return a
}

func (f *structFormat) optsize(L *lua.LState, opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return f.getnum(L, 1)
	case 'i', 'I':
		sz := f.getnum(L, 4)
		if sz > structMaxIntSize {
			raise(L, "integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func gettoalign(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func (f *structFormat) controloptions(L *lua.LState, opt byte, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.endian = bigEndian
	case '<':
		h.endian = littleEndian
	case '!':
		a := f.getnum(L, structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			raise(L, "alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		argError(L, 1, "invalid format option '"+string(opt)+"'")
	}
}

// toUint64 is the C conversion of putinteger: through long for negative
// numbers, straight to unsigned long otherwise (x86-64 semantics).
func toUint64(n float64) uint64 {
	if n < 0 {
		return uint64(dtoi(n))
	}
	switch {
	case n != n:
		return 1 << 63
	case n < 9.223372036854775808e18:
		return uint64(int64(n))
	case n < 1.8446744073709551616e19:
		return uint64(int64(n-9.223372036854775808e18)) ^ 1<<63
	}
	return 0
}

func structPack(L *lua.LState) int {
	f := structFormat{s: checkString(L, 1)}
	h := structHeader{endian: littleEndian, align: 1}
	arg := 2
	// The C code pushes a nil mark after the arguments, so the first
	// missing one is reported as nil, not "no value".
	L.Push(lua.LNil)
	var b []byte
	for f.more() {
		opt := f.s[f.i]
		f.i++
		size := f.optsize(L, opt)
		for toalign := gettoalign(len(b), &h, opt, size); toalign > 0; toalign-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			v := toUint64(checkNumber(L, arg))
			arg++
			buf := make([]byte, size)
			for i := 0; i < size; i++ {
				j := i
				if h.endian == bigEndian {
					j = size - 1 - i
				}
				buf[j] = byte(v)
				v >>= 8
			}
			b = append(b, buf...)
		case 'x':
			b = append(b, 0)
		case 'f':
			bits := math.Float32bits(float32(checkNumber(L, arg)))
			arg++
			if h.endian == bigEndian {
				b = binary.BigEndian.AppendUint32(b, bits)
			} else {
				b = binary.LittleEndian.AppendUint32(b, bits)
			}
		case 'd':
			bits := math.Float64bits(checkNumber(L, arg))
			arg++
			if h.endian == bigEndian {
				b = binary.BigEndian.AppendUint64(b, bits)
			} else {
				b = binary.LittleEndian.AppendUint64(b, bits)
			}
		case 'c', 's':
			s := checkString(L, arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				argError(L, arg, "string too short") // arg already moved on, as in C
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
			}
		default:
			f.controloptions(L, opt, &h)
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func getinteger(data string, endian int, signed bool, size int) float64 {
	var l uint64
	for i := 0; i < size; i++ {
		j := size - 1 - i
		if endian == bigEndian {
			j = i
		}
		l = l<<8 | uint64(data[j])
	}
	if !signed {
		return float64(l)
	}
	mask := ^uint64(0) << (uint(size*8-1) & 63) // x86 masks the shift count
	if l&mask != 0 {
		l |= mask
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := structFormat{s: checkString(L, 1)}
	data := checkString(L, 2)
	ld := uint64(len(data))
	start := int64(1)
	if v := L.Get(3); L.GetTop() >= 3 && v != lua.LNil {
		start = checkInteger(L, 3)
	}
	// Redis's fix checks the offset as unsigned: 0 is refused, negative
	// ones wrap and fail the length check below.
	if start == 0 {
		argError(L, 3, "offset must be 1 or greater")
	}
	pos := uint64(start) - 1
	h := structHeader{endian: littleEndian, align: 1}
	var res []lua.LValue
	for f.more() {
		opt := f.s[f.i]
		f.i++
		size := uint64(f.optsize(L, opt))
		pos += uint64(gettoalign(int(pos), &h, opt, int(size)))
		if size > ld || pos > ld-size {
			argError(L, 2, "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a'
			res = append(res, lua.LNumber(getinteger(data[pos:pos+size], h.endian, signed, int(size))))
		case 'x':
		case 'f':
			bits := binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			if h.endian == bigEndian {
				bits = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			}
			res = append(res, lua.LNumber(math.Float32frombits(bits)))
		case 'd':
			bits := binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			if h.endian == bigEndian {
				bits = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			}
			res = append(res, lua.LNumber(math.Float64frombits(bits)))
		case 'c':
			if size == 0 {
				var n float64
				ok := false
				if len(res) > 0 {
					n, ok = toNumber(res[len(res)-1])
				}
				if !ok {
					raise(L, "format 'c0' needs a previous size")
				}
				size = toUint64(n)
				res = res[:len(res)-1]
				if size > ld || pos > ld-size {
					argError(L, 2, "data string too short")
				}
			}
			res = append(res, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				raise(L, "unfinished string in data")
			}
			size = uint64(e) + 1
			res = append(res, lua.LString(data[pos:pos+uint64(e)]))
		default:
			f.controloptions(L, opt, &h)
		}
		pos += size
	}
	for _, v := range res {
		L.Push(v)
	}
	L.Push(lua.LNumber(float64(pos + 1)))
	return len(res) + 1
}

func structSize(L *lua.LState) int {
	f := structFormat{s: checkString(L, 1)}
	h := structHeader{endian: littleEndian, align: 1}
	pos := 0
	for f.more() {
		opt := f.s[f.i]
		f.i++
		size := f.optsize(L, opt)
		pos += gettoalign(pos, &h, opt, size)
		if opt == 's' {
			argError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.controloptions(L, opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}
