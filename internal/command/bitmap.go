package command

import (
	"math"
	"math/bits"

	"github.com/smallredis/smallredis/internal/store"
)

// bitmapCommands treat strings as bit arrays. Bit 0 is the most
// significant bit of the first byte, as in Redis. Writes past the end
// grow the string with zero bytes.
var bitmapCommands = []*Spec{
	{Name: "setbit", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclBitmapWriteSlow, Handler: setbit},
	{Name: "getbit", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclBitmapReadFast, Handler: getbit},
	{Name: "bitcount", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclBitmapReadSlow, Handler: bitcount},
	{Name: "bitpos", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclBitmapReadSlow, Handler: bitpos},
	{Name: "bitop", Arity: -4, Flags: Write | DenyOOM, FirstKey: 2, LastKey: -1, Step: 1, ACL: aclBitmapWriteSlow, Handler: bitop},
	{Name: "bitfield", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclBitmapWriteSlow, Handler: bitfield},
	{Name: "bitfield_ro", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclBitmapReadFast, Handler: bitfieldRO},
}

var (
	aclBitmapReadFast  = []string{"read", "bitmap", "fast"}
	aclBitmapReadSlow  = []string{"read", "bitmap", "slow"}
	aclBitmapWriteSlow = []string{"write", "bitmap", "slow"}
)

// parseBitOffset parses a bit offset as Redis's getBitOffsetFromArgument:
// a non-negative integer whose byte lies within proto-max-bulk-len (and,
// unlike Redis, within the memory a string can have: see
// checkStringLength). With width > 0 (BITFIELD), "#N" means N*width.
func parseBitOffset(ctx *Ctx, arg []byte, width int) (uint64, bool) {
	hash := width > 0 && len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	off, ok := parseInt(arg)
	if hash {
		off *= int64(width) // wraps like Redis's C arithmetic
	}
	if !ok || off < 0 || off>>3 >= min(ctx.S.Cfg.ProtoMaxBulkLen(), memCeiling()) {
		ctx.Err(ErrBitOffset)
		return 0, false
	}
	return uint64(off), true
}

// setbit: SETBIT key offset value
func setbit(ctx *Ctx) {
	off, ok := parseBitOffset(ctx, ctx.Args[2], 0)
	if !ok {
		return
	}
	on, ok := parseInt(ctx.Args[3])
	if !ok || on&^1 != 0 {
		ctx.Err(ErrBitValue)
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if e.Exists() && e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		if cur := e.Str(); off>>3 < uint64(len(cur)) && getBit(cur, off) == byte(on) {
			// Redis 7.0 does not count an unchanged bit as a change (no
			// dirty, no notification), though the string turns raw.
			e.MarkRaw()
			ctx.W.Int(on)
			return
		}
		v := e.MutableStr(int(off>>3) + 1)
		prev := int64(getBit(v, off))
		mask := byte(0x80) >> (off & 7)
		v[off>>3] = v[off>>3]&^mask | byte(on)<<(7-off&7)
		ctx.Notify(EvString, "setbit", ctx.Args[1])
		ctx.W.Int(prev)
	})
}

// getbit: GETBIT key offset
func getbit(ctx *Ctx) {
	off, ok := parseBitOffset(ctx, ctx.Args[2], 0)
	if !ok {
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.MissKey(e)
			ctx.W.Int(0)
			return
		}
		ctx.Hit()
		if e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		ctx.W.Int(int64(getBit(e.Str(), off)))
	})
}

// getBit reads bit off of s; bits past the end are 0.
func getBit(s []byte, off uint64) byte {
	if off>>3 >= uint64(len(s)) {
		return 0
	}
	return s[off>>3] >> (7 - off&7) & 1
}

// bitRange resolves BITCOUNT/BITPOS start and end (already parsed) over a
// string of n bytes, in bytes or, with isBit, in bits. It returns byte
// indexes plus masks of the bits of the first and last byte that lie
// outside the range, as Redis computes them; start > end means empty.
func bitRange(n, start, end int64, isBit bool) (s, e int64, firstOut, lastOut byte) {
	total := n
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isBit && start <= end {
		firstOut = ^byte(0xff >> (start & 7))
		lastOut = byte(1<<(7-end&7)) - 1
		start >>= 3
		end >>= 3
	}
	return start, end, firstOut, lastOut
}

// bitcount: BITCOUNT key [start end [BYTE | BIT]]
func bitcount(ctx *Ctx) {
	args := ctx.Args
	ctx.View(args[1], func(e *store.Entry) {
		// Redis 7.0 looks the key up before parsing the range, so a
		// missing key answers 0 whatever the arguments.
		if !e.Exists() {
			ctx.MissKey(e)
			ctx.W.Int(0)
			return
		}
		ctx.Hit()
		if e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		s := e.Str()
		var start, end int64
		var firstOut, lastOut byte
		switch len(args) {
		case 2:
			start, end = 0, int64(len(s))-1
		case 4, 5:
			var ok bool
			if start, ok = parseInt(args[2]); !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if end, ok = parseInt(args[3]); !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if start < 0 && end < 0 && start > end {
				ctx.W.Int(0)
				return
			}
			isBit := false
			if len(args) == 5 {
				if isBit, ok = parseBitUnit(args[4]); !ok {
					ctx.Err(ErrSyntax)
					return
				}
			}
			start, end, firstOut, lastOut = bitRange(int64(len(s)), start, end, isBit)
		default:
			ctx.Err(ErrSyntax)
			return
		}
		if start > end {
			ctx.W.Int(0)
			return
		}
		n := popcount(s[start : end+1])
		n -= int64(bits.OnesCount8(s[start]&firstOut) + bits.OnesCount8(s[end]&lastOut))
		ctx.W.Int(n)
	})
}

// parseBitUnit parses BIT|BYTE, reporting whether it is BIT.
func parseBitUnit(b []byte) (isBit, ok bool) {
	switch {
	case eqFold(b, "bit"):
		return true, true
	case eqFold(b, "byte"):
		return false, true
	}
	return false, false
}

func popcount(s []byte) int64 {
	n := 0
	for len(s) >= 8 {
		n += bits.OnesCount64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
		s = s[8:]
	}
	for _, c := range s {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// firstBit is Redis's redisBitpos: the position of the first bit equal to
// bit in s. Not finding a 1 gives -1; not finding a 0 gives len(s)*8, the
// first bit past the end, since strings are zero-padded on the right.
func firstBit(s []byte, bit int64) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i, c := range s {
		if c != skip {
			if bit == 0 {
				c = ^c
			}
			return int64(i)*8 + int64(bits.LeadingZeros8(c))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(s)) * 8
}

// bitpos: BITPOS key bit [start [end [BYTE | BIT]]]
func bitpos(ctx *Ctx) {
	args := ctx.Args
	bit, ok := parseInt(args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		ctx.Err(ErrBitArg)
		return
	}
	ctx.View(args[1], func(e *store.Entry) {
		// A missing key is an infinite run of zeros.
		if !e.Exists() {
			ctx.MissKey(e)
			if bit == 1 {
				ctx.W.Int(-1)
			} else {
				ctx.W.Int(0)
			}
			return
		}
		ctx.Hit()
		if e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		s := e.Str()
		var start, end int64
		var firstOut, lastOut byte
		endGiven := false
		switch len(args) {
		case 3:
			start, end = 0, int64(len(s))-1
		case 4, 5, 6:
			var ok bool
			if start, ok = parseInt(args[3]); !ok {
				ctx.Err(ErrNotInt)
				return
			}
			isBit := false
			if len(args) == 6 {
				if isBit, ok = parseBitUnit(args[5]); !ok {
					ctx.Err(ErrSyntax)
					return
				}
			}
			if len(args) >= 5 {
				if end, ok = parseInt(args[4]); !ok {
					ctx.Err(ErrNotInt)
					return
				}
				endGiven = true
			} else {
				end = int64(len(s)) - 1
			}
			start, end, firstOut, lastOut = bitRange(int64(len(s)), start, end, isBit)
		default:
			ctx.Err(ErrSyntax)
			return
		}
		if start > end {
			ctx.W.Int(-1)
			return
		}
		ctx.W.Int(bitposIn(s, bit, start, end, firstOut, lastOut, endGiven))
	})
}

// bitposIn searches bytes start..end of s, ignoring the bits masked by
// firstOut/lastOut, following Redis's bitposCommand step by step so the
// edge cases (a clear bit "found" just past an explicit end) agree.
func bitposIn(s []byte, bit, start, end int64, firstOut, lastOut byte, endGiven bool) int64 {
	n := end - start + 1
	var pos int64
	masked := func(c, out byte) byte {
		if bit == 1 {
			return c &^ out
		}
		return c | out
	}
	done := false
	if firstOut != 0 {
		c := masked(s[start], firstOut)
		if lastOut != 0 && n == 1 {
			c = masked(c, lastOut)
		}
		pos = firstBit([]byte{c}, bit)
		if n == 1 || (pos != -1 && pos != 8) {
			done = true
		} else {
			start++
			n--
		}
	}
	if !done {
		cur := n
		if lastOut != 0 {
			cur--
		}
		if cur > 0 {
			pos = firstBit(s[start:start+cur], bit)
			if n == cur || (pos != -1 && pos != cur<<3) {
				done = true
			} else {
				start += cur
				n -= cur
			}
		}
	}
	if !done {
		pos = firstBit([]byte{masked(s[end], lastOut)}, bit)
	}
	// An explicit end means the bits after it are not zero padding: a
	// clear bit "found" just past the range does not count.
	if endGiven && bit == 0 && pos == n<<3 {
		return -1
	}
	if pos != -1 {
		pos += start << 3
	}
	return pos
}

// bitop: BITOP <AND | OR | XOR | NOT> destkey key [key ...]
func bitop(ctx *Ctx) {
	op := ctx.Args[1]
	switch {
	case eqFold(op, "and"), eqFold(op, "or"), eqFold(op, "xor"):
	case eqFold(op, "not"):
		if len(ctx.Args) != 4 {
			ctx.Err(ErrBitopNot)
			return
		}
	default:
		ctx.Err(ErrSyntax)
		return
	}
	opc := op[0] | 0x20 // a, o, x or n
	// Sources and destination in one atomic step; a source may be the
	// destination too, so all sources are read before the write.
	keys := ctx.Args[2:]
	ctx.MultiTouch(keys, func(es []*store.Entry) {
		srcs := es[1:]
		vals := make([][]byte, len(srcs))
		maxLen := 0
		for i, e := range srcs {
			if !e.Exists() {
				ctx.MissKey(e)
				continue
			}
			ctx.Hit()
			if e.Type() != store.TypeString {
				ctx.Err(ErrWrongType)
				return
			}
			vals[i] = e.Str()
			maxLen = max(maxLen, len(vals[i]))
		}
		dst := es[0]
		if maxLen == 0 {
			if dst.Exists() {
				dst.Delete()
				ctx.Notify(EvGeneric, "del", keys[0])
			}
			ctx.W.Int(0)
			return
		}
		res := make([]byte, maxLen)
		copy(res, vals[0])
		for _, v := range vals[1:] {
			for j := range res {
				var c byte
				if j < len(v) {
					c = v[j]
				}
				switch opc {
				case 'a':
					res[j] &= c
				case 'o':
					res[j] |= c
				case 'x':
					res[j] ^= c
				}
			}
		}
		if opc == 'n' {
			for j := range res {
				res[j] = ^res[j]
			}
		}
		dst.SetStr(res)
		dst.MarkRaw() // Redis builds the result as a raw string
		dst.SetExpireAt(0)
		ctx.Notify(EvString, "set", keys[0])
		ctx.W.Int(int64(maxLen))
	})
}

// Overflow behaviours of BITFIELD INCRBY and SET.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD command.
type bitfieldOp struct {
	op       byte // 'g', 's' or 'i'
	signed   bool
	width    int
	offset   uint64
	value    int64 // SET value or INCRBY increment
	overflow int
}

// bitfield: BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT |
// FAIL>] <SET encoding offset value | INCRBY encoding offset increment>
// [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding
// offset value | INCRBY encoding offset increment> ...]]
func bitfield(ctx *Ctx) { bitfieldGeneric(ctx, false) }

// bitfieldRO: BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
func bitfieldRO(ctx *Ctx) { bitfieldGeneric(ctx, true) }

func bitfieldGeneric(ctx *Ctx, readOnly bool) {
	ops, highest, writes, ok := parseBitfield(ctx)
	if !ok {
		return
	}
	if !writes {
		ctx.View(ctx.Args[1], func(e *store.Entry) {
			var s []byte
			if e.Exists() {
				ctx.Hit()
				if e.Type() != store.TypeString {
					ctx.Err(ErrWrongType)
					return
				}
				s = e.Str()
			} else {
				ctx.MissKey(e)
			}
			runBitfield(ctx, ops, s, false)
		})
		return
	}
	if readOnly {
		ctx.Err(ErrBitfieldRO)
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if e.Exists() && e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		// Like Redis, grow (or create) the string to the farthest bit
		// written before running the operations, even if they then fail.
		n := int(highest>>3) + 1
		grew := !e.Exists() || len(e.Str()) < n
		if runBitfield(ctx, ops, e.MutableStr(n), grew) > 0 {
			ctx.Notify(EvString, "setbit", ctx.Args[1])
		} else if !grew {
			e.Unchanged()
		}
	})
}

// parseBitfield parses all sub-operations before anything runs, replying
// with the first error as Redis does. highest is the last bit any SET or
// INCRBY touches; writes says whether there is one.
func parseBitfield(ctx *Ctx) (ops []bitfieldOp, highest uint64, writes, ok bool) {
	overflow := bfWrap
	args := ctx.Args
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := args[j]
		var op byte
		switch {
		case eqFold(sub, "get") && rem >= 2:
			op = 'g'
		case eqFold(sub, "set") && rem >= 3:
			op = 's'
		case eqFold(sub, "incrby") && rem >= 3:
			op = 'i'
		case eqFold(sub, "overflow") && rem >= 1:
			j++
			switch {
			case eqFold(args[j], "wrap"):
				overflow = bfWrap
			case eqFold(args[j], "sat"):
				overflow = bfSat
			case eqFold(args[j], "fail"):
				overflow = bfFail
			default:
				ctx.Err(ErrBitfieldOvf)
				return nil, 0, false, false
			}
			continue
		default:
			ctx.Err(ErrSyntax)
			return nil, 0, false, false
		}
		signed, width, tok := parseBitfieldType(args[j+1])
		if !tok {
			ctx.Err(ErrBitfieldType)
			return nil, 0, false, false
		}
		off, ook := parseBitOffset(ctx, args[j+2], width)
		if !ook {
			return nil, 0, false, false
		}
		o := bitfieldOp{op: op, signed: signed, width: width, offset: off, overflow: overflow}
		if op != 'g' {
			writes = true
			highest = max(highest, off+uint64(width)-1)
			v, vok := parseInt(args[j+3])
			if !vok {
				ctx.Err(ErrNotInt)
				return nil, 0, false, false
			}
			o.value = v
			j++
		}
		ops = append(ops, o)
		j += 2
	}
	return ops, highest, writes, true
}

// parseBitfieldType parses i1..i64 or u1..u63 (u64 cannot be replied as
// a RESP integer). The prefix is case-sensitive, as in Redis.
func parseBitfieldType(b []byte) (signed bool, width int, ok bool) {
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	signed = b[0] == 'i'
	n, ok := parseInt(b[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

// runBitfield executes ops on s in order and writes the reply array. For
// writes s is already long enough; GETs read past its end as zeros.
// changes counts the writes that changed a value, or all of them when the
// string grew for them (Redis's rule, for the notification and dirty).
func runBitfield(ctx *Ctx, ops []bitfieldOp, s []byte, grew bool) (changes int) {
	ctx.W.Array(len(ops))
	for _, o := range ops {
		old := getBitfield(s, o.offset, o.width)
		if o.op == 'g' {
			if o.signed {
				ctx.W.Int(signExtend(old, o.width))
			} else {
				ctx.W.Int(int64(old))
			}
			continue
		}
		var nv, ret uint64
		var overflowed bool
		if o.signed {
			oldv := signExtend(old, o.width)
			var v int64
			if o.op == 'i' {
				v, overflowed = signedOverflow(oldv, o.value, o.width, o.overflow)
				ret = uint64(v)
			} else {
				v, overflowed = signedOverflow(o.value, 0, o.width, o.overflow)
				ret = uint64(oldv)
			}
			nv = uint64(v)
		} else {
			if o.op == 'i' {
				nv, overflowed = unsignedOverflow(old, o.value, o.width, o.overflow)
				ret = nv
			} else {
				nv, overflowed = unsignedOverflow(uint64(o.value), 0, o.width, o.overflow)
				ret = old
			}
		}
		if overflowed && o.overflow == bfFail {
			ctx.W.Null()
			continue
		}
		ctx.W.Int(int64(ret))
		setBitfield(s, o.offset, o.width, nv)
		if grew || nv&(1<<o.width-1) != old {
			changes++
		}
	}
	return changes
}

// getBitfield reads width bits at offset as an unsigned number; bits past
// the end of s read as zero.
func getBitfield(s []byte, offset uint64, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		v = v<<1 | uint64(getBit(s, offset+uint64(i)))
	}
	return v
}

// setBitfield writes the low width bits of v at offset; s must be long
// enough.
func setBitfield(s []byte, offset uint64, width int, v uint64) {
	for i := 0; i < width; i++ {
		bit := byte(v>>(width-1-i)) & 1
		off := offset + uint64(i)
		mask := byte(0x80) >> (off & 7)
		s[off>>3] = s[off>>3]&^mask | bit<<(7-off&7)
	}
}

func signExtend(v uint64, width int) int64 {
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: value+incr
// within width bits, wrapped or saturated per mode, and whether it
// overflowed.
func unsignedOverflow(value uint64, incr int64, width, mode int) (uint64, bool) {
	maxv := uint64(1)<<width - 1
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	if value > maxv || (incr > 0 && incr > maxIncr) {
		if mode == bfSat {
			return maxv, true
		}
		return (value + uint64(incr)) & maxv, true
	}
	if incr < 0 && incr < minIncr {
		if mode == bfSat {
			return 0, true
		}
		return (value + uint64(incr)) & maxv, true
	}
	return value + uint64(incr), false
}

// signedOverflow is Redis's checkSignedBitfieldOverflow.
func signedOverflow(value, incr int64, width, mode int) (int64, bool) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if c&(1<<(width-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > maxv || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr) {
		if mode == bfSat {
			return maxv, true
		}
		return wrap(), true
	}
	if value < minv || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr) {
		if mode == bfSat {
			return minv, true
		}
		return wrap(), true
	}
	return value + incr, false
}
