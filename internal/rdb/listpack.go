package rdb

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/smallredis/smallredis/internal/num"
)

// Redis's listpack: a 6-byte header (total bytes, uint32 LE; entry count,
// uint16 LE, 65535 when unknown), entries, and 0xFF. An entry is its
// encoding and data followed by its back-length (the entry's size, 7 bits a
// byte, read from its last byte backwards). Our own listpack (package
// listpack) keeps every entry as a string; Redis encodes integers
// (7-bit unsigned, 13/16/24/32/64-bit signed) and strings by length
// (6/12/32-bit), so a payload is re-encoded both ways.

const (
	lpHeader  = 6
	lpEOF     = 0xFF
	lpUnknown = 0xFFFF
)

// Listpack builds a Redis listpack. The zero value is empty.
type Listpack struct {
	b []byte
	n int
}

// Grow makes room for n bytes of listpack (header and end included).
func (l *Listpack) Grow(n int) { l.b = slices.Grow(l.b, n) }

// Append adds s, as an integer entry when it is a canonical int64 (what
// Redis's lpAppend does).
func (l *Listpack) Append(s []byte) {
	if v, ok := num.ParseInt(s); ok {
		l.AppendInt(v)
		return
	}
	l.start()
	at := len(l.b)
	switch n := len(s); {
	case n < 64:
		l.b = append(l.b, 0x80|byte(n))
	case n < 4096:
		l.b = append(l.b, 0xE0|byte(n>>8), byte(n))
	default:
		l.b = binary.LittleEndian.AppendUint32(append(l.b, 0xF0), uint32(n))
	}
	l.b = append(l.b, s...)
	l.end(at)
}

// AppendInt adds v in the smallest integer encoding.
func (l *Listpack) AppendInt(v int64) {
	l.start()
	at := len(l.b)
	switch {
	case v >= 0 && v <= 127:
		l.b = append(l.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		l.b = append(l.b, 0xC0|byte(u>>8), byte(u))
	case v >= -1<<15 && v < 1<<15:
		l.b = binary.LittleEndian.AppendUint16(append(l.b, 0xF1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		l.b = append(l.b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -1<<31 && v < 1<<31:
		l.b = binary.LittleEndian.AppendUint32(append(l.b, 0xF3), uint32(v))
	default:
		l.b = binary.LittleEndian.AppendUint64(append(l.b, 0xF4), uint64(v))
	}
	l.end(at)
}

func (l *Listpack) start() {
	if len(l.b) == 0 {
		l.b = append(l.b, make([]byte, lpHeader)...)
	}
}

// end writes the back-length of the entry that starts at at.
func (l *Listpack) end(at int) {
	l.b = appendBacklen(l.b, uint64(len(l.b)-at))
	l.n++
}

func appendBacklen(b []byte, n uint64) []byte {
	switch {
	case n <= 127:
		return append(b, byte(n))
	case n < 16383:
		return append(b, byte(n>>7), byte(n&127)|128)
	case n < 2097151:
		return append(b, byte(n>>14), byte(n>>7&127)|128, byte(n&127)|128)
	case n < 268435455:
		return append(b, byte(n>>21), byte(n>>14&127)|128, byte(n>>7&127)|128, byte(n&127)|128)
	}
	return append(b, byte(n>>28), byte(n>>21&127)|128, byte(n>>14&127)|128, byte(n>>7&127)|128, byte(n&127)|128)
}

func backlenSize(n uint64) uint64 {
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

// Bytes finishes the listpack and returns it.
func (l *Listpack) Bytes() []byte {
	l.start()
	l.b = append(l.b, lpEOF)
	binary.LittleEndian.PutUint32(l.b, uint32(len(l.b)))
	binary.LittleEndian.PutUint16(l.b[4:], uint16(min(l.n, lpUnknown)))
	return l.b
}

// Elems collects decoded entries. Integer entries are formatted into one
// shared buffer, so decoding a payload allocates per buffer, not per entry.
type Elems struct {
	V   [][]byte
	buf []byte
}

func (e *Elems) addInt(v int64) {
	if cap(e.buf)-len(e.buf) < 20 {
		e.buf = make([]byte, 0, max(4096, 2*cap(e.buf)))
	}
	s := len(e.buf)
	e.buf = strconv.AppendInt(e.buf, v, 10)
	e.V = append(e.V, e.buf[s:len(e.buf):len(e.buf)])
}

// readListpack validates lp as Redis's lpValidateIntegrity does with deep
// checking and appends its entries to e (strings alias lp).
func readListpack(lp []byte, e *Elems) bool {
	if len(lp) < lpHeader+1 || uint64(binary.LittleEndian.Uint32(lp)) != uint64(len(lp)) || lp[len(lp)-1] != lpEOF {
		return false
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	if n := min(count, len(lp)); count != lpUnknown && cap(e.V)-len(e.V) < n {
		e.V = slices.Grow(e.V, max(n, len(e.V))) // doubling: a list calls this per node
	}
	seen := 0
	p := lpHeader
	last := len(lp) - 1
	for p < last {
		enc, data, v, isInt, ok := lpEntry(lp[p:last])
		if !ok {
			return false
		}
		bl := backlenSize(enc)
		if uint64(last-p) < enc+bl {
			return false
		}
		back, ok := readBacklen(lp[p+int(enc) : p+int(enc+bl)])
		if !ok || back != enc {
			return false
		}
		if isInt {
			e.addInt(v)
		} else {
			e.V = append(e.V, data)
		}
		p += int(enc + bl)
		seen++
	}
	return p == last && (count == lpUnknown || count == seen)
}

// lpEntry decodes the entry at the start of b: the size of its encoding
// and data, and its value.
func lpEntry(b []byte) (size uint64, s []byte, v int64, isInt, ok bool) {
	c := b[0]
	str := func(hdr, n uint64) (uint64, []byte, int64, bool, bool) {
		if uint64(len(b)) < hdr+n {
			return 0, nil, 0, false, false
		}
		return hdr + n, b[hdr : hdr+n : hdr+n], 0, false, true
	}
	need := func(n int) bool { return len(b) >= n }
	switch {
	case c&0x80 == 0:
		return 1, nil, int64(c & 0x7F), true, true
	case c&0xC0 == 0x80:
		return str(1, uint64(c&0x3F))
	case c&0xE0 == 0xC0:
		if !need(2) {
			return
		}
		u := int64(c&0x1F)<<8 | int64(b[1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return 2, nil, u, true, true
	case c&0xF0 == 0xE0:
		if !need(2) {
			return
		}
		return str(2, uint64(c&0x0F)<<8|uint64(b[1]))
	case c == 0xF0:
		if !need(5) {
			return
		}
		return str(5, uint64(binary.LittleEndian.Uint32(b[1:])))
	case c == 0xF1:
		if !need(3) {
			return
		}
		return 3, nil, int64(int16(binary.LittleEndian.Uint16(b[1:]))), true, true
	case c == 0xF2:
		if !need(4) {
			return
		}
		u := int64(b[1]) | int64(b[2])<<8 | int64(b[3])<<16
		if u >= 1<<23 {
			u -= 1 << 24
		}
		return 4, nil, u, true, true
	case c == 0xF3:
		if !need(5) {
			return
		}
		return 5, nil, int64(int32(binary.LittleEndian.Uint32(b[1:]))), true, true
	case c == 0xF4:
		if !need(9) {
			return
		}
		return 9, nil, int64(binary.LittleEndian.Uint64(b[1:])), true, true
	}
	return
}

// readBacklen reads a back-length that must take exactly len(b) bytes.
func readBacklen(b []byte) (uint64, bool) {
	var v uint64
	shift := 0
	for i := len(b) - 1; i >= 0; i-- {
		v |= uint64(b[i]&127) << shift
		more := b[i]&128 != 0
		if more != (i > 0) {
			return 0, false
		}
		shift += 7
	}
	return v, true
}
