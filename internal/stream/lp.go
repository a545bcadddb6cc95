package stream

import (
	"encoding/binary"
	"strconv"

	"github.com/smallredis/smallredis/internal/lpcodec"
)

// Redis's listpack format, which a stream node is: a 6-byte header (total
// bytes, element count), elements, an 0xFF end byte. Each element is an
// encoding byte with its data (a small integer, a 13/16/24/32/64-bit
// integer, or a string with a 6/12/32-bit length) followed by its
// "backlen", the size of encoding and data written so it reads from its
// last byte backwards. Elements are written by package lpcodec (strings
// that are canonical integers as integers, as Redis's lpAppend does, so
// the bytes are Redis's); this file keeps a node's header and reads
// elements of nodes already validated, without bounds checks.

const (
	lpHeader = 6
	lpEnd    = 0xFF
)

// lpNew is an empty listpack with room for about n bytes.
func lpNew(n int) []byte {
	b := make([]byte, lpHeader, lpHeader+n+1)
	return append(b, lpEnd)
}

// lpAppend adds encoded elements (enc, count of them) before the end byte
// and fixes the header.
func lpAppend(lp, enc []byte, count int) []byte {
	lp = append(lp[:len(lp)-1], enc...)
	lp = append(lp, lpEnd)
	lpSetHeader(lp, lpCount(lp)+count)
	return lp
}

func lpCount(lp []byte) int { return int(binary.LittleEndian.Uint16(lp[4:])) }

// lpSetHeader writes the total size and the count (65535 when it does
// not fit, as Redis: then only a walk knows it).
func lpSetHeader(lp []byte, count int) {
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	if count >= 65535 {
		count = 65535
	}
	binary.LittleEndian.PutUint16(lp[4:], uint16(count))
}

// elemAt decodes the element at p: its string form (aliasing lp for a
// string, formatted into scratch for an integer), integer value, whether
// it is an integer, and the position of the next element.
func elemAt(lp []byte, p int, scratch []byte) (s []byte, v int64, isInt bool, next int, out []byte) {
	s, v, isInt, next = decodeAt(lp, p)
	if isInt {
		at := len(scratch)
		scratch = strconv.AppendInt(scratch, v, 10)
		s = scratch[at:len(scratch):len(scratch)]
	}
	return s, v, isInt, next, scratch
}

// decodeAt decodes the element at p without formatting an integer.
func decodeAt(lp []byte, p int) (s []byte, v int64, isInt bool, next int) {
	c := lp[p]
	var n int // encoding + data
	switch {
	case c < 0x80:
		v, isInt, n = int64(c), true, 1
	case c < 0xC0:
		l := int(c & 0x3F)
		s, n = lp[p+1:p+1+l], 1+l
	case c < 0xE0:
		u := uint64(c&0x1F)<<8 | uint64(lp[p+1])
		v = int64(u<<51) >> 51
		isInt, n = true, 2
	case c < 0xF0:
		l := int(c&0x0F)<<8 | int(lp[p+1])
		s, n = lp[p+2:p+2+l], 2+l
	case c == 0xF0:
		l := int(binary.LittleEndian.Uint32(lp[p+1:]))
		s, n = lp[p+5:p+5+l], 5+l
	case c == 0xF1:
		v, isInt, n = int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))), true, 3
	case c == 0xF2:
		u := uint32(lp[p+1]) | uint32(lp[p+2])<<8 | uint32(lp[p+3])<<16
		v, isInt, n = int64(int32(u<<8)>>8), true, 4
	case c == 0xF3:
		v, isInt, n = int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))), true, 5
	default: // 0xF4
		v, isInt, n = int64(binary.LittleEndian.Uint64(lp[p+1:])), true, 9
	}
	return s, v, isInt, p + n + lpcodec.BacklenSize(n)
}

// intAt is the integer element at p and the next position.
func intAt(lp []byte, p int) (int64, int) {
	_, v, _, next := decodeAt(lp, p)
	return v, next
}

// skip is the position after the element at p.
func skip(lp []byte, p int) int {
	n := encSize(lp, p)
	return p + n + lpcodec.BacklenSize(n)
}

// encSize is the size of the encoding byte and data of the element at p.
func encSize(lp []byte, p int) int {
	c := lp[p]
	switch {
	case c < 0x80:
		return 1
	case c < 0xC0:
		return 1 + int(c&0x3F)
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 2 + (int(c&0x0F)<<8 | int(lp[p+1]))
	case c == 0xF0:
		return 5 + int(binary.LittleEndian.Uint32(lp[p+1:]))
	case c == 0xF1:
		return 3
	case c == 0xF2:
		return 4
	case c == 0xF3:
		return 5
	}
	return 9
}

// prev is the position of the element before the one at p (p may be the
// end byte's position); -1 at the first.
func prev(lp []byte, p int) int {
	if p <= lpHeader {
		return -1
	}
	q := p - 1
	n := int(lp[q] & 127)
	for shift := 7; lp[q]&128 != 0; shift += 7 {
		q--
		n |= int(lp[q]&127) << shift
	}
	return q - n
}

// replaceInt rewrites the integer element at p with v, in place when the
// size does not change, and returns the listpack and the position after
// the element.
func replaceInt(lp []byte, p int, v int64) ([]byte, int) {
	end := skip(lp, p)
	var buf [16]byte
	enc := lpcodec.AppendIntElem(buf[:0], v)
	if len(enc) == end-p {
		copy(lp[p:], enc)
		return lp, end
	}
	tail := len(lp) - end
	nb := make([]byte, p+len(enc)+tail, p+len(enc)+tail+cap(lp)-len(lp))
	copy(nb, lp[:p])
	copy(nb[p:], enc)
	copy(nb[p+len(enc):], lp[end:])
	binary.LittleEndian.PutUint32(nb, uint32(len(nb)))
	return nb, p + len(enc)
}
