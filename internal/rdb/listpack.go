package rdb

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/smallredis/smallredis/internal/lpcodec"
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
	l.start()
	l.b = lpcodec.AppendElem(l.b, s)
	l.n++
}

// AppendInt adds v in the smallest integer encoding.
func (l *Listpack) AppendInt(v int64) {
	l.start()
	l.b = lpcodec.AppendIntElem(l.b, v)
	l.n++
}

func (l *Listpack) start() {
	if len(l.b) == 0 {
		l.b = append(l.b, make([]byte, lpHeader)...)
	}
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
		bl := uint64(lpcodec.BacklenSize(int(enc)))
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
