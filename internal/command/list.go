package command

import (
	"math"

	"github.com/smallredis/smallredis/internal/list"
	"github.com/smallredis/smallredis/internal/store"
)

// listCommands operate on lists (package list). LPUSH/RPUSH, LPOP/RPOP and
// LRANGE are the hot path: non-escaping closures, replies written from
// inside them, elements aliasing the list. The blocking commands (BLPOP,
// BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) are built on popElements, writeMPop and
// moveElement, which serve a woken client as the non-blocking forms do.
var listCommands = []*Spec{
	{Name: "lpush", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteFast, Handler: lpush},
	{Name: "rpush", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteFast, Handler: rpush},
	{Name: "lpushx", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteFast, Handler: lpushx},
	{Name: "rpushx", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteFast, Handler: rpushx},
	{Name: "lpop", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteFast, Handler: lpop},
	{Name: "rpop", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteFast, Handler: rpop},
	{Name: "llen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListReadFast, Handler: llen},
	{Name: "lrange", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListReadSlow, Handler: lrange},
	{Name: "lindex", Arity: 3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListReadSlow, Handler: lindex},
	{Name: "lset", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteSlow, Handler: lset},
	{Name: "linsert", Arity: 5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteSlow, Handler: linsert},
	{Name: "lrem", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteSlow, Handler: lrem},
	{Name: "ltrim", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListWriteSlow, Handler: ltrim},
	{Name: "lpos", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclListReadSlow, Handler: lpos},
	{Name: "lmove", Arity: 5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclListWriteSlow, Handler: lmove},
	{Name: "rpoplpush", Arity: 3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclListWriteSlow, Handler: rpoplpush},
	{Name: "lmpop", Arity: -4, Flags: Write, ACL: aclListWriteSlow, Handler: lmpop, KeysFunc: lmpopKeys},
	{Name: "blpop", Arity: -3, Flags: Write | NoScript | Blocking, FirstKey: 1, LastKey: -2, Step: 1, ACL: aclListBlocking, Handler: blpop},
	{Name: "brpop", Arity: -3, Flags: Write | NoScript | Blocking, FirstKey: 1, LastKey: -2, Step: 1, ACL: aclListBlocking, Handler: brpop},
	{Name: "blmove", Arity: 6, Flags: Write | DenyOOM | NoScript | Blocking, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclListBlocking, Handler: blmove},
	{Name: "brpoplpush", Arity: 4, Flags: Write | DenyOOM | NoScript | Blocking, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclListBlocking, Handler: brpoplpush},
	{Name: "blmpop", Arity: -5, Flags: Write | Blocking, ACL: aclListBlocking, Handler: blmpop, KeysFunc: blmpopKeys},
	{Name: "sort", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSortWrite, Handler: sortCmd, KeysFunc: sortKeys},
	{Name: "sort_ro", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSortRead, Handler: sortRO, KeysFunc: sortROKeys},
}

var (
	aclListReadFast  = []string{"read", "list", "fast"}
	aclListReadSlow  = []string{"read", "list", "slow"}
	aclListWriteFast = []string{"write", "list", "fast"}
	aclListWriteSlow = []string{"write", "list", "slow"}
	aclListBlocking  = []string{"write", "list", "slow", "blocking"}
	aclSortWrite     = []string{"write", "set", "sortedset", "list", "slow", "dangerous"}
	aclSortRead      = []string{"read", "set", "sortedset", "list", "slow", "dangerous"}
)

// listLimits reads list-max-listpack-size and list-compress-depth once per
// command.
func listLimits(ctx *Ctx) list.Limits {
	c := ctx.S.Cfg
	return list.Limits{
		Fill:  int(max(min(c.ListMaxListpackSize(), math.MaxInt32), math.MinInt32)),
		Depth: int(c.ListCompressDepth()),
	}
}

// listOf is the list a key holds; the caller has checked the type. Fetched
// with Obj so that, in a write, the store measures it again afterwards.
func listOf(e *store.Entry) *list.List { return e.Obj().(*list.List) }

// lpush: LPUSH key element [element ...]
func lpush(ctx *Ctx) { push(ctx, list.Head, false) }

// rpush: RPUSH key element [element ...]
func rpush(ctx *Ctx) { push(ctx, list.Tail, false) }

// lpushx: LPUSHX key element [element ...]
func lpushx(ctx *Ctx) { push(ctx, list.Head, true) }

// rpushx: RPUSHX key element [element ...]
func rpushx(ctx *Ctx) { push(ctx, list.Tail, true) }

// push adds the elements one by one at one end, creating the list unless
// xx (the X forms), and replies the new length.
func push(ctx *Ctx, where list.Where, xx bool) {
	lim := listLimits(ctx)
	vals := ctx.Args[2:]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		if !ok {
			return
		}
		if !exists {
			if xx {
				ctx.W.Int(0)
				return
			}
			e.SetObj(store.TypeList, list.New())
		}
		l := listOf(e)
		l.Prepare(lim, vals...)
		for _, v := range vals {
			l.Push(v, where, lim)
		}
		ctx.W.Int(int64(l.Len()))
		ctx.Notify(EvList, pushEvent(where), ctx.Args[1])
		ctx.signalPushed(ctx.Args[1], e)
	})
}

// lpop: LPOP key [count]
func lpop(ctx *Ctx) { pop(ctx, list.Head) }

// rpop: RPOP key [count]
func rpop(ctx *Ctx) { pop(ctx, list.Tail) }

func pop(ctx *Ctx, where list.Where) {
	count := int64(-1) // no count: one element, as a bulk reply
	switch len(ctx.Args) {
	case 2:
	case 3:
		n, ok := parseInt(ctx.Args[2])
		if !ok || n < 0 {
			ctx.Err(ErrNegativeCount)
			return
		}
		count = n
	default:
		ctx.ErrArity()
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
		case !exists && count < 0:
			ctx.W.Null()
		case !exists:
			ctx.W.NullArray()
		case count < 0:
			popElements(ctx, e, where, 1, ctx.W.Bulk)
		case count == 0:
			ctx.W.Array(0)
		default:
			n := min(count, int64(listOf(e).Len()))
			ctx.W.Array(int(n))
			popElements(ctx, e, where, int(n), ctx.W.Bulk)
		}
	})
}

// llen: LLEN key
func llen(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
		case !exists:
			ctx.W.Int(0)
		default:
			ctx.W.Int(int64(listOf(e).Len()))
		}
	})
}

// lrange: LRANGE key start stop
func lrange(ctx *Ctx) {
	start, ok1 := parseInt(ctx.Args[2])
	stop, ok2 := parseInt(ctx.Args[3])
	if !ok1 || !ok2 {
		ctx.Err(ErrNotInt)
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.W.Array(0)
			return
		}
		l := listOf(e)
		from, to, ok := clampRange(start, stop, l.Len())
		if !ok {
			ctx.W.Array(0)
			return
		}
		ctx.W.Array(to - from + 1)
		it := l.IterFrom(from, false)
		for range to - from + 1 {
			v, _ := it.Next()
			ctx.W.Bulk(v)
		}
	})
}

// clampRange turns LRANGE/LTRIM indexes (negative from the end) into
// 0 ≤ from ≤ to < n, ok false when the range is empty.
func clampRange(start, stop int64, n int) (from, to int, ok bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	start = max(start, 0)
	if start > stop || start >= ln {
		return 0, 0, false
	}
	stop = min(stop, ln-1)
	return int(start), int(stop), true
}

// lindex: LINDEX key index. As Redis, the key is looked up before the
// index is parsed.
func lindex(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.W.Null()
			return
		}
		i, ok := parseInt(ctx.Args[2])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		if v, ok := listOf(e).Index(int(i)); ok {
			ctx.W.Bulk(v)
		} else {
			ctx.W.Null()
		}
	})
}

// lset: LSET key index element
func lset(ctx *Ctx) {
	lim := listLimits(ctx)
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.Err(ErrNoSuchKey)
			return
		}
		i, ok := parseInt(ctx.Args[2])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		l := listOf(e)
		v := ctx.Args[3]
		l.Prepare(lim, v) // as Redis, even when the index is out of range
		if l.Set(int(i), v, lim) {
			ctx.W.OK()
			ctx.Notify(EvList, "lset", ctx.Args[1])
		} else {
			ctx.Err(ErrIndexRange)
		}
	})
}

// linsert: LINSERT key BEFORE|AFTER pivot element
func linsert(ctx *Ctx) {
	var after bool
	switch {
	case eqFold(ctx.Args[2], "after"):
		after = true
	case eqFold(ctx.Args[2], "before"):
	default:
		ctx.Err(ErrSyntax)
		return
	}
	lim := listLimits(ctx)
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.W.Int(0)
			return
		}
		l := listOf(e)
		l.Prepare(lim, ctx.Args[4]) // as Redis, before looking for the pivot
		if !l.Insert(ctx.Args[3], ctx.Args[4], after, lim) {
			ctx.W.Int(-1)
			return
		}
		ctx.Notify(EvList, "linsert", ctx.Args[1])
		ctx.W.Int(int64(l.Len()))
	})
}

// lrem: LREM key count element
func lrem(ctx *Ctx) {
	count, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	count = max(min(count, math.MaxInt), -math.MaxInt)
	lim := listLimits(ctx)
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.W.Int(0)
			return
		}
		l := listOf(e)
		n := l.Remove(ctx.Args[3], int(count))
		if n > 0 {
			ctx.Notify(EvList, "lrem", ctx.Args[1])
		}
		if l.Len() == 0 {
			ctx.Notify(EvGeneric, "del", ctx.Args[1])
			e.Delete()
		} else if n > 0 {
			l.Convert(lim, true)
		}
		ctx.W.Int(int64(n))
	})
}

// ltrim: LTRIM key start stop
func ltrim(ctx *Ctx) {
	start, ok1 := parseInt(ctx.Args[2])
	stop, ok2 := parseInt(ctx.Args[3])
	if !ok1 || !ok2 {
		ctx.Err(ErrNotInt)
		return
	}
	lim := listLimits(ctx)
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.W.OK()
			return
		}
		l := listOf(e)
		from, to, ok := clampRange(start, stop, l.Len())
		ctx.Notify(EvList, "ltrim", ctx.Args[1])
		if !ok {
			ctx.Notify(EvGeneric, "del", ctx.Args[1])
			e.Delete()
			ctx.W.OK()
			return
		}
		l.Trim(from, to)
		l.Touch() // Redis signals LTRIM even when it kept every element
		l.Convert(lim, true)
		ctx.W.OK()
	})
}

// lpos: LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func lpos(ctx *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(ctx.Args); i++ {
		more := i+1 < len(ctx.Args)
		switch opt := ctx.Args[i]; {
		case eqFold(opt, "rank") && more:
			i++
			n, ok := parseInt(ctx.Args[i])
			switch {
			case !ok:
				ctx.Err(ErrNotInt)
				return
			case n == math.MinInt64:
				ctx.Err(ErrRankRange)
				return
			case n == 0:
				ctx.Err(ErrRankZero)
				return
			}
			rank = n
		case eqFold(opt, "count") && more:
			i++
			n, ok := parseInt(ctx.Args[i])
			if !ok || n < 0 {
				ctx.Err(ErrCountNegative)
				return
			}
			count = n
		case eqFold(opt, "maxlen") && more:
			i++
			n, ok := parseInt(ctx.Args[i])
			if !ok || n < 0 {
				ctx.Err(ErrMaxlenNegative)
				return
			}
			maxlen = n
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	reverse := rank < 0
	if reverse {
		rank = -rank
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeList)
		switch {
		case !ok:
			return
		case !exists && count >= 0:
			ctx.W.Array(0)
			return
		case !exists:
			ctx.W.Null()
			return
		}
		l := listOf(e)
		n := l.Len()
		start := 0
		if reverse {
			start = -1
		}
		it := l.IterFrom(start, reverse)
		elem := ctx.Args[2]
		var matches, found int64
		var body []int64 // match indexes for COUNT; few in practice
		var first int64 = -1
		for index := int64(0); maxlen == 0 || index < maxlen; index++ {
			v, ok := it.Next()
			if !ok {
				break
			}
			if string(v) != string(elem) {
				continue
			}
			matches++
			if matches < rank {
				continue
			}
			at := index
			if reverse {
				at = int64(n) - index - 1
			}
			if count < 0 {
				first = at
				break
			}
			body = append(body, at)
			found++
			if count > 0 && found >= count {
				break
			}
		}
		if count < 0 {
			if first < 0 {
				ctx.W.Null()
			} else {
				ctx.W.Int(first)
			}
			return
		}
		ctx.W.Array(len(body))
		for _, at := range body {
			ctx.W.Int(at)
		}
	})
}

// lmove: LMOVE source destination LEFT|RIGHT LEFT|RIGHT
func lmove(ctx *Ctx) {
	from, ok1 := parseWhere(ctx.Args[3])
	to, ok2 := parseWhere(ctx.Args[4])
	if !ok1 || !ok2 {
		ctx.Err(ErrSyntax)
		return
	}
	lmoveKeys(ctx, from, to)
}

// rpoplpush: RPOPLPUSH source destination
func rpoplpush(ctx *Ctx) { lmoveKeys(ctx, list.Tail, list.Head) }

func lmoveKeys(ctx *Ctx, from, to list.Where) {
	ctx.Multi(ctx.Args[1:3], func(es []*store.Entry) {
		src := es[0]
		exists, ok := writeTyped(ctx, src, store.TypeList)
		switch {
		case !ok:
			return
		case !exists:
			ctx.W.Null()
			return
		}
		if moveElement(ctx, src, es[1], from, to) {
			ctx.signalPushed(ctx.Args[2], es[1])
		}
	})
}

// lmpopKeys finds LMPOP's keys: numkeys of them after numkeys.
func lmpopKeys(args [][]byte) []int { return numkeysKeys(args, 1) }

// lmpop: LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func lmpop(ctx *Ctx) {
	keys, where, count, ok := mpopArgs(ctx, 1)
	if !ok {
		return
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		if i, ok := firstNonEmpty(ctx, es); !ok {
		} else if i < 0 {
			ctx.W.NullArray()
		} else {
			writeMPop(ctx, es[i], keys[i], where, count)
		}
	})
}
