// Package rdb is Redis's RDB 10 encoding of values, as DUMP / RESTORE and
// FUNCTION DUMP / RESTORE carry it: length prefixes, strings (integer
// encoded or LZF compressed, byte for byte as Redis writes them), the byte
// layouts of Redis's listpack, ziplist, zipmap and intset, the payload
// footer (RDB version and CRC64), the decoding of a whole value with
// deep validation, and whole RDB files (file.go: what SAVE writes and a
// start loads). It knows nothing of the store, the commands or our own
// in-memory encodings: callers hand it elements and get elements back.
// Streams are the exception (stream.go): their nodes are Redis's
// listpacks in memory too, so a stream is written from and decoded into
// a *stream.Stream whole.
package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/smallredis/smallredis/internal/num"
)

// Version is the RDB version Redis 7.0 writes and the newest it reads.
const Version = 10

// Object types, as Redis 7.0's rdb.h numbers them.
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeModule          = 6
	TypeModule2         = 7
	TypeHashZipmap      = 9
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpacks = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeStreamListpack2 = 19
)

// Quicklist node containers in TypeListQuicklist2.
const (
	ContainerPlain  = 1
	ContainerPacked = 2
)

// AppendLen appends an RDB length.
func AppendLen(b []byte, n uint64) []byte {
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

// ReadLen reads a length; enc reports the 11xxxxxx special encodings
// (n is then the encoding type).
func ReadLen(b []byte) (n uint64, enc bool, rest []byte, ok bool) {
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

// readPlainLen is ReadLen for places that take no special encoding.
func readPlainLen(b []byte) (uint64, []byte, bool) {
	n, enc, rest, ok := ReadLen(b)
	return n, rest, ok && !enc
}

// maxString bounds what a compressed string may claim to expand to
// (proto-max-bulk-len's default): a payload cannot make us allocate more.
const maxString = 512 << 20

// ReadString reads an RDB string: plain (aliasing b), integer encoded or
// LZF compressed (both newly allocated).
func ReadString(b []byte) ([]byte, []byte, bool) {
	n, enc, b, ok := ReadLen(b)
	if !ok {
		return nil, nil, false
	}
	if !enc {
		if uint64(len(b)) < n {
			return nil, nil, false
		}
		return b[:n:n], b[n:], true
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
		clen, b, ok := readPlainLen(b)
		if !ok {
			return nil, nil, false
		}
		ulen, b, ok := readPlainLen(b)
		// A back-reference of 3 bytes expands to 264 at most: a larger
		// claim is corrupt, and must not make us allocate it.
		if !ok || uint64(len(b)) < clen || ulen > maxString || ulen == 0 || ulen > 88*clen+1 {
			return nil, nil, false
		}
		out, ok := Decompress(b[:clen], int(ulen))
		return out, b[clen:], ok
	}
	return nil, nil, false
}

// AppendString appends s as Redis's rdbSaveRawString writes it: a
// canonical integer of at most 11 bytes that fits 32 bits in its integer
// encoding, a string over 20 bytes LZF compressed when compress is set and
// compression saves at least 4 bytes, anything else plain.
func AppendString(b, s []byte, compress bool) []byte {
	if len(s) <= 11 {
		if v, ok := num.ParseInt(s); ok {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return append(b, 0xC0, byte(v))
			case v >= -1<<15 && v < 1<<15:
				return binary.LittleEndian.AppendUint16(append(b, 0xC1), uint16(v))
			case v >= -1<<31 && v < 1<<31:
				return binary.LittleEndian.AppendUint32(append(b, 0xC2), uint32(v))
			}
		}
	}
	if compress && len(s) > 20 {
		if out, ok := appendCompressed(b, s); ok {
			return out
		}
	}
	return append(AppendLen(b, uint64(len(s))), s...)
}

// appendCompressed appends s as an LZF string blob (0xC3, compressed and
// original lengths, the data), when liblzf fits it in len(s)-4 bytes as
// Redis asks it to.
func appendCompressed(b, s []byte) ([]byte, bool) {
	buf := make([]byte, len(s)-4)
	n := Compress(s, buf)
	if n == 0 {
		return b, false
	}
	b = append(b, 0xC3)
	b = AppendLen(b, uint64(n))
	b = AppendLen(b, uint64(len(s)))
	return append(b, buf[:n]...), true
}

// Seal appends the footer Redis puts after a DUMP payload: the RDB version
// (2 bytes) and the CRC64 of everything before it, both little endian.
func Seal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// Open checks a payload's footer as Redis's verifyDumpPayload does (a
// version Redis 7.0 reads, the checksum) and returns the body before it.
func Open(p []byte) ([]byte, bool) {
	if len(p) < 10 {
		return nil, false
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return nil, false
	}
	if binary.LittleEndian.Uint64(footer[2:]) != CRC64(0, p[:len(p)-8]) {
		return nil, false
	}
	return p[: len(p)-10 : len(p)-10], true
}

// crc64Tables are the CRC64 tables for eight bytes at a time ("slicing by
// 8"): table k gives a byte's effect k bytes further on.
var crc64Tables = func() (t [8][256]uint64) {
	const poly = 0x95AC9329AC4BC9B5 // Jones, reflected
	for i := range t[0] {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range t[0] {
		for k := 1; k < 8; k++ {
			t[k][i] = t[k-1][i]>>8 ^ t[0][byte(t[k-1][i])]
		}
	}
	return t
}()

// CRC64 is Redis's crc64 (Jones polynomial, reflected, no final xor).
func CRC64(crc uint64, b []byte) uint64 {
	t := &crc64Tables
	for len(b) >= 8 {
		crc ^= binary.LittleEndian.Uint64(b)
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		b = b[8:]
	}
	for _, c := range b {
		crc = t[0][byte(crc)^c] ^ crc>>8
	}
	return crc
}
