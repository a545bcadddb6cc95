package zset

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/smallredis/smallredis/internal/bufpool"
)

// A leaf holds members in (score, member) order as packed records:
//
//	[tag][score payload][uvarint len][member]
//
// tag 0..7: the score is an integer of that many bytes (zigzag, little
// endian; 0 bytes is the score 0), so the small integer scores of
// counters and timestamps cost 1 to 7 bytes; tag 8: the 8 bytes of the
// float64. -0 is stored as a float so its sign survives, as in Redis.
// The score comes first so a search compares scores without decoding
// members.
type leaf struct {
	recs
	prev, next *leaf
}

// recs is a leaf's records: the whole of a listpack set, which embeds it
// rather than a leaf so a small set does not pay for the links.
type recs struct {
	b  []byte
	n  int32  // records
	id uint32 // index of the leaf in ZSet.leaves (skiplist encoding); here to keep a leaf at 48 bytes
}

const floatTag = 8

func isIntScore(s float64) bool {
	return s == math.Trunc(s) && math.Abs(s) <= 1<<53 && !(s == 0 && math.Signbit(s))
}

func scoreSize(s float64) int {
	if !isIntScore(s) {
		return 1 + 8
	}
	return 1 + (bits.Len64(zigzag(int64(s)))+7)/8
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func recSize(m []byte, s float64) int { return scoreSize(s) + uvarintLen(len(m)) + len(m) }

// putRec writes the record at b[0:] (which has room) and returns its size.
func putRec(b []byte, m []byte, s float64) int {
	var p int
	if isIntScore(s) {
		u := zigzag(int64(s))
		n := (bits.Len64(u) + 7) / 8
		b[0] = byte(n)
		for i := 1; i <= n; i++ {
			b[i] = byte(u)
			u >>= 8
		}
		p = 1 + n
	} else {
		b[0] = floatTag
		binary.LittleEndian.PutUint64(b[1:], math.Float64bits(s))
		p = 9
	}
	p += binary.PutUvarint(b[p:], uint64(len(m)))
	p += copy(b[p:], m)
	return p
}

// score decodes the score at off and returns the offset of the member's
// length.
func score(b []byte, off int) (float64, int) {
	tag := int(b[off])
	if tag == floatTag {
		return math.Float64frombits(binary.LittleEndian.Uint64(b[off+1:])), off + 9
	}
	var u uint64
	for i := tag; i >= 1; i-- {
		u = u<<8 | uint64(b[off+i])
	}
	v := int64(u>>1) ^ -int64(u&1)
	return float64(v), off + 1 + tag
}

// rec decodes the record at off: its score, member (aliasing b) and the
// offset of the next record.
func rec(b []byte, off int) (s float64, m []byte, next int) {
	s, p := score(b, off)
	n, w := uvarint(b[p:])
	p += w
	return s, b[p : p+n : p+n], p + n
}

// skip is the offset of the record after the one at off.
func skip(b []byte, off int) int {
	tag := int(b[off])
	p := off + 1 + tag
	if tag == floatTag {
		p = off + 9
	}
	n, w := uvarint(b[p:])
	return p + w + n
}

// find is the offset of member m in the leaf, -1 when absent. Scores are
// skipped undecoded until the member matches.
func (l *recs) find(m []byte) (int, float64) {
	b := l.b
	for off := 0; off < len(b); {
		tag := int(b[off])
		p := off + 1 + tag
		if tag == floatTag {
			p = off + 9
		}
		n, w := uvarint(b[p:])
		p += w
		if n == len(m) && string(b[p:p+n]) == string(m) {
			s, _ := score(b, off)
			return off, s
		}
		off = p + n
	}
	return -1, 0
}

// lowerBound is the offset and index of the first record for which before
// is false.
func (l *recs) lowerBound(before func(s float64, m []byte) bool) (off, i int) {
	b := l.b
	for off < len(b) {
		s, m, next := rec(b, off)
		if !before(s, m) {
			return off, i
		}
		off, i = next, i+1
	}
	return off, i
}

// seek is the offset of record i.
func (l *recs) seek(i int) int {
	off := 0
	for ; i > 0; i-- {
		off = skip(l.b, off)
	}
	return off
}

// offsets appends the offset of every record to dst.
func (l *recs) offsets(dst []int) []int {
	for off := 0; off < len(l.b); off = skip(l.b, off) {
		dst = append(dst, off)
	}
	return dst
}

// insertAt writes the record m, s at off and returns the change in the
// buffer's capacity.
func (l *recs) insertAt(off int, m []byte, s float64) int {
	n := recSize(m, s)
	oldCap := cap(l.b)
	old := len(l.b)
	if old+n > cap(l.b) {
		// The size class of the contents (bufpool), so a leaf wastes
		// little of its buffer and the outgrown one goes to the next leaf
		// growing through that class; m may alias the old buffer, which is
		// given back only once the record is written.
		nb := bufpool.Get(old + n)
		copy(nb, l.b[:off])
		copy(nb[off+n:], l.b[off:old])
		putRec(nb[off:], m, s)
		bufpool.Put(l.b)
		l.b = nb
	} else {
		l.b = l.b[:old+n]
		copy(l.b[off+n:], l.b[off:old])
		if overlaps(l.b, m) {
			m = bytes.Clone(m)
		}
		putRec(l.b[off:], m, s)
	}
	l.n++
	return cap(l.b) - oldCap
}

// deleteAt removes the record at off and returns its size.
func (l *recs) deleteAt(off int) int {
	end := skip(l.b, off)
	l.b = append(l.b[:off], l.b[end:]...)
	l.n--
	return end - off
}

func overlaps(b, m []byte) bool {
	if len(m) == 0 || cap(b) == 0 {
		return false
	}
	b = b[:cap(b)]
	lo, hi := &b[0], &b[len(b)-1]
	p := &m[0]
	return uintptrOf(p) >= uintptrOf(lo) && uintptrOf(p) <= uintptrOf(hi)
}

func cmpKey(s1 float64, m1 []byte, s2 float64, m2 []byte) int {
	switch {
	case s1 < s2:
		return -1
	case s1 > s2:
		return 1
	}
	return bytes.Compare(m1, m2)
}

func uvarint(b []byte) (int, int) {
	if c := b[0]; c < 0x80 {
		return int(c), 1
	}
	n, w := binary.Uvarint(b)
	return int(n), w
}

func uvarintLen(n int) int {
	w := 1
	for n >= 0x80 {
		n >>= 7
		w++
	}
	return w
}

// searchKey is lowerBound for "less than the key s, m", specialised: the
// scores decide without touching members except on a tie.
func (l *recs) searchKey(s float64, m []byte) (off, i int) {
	b := l.b
	for off < len(b) {
		rs, p := score(b, off)
		n, w := uvarint(b[p:])
		p += w
		if rs > s || rs == s && bytes.Compare(b[p:p+n], m) >= 0 {
			return off, i
		}
		off, i = p+n, i+1
	}
	return off, i
}

// walk calls fn for the records from index i on, ascending or, when rev,
// descending (i < 0: from the last), and reports whether fn asked for more.
func (l *recs) walk(i int, rev bool, fn func(m []byte, s float64) bool) bool {
	if !rev {
		for off := l.seek(i); off < len(l.b); {
			s, m, next := rec(l.b, off)
			if !fn(m, s) {
				return false
			}
			off = next
		}
		return true
	}
	var buf [96]int
	offs := l.offsets(buf[:0])
	if i < 0 {
		i = len(offs) - 1
	}
	for ; i >= 0; i-- {
		s, m, _ := rec(l.b, offs[i])
		if !fn(m, s) {
			return false
		}
	}
	return true
}
