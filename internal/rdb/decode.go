package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"github.com/smallredis/smallredis/internal/stream"
)

// Kind is the Redis type a payload holds.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// Value is a decoded payload's contents, independent of any encoding:
// Str for a string; Elems for the others (list elements in order, set
// members, sorted set members with Scores alongside, hash fields and
// values alternating). Slices may alias the payload. Duplicates are left
// for the caller to reject as it builds the value (Redis rejects them).
// A stream is decoded whole into Stream (its nodes are Redis's listpacks,
// kept as they are; it aliases nothing).
type Value struct {
	Kind   Kind
	Str    []byte
	Elems  [][]byte
	Scores []float64
	Stream *stream.Stream
}

// Decode reads the object at the start of a DUMP payload (type byte,
// value in RDB 10 or an older encoding Redis 7.0 still loads), validating
// every byte layout deeply, as Redis's RESTORE does with
// sanitize-dump-payload yes. Pass the payload with its footer, as Redis
// reads it: a value that runs into the footer's bytes loads there too. It returns false for anything Redis answers "Bad data format" to:
// a truncated or corrupt value, an empty collection (an empty stream is a
// value), a NaN score, a module value (which we do not have), an unknown
// type. Bytes after the object are ignored, as Redis ignores them.
func Decode(body []byte) (*Value, bool) {
	v, _, ok := DecodeObject(body)
	return v, ok
}

// DecodeObject is Decode that also returns the bytes after the object, for
// reading objects one after another (an RDB file).
func DecodeObject(body []byte) (*Value, []byte, bool) {
	if len(body) == 0 {
		return nil, nil, false
	}
	return decodeTyped(body[0], body[1:])
}

// decodeTyped decodes a value of type t from b.
func decodeTyped(t byte, b []byte) (*Value, []byte, bool) {
	v := &Value{}
	var e Elems
	ok := false
	switch t {
	case TypeString:
		v.Kind = KindString
		v.Str, b, ok = ReadString(b)
		return v, b, ok
	case TypeList, TypeSet:
		v.Kind = KindList
		if t == TypeSet {
			v.Kind = KindSet
		}
		b, ok = readStrings(b, 1, &e)
	case TypeHash:
		v.Kind = KindHash
		b, ok = readStrings(b, 2, &e)
	case TypeZSet, TypeZSet2:
		v.Kind = KindZSet
		b, ok = readZSet(b, t == TypeZSet2, v, &e)
	case TypeStreamListpacks, TypeStreamListpack2:
		v.Kind = KindStream
		v.Stream, b, ok = readStream(t, b)
		return v, b, ok
	case TypeListQuicklist, TypeListQuicklist2:
		v.Kind = KindList
		b, ok = readQuicklist(b, t == TypeListQuicklist2, &e)
	case TypeHashZipmap, TypeListZiplist, TypeSetIntset, TypeZSetZiplist, TypeHashZiplist, TypeHashListpack, TypeZSetListpack:
		blob, rest, sok := ReadString(b)
		if !sok {
			return nil, nil, false
		}
		b = rest
		switch t {
		case TypeHashZipmap:
			v.Kind, ok = KindHash, readZipmap(blob, &e)
		case TypeListZiplist:
			v.Kind, ok = KindList, readZiplist(blob, &e)
		case TypeSetIntset:
			v.Kind, ok = KindSet, readIntset(blob, &e)
		case TypeZSetZiplist, TypeZSetListpack:
			v.Kind = KindZSet
			if t == TypeZSetZiplist {
				ok = readZiplist(blob, &e)
			} else {
				ok = readListpack(blob, &e)
			}
			ok = ok && len(e.V)%2 == 0 && pairScores(v, &e)
		case TypeHashZiplist, TypeHashListpack:
			v.Kind = KindHash
			if t == TypeHashZiplist {
				ok = readZiplist(blob, &e)
			} else {
				ok = readListpack(blob, &e)
			}
			ok = ok && len(e.V)%2 == 0
		}
	default:
		return nil, nil, false
	}
	if !ok || len(e.V) == 0 {
		return nil, nil, false
	}
	v.Elems = e.V
	return v, b, true
}

// capHint bounds a preallocation by what the rest of the payload could
// hold, so a forged length cannot make us allocate.
func capHint(n uint64, rest []byte) int { return int(min(n, uint64(len(rest)))) }

// readStrings reads a length and then per counted item per strings.
func readStrings(b []byte, per int, e *Elems) ([]byte, bool) {
	n, b, ok := readPlainLen(b)
	if !ok || n == 0 || n > uint64(len(b)) { // every item takes a byte at least
		return nil, false
	}
	e.V = make([][]byte, 0, capHint(n*uint64(per), b))
	for range n * uint64(per) {
		var s []byte
		if s, b, ok = ReadString(b); !ok {
			return nil, false
		}
		e.V = append(e.V, s)
	}
	return b, true
}

func readZSet(b []byte, binaryScores bool, v *Value, e *Elems) ([]byte, bool) {
	n, b, ok := readPlainLen(b)
	if !ok || n == 0 || n > uint64(len(b)) { // every item takes a byte at least
		return nil, false
	}
	e.V = make([][]byte, 0, capHint(n, b))
	v.Scores = make([]float64, 0, capHint(n, b))
	for range n {
		var m []byte
		if m, b, ok = ReadString(b); !ok {
			return nil, false
		}
		var s float64
		if binaryScores {
			if len(b) < 8 {
				return nil, false
			}
			s = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		} else {
			if len(b) == 0 {
				return nil, false
			}
			switch l := int(b[0]); {
			case l == 253:
				return nil, false // NaN
			case l == 254:
				s, b = math.Inf(1), b[1:]
			case l == 255:
				s, b = math.Inf(-1), b[1:]
			default:
				if len(b) < 1+l {
					return nil, false
				}
				if s, ok = parseScore(b[1 : 1+l]); !ok {
					return nil, false
				}
				b = b[1+l:]
			}
		}
		if math.IsNaN(s) {
			return nil, false
		}
		e.V = append(e.V, m)
		v.Scores = append(v.Scores, s)
	}
	return b, true
}

// pairScores turns member, score pairs into members and Scores.
func pairScores(v *Value, e *Elems) bool {
	n := len(e.V) / 2
	v.Scores = make([]float64, n)
	for i := range n {
		s, ok := parseScore(e.V[2*i+1])
		if !ok {
			return false
		}
		v.Scores[i] = s
		e.V[i] = e.V[2*i]
	}
	e.V = e.V[:n]
	return true
}

// parseScore reads a score as Redis writes one (an integer, %.17g, inf,
// -inf); NaN and anything unreadable fail.
func parseScore(s []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, !math.IsNaN(f)
}

func readQuicklist(b []byte, v2 bool, e *Elems) ([]byte, bool) {
	n, b, ok := readPlainLen(b)
	if !ok || n == 0 || n > uint64(len(b)) { // every item takes a byte at least
		return nil, false
	}
	for range n {
		container := uint64(ContainerPacked)
		if v2 {
			if container, b, ok = readPlainLen(b); !ok || container != ContainerPacked && container != ContainerPlain {
				return nil, false
			}
		}
		var blob []byte
		if blob, b, ok = ReadString(b); !ok || len(blob) == 0 {
			return nil, false
		}
		switch {
		case container == ContainerPlain:
			e.V = append(e.V, blob)
		case v2:
			ok = readListpack(blob, e)
		default:
			ok = readZiplist(blob, e)
		}
		if !ok {
			return nil, false
		}
	}
	return b, true
}
