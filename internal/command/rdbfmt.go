package command

import (
	"encoding/binary"
	"strconv"
)

// The pieces of Redis's RDB encoding FUNCTION DUMP / RESTORE need: length
// prefixes, strings (plain, integer-encoded or LZF-compressed) and the
// CRC64 Redis signs payloads with.

func rdbAppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// rdbReadLen reads a length; enc reports the 11xxxxxx special encodings
// (n is then the encoding type).
func rdbReadLen(b []byte) (n uint64, enc bool, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, false, nil, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3F), false, b[1:], true
	case 1:
		if len(b) < 2 {
			return 0, false, nil, false
		}
		return uint64(b[0]&0x3F)<<8 | uint64(b[1]), false, b[2:], true
	case 2:
		switch {
		case b[0] == 0x80 && len(b) >= 5:
			return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], true
		case b[0] == 0x81 && len(b) >= 9:
			return binary.BigEndian.Uint64(b[1:]), false, b[9:], true
		}
		return 0, false, nil, false
	}
	return uint64(b[0] & 0x3F), true, b[1:], true
}

func rdbReadString(b []byte) ([]byte, []byte, bool) {
	n, enc, b, ok := rdbReadLen(b)
	if !ok {
		return nil, nil, false
	}
	if !enc {
		if uint64(len(b)) < n {
			return nil, nil, false
		}
		return b[:n], b[n:], true
	}
	switch n {
	case 0, 1, 2: // integers of 1, 2, 4 bytes
		size := 1 << n
		if len(b) < size {
			return nil, nil, false
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return strconv.AppendInt(nil, v, 10), b[size:], true
	case 3:
		clen, _, b, ok := rdbReadLen(b)
		if !ok {
			return nil, nil, false
		}
		ulen, _, b, ok := rdbReadLen(b)
		if !ok || uint64(len(b)) < clen || ulen > 512<<20 {
			return nil, nil, false
		}
		out, ok := lzfDecompress(b[:clen], int(ulen))
		return out, b[clen:], ok
	}
	return nil, nil, false
}

// lzfDecompress expands LZF data (liblzf's format, which Redis uses).
func lzfDecompress(in []byte, size int) ([]byte, bool) {
	out := make([]byte, 0, size)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > size {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1F)<<8 - 1 - int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > size {
			return nil, false
		}
		for j := 0; j < n; j++ {
			out = append(out, out[ref+j])
		}
	}
	return out, len(out) == size
}

var crc64Table = func() (t [256]uint64) {
	const poly = 0x95AC9329AC4BC9B5 // Jones, reflected
	for i := range t {
		c := uint64(i)
		for j := 0; j < 8; j++ {
			if c&1 == 1 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc64Jones is Redis's crc64 (Jones polynomial, reflected, no final xor).
func crc64Jones(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc = crc64Table[byte(crc)^c] ^ crc>>8
	}
	return crc
}
