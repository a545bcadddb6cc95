package rdb

import "encoding/binary"

// Redis's ziplist, which Redis before 7.0 wrote for small lists, hashes and
// sorted sets (Redis 7.0 still loads it): a 10-byte header (total bytes,
// offset of the last entry, uint32 LE; count, uint16 LE, 65535 when
// unknown), entries, and 0xFF. An entry is the previous entry's size (1
// byte below 254, else 0xFE and uint32 LE), an encoding (strings by
// 6/14/32-bit length, integers of 8/16/24/32/64 bits or 0…12 in the
// encoding byte itself) and its data.

const zlHeader = 10

// readZiplist validates zl as Redis's ziplistValidateIntegrity does with
// deep checking and appends its entries to e (strings alias zl).
func readZiplist(zl []byte, e *Elems) bool {
	if len(zl) < zlHeader+1 || uint64(binary.LittleEndian.Uint32(zl)) != uint64(len(zl)) || zl[len(zl)-1] != 0xFF {
		return false
	}
	last := len(zl) - 1
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	if tail > last {
		return false
	}
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	p, prev, prevSize, seen := zlHeader, -1, 0, 0
	for p < last && zl[p] != 0xFF {
		b := zl[p:last]
		var prevlen, hdr int
		if b[0] < 254 {
			prevlen, hdr = int(b[0]), 1
		} else {
			if len(b) < 5 {
				return false
			}
			prevlen, hdr = int(binary.LittleEndian.Uint32(b[1:])), 5
		}
		if prevlen != prevSize || len(b) <= hdr {
			return false
		}
		c := b[hdr]
		var n, lensize int
		isInt := false
		var v int64
		switch c >> 6 {
		case 0:
			n, lensize = int(c&0x3F), 1
		case 1:
			if len(b) < hdr+2 {
				return false
			}
			n, lensize = int(c&0x3F)<<8|int(b[hdr+1]), 2
		case 2:
			if len(b) < hdr+5 {
				return false
			}
			n, lensize = int(binary.BigEndian.Uint32(b[hdr+1:])), 5
		default:
			isInt, lensize = true, 1
			d := b[hdr+1:]
			switch {
			case c == 0xC0:
				n = 2
			case c == 0xD0:
				n = 4
			case c == 0xE0:
				n = 8
			case c == 0xF0:
				n = 3
			case c == 0xFE:
				n = 1
			case c >= 0xF1 && c <= 0xFD:
				v = int64(c&0x0F) - 1
			default:
				return false
			}
			if len(d) < n {
				return false
			}
			switch n {
			case 1:
				v = int64(int8(d[0]))
			case 2:
				v = int64(int16(binary.LittleEndian.Uint16(d)))
			case 3:
				v = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24)) >> 8
			case 4:
				v = int64(int32(binary.LittleEndian.Uint32(d)))
			case 8:
				v = int64(binary.LittleEndian.Uint64(d))
			}
		}
		size := hdr + lensize + n
		if n < 0 || size > len(b) {
			return false
		}
		if isInt {
			e.addInt(v)
		} else {
			s := b[hdr+lensize : size : size]
			e.V = append(e.V, s)
		}
		prev, prevSize = p, size
		p += size
		seen++
	}
	if p != last || (prev >= 0 && prev != tail) {
		return false
	}
	return count == 0xFFFF || count == seen
}

// readZipmap validates a zipmap (Redis 2.4's small hash: a count byte, 254
// when unknown, then per pair the field's length, the field, the value's
// length, a count of free bytes, the value and the free bytes; 0xFF) and
// appends its fields and values to e.
func readZipmap(zm []byte, e *Elems) bool {
	if len(zm) < 2 || zm[len(zm)-1] != 0xFF {
		return false
	}
	last := len(zm) - 1
	readLen := func(p int) (n, next int, ok bool) {
		if p >= last {
			return 0, 0, false
		}
		if zm[p] < 254 {
			return int(zm[p]), p + 1, true
		}
		if zm[p] == 255 || p+5 > last {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint32(zm[p+1:])), p + 5, true
	}
	count := 0
	p := 1
	for p < last && zm[p] != 0xFF {
		fl, q, ok := readLen(p)
		if !ok || fl > last-q {
			return false
		}
		f := zm[q : q+fl : q+fl]
		vl, q2, ok := readLen(q + fl)
		if !ok || q2 >= last {
			return false
		}
		free := int(zm[q2])
		q2++
		if vl > last-q2 || free > last-q2-vl {
			return false
		}
		e.V = append(e.V, f, zm[q2:q2+vl:q2+vl])
		p = q2 + vl + free
		count++
	}
	return p == last && count > 0 && (zm[0] == 254 || int(zm[0]) == count)
}
