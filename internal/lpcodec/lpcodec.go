// Package lpcodec writes the elements of Redis's listpack byte format: an
// encoding byte with its data (a 7-bit unsigned or a 13/16/24/32/64-bit
// signed integer, or a string with a 6/12/32-bit length) followed by the
// element's back-length (the size of encoding and data, 7 bits a byte,
// written to be read from its last byte backwards). A string that is a
// canonical int64 is written as an integer, as Redis's lpAppend does, so
// the bytes are Redis's. Stream nodes (package stream) are such listpacks
// and DUMP/RDB payloads (package rdb) carry them; both write elements
// here. It knows nothing of headers' use, RESP, commands or the store.
package lpcodec

import (
	"encoding/binary"
	"math"

	"github.com/smallredis/smallredis/internal/num"
)

// IntEncSize is the size of integer v's encoding and data.
func IntEncSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 3
	case v >= -1<<23 && v < 1<<23:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

// StrEncSize is the size of an n-byte string's encoding and data.
func StrEncSize(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	}
	return 5 + n
}

// BacklenSize is the size of the back-length of an element whose
// encoding and data take n bytes.
func BacklenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// ElemSize is the whole size of s as an element, back-length included.
func ElemSize(s []byte) int {
	var n int
	if v, ok := num.ParseInt(s); ok {
		n = IntEncSize(v)
	} else {
		n = StrEncSize(len(s))
	}
	return n + BacklenSize(n)
}

// IntElemSize is the whole size of integer v as an element.
func IntElemSize(v int64) int {
	n := IntEncSize(v)
	return n + BacklenSize(n)
}

// AppendElem appends s as a whole element: an integer if it is one.
func AppendElem(b, s []byte) []byte {
	if v, ok := num.ParseInt(s); ok {
		return AppendIntElem(b, v)
	}
	start := len(b)
	switch n := len(s); {
	case n < 64:
		b = append(b, 0x80|byte(n))
	case n < 4096:
		b = append(b, 0xE0|byte(n>>8), byte(n))
	default:
		b = binary.LittleEndian.AppendUint32(append(b, 0xF0), uint32(n))
	}
	b = append(b, s...)
	return appendBacklen(b, len(b)-start)
}

// AppendIntElem appends integer v as a whole element, in its smallest
// encoding.
func AppendIntElem(b []byte, v int64) []byte {
	start := len(b)
	switch IntEncSize(v) {
	case 1:
		b = append(b, byte(v))
	case 2:
		u := uint64(v) & 0x1FFF
		b = append(b, 0xC0|byte(u>>8), byte(u))
	case 3:
		b = binary.LittleEndian.AppendUint16(append(b, 0xF1), uint16(v))
	case 4:
		u := uint32(v)
		b = append(b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case 5:
		b = binary.LittleEndian.AppendUint32(append(b, 0xF3), uint32(v))
	default:
		b = binary.LittleEndian.AppendUint64(append(b, 0xF4), uint64(v))
	}
	return appendBacklen(b, len(b)-start)
}

func appendBacklen(b []byte, n int) []byte {
	switch BacklenSize(n) {
	case 1:
		return append(b, byte(n))
	case 2:
		return append(b, byte(n>>7), byte(n&127)|128)
	case 3:
		return append(b, byte(n>>14), byte(n>>7&127)|128, byte(n&127)|128)
	case 4:
		return append(b, byte(n>>21), byte(n>>14&127)|128, byte(n>>7&127)|128, byte(n&127)|128)
	}
	return append(b, byte(n>>28), byte(n>>21&127)|128, byte(n>>14&127)|128, byte(n>>7&127)|128, byte(n&127)|128)
}
