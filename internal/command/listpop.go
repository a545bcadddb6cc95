package command

import (
	"math"

	"github.com/smallredis/smallredis/internal/list"
	"github.com/smallredis/smallredis/internal/store"
)

// The list pops and moves, shared by the commands that run at once (LPOP,
// RPOP, LMPOP, LMOVE, RPOPLPUSH) and the blocking ones, which call them on
// the keys that woke them: each takes entries its caller has locked and
// type-checked, does what Redis does when the command succeeds (deleting a
// list it emptied, converting one that shrank back to a listpack), and
// writes the elements for the caller's reply.

// parseWhere reads LEFT or RIGHT.
func parseWhere(b []byte) (list.Where, bool) {
	switch {
	case eqFold(b, "left"):
		return list.Head, true
	case eqFold(b, "right"):
		return list.Tail, true
	}
	return 0, false
}

// pushElement adds v to the list in dst at one end, creating the list when
// the key is missing (LMOVE's and BLMOVE's destination); the caller has
// checked dst's type.
func pushElement(ctx *Ctx, dst *store.Entry, v []byte, where list.Where) {
	lim := listLimits(ctx)
	if !dst.Exists() {
		dst.SetObj(store.TypeList, list.New())
	}
	l := listOf(dst)
	l.Prepare(lim, v)
	l.Push(v, where, lim)
}

// popElements pops count elements (at most the list's length) from one
// end of the list e holds, handing each to fn before the next pop (the
// slice is valid only during the call), then converts the list back to a
// listpack if it shrank enough, or deletes the key once it is empty, as
// Redis does in the same command. e must hold a list (checked by the
// caller). It writes no reply of its own: LPOP, LMPOP and the blocking
// pops wrap the elements in their own reply shapes.
func popElements(ctx *Ctx, e *store.Entry, where list.Where, count int, fn func(v []byte)) {
	l := listOf(e)
	n := min(count, l.Len())
	for range n {
		fn(l.Peek(where))
		l.Pop(where)
	}
	if n > 0 {
		ctx.Notify(EvList, popEvent(where), e.Key())
	}
	if l.Len() == 0 {
		ctx.Notify(EvGeneric, "del", e.Key())
		e.Delete()
		return
	}
	l.Convert(listLimits(ctx), true)
}

// popEvent and pushEvent are the keyspace events of a pop or push at where.
func popEvent(where list.Where) string {
	if where == list.Head {
		return "lpop"
	}
	return "rpop"
}

func pushEvent(where list.Where) string {
	if where == list.Head {
		return "lpush"
	}
	return "rpush"
}

// writeMPop pops up to count elements from the list e holds and replies
// LMPOP's (and BLMPOP's) shape: [key, [elements…]]. e must hold a
// non-empty list.
func writeMPop(ctx *Ctx, e *store.Entry, key []byte, where list.Where, count int) {
	n := min(count, listOf(e).Len())
	ctx.W.Array(2)
	ctx.W.Bulk(key)
	ctx.W.Array(n)
	popElements(ctx, e, where, n, ctx.W.Bulk)
}

// moveElement pops one element from the list src holds at from, pushes it
// onto dst's list (creating it) at to, and replies the element (LMOVE,
// RPOPLPUSH, and BLMOVE/BRPOPLPUSH once woken). src must hold a non-empty
// list; dst may be src itself (the same *Entry, from one Multi). It answers
// WRONGTYPE, changing nothing, when dst holds another type, and reports
// whether it moved.
func moveElement(ctx *Ctx, src, dst *store.Entry, from, to list.Where) bool {
	if dst.Exists() && dst.Type() != store.TypeList {
		ctx.Err(ErrWrongType)
		return false
	}
	// Copied: the pop may move the bytes the element aliases, and Redis
	// pops before it pushes (the order matters when src is dst).
	var buf [128]byte
	l := listOf(src)
	v := append(buf[:0], l.Peek(from)...)
	l.Pop(from)
	// When dst is src the list is not deleted in between, so the key
	// keeps its TTL, as in Redis.
	pushElement(ctx, dst, v, to)
	// Redis's order: the destination's push, the source's pop, its del.
	ctx.Notify(EvList, pushEvent(to), dst.Key())
	ctx.Notify(EvList, popEvent(from), src.Key())
	if l.Len() == 0 {
		ctx.Notify(EvGeneric, "del", src.Key())
		src.Delete()
	} else {
		l.Convert(listLimits(ctx), true)
	}
	ctx.W.Bulk(v)
	return true
}

// numkeysKeys lists the keys of a command whose numkeys argument is at
// index at, followed by the keys (LMPOP; BLMPOP has it at 2).
func numkeysKeys(args [][]byte, at int) []int {
	if len(args) <= at {
		return nil
	}
	n, ok := parseInt(args[at])
	if !ok || n < 1 || n > int64(len(args)-at-1) {
		return nil
	}
	keys := make([]int, n)
	for i := range keys {
		keys[i] = at + 1 + i
	}
	return keys
}

// mpopArgs parses [numkeys] key [key ...] LEFT|RIGHT [COUNT count] from
// args[at] on (LMPOP at 1, BLMPOP at 2), answering the error itself when
// ok is false.
func mpopArgs(ctx *Ctx, at int) (keys [][]byte, where list.Where, count int, ok bool) {
	args := ctx.Args
	n, ok := parseInt(args[at])
	if !ok || n < 1 {
		ctx.Err(ErrNumkeysPositive)
		return nil, 0, 0, false
	}
	wi := int64(at) + n + 1
	if n > int64(len(args)) || wi >= int64(len(args)) {
		ctx.Err(ErrSyntax)
		return nil, 0, 0, false
	}
	if where, ok = parseWhere(args[wi]); !ok {
		ctx.Err(ErrSyntax)
		return nil, 0, 0, false
	}
	count = -1
	for j := int(wi) + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			c, ok := parseInt(args[j])
			if !ok || c < 1 {
				ctx.Err(ErrCountPositive)
				return nil, 0, 0, false
			}
			count = int(min(c, math.MaxInt))
			continue
		}
		ctx.Err(ErrSyntax)
		return nil, 0, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : wi], where, count, true
}

// firstNonEmpty is the index of the first entry holding a list (lists are
// never empty), -1 when none; it answers WRONGTYPE and returns ok false at
// a key of another type met before one (LMPOP, BLMPOP).
func firstNonEmpty(ctx *Ctx, es []*store.Entry) (i int, ok bool) {
	for i, e := range es {
		exists, ok := writeTyped(ctx, e, store.TypeList)
		if !ok {
			return -1, false
		}
		if exists && listOf(e).Len() > 0 {
			return i, true
		}
	}
	return -1, true
}
