package rdb

import (
	"encoding/binary"
	"math"
)

// Redis's intset: the element width (uint32 LE: 2, 4 or 8 bytes), the
// count (uint32 LE), then the elements in ascending order, little endian,
// all of the width the largest needs.

// Intset encodes ascending, distinct values as Redis's intset.
func Intset(vs []int64) []byte {
	w := 2
	for _, v := range vs {
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			w = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && w < 4:
			w = 4
		}
	}
	b := make([]byte, 8, 8+w*len(vs))
	binary.LittleEndian.PutUint32(b, uint32(w))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(vs)))
	for _, v := range vs {
		switch w {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// readIntset validates is as Redis's intsetValidateIntegrity does with deep
// checking (a known width, the size the count says, not empty, strictly
// ascending) and appends its members to e.
func readIntset(is []byte, e *Elems) bool {
	if len(is) < 8 {
		return false
	}
	w := uint64(binary.LittleEndian.Uint32(is))
	if w != 2 && w != 4 && w != 8 {
		return false
	}
	n := uint64(binary.LittleEndian.Uint32(is[4:]))
	if n == 0 || 8+n*w != uint64(len(is)) {
		return false
	}
	var prev int64
	for i := range n {
		p := is[8+i*w:]
		var v int64
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && v <= prev {
			return false
		}
		prev = v
		e.addInt(v)
	}
	return true
}
