package command

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/smallredis/smallredis/internal/glob"
	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

// hashCommands operate on hashes (package hash), including Redis 7.4's
// hash-field expiry (HEXPIRE … HPERSIST). HSET and HGET are the hot path:
// non-escaping closures, replies written from inside them.
var hashCommands = []*Spec{
	{Name: "hset", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hset},
	{Name: "hmset", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hmset},
	{Name: "hsetnx", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hsetnx},
	{Name: "hget", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hget},
	{Name: "hmget", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hmget},
	{Name: "hgetall", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadSlow, Handler: hgetall},
	{Name: "hkeys", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadSlow, Handler: hkeys},
	{Name: "hvals", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadSlow, Handler: hvals},
	{Name: "hdel", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hdel},
	{Name: "hexists", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hexists},
	{Name: "hlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hlen},
	{Name: "hstrlen", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hstrlen},
	{Name: "hincrby", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hincrby},
	{Name: "hincrbyfloat", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hincrbyfloat},
	{Name: "hrandfield", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadSlow, Handler: hrandfield},
	{Name: "hscan", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadSlow, Handler: hscan},

	// Redis 7.4 hash-field expiry.
	{Name: "hexpire", Arity: -6, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hexpire, Doc: hfeDoc("Set expiry for hash field using relative time to expire (seconds)")},
	{Name: "hpexpire", Arity: -6, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hpexpire, Doc: hfeDoc("Set expiry for hash field using relative time to expire (milliseconds)")},
	{Name: "hexpireat", Arity: -6, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hexpireat, Doc: hfeDoc("Set expiry for hash field using an absolute Unix timestamp (seconds)")},
	{Name: "hpexpireat", Arity: -6, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hpexpireat, Doc: hfeDoc("Set expiry for hash field using an absolute Unix timestamp (milliseconds)")},
	{Name: "httl", Arity: -5, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: httl, Doc: hfeDoc("Returns the TTL in seconds of a hash field.")},
	{Name: "hpttl", Arity: -5, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hpttl, Doc: hfeDoc("Returns the TTL in milliseconds of a hash field.")},
	{Name: "hexpiretime", Arity: -5, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hexpiretime, Doc: hfeDoc("Returns the expiration time of a hash field as a Unix timestamp, in seconds.")},
	{Name: "hpexpiretime", Arity: -5, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashReadFast, Handler: hpexpiretime, Doc: hfeDoc("Returns the expiration time of a hash field as a Unix timestamp, in msec.")},
	{Name: "hpersist", Arity: -5, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclHashWriteFast, Handler: hpersist, Doc: hfeDoc("Removes the expiration time for each specified field")},
}

var (
	aclHashReadFast  = []string{"read", "hash", "fast"}
	aclHashReadSlow  = []string{"read", "hash", "slow"}
	aclHashWriteFast = []string{"write", "hash", "fast"}
)

// hfeDoc documents a Redis 7.4 command our generated docs (from Redis 7.0)
// do not have.
func hfeDoc(summary string) Doc {
	return Doc{Summary: summary, Since: "7.4.0", Group: "hash", Complexity: "O(N) where N is the number of specified fields"}
}

// hashLimits are the current conversion thresholds.
func hashLimits(ctx *Ctx) hash.Limits {
	e, v := ctx.S.Cfg.HashMaxListpack()
	return hash.Limits{Entries: int(min(e, math.MaxInt)), Value: int(min(v, math.MaxInt))}
}

// readHash is readTyped for hashes: h is nil for a missing key; ok is false
// after a WRONGTYPE reply.
func readHash(ctx *Ctx, e *store.Entry) (h *hash.Hash, ok bool) {
	exists, ok := readTyped(ctx, e, store.TypeHash)
	if !exists || !ok {
		return nil, ok
	}
	return e.Obj().(*hash.Hash), true
}

// writeHash is writeTyped for hashes, creating an empty one when the key is
// missing and create is set (the caller then adds to it). ok is false after
// a WRONGTYPE reply.
func writeHash(ctx *Ctx, e *store.Entry, create bool) (h *hash.Hash, ok bool) {
	exists, ok := writeTyped(ctx, e, store.TypeHash)
	if !ok {
		return nil, false
	}
	if !exists {
		if !create {
			return nil, true
		}
		e.SetObj(store.TypeHash, hash.New())
	}
	// Fetched with Obj so the store measures it again afterwards.
	return e.Obj().(*hash.Hash), true
}

// deleteIfEmpty deletes a hash key whose last field went, as Redis does in
// the same command.
func deleteIfEmpty(e *store.Entry, h *hash.Hash) {
	if h.Len() == 0 {
		e.Delete()
	}
}

// hset: HSET key field value [field value ...]
func hset(ctx *Ctx) {
	if len(ctx.Args)%2 != 0 {
		ctx.ErrArity()
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if n, ok := hsetPairs(ctx, e); ok {
			ctx.W.Int(n)
		}
	})
}

// hmset: HMSET key field value [field value ...]
func hmset(ctx *Ctx) {
	if len(ctx.Args)%2 != 0 {
		ctx.ErrArity()
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if _, ok := hsetPairs(ctx, e); ok {
			ctx.W.OK()
		}
	})
}

// hsetPairs writes the field, value pairs of ctx.Args[2:] and returns how
// many fields were new.
func hsetPairs(ctx *Ctx, e *store.Entry) (int64, bool) {
	h, ok := writeHash(ctx, e, true)
	if !ok {
		return 0, false
	}
	lim := hashLimits(ctx)
	pairs := ctx.Args[2:]
	h.Prepare(lim, pairs...)
	n := int64(0)
	for i := 0; i < len(pairs); i += 2 {
		if h.Set(pairs[i], pairs[i+1], lim) {
			n++
		}
	}
	ctx.Notify(EvHash, "hset", ctx.Args[1])
	return n, true
}

// hsetnx: HSETNX key field value
func hsetnx(ctx *Ctx) {
	f, v := ctx.Args[2], ctx.Args[3]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		h, ok := writeHash(ctx, e, true)
		if !ok {
			return
		}
		if h.Has(f) {
			ctx.W.Int(0)
			return
		}
		lim := hashLimits(ctx)
		h.Prepare(lim, f, v)
		h.Set(f, v, lim)
		ctx.Notify(EvHash, "hset", ctx.Args[1])
		ctx.W.Int(1)
	})
}

// hget: HGET key field
func hget(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		if h == nil {
			ctx.W.Null()
			return
		}
		if v, found := h.Get(ctx.Args[2]); found {
			ctx.W.Bulk(v)
			return
		}
		ctx.W.Null()
	})
}

// hmget: HMGET key field [field ...]
func hmget(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		fields := ctx.Args[2:]
		ctx.W.Array(len(fields))
		for _, f := range fields {
			if h != nil {
				if v, found := h.Get(f); found {
					ctx.W.Bulk(v)
					continue
				}
			}
			ctx.W.Null()
		}
	})
}

// hgetall: HGETALL key (a map in RESP3)
func hgetall(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		if h == nil {
			ctx.W.Map(0)
			return
		}
		ctx.W.Map(h.Len())
		h.Range(func(f, v []byte) bool {
			ctx.W.Bulk(f)
			ctx.W.Bulk(v)
			return true
		})
	})
}

// hkeys: HKEYS key
func hkeys(ctx *Ctx) { hashList(ctx, true) }

// hvals: HVALS key
func hvals(ctx *Ctx) { hashList(ctx, false) }

func hashList(ctx *Ctx, fields bool) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		if h == nil {
			ctx.W.Array(0)
			return
		}
		ctx.W.Array(h.Len())
		h.Range(func(f, v []byte) bool {
			if fields {
				ctx.W.Bulk(f)
			} else {
				ctx.W.Bulk(v)
			}
			return true
		})
	})
}

// hdel: HDEL key field [field ...]
func hdel(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		h, ok := writeHash(ctx, e, false)
		if !ok {
			return
		}
		n := int64(0)
		if h != nil {
			for _, f := range ctx.Args[2:] {
				if h.Delete(f) {
					n++
					if h.Len() == 0 {
						break
					}
				}
			}
			if n > 0 {
				ctx.Notify(EvHash, "hdel", ctx.Args[1])
			}
			if h.Len() == 0 {
				ctx.Notify(EvGeneric, "del", ctx.Args[1])
			}
			deleteIfEmpty(e, h)
		}
		ctx.W.Int(n)
	})
}

// hexists: HEXISTS key field
func hexists(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		if h, ok := readHash(ctx, e); ok {
			ctx.W.Int(boolInt(h != nil && h.Has(ctx.Args[2])))
		}
	})
}

// hlen: HLEN key
func hlen(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		n := 0
		if h != nil {
			n = h.Len()
		}
		ctx.W.Int(int64(n))
	})
}

// hstrlen: HSTRLEN key field
func hstrlen(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		n := 0
		if h != nil {
			v, _ := h.Get(ctx.Args[2])
			n = len(v)
		}
		ctx.W.Int(int64(n))
	})
}

// hincrby: HINCRBY key field increment. The field keeps its TTL, as in
// Redis 7.4.
func hincrby(ctx *Ctx) {
	by, ok := parseInt(ctx.Args[3])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	f := ctx.Args[2]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeHash)
		if !ok {
			return
		}
		var cur int64
		if exists {
			if v, found := e.Obj().(*hash.Hash).Get(f); found {
				if cur, ok = parseInt(v); !ok {
					ctx.Err("ERR hash value is not an integer")
					return
				}
			}
		}
		if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
			ctx.Err(ErrOverflow)
			return
		}
		cur += by
		h, _ := writeHash(ctx, e, true)
		var buf [20]byte
		h.SetKeepTTL(f, strconv.AppendInt(buf[:0], cur, 10), hashLimits(ctx))
		ctx.Notify(EvHash, "hincrby", ctx.Args[1])
		ctx.W.Int(cur)
	})
}

// hincrbyfloat: HINCRBYFLOAT key field increment, computed and formatted
// as INCRBYFLOAT (long double, trailing zeros trimmed). The field keeps its
// TTL.
func hincrbyfloat(ctx *Ctx) {
	by, ok := parseLongDouble(ctx.Args[3])
	if !ok {
		ctx.Err(ErrNotFloat)
		return
	}
	if by.IsInf() {
		ctx.Err("ERR value is NaN or Infinity")
		return
	}
	f := ctx.Args[2]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeHash)
		if !ok {
			return
		}
		cur := ldZero()
		if exists {
			if v, found := e.Obj().(*hash.Hash).Get(f); found {
				if cur, ok = parseLongDouble(v); !ok {
					ctx.Err("ERR hash value is not a float")
					return
				}
			}
		}
		sum, ok := addLongDouble(cur, by)
		if !ok {
			ctx.Err(ErrIncrFloatNaNInf)
			return
		}
		out := appendLongDouble(nil, sum)
		h, _ := writeHash(ctx, e, true)
		h.SetKeepTTL(f, out, hashLimits(ctx))
		ctx.Notify(EvHash, "hincrbyfloat", ctx.Args[1])
		ctx.W.Bulk(out)
	})
}

// hrandfield: HRANDFIELD key [count [WITHVALUES]]
func hrandfield(ctx *Ctx) {
	if len(ctx.Args) == 2 {
		ctx.View(ctx.Args[1], func(e *store.Entry) {
			h, ok := readHash(ctx, e)
			if !ok {
				return
			}
			if h == nil {
				ctx.W.Null()
				return
			}
			f, _ := h.Random()
			ctx.W.Bulk(f)
		})
		return
	}
	n, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	if n == math.MinInt64 {
		ctx.Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withValues := false
	if len(ctx.Args) > 4 || (len(ctx.Args) == 4 && !eqFold(ctx.Args[3], "withvalues")) {
		ctx.Err(ErrSyntax)
		return
	}
	if len(ctx.Args) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			ctx.Err("ERR value is out of range")
			return
		}
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		if h == nil || n == 0 {
			ctx.W.Array(0)
			return
		}
		randomFields(ctx.W, h, n, withValues)
	})
}

// randomFields is HRANDFIELD with a count: a negative count may repeat
// fields and returns exactly -n; a positive one returns distinct fields, at
// most the whole hash.
func randomFields(w *resp.Writer, h *hash.Hash, n int64, withValues bool) {
	pair := func(f, v []byte) {
		if withValues && w.Proto >= 3 {
			w.Array(2)
		}
		w.Bulk(f)
		if withValues {
			w.Bulk(v)
		}
	}
	header := func(k int) {
		if withValues && w.Proto < 3 {
			w.Array(2 * k)
		} else {
			w.Array(k)
		}
	}
	size := h.Len()
	if n < 0 || n == 1 {
		k := -n
		if n == 1 {
			k = 1
		}
		header(int(k))
		for range k {
			pair(h.Random())
		}
		return
	}
	if n >= int64(size) {
		header(size)
		h.Range(func(f, v []byte) bool { pair(f, v); return true })
		return
	}
	k := int(n)
	header(k)
	if h.IsPacked() || k*3 > size {
		// Few enough to list them all and drop random ones, as Redis does
		// when the count is close to the size.
		type fv struct{ f, v []byte }
		all := make([]fv, 0, size)
		h.Range(func(f, v []byte) bool { all = append(all, fv{f, v}); return true })
		for len(all) > k {
			i := rand.IntN(len(all))
			all[i] = all[len(all)-1]
			all = all[:len(all)-1]
		}
		for _, p := range all {
			pair(p.f, p.v)
		}
		return
	}
	seen := make(map[string]struct{}, k)
	for len(seen) < k {
		f, v := h.Random()
		if _, dup := seen[string(f)]; dup {
			continue
		}
		seen[string(f)] = struct{}{}
		pair(f, v)
	}
}

// hscan: HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
// (NOVALUES is Redis 7.4's.)
func hscan(ctx *Ctx) {
	cursor, ok := parseCursor(ctx.Args[2])
	if !ok {
		ctx.Err("ERR invalid cursor")
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		if h == nil {
			ctx.W.Array(2)
			ctx.W.BulkString("0")
			ctx.W.Array(0)
			return
		}
		var (
			pat      []byte
			matchOn  bool
			count    int64 = 10
			noValues bool
		)
		for args := ctx.Args[3:]; len(args) > 0; {
			switch opt := args[0]; {
			case eqFold(opt, "count") && len(args) >= 2:
				n, ok := parseInt(args[1])
				if !ok {
					ctx.Err(ErrNotInt)
					return
				}
				if n < 1 {
					ctx.Err(ErrSyntax)
					return
				}
				count = n
				args = args[2:]
			case eqFold(opt, "match") && len(args) >= 2:
				pat = args[1]
				matchOn = !(len(pat) == 1 && pat[0] == '*')
				args = args[2:]
			case eqFold(opt, "novalues"):
				noValues = true
				args = args[1:]
			default:
				ctx.Err(ErrSyntax)
				return
			}
		}
		count = min(count, math.MaxInt32) // a hint; keeps int arithmetic safe
		if !noValues {
			// Redis counts the fields and the values it collected.
			count = max(1, (count+1)/2)
		}
		body := resp.Writer{Proto: ctx.W.Proto}
		n := 0
		next := h.Scan(cursor, int(count), func(f, v []byte) {
			if matchOn && !glob.Match(pat, f, false) {
				return
			}
			body.Bulk(f)
			n++
			if !noValues {
				body.Bulk(v)
				n++
			}
		})
		var cur [20]byte
		ctx.W.Array(2)
		ctx.W.Bulk(strconv.AppendUint(cur[:0], next, 10))
		ctx.W.Array(n)
		ctx.W.Raw(body.B)
	})
}
