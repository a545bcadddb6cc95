package command

import (
	"math"

	"github.com/smallredis/smallredis/internal/store"
)

// Sorted set pops, shared by ZPOPMIN/ZPOPMAX, ZMPOP and the blocking forms
// (which call them on the key that woke them, under its lock).

// popMembers pops up to count members from the lowest (or, when popMax,
// highest) end of the set e holds, handing each to fn before the next one
// goes, then deletes an emptied key; it reports the event Redis sends.
func popMembers(ctx *Ctx, e *store.Entry, key []byte, popMax bool, count int, fn func(m []byte, s float64)) int {
	z := zsetOf(e)
	n := min(count, z.Len())
	var buf [64]byte
	for range n {
		r := 0
		if popMax {
			r = z.Len() - 1
		}
		m, s := z.At(r)
		m = append(buf[:0], m...)
		fn(m, s)
		z.DeleteRanks(r, r)
	}
	if n > 0 {
		if popMax {
			ctx.Notify(EvZSet, "zpopmax", key)
		} else {
			ctx.Notify(EvZSet, "zpopmin", key)
		}
		zsetEmptied(ctx, e, key)
	}
	return n
}

// zpopmin: ZPOPMIN key [count]
func zpopmin(ctx *Ctx) { zpop(ctx, false) }

// zpopmax: ZPOPMAX key [count]
func zpopmax(ctx *Ctx) { zpop(ctx, true) }

func zpop(ctx *Ctx, popMax bool) {
	if len(ctx.Args) > 3 {
		ctx.Err(ErrSyntax)
		return
	}
	count, hasCount := int64(1), len(ctx.Args) == 3
	if hasCount {
		c, ok := parseInt(ctx.Args[2])
		if !ok || c < 0 {
			ctx.Err(ErrNegativeCount)
			return
		}
		count = c
	}
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		z, ok := zsetWrite(ctx, e)
		switch {
		case !ok:
			return
		case z == nil || count == 0: // count 0 only after the type check, as Redis
			ctx.W.Array(0)
			return
		}
		// RESP3 nests [member, score] pairs only when a count was given.
		nested := hasCount && ctx.W.Proto >= 3
		n := int(min(count, int64(z.Len())))
		if nested {
			ctx.W.Array(n)
		} else {
			ctx.W.Array(2 * n)
		}
		popMembers(ctx, e, key, popMax, n, func(m []byte, s float64) {
			if nested {
				ctx.W.Array(2)
			}
			ctx.W.Bulk(m)
			ctx.W.Double(s)
		})
	})
}

// writeZMPop pops up to count members from e's set and replies ZMPOP's
// shape: [key, [[member, score]…]].
func writeZMPop(ctx *Ctx, e *store.Entry, key []byte, popMax bool, count int) {
	n := min(count, zsetOf(e).Len())
	ctx.W.Array(2)
	ctx.W.Bulk(key)
	ctx.W.Array(n)
	popMembers(ctx, e, key, popMax, n, func(m []byte, s float64) {
		ctx.W.Array(2)
		ctx.W.Bulk(m)
		ctx.W.Double(s)
	})
}

// writeBZPop pops one member and replies BZPOPMIN's shape: [key, member, score].
func writeBZPop(ctx *Ctx, e *store.Entry, key []byte, popMax bool) {
	ctx.W.Array(3)
	ctx.W.Bulk(key)
	popMembers(ctx, e, key, popMax, 1, func(m []byte, s float64) {
		ctx.W.Bulk(m)
		ctx.W.Double(s)
	})
}

func zmpopKeys(args [][]byte) []int  { return numkeysKeys(args, 1) }
func bzmpopKeys(args [][]byte) []int { return numkeysKeys(args, 2) }

// zmpopArgs parses numkeys key [key ...] MIN|MAX [COUNT count] from
// args[at] on, answering the error itself.
func zmpopArgs(ctx *Ctx, at int) (keys [][]byte, popMax bool, count int, ok bool) {
	args := ctx.Args
	n, ok := parseInt(args[at])
	if !ok || n < 1 {
		ctx.Err(ErrNumkeysPositive)
		return nil, false, 0, false
	}
	wi := int64(at) + n + 1
	if n > int64(len(args)) || wi >= int64(len(args)) {
		ctx.Err(ErrSyntax)
		return nil, false, 0, false
	}
	switch {
	case eqFold(args[wi], "min"):
	case eqFold(args[wi], "max"):
		popMax = true
	default:
		ctx.Err(ErrSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := int(wi) + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			c, ok := parseInt(args[j])
			if !ok || c < 1 {
				ctx.Err(ErrCountPositive)
				return nil, false, 0, false
			}
			count = int(min(c, math.MaxInt))
			continue
		}
		ctx.Err(ErrSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : wi], popMax, count, true
}

// firstZSet is the index of the first entry holding a sorted set, -1 when
// none; it answers WRONGTYPE at a key of another type met before one.
func firstZSet(ctx *Ctx, es []*store.Entry) (int, bool) {
	for i, e := range es {
		z, ok := zsetWrite(ctx, e)
		if !ok {
			return -1, false
		}
		if z != nil && z.Len() > 0 {
			return i, true
		}
	}
	return -1, true
}

// zmpop: ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func zmpop(ctx *Ctx) {
	keys, popMax, count, ok := zmpopArgs(ctx, 1)
	if !ok {
		return
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		i, ok := firstZSet(ctx, es)
		switch {
		case !ok:
		case i >= 0:
			writeZMPop(ctx, es[i], keys[i], popMax, count)
		case ctx.denyBlocking(blockZMPop):
		default:
			ctx.W.NullArray()
		}
	})
}

// bzpopmin: BZPOPMIN key [key ...] timeout
func bzpopmin(ctx *Ctx) { bzpop(ctx, false) }

// bzpopmax: BZPOPMAX key [key ...] timeout
func bzpopmax(ctx *Ctx) { bzpop(ctx, true) }

func bzpop(ctx *Ctx, popMax bool) {
	keys := ctx.Args[1 : len(ctx.Args)-1]
	timeout, ok := parseTimeout(ctx, ctx.Args[len(ctx.Args)-1])
	if !ok {
		return
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		i, ok := firstZSet(ctx, es)
		switch {
		case !ok:
		case i >= 0:
			writeBZPop(ctx, es[i], keys[i], popMax)
		case ctx.denyBlocking(blockZPop):
		default:
			ctx.block(keys, &waiter{kind: blockZPop, zmax: popMax}, timeout)
		}
	})
}

// bzmpop: BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func bzmpop(ctx *Ctx) {
	timeout, ok := parseTimeout(ctx, ctx.Args[1])
	if !ok {
		return
	}
	keys, popMax, count, ok := zmpopArgs(ctx, 2)
	if !ok {
		return
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		i, ok := firstZSet(ctx, es)
		switch {
		case !ok:
		case i >= 0:
			writeZMPop(ctx, es[i], keys[i], popMax, count)
		case ctx.denyBlocking(blockZMPop):
		default:
			ctx.block(keys, &waiter{kind: blockZMPop, zmax: popMax, count: count}, timeout)
		}
	})
}
