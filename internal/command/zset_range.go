package command

import (
	"strconv"

	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/zset"
)

// Ranges of sorted sets: the bounds Redis parses (zslParseRange,
// zslParseLexRange), the ZRANGE family as zrangeGenericCommand reads its
// arguments, and the ZREMRANGEBY… removals.

// strtodRange reads a score bound as Redis's zslParseRange does, with bare
// strtod: leading spaces, overflow to ±inf and the empty string (0) are
// accepted; NaN and trailing bytes are not.
func strtodRange(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	b = b[i:]
	if !isStrtodSyntax(b) {
		return 0, false
	}
	if f, ok := parseFloat(b); ok {
		return f, true
	}
	s := string(b)
	if isHexFloat(b) && !hasHexExponent(b) {
		s += "p0"
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow, 0 on underflow, as strtod
	return f, true
}

func isCSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func parseScoreBound(b []byte) (float64, bool, bool) {
	if len(b) > 0 && b[0] == '(' {
		f, ok := strtodRange(b[1:])
		return f, true, ok
	}
	f, ok := strtodRange(b)
	return f, false, ok
}

// parseScoreRange reads min and max score bounds; the caller answers
// ErrZRangeFloat when ok is false.
func parseScoreRange(min, max []byte) (r zset.ScoreRange, ok bool) {
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseScoreBound(min)
	r.Max, r.MaxEx, ok2 = parseScoreBound(max)
	return r, ok1 && ok2
}

// parseLexRange reads min and max lex bounds ("-", "+", "[x", "(x"); the
// caller answers ErrZRangeLex when ok is false.
func parseLexRange(min, max []byte) (r zset.LexRange, ok bool) {
	if len(min) == 0 || len(max) == 0 {
		return r, false
	}
	switch min[0] {
	case '-', '+':
		if len(min) != 1 {
			return r, false
		}
		r.MinInf, r.MinPos = min[0] == '-', min[0] == '+'
	case '(', '[':
		r.Min, r.MinEx = min[1:], min[0] == '('
	default:
		return r, false
	}
	switch max[0] {
	case '-', '+':
		if len(max) != 1 {
			return r, false
		}
		r.MaxInf, r.MaxNeg = max[0] == '+', max[0] == '-'
	case '(', '[':
		r.Max, r.MaxEx = max[1:], max[0] == '('
	default:
		return r, false
	}
	return r, true
}

type rangeKind uint8

const (
	byAuto rangeKind = iota
	byRank
	byScore
	byLex
)

// zrangeQuery is a parsed ZRANGE (or one of its older forms).
type zrangeQuery struct {
	kind          rangeKind
	rev           bool
	withScores    bool
	offset, limit int64 // limit -1: no LIMIT
	start, stop   int64
	score         zset.ScoreRange
	lex           zset.LexRange
}

// parseZRange reads args as zrangeGenericCommand does, from argStart (the
// source key) on; kind and rev are preset by the older commands (dirSet
// tells whether rev was). It answers the error itself.
func parseZRange(ctx *Ctx, argStart int, store bool, kind rangeKind, rev, dirSet bool) (q zrangeQuery, ok bool) {
	args := ctx.Args
	q.kind, q.rev, q.limit = kind, rev, -1
	minIdx, maxIdx := argStart+1, argStart+2
	for j := argStart + 3; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case !store && eqFold(a, "withscores"):
			q.withScores = true
		case eqFold(a, "limit") && left >= 2:
			o, ok1 := parseInt(args[j+1])
			l, ok2 := parseInt(args[j+2])
			if !ok1 || !ok2 {
				ctx.Err(ErrNotInt)
				return q, false
			}
			q.offset, q.limit = o, l
			j += 2
		case !dirSet && eqFold(a, "rev"):
			q.rev, dirSet = true, true
		case q.kind == byAuto && eqFold(a, "bylex"):
			q.kind = byLex
		case q.kind == byAuto && eqFold(a, "byscore"):
			q.kind = byScore
		default:
			ctx.Err(ErrSyntax)
			return q, false
		}
	}
	if q.kind == byAuto {
		q.kind = byRank
	}
	if q.limit != -1 && q.kind == byRank {
		ctx.Err(ErrZLimitRank)
		return q, false
	}
	if q.withScores && q.kind == byLex {
		ctx.Err(ErrZLexWithScores)
		return q, false
	}
	if q.rev && q.kind != byRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	switch q.kind {
	case byRank:
		s, ok1 := parseInt(args[minIdx])
		e, ok2 := parseInt(args[maxIdx])
		if !ok1 || !ok2 {
			ctx.Err(ErrNotInt)
			return q, false
		}
		q.start, q.stop = s, e
	case byScore:
		if q.score, ok = parseScoreRange(args[minIdx], args[maxIdx]); !ok {
			ctx.Err(ErrZRangeFloat)
			return q, false
		}
	case byLex:
		if q.lex, ok = parseLexRange(args[minIdx], args[maxIdx]); !ok {
			ctx.Err(ErrZRangeLex)
			return q, false
		}
	}
	return q, true
}

// rankSpan sanitizes a start, stop rank pair as Redis does: the ascending
// ranks [first, first+n).
func rankSpan(start, stop int64, size int) (first, n int) {
	l := int64(size)
	if start < 0 {
		start += l
	}
	if stop < 0 {
		stop += l
	}
	start = max(start, 0)
	if start > stop || start >= l {
		return 0, 0
	}
	stop = min(stop, l-1)
	return int(start), int(stop - start + 1)
}

// span resolves the query over z: the rank the walk starts at (ascending
// rank; the walk goes down from it when rev) and how many members it takes.
func (q *zrangeQuery) span(z *zset.ZSet) (from, n int) {
	size := z.Len()
	var first int
	switch q.kind {
	case byRank:
		first, n = rankSpan(q.start, q.stop, size)
		if q.rev {
			return size - 1 - first, n
		}
		return first, n
	case byScore:
		first, n = z.ScoreSpan(q.score)
	default:
		first, n = z.LexSpan(q.lex)
	}
	// LIMIT: a negative offset skips everything, as Redis's
	// "while (offset--)" loop does; a negative count takes all.
	switch {
	case q.offset < 0 || q.offset >= int64(n):
		return 0, 0
	case q.offset > 0:
		n -= int(q.offset)
		if !q.rev {
			first += int(q.offset)
		}
	}
	if q.limit >= 0 && q.limit < int64(n) {
		if q.rev {
			first += n - int(q.limit)
		}
		n = int(q.limit)
	}
	if q.rev {
		return first + n - 1, n
	}
	return first, n
}

// walk calls fn for the query's members in reply order.
func (q *zrangeQuery) walk(z *zset.ZSet, fn func(m []byte, s float64)) int {
	from, n := q.span(z)
	if n == 0 {
		return 0
	}
	left := n
	z.Walk(from, q.rev, func(m []byte, s float64) bool {
		fn(m, s)
		left--
		return left > 0
	})
	return n
}

func zrangeReply(ctx *Ctx, argStart int, kind rangeKind, rev, dirSet bool) {
	q, ok := parseZRange(ctx, argStart, false, kind, rev, dirSet)
	if !ok {
		return
	}
	ctx.View(ctx.Args[argStart], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		switch {
		case !ok:
		case z == nil:
			ctx.W.Array(0)
		default:
			_, n := q.span(z)
			writeZHeader(ctx.W, n, q.withScores)
			q.walk(z, func(m []byte, s float64) { writeZElem(ctx.W, m, s, q.withScores) })
		}
	})
}

// zrange: ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
func zrange(ctx *Ctx) { zrangeReply(ctx, 1, byAuto, false, false) }

// zrevrange: ZREVRANGE key start stop [WITHSCORES]
func zrevrange(ctx *Ctx) { zrangeReply(ctx, 1, byRank, true, true) }

// zrangebyscore: ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
func zrangebyscore(ctx *Ctx) { zrangeReply(ctx, 1, byScore, false, true) }

// zrevrangebyscore: ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
func zrevrangebyscore(ctx *Ctx) { zrangeReply(ctx, 1, byScore, true, true) }

// zrangebylex: ZRANGEBYLEX key min max [LIMIT offset count]
func zrangebylex(ctx *Ctx) { zrangeReply(ctx, 1, byLex, false, true) }

// zrevrangebylex: ZREVRANGEBYLEX key max min [LIMIT offset count]
func zrevrangebylex(ctx *Ctx) { zrangeReply(ctx, 1, byLex, true, true) }

// zrangestore: ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
func zrangestore(ctx *Ctx) {
	q, ok := parseZRange(ctx, 2, true, byAuto, false, false)
	if !ok {
		return
	}
	dstKey := ctx.Args[1]
	lim := zsetLimits(ctx)
	ctx.Multi(ctx.Args[1:3], func(es []*store.Entry) {
		dst, srcE := es[0], es[1]
		src, ok := zsetRead(ctx, srcE)
		if !ok {
			return
		}
		var res *zset.ZSet
		if src != nil {
			// Redis sizes the destination by the count for a rank range
			// and starts a score or lex range as a listpack; members go in
			// in reply order (which decides whether a -0 became 0).
			hint := 0
			if q.kind == byRank {
				_, hint = q.span(src)
			}
			res = zset.New(hint, 0, lim)
			q.walk(src, func(m []byte, s float64) { res.Insert(m, s, lim) })
		}
		zstoreResult(ctx, dst, dstKey, res, lim, "zrangestore")
	})
}

// zstoreResult stores a store command's result, or deletes dst when it is
// empty, with Redis's reply and events.
func zstoreResult(ctx *Ctx, dst *store.Entry, key []byte, res *zset.ZSet, lim zset.Limits, event string) {
	if res == nil || res.Len() == 0 {
		ctx.W.Int(0)
		if dst.Exists() {
			dst.Delete()
			ctx.Notify(EvGeneric, "del", key)
		}
		return
	}
	zsetStore(dst, res, lim)
	ctx.W.Int(int64(res.Len()))
	ctx.Notify(EvZSet, event, key)
	ctx.signalPushed(key, dst)
}

// zremrangebyrank: ZREMRANGEBYRANK key start stop
func zremrangebyrank(ctx *Ctx) {
	start, ok1 := parseInt(ctx.Args[2])
	stop, ok2 := parseInt(ctx.Args[3])
	if !ok1 || !ok2 {
		ctx.Err(ErrNotInt)
		return
	}
	zremrange(ctx, "zrembyrank", func(z *zset.ZSet) (int, int) { return rankSpan(start, stop, z.Len()) })
}

// zremrangebyscore: ZREMRANGEBYSCORE key min max
func zremrangebyscore(ctx *Ctx) {
	r, ok := parseScoreRange(ctx.Args[2], ctx.Args[3])
	if !ok {
		ctx.Err(ErrZRangeFloat)
		return
	}
	zremrange(ctx, "zrembyscore", func(z *zset.ZSet) (int, int) { return z.ScoreSpan(r) })
}

// zremrangebylex: ZREMRANGEBYLEX key min max
func zremrangebylex(ctx *Ctx) {
	r, ok := parseLexRange(ctx.Args[2], ctx.Args[3])
	if !ok {
		ctx.Err(ErrZRangeLex)
		return
	}
	zremrange(ctx, "zrembylex", func(z *zset.ZSet) (int, int) { return z.LexSpan(r) })
}

func zremrange(ctx *Ctx, event string, span func(z *zset.ZSet) (first, n int)) {
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		z, ok := zsetWrite(ctx, e)
		switch {
		case !ok:
			return
		case z == nil:
			ctx.W.Int(0)
			return
		}
		first, n := span(z)
		removed := 0
		if n > 0 {
			removed = z.DeleteRanks(first, first+n-1)
		}
		if removed > 0 {
			ctx.Notify(EvZSet, event, key)
			zsetEmptied(ctx, e, key)
		}
		ctx.W.Int(int64(removed))
	})
}
