package command

import (
	"math"
	"sort"

	settype "github.com/smallredis/smallredis/internal/set"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/zset"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD, as Redis's
// zunionInterDiffGenericCommand: sorted sets and plain sets (members of
// score 1) as inputs, WEIGHTS and AGGREGATE, keys type-checked before the
// options are read.

type setOp uint8

const (
	opUnion setOp = iota
	opInter
	opDiff
)

type aggregate uint8

const (
	aggSum aggregate = iota
	aggMin
	aggMax
)

// zsrc is one input: a sorted set, a set, or nothing (a missing key).
type zsrc struct {
	z      *zset.ZSet
	s      *settype.Set
	weight float64
}

func (x *zsrc) len() int {
	switch {
	case x.z != nil:
		return x.z.Len()
	case x.s != nil:
		return x.s.Len()
	}
	return 0
}

func (x *zsrc) score(m []byte) (float64, bool) {
	switch {
	case x.z != nil:
		return x.z.Score(m)
	case x.s != nil:
		return 1, x.s.Has(m)
	}
	return 0, false
}

func (x *zsrc) each(fn func(m []byte, s float64) bool) {
	switch {
	case x.z != nil:
		x.z.Walk(0, false, fn)
	case x.s != nil:
		x.s.Range(func(m []byte) bool { return fn(m, 1) })
	}
}

func aggr(a aggregate, acc *float64, v float64) {
	switch a {
	case aggSum:
		*acc += v
		if math.IsNaN(*acc) {
			*acc = 0 // inf + -inf: Redis's convention
		}
	// Not Go's min and max: a tie (0 and -0) or a NaN keeps the
	// accumulator, as Redis's comparisons do.
	case aggMin:
		if v < *acc {
			*acc = v
		}
	case aggMax:
		if v > *acc {
			*acc = v
		}
	}
}

func weighted(s, w float64) float64 {
	v := s * w
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// zalgebraKeys finds ZUNION's (ZINTER's, ZDIFF's, ZINTERCARD's) keys.
func zalgebraKeys(args [][]byte) []int { return numkeysKeys(args, 1) }

// zstoreKeys finds the destination and the sources of the STORE forms.
func zstoreKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	return append([]int{1}, numkeysKeys(args, 2)...)
}

// zunion: ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func zunion(ctx *Ctx) { zalgebra(ctx, opUnion, false, false) }

// zinter: ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func zinter(ctx *Ctx) { zalgebra(ctx, opInter, false, false) }

// zdiff: ZDIFF numkeys key [key ...] [WITHSCORES]
func zdiff(ctx *Ctx) { zalgebra(ctx, opDiff, false, false) }

// zintercard: ZINTERCARD numkeys key [key ...] [LIMIT limit]
func zintercard(ctx *Ctx) { zalgebra(ctx, opInter, false, true) }

// zunionstore: ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
func zunionstore(ctx *Ctx) { zalgebra(ctx, opUnion, true, false) }

// zinterstore: ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
func zinterstore(ctx *Ctx) { zalgebra(ctx, opInter, true, false) }

// zdiffstore: ZDIFFSTORE destination numkeys key [key ...]
func zdiffstore(ctx *Ctx) { zalgebra(ctx, opDiff, true, false) }

func zalgebra(ctx *Ctx, op setOp, store_, cardOnly bool) {
	args := ctx.Args
	numIdx := 1
	if store_ {
		numIdx = 2
	}
	setnum, ok := parseInt(args[numIdx])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	if setnum < 1 {
		ctx.Err("ERR at least 1 input key is needed for '" + ctx.Cmd.Name + "' command")
		return
	}
	if setnum > int64(len(args)-(numIdx+1)) {
		ctx.Err(ErrSyntax)
		return
	}
	n := int(setnum)
	keys := args[numIdx+1 : numIdx+1+n]
	lockKeys := keys
	if store_ {
		lockKeys = append([][]byte{args[1]}, keys...)
	}
	lim := zsetLimits(ctx)
	ctx.Multi(lockKeys, func(es []*store.Entry) {
		var dst *store.Entry
		if store_ {
			dst, es = es[0], es[1:]
		}
		src := make([]zsrc, n)
		for i, e := range es {
			src[i].weight = 1
			if !e.Exists() {
				ctx.MissKey(e)
				continue
			}
			ctx.Hit()
			switch e.Type() {
			case store.TypeZSet:
				src[i].z = zsetOf(e)
			case store.TypeSet:
				src[i].s = setOf(e)
			default:
				ctx.Err(ErrWrongType)
				return
			}
		}
		agg, withScores, limit := aggSum, false, int64(0)
		for j := numIdx + 1 + n; j < len(args); {
			rem := len(args) - j
			a := args[j]
			switch {
			case op != opDiff && !cardOnly && rem >= n+1 && eqFold(a, "weights"):
				j++
				for i := range n {
					w, ok := parseFloat(args[j])
					if !ok {
						ctx.Err(ErrZWeightFloat)
						return
					}
					src[i].weight = w
					j++
				}
			case op != opDiff && !cardOnly && rem >= 2 && eqFold(a, "aggregate"):
				switch v := args[j+1]; {
				case eqFold(v, "sum"):
					agg = aggSum
				case eqFold(v, "min"):
					agg = aggMin
				case eqFold(v, "max"):
					agg = aggMax
				default:
					ctx.Err(ErrSyntax)
					return
				}
				j += 2
			case !store_ && !cardOnly && eqFold(a, "withscores"):
				withScores = true
				j++
			case cardOnly && rem >= 2 && eqFold(a, "limit"):
				l, ok := parseInt(args[j+1])
				if !ok || l < 0 {
					ctx.Err(ErrLimitNegative)
					return
				}
				limit = l
				j += 2
			default:
				ctx.Err(ErrSyntax)
				return
			}
		}
		if cardOnly {
			ctx.W.Int(int64(interCard(src, limit)))
			return
		}
		// Built in the large encoding, as Redis builds it (so a -0 score
		// survives in the reply), and shrunk on store.
		res := zset.New(math.MaxInt32, 0, lim)
		switch op {
		case opUnion:
			zunionInto(res, src, agg, lim)
		case opInter:
			zinterInto(res, src, agg, lim)
		default:
			zdiffInto(res, src, lim)
		}
		if store_ {
			event := [...]string{"zunionstore", "zinterstore", "zdiffstore"}[op]
			zstoreResult(ctx, dst, args[1], res, lim, event)
			return
		}
		writeZHeader(ctx.W, res.Len(), withScores)
		res.Walk(0, false, func(m []byte, s float64) bool {
			writeZElem(ctx.W, m, s, withScores)
			return true
		})
	})
}

// bySize orders the inputs smallest first, as Redis does for ZINTER and
// ZUNION (glibc's qsort is a stable merge sort at these sizes).
func bySize(src []zsrc) []zsrc {
	s := append([]zsrc(nil), src...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].len() < s[j].len() })
	return s
}

func zinterInto(res *zset.ZSet, src []zsrc, agg aggregate, lim zset.Limits) {
	s := bySize(src)
	if s[0].len() == 0 {
		return
	}
	type ent struct {
		m []byte
		s float64
	}
	var out []ent
	s[0].each(func(m []byte, sc float64) bool {
		score := weighted(sc, s[0].weight)
		for i := 1; i < len(s); i++ {
			v, ok := s[i].score(m)
			if !ok {
				return true
			}
			aggr(agg, &score, v*s[i].weight) // only the first is NaN-cleaned, as in Redis
		}
		out = append(out, ent{append([]byte(nil), m...), score})
		return true
	})
	for _, e := range out {
		res.Insert(e.m, e.s, lim)
	}
}

func interCard(src []zsrc, limit int64) int {
	s := bySize(src)
	n := 0
	if s[0].len() == 0 {
		return 0
	}
	s[0].each(func(m []byte, _ float64) bool {
		for i := 1; i < len(s); i++ {
			if _, ok := s[i].score(m); !ok {
				return true
			}
		}
		n++
		return limit == 0 || int64(n) < limit
	})
	return n
}

func zunionInto(res *zset.ZSet, src []zsrc, agg aggregate, lim zset.Limits) {
	src = bySize(src) // the order decides ties under MIN and MAX, as in Redis
	acc := map[string]float64{}
	var order []string
	for i := range src {
		src[i].each(func(m []byte, sc float64) bool {
			v := weighted(sc, src[i].weight)
			if cur, ok := acc[string(m)]; ok {
				aggr(agg, &cur, v)
				acc[string(m)] = cur
			} else {
				acc[string(m)] = v
				order = append(order, string(m))
			}
			return true
		})
	}
	for _, m := range order {
		res.Insert([]byte(m), acc[m], lim)
	}
}

func zdiffInto(res *zset.ZSet, src []zsrc, lim zset.Limits) {
	if src[0].len() == 0 {
		return
	}
	type ent struct {
		m []byte
		s float64
	}
	var out []ent
	src[0].each(func(m []byte, sc float64) bool {
		for i := 1; i < len(src); i++ {
			if _, ok := src[i].score(m); ok {
				return true
			}
		}
		out = append(out, ent{append([]byte(nil), m...), sc})
		return true
	})
	for _, e := range out {
		res.Insert(e.m, e.s, lim)
	}
}
