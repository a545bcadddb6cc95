// Package hll is Redis's HyperLogLog in Redis's own byte layout, so a value
// built here is byte for byte the string Redis stores and either server can
// count the other's keys.
//
// A value is a 16-byte header ("HYLL", encoding, 3 unused bytes, the cached
// cardinality as 8 little-endian bytes whose top bit means "stale") followed
// by 16384 registers, either dense (6 bits each, least significant bits
// first, 12288 bytes) or sparse (run-length opcodes: ZERO 00xxxxxx, XZERO
// 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). Elements are hashed with MurmurHash64A
// and counted with the estimator of Otmar Ertl ("New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284) as Redis 7 does.
//
// The package knows nothing of RESP or the keyspace: it works on byte
// slices. Corrupt values are reported (ErrCorrupt), never trusted.
package hll

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

const (
	p         = 14
	Registers = 1 << p // number of registers
	q         = 64 - p // hash bits left after the register index
	regMax    = 63     // largest value a 6-bit register holds

	// HdrSize is the header length; DenseSize the length of a dense value.
	HdrSize   = 16
	DenseSize = HdrSize + (Registers*6+7)/8

	encDense  = 0
	encSparse = 1

	seed = 0xadc83b19

	valMaxValue = 32
	valMaxLen   = 4
	zeroMaxLen  = 64
	xzeroMaxLen = 16384

	alphaInf = 0.721347520444481703680 // 0.5/ln(2)
)

// ErrCorrupt is a value whose sparse opcodes do not describe exactly
// Registers registers.
var ErrCorrupt = errors.New("hll: corrupted HLL object")

// Valid reports whether b looks like an HLL as Redis's isHLLObjectOrReply
// checks it: the magic, a known encoding, and the exact dense length. A
// sparse body is only checked when it is used.
func Valid(b []byte) bool {
	if len(b) < HdrSize || string(b[:4]) != "HYLL" || b[4] > encSparse {
		return false
	}
	return b[4] != encDense || len(b) == DenseSize
}

// IsDense reports whether a valid value uses the dense encoding.
func IsDense(b []byte) bool { return b[4] == encDense }

// New returns an empty HLL: sparse, one XZERO covering every register.
func New() []byte {
	b := make([]byte, HdrSize+2, HdrSize+16)
	copy(b, "HYLL")
	b[4] = encSparse
	setXZero(b[HdrSize:], Registers)
	return b
}

// Cached returns the cardinality stored in the header, if still valid.
func Cached(b []byte) (uint64, bool) {
	if b[15]&0x80 != 0 {
		return 0, false
	}
	var c uint64
	for i := 7; i >= 0; i-- {
		c = c<<8 | uint64(b[8+i])
	}
	return c, true
}

// SetCached stores card in the header as valid.
func SetCached(b []byte, card uint64) {
	for i := range 8 {
		b[8+i] = byte(card >> (8 * i))
	}
}

// Invalidate marks the cached cardinality stale.
func Invalidate(b []byte) { b[15] |= 0x80 }

// MurmurHash64A is the 64-bit MurmurHash2 Redis hashes elements with.
func MurmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := uint64(key[0]) | uint64(key[1])<<8 | uint64(key[2])<<16 | uint64(key[3])<<24 |
			uint64(key[4])<<32 | uint64(key[5])<<40 | uint64(key[6])<<48 | uint64(key[7])<<56
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// patLen hashes ele into its register index and the length of its
// "000…1" pattern (1 … q+1).
func patLen(ele []byte) (index int, count uint8) {
	h := MurmurHash64A(ele, seed)
	index = int(h & (Registers - 1))
	h >>= p
	h |= 1 << q // the loop ends by bit q at the latest
	count = 1
	for bit := uint64(1); h&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// getReg reads dense register i of regs (the bytes after the header).
func getReg(regs []byte, i int) uint8 {
	byt, fb := i*6/8, uint(i*6&7)
	v := regs[byt] >> fb
	if fb > 2 {
		v |= regs[byt+1] << (8 - fb)
	}
	return v & regMax
}

// setReg writes dense register i of regs.
func setReg(regs []byte, i int, v uint8) {
	byt, fb := i*6/8, uint(i*6&7)
	regs[byt] = regs[byt]&^(regMax<<fb) | v<<fb
	if fb > 2 {
		regs[byt+1] = regs[byt+1]&^(regMax>>(8-fb)) | v>>(8-fb)
	}
}

// denseSet raises register index to count; it reports whether it changed.
func denseSet(regs []byte, index int, count uint8) bool {
	if count > getReg(regs, index) {
		setReg(regs, index, count)
		return true
	}
	return false
}

// Add adds ele to the valid HLL b, promoting a sparse value to dense once
// it would pass maxSparse bytes or a register passes 32. A dense b is
// changed in place; a sparse one is grown by append, so it must not share
// its backing array with anything the caller needs unchanged. It returns
// the value (possibly reallocated) and whether a register changed. A
// corrupt sparse value gives ErrCorrupt and is returned unchanged.
func Add(b, ele []byte, maxSparse int) ([]byte, bool, error) {
	index, count := patLen(ele)
	if IsDense(b) {
		return b, denseSet(b[HdrSize:], index, count), nil
	}
	return sparseSet(b, index, count, maxSparse)
}

func setVal(b []byte, val, n int) { b[0] = byte((val-1)<<2|(n-1)) | 0x80 }
func setZero(b []byte, n int)     { b[0] = byte(n - 1) }
func setXZero(b []byte, n int) {
	b[0] = byte((n-1)>>8) | 0x40
	b[1] = byte(n - 1)
}

func isZero(c byte) bool  { return c&0xc0 == 0 }
func isXZero(c byte) bool { return c&0xc0 == 0x40 }
func isVal(c byte) bool   { return c&0x80 != 0 }
func zeroLen(c byte) int  { return int(c&0x3f) + 1 }
func valValue(c byte) int { return int(c>>2&0x1f) + 1 }
func valLen(c byte) int   { return int(c&3) + 1 }

// xzeroLen reads the XZERO at s[i]; a truncated opcode reads its second
// byte as 0, the terminator Redis's sds string has there.
func xzeroLen(s []byte, i int) int {
	var lo byte
	if i+1 < len(s) {
		lo = s[i+1]
	}
	return (int(s[i]&0x3f)<<8 | int(lo)) + 1
}

// sparseSet is Redis's hllSparseSet: it splits the opcode covering index
// into at most XZERO-VAL-XZERO and merges equal neighbouring VALs, so the
// bytes come out exactly as Redis writes them.
func sparseSet(b []byte, index int, count uint8, maxSparse int) ([]byte, bool, error) {
	if count > valMaxValue {
		return promote(b, index, count)
	}
	s := b[HdrSize:]
	end := len(s)
	pos, first, span, prev := 0, 0, 0, -1
	for pos < end {
		oplen := 1
		switch c := s[pos]; {
		case isZero(c):
			span = zeroLen(c)
		case isVal(c):
			span = valLen(c)
		default:
			span = xzeroLen(s, pos)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = pos
		pos += oplen
		first += span
	}
	if span == 0 || pos >= end {
		return b, false, ErrCorrupt
	}
	c := s[pos]
	var runlen, oldlen int
	switch {
	case isZero(c):
		runlen, oldlen = zeroLen(c), 1
	case isXZero(c):
		runlen, oldlen = xzeroLen(s, pos), 2
	default:
		runlen, oldlen = valLen(c), 1
		if valValue(c) >= int(count) {
			return b, false, nil
		}
	}
	if (isVal(c) || isZero(c)) && runlen == 1 {
		setVal(s[pos:], int(count), 1)
	} else {
		var seq [5]byte
		n := 0
		last := first + span - 1
		zeros := func(l int) {
			if l > zeroMaxLen {
				setXZero(seq[n:], l)
				n += 2
			} else {
				setZero(seq[n:], l)
				n++
			}
		}
		if isVal(c) {
			cur := valValue(c)
			if index != first {
				setVal(seq[n:], cur, index-first)
				n++
			}
			setVal(seq[n:], int(count), 1)
			n++
			if index != last {
				setVal(seq[n:], cur, last-index)
				n++
			}
		} else {
			if index != first {
				zeros(index - first)
			}
			setVal(seq[n:], int(count), 1)
			n++
			if index != last {
				zeros(last - index)
			}
		}
		delta := n - oldlen
		if delta > 0 && len(b)+delta > maxSparse {
			return promote(b, index, count)
		}
		// Replace the old opcode in place, moving the tail. A truncated
		// XZERO at the very end makes Redis's length come out one short,
		// which the final slice keeps.
		oldTotal := len(b)
		if delta > 0 {
			b = append(b, seq[:delta]...) // room; overwritten below
		}
		if tail := HdrSize + pos + oldlen; tail < oldTotal {
			copy(b[HdrSize+pos+n:], b[tail:oldTotal])
		}
		copy(b[HdrSize+pos:], seq[:n])
		b = b[:oldTotal+delta]
		s = b[HdrSize:]
		end = len(s)
	}
	// Merge adjacent VALs of equal value, scanning up to 5 opcodes from prev.
	pos = max(prev, 0)
	for scan := 5; pos < end && scan > 0; {
		scan--
		c := s[pos]
		if isXZero(c) {
			pos += 2
			continue
		}
		if isZero(c) {
			pos++
			continue
		}
		if pos+1 < end && isVal(s[pos+1]) {
			v1, v2 := valValue(c), valValue(s[pos+1])
			if l := valLen(c) + valLen(s[pos+1]); v1 == v2 && l <= valMaxLen {
				setVal(s[pos+1:], v1, l)
				copy(s[pos:], s[pos+1:])
				end--
				s = s[:end]
				b = b[:HdrSize+end]
				continue
			}
		}
		pos++
	}
	Invalidate(b)
	return b, true, nil
}

// promote converts b to dense and sets the register that needed it.
func promote(b []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := ToDense(b)
	if err != nil {
		return b, false, err
	}
	denseSet(d[HdrSize:], index, count)
	return d, true, nil
}

// ToDense returns the dense form of b: b itself when already dense, else a
// new value with b's header (and cached cardinality).
func ToDense(b []byte) ([]byte, error) {
	if IsDense(b) {
		return b, nil
	}
	d := make([]byte, DenseSize)
	copy(d, b[:HdrSize])
	d[4] = encDense
	regs := d[HdrSize:]
	idx := 0
	s := b[HdrSize:]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isZero(c):
			idx += zeroLen(c)
			i++
		case isXZero(c):
			idx += xzeroLen(s, i)
			i += 2
		default:
			n, v := valLen(c), valValue(c)
			if idx+n > Registers {
				return nil, ErrCorrupt
			}
			for range n {
				setReg(regs, idx, uint8(v))
				idx++
			}
			i++
		}
	}
	if idx != Registers {
		return nil, ErrCorrupt
	}
	return d, nil
}

// histogram counts the registers of b by value.
func histogram(b []byte) (h [64]int, err error) {
	if IsDense(b) {
		regs := b[HdrSize:]
		for i := range Registers {
			h[getReg(regs, i)]++
		}
		return h, nil
	}
	idx := 0
	s := b[HdrSize:]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isZero(c):
			n := zeroLen(c)
			idx += n
			h[0] += n
			i++
		case isXZero(c):
			n := xzeroLen(s, i)
			idx += n
			h[0] += n
			i += 2
		default:
			n := valLen(c)
			idx += n
			h[valValue(c)] += n
			i++
		}
	}
	if idx != Registers {
		return h, ErrCorrupt
	}
	return h, nil
}

// Count estimates the cardinality of the valid HLL b from its registers
// (ignoring the cache).
func Count(b []byte) (uint64, error) {
	h, err := histogram(b)
	if err != nil {
		return 0, err
	}
	return estimate(&h), nil
}

// Union is the register-wise maximum of several HLLs, one byte per
// register: what PFCOUNT of many keys and PFMERGE compute.
type Union [Registers]uint8

// Merge raises u to the registers of the valid HLL b.
func (u *Union) Merge(b []byte) error {
	if IsDense(b) {
		regs := b[HdrSize:]
		for i := range Registers {
			if v := getReg(regs, i); v > u[i] {
				u[i] = v
			}
		}
		return nil
	}
	idx := 0
	s := b[HdrSize:]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isZero(c):
			idx += zeroLen(c)
			i++
		case isXZero(c):
			idx += xzeroLen(s, i)
			i += 2
		default:
			n, v := valLen(c), uint8(valValue(c))
			if idx+n > Registers {
				return ErrCorrupt
			}
			for range n {
				u[idx] = max(u[idx], v)
				idx++
			}
			i++
		}
	}
	if idx != Registers {
		return ErrCorrupt
	}
	return nil
}

// Count estimates the cardinality of the union.
func (u *Union) Count() uint64 {
	var h [64]int
	for _, v := range u {
		h[v]++
	}
	return estimate(&h)
}

// Store writes u into dst, the destination of PFMERGE: a valid HLL, or
// nil for a new one, converted to dense first when dense is set. Like
// Add, a sparse dst is grown by append. The cached cardinality is left
// stale.
func (u *Union) Store(dst []byte, dense bool, maxSparse int) ([]byte, error) {
	if dst == nil {
		dst = New()
	}
	if dense {
		d, err := ToDense(dst)
		if err != nil {
			return dst, err
		}
		dst = d
	}
	for i, v := range u {
		if v == 0 {
			continue
		}
		if IsDense(dst) {
			denseSet(dst[HdrSize:], i, v)
		} else {
			// Redis ignores a corrupt destination here: the registers
			// that fit are set.
			dst, _, _ = sparseSet(dst, i, v, maxSparse)
		}
	}
	Invalidate(dst)
	return dst, nil
}

// estimate is Ertl's improved raw estimator over the register histogram.
func estimate(h *[64]int) uint64 {
	const m = float64(Registers)
	z := m * tau((m-float64(h[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += m * sigma(float64(h[0])/m)
	return uint64(math.Round(float64(float64(alphaInf*m)*m) / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		prev := z
		z += float64(x * y)
		y += y
		if prev == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if prev == z {
			return z / 3
		}
	}
}

// Regs returns the 16384 register values of a dense HLL.
func Regs(b []byte) []uint8 {
	out := make([]uint8, Registers)
	regs := b[HdrSize:]
	for i := range out {
		out[i] = getReg(regs, i)
	}
	return out
}

// Decode lists the opcodes of a sparse HLL as PFDEBUG DECODE prints them:
// "z:len", "Z:len" and "v:value,len", space separated.
func Decode(b []byte) string {
	var sb strings.Builder
	s := b[HdrSize:]
	for i := 0; i < len(s); {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		c := s[i]
		switch {
		case isZero(c):
			sb.WriteString("z:" + strconv.Itoa(zeroLen(c)))
			i++
		case isXZero(c):
			sb.WriteString("Z:" + strconv.Itoa(xzeroLen(s, i)))
			i += 2
		default:
			sb.WriteString("v:" + strconv.Itoa(valValue(c)) + "," + strconv.Itoa(valLen(c)))
			i++
		}
	}
	return sb.String()
}

// WouldChange reports whether adding any of eles to the dense HLL b would
// raise a register.
func WouldChange(b []byte, eles [][]byte) bool {
	regs := b[HdrSize:]
	for _, ele := range eles {
		if i, c := patLen(ele); c > getReg(regs, i) {
			return true
		}
	}
	return false
}
