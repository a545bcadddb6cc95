package command

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/smallredis/smallredis/internal/glob"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/zset"
)

// zsetCommands operate on sorted set values (package zset). Ranges are in
// zset_range.go, pops in zset_pop.go, the algebra in zset_algebra.go.
var zsetCommands = []*Spec{
	{Name: "zadd", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteFast, Handler: zadd},
	{Name: "zincrby", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteFast, Handler: zincrby},
	{Name: "zrem", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteFast, Handler: zrem},
	{Name: "zcard", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zcard},
	{Name: "zscore", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zscore},
	{Name: "zmscore", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zmscore},
	{Name: "zrank", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zrank},
	{Name: "zrevrank", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zrevrank},
	{Name: "zcount", Arity: 4, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zcount},
	{Name: "zlexcount", Arity: 4, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadFast, Handler: zlexcount},
	{Name: "zrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrange},
	{Name: "zrangestore", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclZWriteSlow, Handler: zrangestore},
	{Name: "zrangebyscore", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrangebyscore},
	{Name: "zrevrangebyscore", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrevrangebyscore},
	{Name: "zrangebylex", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrangebylex},
	{Name: "zrevrangebylex", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrevrangebylex},
	{Name: "zrevrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrevrange},
	{Name: "zremrangebyrank", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteSlow, Handler: zremrangebyrank},
	{Name: "zremrangebyscore", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteSlow, Handler: zremrangebyscore},
	{Name: "zremrangebylex", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteSlow, Handler: zremrangebylex},
	{Name: "zpopmin", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteFast, Handler: zpopmin},
	{Name: "zpopmax", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZWriteFast, Handler: zpopmax},
	{Name: "zmpop", Arity: -4, Flags: Write, ACL: aclZWriteSlow, Handler: zmpop, KeysFunc: zmpopKeys},
	{Name: "bzpopmin", Arity: -3, Flags: Write | NoScript | Fast | Blocking, FirstKey: 1, LastKey: -2, Step: 1, ACL: aclZBlocking, Handler: bzpopmin},
	{Name: "bzpopmax", Arity: -3, Flags: Write | NoScript | Fast | Blocking, FirstKey: 1, LastKey: -2, Step: 1, ACL: aclZBlocking, Handler: bzpopmax},
	{Name: "bzmpop", Arity: -5, Flags: Write | Blocking, ACL: aclZBlockingSlow, Handler: bzmpop, KeysFunc: bzmpopKeys},
	{Name: "zrandmember", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zrandmember},
	{Name: "zunion", Arity: -3, Flags: ReadOnly, ACL: aclZReadSlow, Handler: zunion, KeysFunc: zalgebraKeys},
	{Name: "zinter", Arity: -3, Flags: ReadOnly, ACL: aclZReadSlow, Handler: zinter, KeysFunc: zalgebraKeys},
	{Name: "zdiff", Arity: -3, Flags: ReadOnly, ACL: aclZReadSlow, Handler: zdiff, KeysFunc: zalgebraKeys},
	{Name: "zintercard", Arity: -3, Flags: ReadOnly, ACL: aclZReadSlow, Handler: zintercard, KeysFunc: zalgebraKeys},
	{Name: "zunionstore", Arity: -4, Flags: Write | DenyOOM, ACL: aclZWriteSlow, FirstKey: 1, LastKey: 1, Step: 1, Handler: zunionstore, KeysFunc: zstoreKeys},
	{Name: "zinterstore", Arity: -4, Flags: Write | DenyOOM, ACL: aclZWriteSlow, FirstKey: 1, LastKey: 1, Step: 1, Handler: zinterstore, KeysFunc: zstoreKeys},
	{Name: "zdiffstore", Arity: -4, Flags: Write | DenyOOM, ACL: aclZWriteSlow, FirstKey: 1, LastKey: 1, Step: 1, Handler: zdiffstore, KeysFunc: zstoreKeys},
	{Name: "zscan", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclZReadSlow, Handler: zscan},
}

var (
	aclZReadFast     = []string{"read", "sortedset", "fast"}
	aclZReadSlow     = []string{"read", "sortedset", "slow"}
	aclZWriteFast    = []string{"write", "sortedset", "fast"}
	aclZWriteSlow    = []string{"write", "sortedset", "slow"}
	aclZBlocking     = []string{"write", "sortedset", "fast", "blocking"}
	aclZBlockingSlow = []string{"write", "sortedset", "slow", "blocking"}
)

const (
	ErrZAddIncrPair   = "ERR INCR option supports a single increment-element pair"
	ErrZAddNXXX       = "ERR XX and NX options at the same time are not compatible"
	ErrZAddGTLTNX     = "ERR GT, LT, and/or NX options at the same time are not compatible"
	ErrZScoreNaN      = "ERR resulting score is not a number (NaN)"
	ErrZRangeFloat    = "ERR min or max is not a float"
	ErrZRangeLex      = "ERR min or max not valid string range item"
	ErrZWeightFloat   = "ERR weight value is not a float"
	ErrZLimitRank     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	ErrZLexWithScores = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	ErrOutOfRange     = "ERR value is out of range"
)

// zsetEmptied deletes a key whose set a command emptied, reporting "del"
// as Redis does after the command's own event.
func zsetEmptied(ctx *Ctx, e *store.Entry, key []byte) {
	if e.Exists() && zsetOf(e).Len() == 0 {
		e.Delete()
		ctx.Notify(EvGeneric, "del", key)
	}
}

// writeZHeader opens a reply of n members, with scores as Redis's zrange
// replies carry them: RESP2 a flat array of member, score; RESP3 an array
// of [member, score] pairs.
func writeZHeader(w *resp.Writer, n int, withScores bool) {
	if withScores && w.Proto < 3 {
		w.Array(2 * n)
		return
	}
	w.Array(n)
}

func writeZElem(w *resp.Writer, m []byte, s float64, withScores bool) {
	if withScores && w.Proto >= 3 {
		w.Array(2)
	}
	w.Bulk(m)
	if withScores {
		w.Double(s)
	}
}

// zadd: ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
func zadd(ctx *Ctx) { zaddGeneric(ctx, false) }

// zincrby: ZINCRBY key increment member
func zincrby(ctx *Ctx) { zaddGeneric(ctx, true) }

func zaddGeneric(ctx *Ctx, zincrby bool) {
	args := ctx.Args
	var nx, xx, gt, lt, ch bool
	incr := zincrby
	i := 2
	for ; !zincrby && i < len(args); i++ {
		a := args[i]
		switch {
		case eqFold(a, "nx"):
			nx = true
		case eqFold(a, "xx"):
			xx = true
		case eqFold(a, "gt"):
			gt = true
		case eqFold(a, "lt"):
			lt = true
		case eqFold(a, "ch"):
			ch = true
		case eqFold(a, "incr"):
			incr = true
		default:
			goto done
		}
	}
done:
	elems := args[i:]
	if len(elems)%2 != 0 || len(elems) == 0 {
		ctx.Err(ErrSyntax)
		return
	}
	if incr && len(elems) > 2 {
		ctx.Err(ErrZAddIncrPair)
		return
	}
	if nx && xx {
		ctx.Err(ErrZAddNXXX)
		return
	}
	if gt && nx || lt && nx || gt && lt {
		ctx.Err(ErrZAddGTLTNX)
		return
	}
	n := len(elems) / 2
	var scoreBuf [8]float64
	scores := scoreBuf[:0]
	for j := range n {
		s, ok := parseFloat(elems[2*j])
		if !ok {
			ctx.Err(ErrNotFloat)
			return
		}
		scores = append(scores, s)
	}
	key := args[1]
	lim := zsetLimits(ctx)
	ctx.Update(key, func(e *store.Entry) {
		z, ok := zsetWrite(ctx, e)
		if !ok {
			return
		}
		var added, updated, processed int
		var score float64
		nan := false
		// Redis 7.0 picks the new set's encoding by its first member only
		// (7.2 looks at them all, and converts an existing set up front);
		// the final encoding is the same, but a -0 added while the set is
		// still a listpack becomes 0.
		if z == nil && !xx {
			z = zsetCreate(e, 1, len(elems[1]), lim)
		}
		for j := 0; z != nil && j < n; j++ {
			m, s := elems[2*j+1], scores[j]
			cur, exists := z.Score(m)
			switch {
			case exists:
				if nx {
					continue
				}
				if incr {
					s += cur
					if math.IsNaN(s) {
						nan = true
						break
					}
				}
				if lt && s >= cur || gt && s <= cur {
					continue
				}
				if s != cur {
					z.Update(m, cur, s)
					updated++
				}
			case xx:
				continue
			default:
				z.Insert(m, s, lim)
				added++
			}
			if nan {
				break
			}
			score = s
			processed++
		}
		if z != nil && z.Len() == 0 {
			e.Delete() // created, then nothing was added (a NaN increment)
		}
		if added+updated > 0 {
			if incr {
				ctx.Notify(EvZSet, "zincr", key)
			} else {
				ctx.Notify(EvZSet, "zadd", key)
			}
			if added > 0 {
				ctx.signalPushed(key, e)
			}
		}
		switch {
		case nan:
			ctx.Err(ErrZScoreNaN)
		case incr && processed > 0:
			ctx.W.Double(score)
		case incr:
			ctx.W.Null()
		case ch:
			ctx.W.Int(int64(added + updated))
		default:
			ctx.W.Int(int64(added))
		}
	})
}

// zrem: ZREM key member [member ...]
func zrem(ctx *Ctx) {
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		z, ok := zsetWrite(ctx, e)
		if !ok {
			return
		}
		n := 0
		if z != nil {
			for _, m := range ctx.Args[2:] {
				if z.Delete(m) {
					n++
					if z.Len() == 0 {
						break
					}
				}
			}
		}
		if n > 0 {
			ctx.Notify(EvZSet, "zrem", key)
			zsetEmptied(ctx, e, key)
		}
		ctx.W.Int(int64(n))
	})
}

// zcard: ZCARD key
func zcard(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		switch {
		case !ok:
		case z == nil:
			ctx.W.Int(0)
		default:
			ctx.W.Int(int64(z.Len()))
		}
	})
}

// zscore: ZSCORE key member
func zscore(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		if z != nil {
			if s, ok := z.Score(ctx.Args[2]); ok {
				ctx.W.Double(s)
				return
			}
		}
		ctx.W.Null()
	})
}

// zmscore: ZMSCORE key member [member ...]
func zmscore(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		ms := ctx.Args[2:]
		ctx.W.Array(len(ms))
		for _, m := range ms {
			if z != nil {
				if s, ok := z.Score(m); ok {
					ctx.W.Double(s)
					continue
				}
			}
			ctx.W.Null()
		}
	})
}

// zrank: ZRANK key member [WITHSCORE]
func zrank(ctx *Ctx) { zrankGeneric(ctx, false) }

// zrevrank: ZREVRANK key member [WITHSCORE]
func zrevrank(ctx *Ctx) { zrankGeneric(ctx, true) }

func zrankGeneric(ctx *Ctx, rev bool) {
	withScore := false
	switch {
	case len(ctx.Args) > 4:
		ctx.Err(ErrSyntax)
		return
	case len(ctx.Args) == 4:
		if !eqFold(ctx.Args[3], "withscore") {
			ctx.Err(ErrSyntax)
			return
		}
		withScore = true
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		if z != nil {
			if r, s, ok := z.Rank(ctx.Args[2], rev); ok {
				if withScore {
					ctx.W.Array(2)
					ctx.W.Int(int64(r))
					ctx.W.Double(s)
				} else {
					ctx.W.Int(int64(r))
				}
				return
			}
		}
		if withScore {
			ctx.W.NullArray()
		} else {
			ctx.W.Null()
		}
	})
}

// zcount: ZCOUNT key min max
func zcount(ctx *Ctx) {
	r, ok := parseScoreRange(ctx.Args[2], ctx.Args[3])
	if !ok {
		ctx.Err(ErrZRangeFloat)
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		switch {
		case !ok:
		case z == nil:
			ctx.W.Int(0)
		default:
			_, n := z.ScoreSpan(r)
			ctx.W.Int(int64(n))
		}
	})
}

// zlexcount: ZLEXCOUNT key min max
func zlexcount(ctx *Ctx) {
	r, ok := parseLexRange(ctx.Args[2], ctx.Args[3])
	if !ok {
		ctx.Err(ErrZRangeLex)
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		switch {
		case !ok:
		case z == nil:
			ctx.W.Int(0)
		default:
			_, n := z.LexSpan(r)
			ctx.W.Int(int64(n))
		}
	})
}

// zscan: ZSCAN key cursor [MATCH pattern] [COUNT count]
func zscan(ctx *Ctx) {
	cursor, ok := parseCursor(ctx.Args[2])
	if !ok {
		ctx.Err("ERR invalid cursor")
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		if z == nil {
			ctx.W.Array(2)
			ctx.W.BulkString("0")
			ctx.W.Array(0)
			return
		}
		pat, count, ok := scanOptions(ctx, ctx.Args[3:])
		if !ok {
			return
		}
		body := resp.Writer{Proto: ctx.W.Proto}
		n, seen := 0, 0
		var sb [32]byte
		emit := func(m []byte, s float64) {
			seen++
			if pat == nil || glob.Match(pat, m, false) {
				body.Bulk(m)
				// A bulk string in RESP3 too: Redis's scan hands over the
				// score's text.
				body.Bulk(resp.AppendDouble(sb[:0], s))
				n++
			}
		}
		next := cursor
		for steps := count * 10; ; steps-- {
			next = z.Scan(next, int(count), emit)
			if next == 0 || steps <= 0 || int64(seen) >= count {
				break
			}
		}
		var cur [20]byte
		ctx.W.Array(2)
		ctx.W.Bulk(strconv.AppendUint(cur[:0], next, 10))
		ctx.W.Array(2 * n)
		ctx.W.Raw(body.B)
	})
}

// zrandmember: ZRANDMEMBER key [count [WITHSCORES]]
func zrandmember(ctx *Ctx) {
	if len(ctx.Args) == 2 {
		ctx.View(ctx.Args[1], func(e *store.Entry) {
			z, ok := zsetRead(ctx, e)
			switch {
			case !ok:
			case z == nil:
				ctx.W.Null()
			default:
				m, _ := z.Random()
				ctx.W.Bulk(m)
			}
		})
		return
	}
	l, ok := parseInt(ctx.Args[2])
	switch {
	case !ok:
		ctx.Err(ErrNotInt)
		return
	case l == math.MinInt64:
		ctx.Err(ErrSrandCountRange)
		return
	}
	withScores := false
	if len(ctx.Args) > 4 || len(ctx.Args) == 4 && !eqFold(ctx.Args[3], "withscores") {
		ctx.Err(ErrSyntax)
		return
	} else if len(ctx.Args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			ctx.Err(ErrOutOfRange)
			return
		}
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		switch {
		case !ok:
			return
		case z == nil || l == 0:
			ctx.W.Array(0)
			return
		}
		zrandWithCount(ctx, z, l, withScores)
	})
}

// zrandWithCount follows Redis's zrandmemberWithCountCommand: a negative
// count draws with repetition; a count reaching the size answers the whole
// set in order; otherwise count distinct members, uniformly.
func zrandWithCount(ctx *Ctx, z *zset.ZSet, l int64, withScores bool) {
	w := ctx.W
	size := int64(z.Len())
	if l < 0 {
		count := -l
		writeZHeader(w, int(min(count, math.MaxInt32)), withScores)
		start, limit := w.Len(), int(ctx.S.Cfg.ProtoMaxBulkLen())
		for range count {
			m, s := z.Random()
			writeZElem(w, m, s, withScores)
			if w.Len()-start > limit {
				ctx.C.CloseAfterReply = true // see srandmemberCount
				return
			}
		}
		return
	}
	if l >= size {
		// The whole set, from the highest score down, as Redis's
		// iterator gives it.
		writeZHeader(w, int(size), withScores)
		z.Walk(int(size)-1, true, func(m []byte, s float64) bool {
			writeZElem(w, m, s, withScores)
			return true
		})
		return
	}
	count := int(l)
	writeZHeader(w, count, withScores)
	if count*3 > int(size) {
		// Selection sampling: one pass, each count-subset equally likely.
		need, left := count, int(size)
		z.Walk(0, false, func(m []byte, s float64) bool {
			if rand.IntN(left) < need {
				writeZElem(w, m, s, withScores)
				need--
			}
			left--
			return need > 0
		})
		return
	}
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		r := rand.IntN(int(size))
		if _, dup := seen[r]; dup {
			continue
		}
		seen[r] = struct{}{}
		m, s := z.At(r)
		writeZElem(w, m, s, withScores)
	}
}
