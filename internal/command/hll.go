package command

import (
	"github.com/smallredis/smallredis/internal/hll"
	"github.com/smallredis/smallredis/internal/store"
)

// hllCommands keep HyperLogLogs in plain strings, in Redis's byte layout
// (package hll), so GET/SET move them between smallredis and Redis.
var hllCommands = []*Spec{
	{Name: "pfadd", Arity: -2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"write", "hyperloglog", "fast"}, Handler: pfadd},
	{Name: "pfcount", Arity: -2, Flags: ReadOnly | MayReplicate, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"read", "hyperloglog", "slow"}, Handler: pfcount},
	{Name: "pfmerge", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"write", "hyperloglog", "slow"}, Handler: pfmerge},
	{Name: "pfdebug", Arity: 3, Flags: Write | DenyOOM | Admin, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"write", "hyperloglog", "admin", "slow", "dangerous"}, Handler: pfdebug},
	{Name: "pfselftest", Arity: 1, Flags: Admin, ACL: []string{"hyperloglog", "admin", "slow", "dangerous"}, Handler: pfselftest},
}

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// hllValue is Redis's isHLLObjectOrReply for an existing key: the value
// if it is a string holding an HLL, else the error reply is sent.
func hllValue(ctx *Ctx, e *store.Entry) ([]byte, bool) {
	if e.Type() != store.TypeString {
		ctx.Err(ErrWrongType)
		return nil, false
	}
	v := e.Str()
	if !hll.Valid(v) {
		ctx.Err(errNotHLL)
		return nil, false
	}
	return v, true
}

// storeHLL replaces the key's value with the owned buffer b, raw encoded
// as Redis's HLL strings are.
func storeHLL(e *store.Entry, b []byte) {
	e.SetStrOwned(b)
	e.MarkRaw()
}

// ownedCopy copies a stored value so it can grow by append.
func ownedCopy(v []byte) []byte { return append(make([]byte, 0, len(v)+8), v...) }

// pfadd: PFADD key [element [element ...]]
func pfadd(ctx *Ctx) {
	maxSparse := int(ctx.S.Cfg.HLLSparseMaxBytes())
	eles := ctx.Args[2:]
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		var b []byte
		updated := false
		if e.Exists() {
			cur, ok := hllValue(ctx, e)
			if !ok {
				return
			}
			if hll.IsDense(cur) {
				// Registers change in place, and only when one rises: an
				// add that changes nothing leaves the key untouched.
				if !hll.WouldChange(cur, eles) {
					ctx.W.Int(0)
					return
				}
				b = e.MutableStr(len(cur))
				for _, ele := range eles {
					b, _, _ = hll.Add(b, ele, maxSparse)
				}
				hll.Invalidate(b)
				ctx.Notify(EvString, "pfadd", key)
				ctx.W.Int(1)
				return
			}
			b = ownedCopy(cur)
		} else {
			b = hll.New()
			updated = true
		}
		for _, ele := range eles {
			nb, changed, err := hll.Add(b, ele, maxSparse)
			if err != nil {
				// Redis keeps what the earlier elements changed.
				if updated {
					storeHLL(e, b)
				}
				ctx.Err(errCorruptHLL)
				return
			}
			b = nb
			updated = updated || changed
		}
		if !updated {
			ctx.W.Int(0)
			return
		}
		hll.Invalidate(b)
		storeHLL(e, b)
		ctx.Notify(EvString, "pfadd", key)
		ctx.W.Int(1)
	})
}

// pfcount: PFCOUNT key [key ...]. One key answers from (and refreshes)
// the cached cardinality in the header; several keys count their union
// and cache nothing.
func pfcount(ctx *Ctx) {
	if len(ctx.Args) > 2 {
		ctx.Multi(ctx.Args[1:], func(es []*store.Entry) {
			var u hll.Union
			for _, e := range es {
				if !e.Exists() {
					ctx.MissKey(e)
					continue
				}
				ctx.Hit()
				v, ok := hllValue(ctx, e)
				if !ok {
					return
				}
				if u.Merge(v) != nil {
					ctx.Err(errCorruptHLL)
					return
				}
			}
			ctx.W.Int(int64(u.Count()))
		})
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.MissKey(e)
			ctx.W.Int(0)
			return
		}
		ctx.Hit()
		v, ok := hllValue(ctx, e)
		if !ok {
			return
		}
		if card, ok := hll.Cached(v); ok {
			ctx.W.Int(int64(card))
			return
		}
		card, err := hll.Count(v)
		if err != nil {
			ctx.Err(errCorruptHLL)
			return
		}
		hll.SetCached(e.MutableStr(len(v)), card)
		ctx.W.Int(int64(card))
	})
}

// pfmerge: PFMERGE destkey [sourcekey [sourcekey ...]]. The destination
// counts among the sources; it turns dense if any source is dense.
func pfmerge(ctx *Ctx) {
	maxSparse := int(ctx.S.Cfg.HLLSparseMaxBytes())
	ctx.Multi(ctx.Args[1:], func(es []*store.Entry) {
		var u hll.Union
		dense := false
		for _, e := range es {
			if !e.Exists() {
				ctx.MissKey(e)
				continue
			}
			ctx.Hit()
			v, ok := hllValue(ctx, e)
			if !ok {
				return
			}
			dense = dense || hll.IsDense(v)
			if u.Merge(v) != nil {
				ctx.Err(errCorruptHLL)
				return
			}
		}
		dst := es[0]
		var b []byte
		if dst.Exists() {
			b = ownedCopy(dst.Str())
		}
		b, err := u.Store(b, dense, maxSparse)
		if err != nil {
			ctx.Err(errCorruptHLL)
			return
		}
		storeHLL(dst, b)
		// Redis reports a merge as "pfadd", a mass add.
		ctx.Notify(EvString, "pfadd", ctx.Args[1])
		ctx.W.OK()
	})
}

// pfdebug: PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key
func pfdebug(ctx *Ctx) {
	sub := ctx.Args[1]
	ctx.Update(ctx.Args[2], func(e *store.Entry) {
		if !e.Exists() {
			ctx.Err("ERR The specified key does not exist")
			return
		}
		v, ok := hllValue(ctx, e)
		if !ok {
			return
		}
		switch {
		case eqFold(sub, "getreg"):
			if !hll.IsDense(v) {
				d, err := hll.ToDense(v)
				if err != nil {
					ctx.Err(errCorruptHLL)
					return
				}
				storeHLL(e, d)
				v = d
			}
			regs := hll.Regs(v)
			ctx.W.Array(len(regs))
			for _, r := range regs {
				ctx.W.Int(int64(r))
			}
		case eqFold(sub, "decode"):
			if hll.IsDense(v) {
				ctx.Err("ERR HLL encoding is not sparse")
				return
			}
			ctx.W.BulkString(hll.Decode(v))
		case eqFold(sub, "encoding"):
			if hll.IsDense(v) {
				ctx.W.Simple("dense")
			} else {
				ctx.W.Simple("sparse")
			}
		case eqFold(sub, "todense"):
			if hll.IsDense(v) {
				ctx.W.Int(0)
				return
			}
			d, err := hll.ToDense(v)
			if err != nil {
				ctx.Err(errCorruptHLL)
				return
			}
			storeHLL(e, d)
			ctx.W.Int(1)
		default:
			ctx.Err("ERR Unknown PFDEBUG subcommand '" + string(sub) + "'")
		}
	})
}

// pfselftest: PFSELFTEST
func pfselftest(ctx *Ctx) {
	if err := hll.SelfTest(int(ctx.S.Cfg.HLLSparseMaxBytes())); err != nil {
		ctx.Err(err.Error())
		return
	}
	ctx.W.OK()
}
