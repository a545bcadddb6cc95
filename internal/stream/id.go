// Package stream is the stream value (XADD, XRANGE, consumer groups): entries
// ordered by ID, each a list of field-value pairs, kept in nodes that are
// Redis's own listpacks (master entry, delta-encoded IDs, SAMEFIELDS
// compression), so a stream's memory, its node boundaries and its RDB
// payload are Redis's; and the consumer groups with their pending entries
// lists. It knows nothing of RESP, commands or the store.
package stream

import (
	"math"
	"strconv"
)

// ID is a stream entry ID, ms-seq.
type ID struct{ Ms, Seq uint64 }

// Max is the largest ID.
var Max = ID{math.MaxUint64, math.MaxUint64}

// Cmp compares two IDs: -1, 0 or 1.
func (a ID) Cmp(b ID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports a < b.
func (a ID) Less(b ID) bool { return a.Cmp(b) < 0 }

// IsZero reports a == 0-0.
func (a ID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next is the ID right after a; ok is false for Max.
func (a ID) Next() (ID, bool) {
	switch {
	case a.Seq != math.MaxUint64:
		return ID{a.Ms, a.Seq + 1}, true
	case a.Ms != math.MaxUint64:
		return ID{a.Ms + 1, 0}, true
	}
	return a, false
}

// Prev is the ID right before a; ok is false for 0-0.
func (a ID) Prev() (ID, bool) {
	switch {
	case a.Seq != 0:
		return ID{a.Ms, a.Seq - 1}, true
	case a.Ms != 0:
		return ID{a.Ms - 1, math.MaxUint64}, true
	}
	return a, false
}

// Append formats a as ms-seq.
func (a ID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a ID) String() string { return string(a.Append(nil)) }

// Parse reads "ms-seq" or "ms" (seq then defaults to defSeq); seqGiven
// reports whether the sequence was there. "ms-*" is not accepted here (see
// ParseAdd). ok is false for anything else.
func Parse(b []byte, defSeq uint64) (id ID, seqGiven, ok bool) {
	if len(b) == 0 || len(b) > 127 {
		return ID{}, false, false
	}
	dash := -1
	for i, c := range b {
		if c == '-' {
			dash = i
			break
		}
	}
	if dash < 0 {
		ms, ok := parseU64(b)
		return ID{ms, defSeq}, false, ok
	}
	ms, ok1 := parseU64(b[:dash])
	seq, ok2 := parseU64(b[dash+1:])
	return ID{ms, seq}, true, ok1 && ok2
}

// parseU64 is Redis's string2ull: strtoull in base 10, so leading white
// space and a sign are accepted (a minus wraps around, as in C), but
// nothing may follow the digits and the value must be in range.
func parseU64(b []byte) (uint64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}
