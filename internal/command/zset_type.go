package command

import (
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/zset"
)

// The sorted set value as the commands see it: the shared lookups every
// command holding a zset key (ZADD…, and GEOADD… on the same values) goes
// through, so WRONGTYPE, the encoding thresholds and "empty means deleted"
// are decided in one place.

// zsetLimits reads the encoding thresholds once per command (CONFIG SET
// applies to the next write, as in Redis).
func zsetLimits(ctx *Ctx) zset.Limits {
	c := ctx.S.Cfg
	return zset.Limits{Entries: c.ZSetMaxListpackEntries(), Value: c.ZSetMaxListpackValue()}
}

// zsetOf is the sorted set a key holds; the caller has checked the type.
func zsetOf(e *store.Entry) *zset.ZSet { return e.Obj().(*zset.ZSet) }

// zsetRead is readTyped for a sorted set: the set (nil when the key is
// missing) and whether the caller may go on (false after WRONGTYPE).
func zsetRead(ctx *Ctx, e *store.Entry) (*zset.ZSet, bool) {
	exists, ok := readTyped(ctx, e, store.TypeZSet)
	if !ok || !exists {
		return nil, ok
	}
	return zsetOf(e), true
}

// zsetWrite is writeTyped for a sorted set; see zsetRead.
func zsetWrite(ctx *Ctx, e *store.Entry) (*zset.ZSet, bool) {
	exists, ok := writeTyped(ctx, e, store.TypeZSet)
	if !ok || !exists {
		return nil, ok
	}
	return zsetOf(e), true
}

// zsetCreate stores a new empty sorted set under e, in the encoding Redis
// picks for about hint members of which the longest has maxLen bytes.
func zsetCreate(e *store.Entry, hint, maxLen int, lim zset.Limits) *zset.ZSet {
	z := zset.New(hint, maxLen, lim)
	e.SetObj(store.TypeZSet, z)
	return z
}

// zsetStore replaces e with z (a set a store command built), deleting the
// key when z is empty, and shrinks z to a listpack when it fits one.
func zsetStore(e *store.Entry, z *zset.ZSet, lim zset.Limits) {
	if z.Len() == 0 {
		e.Delete()
		return
	}
	z.Shrink(lim)
	e.SetObj(store.TypeZSet, z)
	e.SetExpireAt(0)
}
