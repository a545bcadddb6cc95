package command

import (
	"math"

	"github.com/smallredis/smallredis/internal/store"
)

// expireCommands set and read time to live.
var expireCommands = []*Spec{
	{Name: "expire", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: expire},
	{Name: "pexpire", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: pexpire},
	{Name: "expireat", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: expireat},
	{Name: "pexpireat", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: pexpireat},
	{Name: "ttl", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: ttl},
	{Name: "pttl", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: pttl},
	{Name: "expiretime", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: expiretime},
	{Name: "pexpiretime", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: pexpiretime},
	{Name: "persist", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: persist},
}

// expire: EXPIRE key seconds [NX | XX | GT | LT]
func expire(ctx *Ctx) { expireGeneric(ctx, ctx.Now, true) }

// pexpire: PEXPIRE key milliseconds [NX | XX | GT | LT]
func pexpire(ctx *Ctx) { expireGeneric(ctx, ctx.Now, false) }

// expireat: EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
func expireat(ctx *Ctx) { expireGeneric(ctx, 0, true) }

// pexpireat: PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
func pexpireat(ctx *Ctx) { expireGeneric(ctx, 0, false) }

// The conditions of the EXPIRE family.
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

// parseExpireFlags parses NX|XX|GT|LT as Redis 7.0 does: any number of
// them in any order, incompatible pairs rejected once all are read.
func parseExpireFlags(ctx *Ctx, args [][]byte) (int, bool) {
	flags := 0
	for _, a := range args {
		switch {
		case eqFold(a, "nx"):
			flags |= expNX
		case eqFold(a, "xx"):
			flags |= expXX
		case eqFold(a, "gt"):
			flags |= expGT
		case eqFold(a, "lt"):
			flags |= expLT
		default:
			ctx.Err("ERR Unsupported option " + string(a))
			return 0, false
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		ctx.Err("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		ctx.Err("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// expireGeneric sets key's expiry to base + the argument (in seconds when
// seconds is set), in the order Redis 7.0 checks things: options, number,
// overflow, key, condition. A time not in the future deletes the key at
// once, as an explicit delete (it is not counted in expired_keys).
func expireGeneric(ctx *Ctx, base int64, seconds bool) {
	flags, ok := parseExpireFlags(ctx, ctx.Args[3:])
	if !ok {
		return
	}
	when, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			ctx.Err(invalidExpire(ctx))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		ctx.Err(invalidExpire(ctx))
		return
	}
	when += base
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.W.Int(0)
			return
		}
		cur := e.ExpireAt() // 0: no expiry, an infinite TTL for GT and LT
		switch {
		case flags&expNX != 0 && cur != 0,
			flags&expXX != 0 && cur == 0,
			flags&expGT != 0 && (cur == 0 || when <= cur),
			flags&expLT != 0 && cur != 0 && when >= cur:
			ctx.W.Int(0)
			return
		}
		if when <= ctx.Now {
			e.Delete()
		} else {
			e.SetExpireAt(when)
		}
		ctx.W.Int(1)
	})
}

// ttl: TTL key
func ttl(ctx *Ctx) { ttlGeneric(ctx, false, false) }

// pttl: PTTL key
func pttl(ctx *Ctx) { ttlGeneric(ctx, true, false) }

// expiretime: EXPIRETIME key
func expiretime(ctx *Ctx) { ttlGeneric(ctx, false, true) }

// pexpiretime: PEXPIRETIME key
func pexpiretime(ctx *Ctx) { ttlGeneric(ctx, true, true) }

// ttlGeneric replies -2 for a missing key, -1 for a key without expiry,
// else the remaining time (or the absolute expiry time), in seconds rounded
// to the nearest one unless ms is set.
func ttlGeneric(ctx *Ctx, ms, abs bool) {
	ctx.Peek(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.Miss()
			ctx.W.Int(-2)
			return
		}
		ctx.Hit()
		at := e.ExpireAt()
		if at == 0 {
			ctx.W.Int(-1)
			return
		}
		t := at
		if !abs {
			t = max(at-ctx.Now, 0)
		}
		if !ms {
			t = roundToSeconds(t)
		}
		ctx.W.Int(t)
	})
}

// roundToSeconds is Redis's (ms+500)/1000 for ms >= 0, without its
// overflow near MaxInt64.
func roundToSeconds(ms int64) int64 { return ms/1000 + (ms%1000+500)/1000 }

// persist: PERSIST key
func persist(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if e.Exists() && e.ExpireAt() != 0 {
			e.SetExpireAt(0)
			ctx.W.Int(1)
			return
		}
		ctx.W.Int(0)
	})
}
