package command

import (
	"math"
	"strconv"

	"github.com/smallredis/smallredis/internal/glob"
	"github.com/smallredis/smallredis/internal/resp"
	settype "github.com/smallredis/smallredis/internal/set"
	"github.com/smallredis/smallredis/internal/store"
)

// setCommands operate on set values (package set, imported as settype:
// "set" is the SET handler here). Commands naming several
// keys lock them together with DB.Multi, so a STORE form is atomic.
var setCommands = []*Spec{
	{Name: "sadd", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetWriteFast, Handler: sadd},
	{Name: "srem", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetWriteFast, Handler: srem},
	{Name: "smembers", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetReadSlow, Handler: smembers},
	{Name: "sismember", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetReadFast, Handler: sismember},
	{Name: "smismember", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetReadFast, Handler: smismember},
	{Name: "scard", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetReadFast, Handler: scard},
	{Name: "spop", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetWriteFast, Handler: spop},
	{Name: "srandmember", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetReadSlow, Handler: srandmember},
	{Name: "smove", Arity: 4, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclSetWriteFast, Handler: smove},
	{Name: "sinter", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclSetReadSlow, Handler: sinter},
	{Name: "sintercard", Arity: -3, Flags: ReadOnly, ACL: aclSetReadSlow, Handler: sintercard, KeysFunc: sintercardKeys},
	{Name: "sunion", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclSetReadSlow, Handler: sunion},
	{Name: "sdiff", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclSetReadSlow, Handler: sdiff},
	{Name: "sinterstore", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclSetWriteSlow, Handler: sinterstore},
	{Name: "sunionstore", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclSetWriteSlow, Handler: sunionstore},
	{Name: "sdiffstore", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclSetWriteSlow, Handler: sdiffstore},
	{Name: "sscan", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclSetReadSlow, Handler: sscan},
}

var (
	aclSetReadFast  = []string{"read", "set", "fast"}
	aclSetReadSlow  = []string{"read", "set", "slow"}
	aclSetWriteFast = []string{"write", "set", "fast"}
	aclSetWriteSlow = []string{"write", "set", "slow"}
)

// setLimits reads the encoding thresholds once per command.
func setLimits(ctx *Ctx) settype.Limits {
	c := ctx.S.Cfg
	return settype.Limits{
		MaxIntsetEntries:   c.SetMaxIntsetEntries(),
		MaxListpackEntries: c.SetMaxListpackEntries(),
		MaxListpackValue:   c.SetMaxListpackValue(),
	}
}

// setOf is the set a key holds; the caller has checked the type.
func setOf(e *store.Entry) *settype.Set { return e.Obj().(*settype.Set) }

// sadd: SADD key member [member ...]
func sadd(ctx *Ctx) {
	lim := setLimits(ctx)
	members := ctx.Args[2:]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeSet)
		if !ok {
			return
		}
		var added int64
		if !exists {
			s := settype.New(members[0], len(members), lim)
			for _, m := range members {
				if s.Add(m, lim) {
					added++
				}
			}
			e.SetObj(store.TypeSet, s)
		} else {
			s := setOf(e)
			s.MaybeGrow(len(members), lim)
			for _, m := range members {
				if s.Add(m, lim) {
					added++
				}
			}
		}
		if added > 0 {
			ctx.Notify(EvSet, "sadd", ctx.Args[1])
		}
		ctx.W.Int(added)
	})
}

// srem: SREM key member [member ...]
func srem(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeSet)
		if !ok {
			return
		}
		var n int64
		if exists {
			s := setOf(e)
			for _, m := range ctx.Args[2:] {
				if s.Remove(m) {
					n++
					if s.Len() == 0 {
						break
					}
				}
			}
			if n > 0 {
				ctx.Notify(EvSet, "srem", ctx.Args[1])
			}
			if s.Len() == 0 {
				ctx.Notify(EvGeneric, "del", ctx.Args[1])
				e.Delete()
			}
		}
		ctx.W.Int(n)
	})
}

// writeMembers replies the whole set as a set (RESP3 ~).
func writeMembers(w *resp.Writer, s *settype.Set) {
	w.Set(s.Len())
	s.Range(func(m []byte) bool { w.Bulk(m); return true })
}

// smembers: SMEMBERS key
func smembers(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
		case !exists:
			ctx.W.Set(0)
		default:
			writeMembers(ctx.W, setOf(e))
		}
	})
}

// sismember: SISMEMBER key member
func sismember(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
		case !exists:
			ctx.W.Int(0)
		default:
			ctx.W.Int(boolInt(setOf(e).Has(ctx.Args[2])))
		}
	})
}

// smismember: SMISMEMBER key member [member ...]. A missing key is an
// empty set: all zeros.
func smismember(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		if !ok {
			return
		}
		ctx.W.Array(len(ctx.Args) - 2)
		for _, m := range ctx.Args[2:] {
			ctx.W.Int(boolInt(exists && setOf(e).Has(m)))
		}
	})
}

// scard: SCARD key
func scard(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
		case !exists:
			ctx.W.Int(0)
		default:
			ctx.W.Int(int64(setOf(e).Len()))
		}
	})
}

// spop: SPOP key [count]
func spop(ctx *Ctx) {
	switch len(ctx.Args) {
	case 2:
	case 3:
		spopCount(ctx)
		return
	default:
		ctx.Err(ErrSyntax)
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
		case !exists:
			ctx.W.Null()
		default:
			var buf [64]byte
			s := setOf(e)
			ctx.W.Bulk(s.Pop(buf[:0]))
			ctx.Notify(EvSet, "spop", ctx.Args[1])
			if s.Len() == 0 {
				ctx.Notify(EvGeneric, "del", ctx.Args[1])
				e.Delete()
			}
		}
	})
}

// spopCount: SPOP key count. Redis 7.0 answers the same error for a count
// that is not an integer and for a negative one.
func spopCount(ctx *Ctx) {
	count, ok := parseInt(ctx.Args[2])
	if !ok || count < 0 {
		ctx.Err(ErrNegativeCount)
		return
	}
	lim := setLimits(ctx)
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
			return
		case !exists || count == 0:
			ctx.W.Set(0)
			return
		}
		s := setOf(e)
		ctx.Notify(EvSet, "spop", ctx.Args[1])
		if count >= int64(s.Len()) {
			// As Redis: the reply is SUNION of the one set.
			writeMembers(ctx.W, settype.Union([]*settype.Set{s}, lim))
			ctx.Notify(EvGeneric, "del", ctx.Args[1])
			e.Delete()
			return
		}
		ctx.W.Set(int(count))
		s.PopMany(int(count), lim, func(m []byte) { ctx.W.Bulk(m) })
	})
}

// srandmember: SRANDMEMBER key [count]
func srandmember(ctx *Ctx) {
	switch len(ctx.Args) {
	case 2:
	case 3:
		srandmemberCount(ctx)
		return
	default:
		ctx.Err(ErrSyntax)
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
		case !exists:
			ctx.W.Null()
		default:
			var buf [20]byte
			ctx.W.Bulk(setOf(e).Random(buf[:0]))
		}
	})
}

// srandmemberCount: SRANDMEMBER key count. A positive count answers
// distinct members, at most the whole set; a negative one exactly |count|
// members, repeats allowed.
func srandmemberCount(ctx *Ctx) {
	l, ok := parseInt(ctx.Args[2])
	switch {
	case !ok:
		ctx.Err(ErrNotInt)
		return
	case l == math.MinInt64:
		ctx.Err(ErrSrandCountRange)
		return
	}
	count, repeat := l, false
	if l < 0 {
		count, repeat = -l, true
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		switch {
		case !ok:
			return
		case !exists || count == 0:
			ctx.W.Array(0)
			return
		}
		s := setOf(e)
		switch {
		case repeat || count == 1:
			ctx.W.Array(int(min(count, math.MaxInt)))
			start, limit := ctx.W.Len(), int(ctx.S.Cfg.ProtoMaxBulkLen())
			s.RandomRepeat(int(count), func(m []byte) bool {
				ctx.W.Bulk(m)
				if ctx.W.Len()-start <= limit {
					return true
				}
				// Redis would build the reply until memory runs out; a
				// reply this large can only be a mistake: cut it and
				// close the connection, as Redis does past an output
				// buffer limit.
				ctx.C.CloseAfterReply = true
				return false
			})
		case count >= int64(s.Len()):
			writeArray(ctx.W, s)
		default:
			ctx.W.Array(int(count))
			s.RandomDistinct(int(count), func(m []byte) { ctx.W.Bulk(m) })
		}
	})
}

// writeArray replies the whole set as an array (SRANDMEMBER's shape).
func writeArray(w *resp.Writer, s *settype.Set) {
	w.Array(s.Len())
	s.Range(func(m []byte) bool { w.Bulk(m); return true })
}

// smove: SMOVE source destination member
func smove(ctx *Ctx) {
	m := ctx.Args[3]
	lim := setLimits(ctx)
	ctx.Multi(ctx.Args[1:3], func(es []*store.Entry) {
		src, dst := es[0], es[1]
		switch {
		case !src.Exists():
			ctx.W.Int(0)
			return
		case src.Type() != store.TypeSet || dst.Exists() && dst.Type() != store.TypeSet:
			ctx.Err(ErrWrongType)
			return
		case src == dst:
			ctx.W.Int(boolInt(setOf(src).Has(m)))
			return
		}
		ss := setOf(src)
		if !ss.Remove(m) {
			ctx.W.Int(0)
			return
		}
		ctx.Notify(EvSet, "srem", ctx.Args[1])
		if ss.Len() == 0 {
			ctx.Notify(EvGeneric, "del", ctx.Args[1])
			src.Delete()
		}
		added := true
		if dst.Exists() {
			added = setOf(dst).Add(m, lim)
		} else {
			ds := settype.New(m, 1, lim)
			ds.Add(m, lim)
			dst.SetObj(store.TypeSet, ds)
		}
		if added {
			ctx.Notify(EvSet, "sadd", ctx.Args[2])
		}
		ctx.W.Int(1)
	})
}

// readSets collects the sets the entries hold, nil for missing keys,
// counting a keyspace hit or miss for each as Redis's lookupKeyRead does.
// It answers WRONGTYPE and returns false at the first key of another type.
func readSets(ctx *Ctx, es []*store.Entry) ([]*settype.Set, bool) {
	sets := make([]*settype.Set, len(es))
	for i, e := range es {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		if !ok {
			return nil, false
		}
		if exists {
			sets[i] = setOf(e)
		}
	}
	return sets, true
}

func anyMissing(sets []*settype.Set) bool {
	for _, s := range sets {
		if s == nil {
			return true
		}
	}
	return false
}

// sinter: SINTER key [key ...]
func sinter(ctx *Ctx) {
	ctx.Multi(ctx.Args[1:], func(es []*store.Entry) {
		sets, ok := readSets(ctx, es)
		switch {
		case !ok:
			return
		case anyMissing(sets):
			ctx.W.Set(0)
			return
		}
		// The count is known only at the end: encode the members aside.
		body := resp.Writer{Proto: ctx.W.Proto}
		n := 0
		settype.Inter(sets, func(m []byte) bool {
			body.Bulk(m)
			n++
			return true
		})
		ctx.W.Set(n)
		ctx.W.Raw(body.B)
	})
}

// sintercardKeys finds SINTERCARD's keys: numkeys of them after numkeys.
func sintercardKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	n, ok := parseInt(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return nil
	}
	keys := make([]int, n)
	for i := range keys {
		keys[i] = 2 + i
	}
	return keys
}

// sintercard: SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercard(ctx *Ctx) {
	n, ok := parseInt(ctx.Args[1])
	if !ok || n < 1 {
		ctx.Err(ErrNumkeysPositive)
		return
	}
	if n > int64(len(ctx.Args)-2) {
		ctx.Err(ErrNumkeysTooMany)
		return
	}
	keys := ctx.Args[2 : 2+n]
	var limit int64
	for i := 2 + int(n); i < len(ctx.Args); i++ {
		if !eqFold(ctx.Args[i], "limit") || i+1 >= len(ctx.Args) {
			ctx.Err(ErrSyntax)
			return
		}
		i++
		v, ok := parseInt(ctx.Args[i])
		if !ok || v < 0 {
			ctx.Err(ErrLimitNegative)
			return
		}
		limit = v
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		sets, ok := readSets(ctx, es)
		if !ok {
			return
		}
		var card int64
		if !anyMissing(sets) {
			settype.Inter(sets, func([]byte) bool {
				card++
				return limit == 0 || card < limit
			})
		}
		ctx.W.Int(card)
	})
}

// sunion: SUNION key [key ...]
func sunion(ctx *Ctx) { unionDiff(ctx, settype.Union) }

// sdiff: SDIFF key [key ...]
func sdiff(ctx *Ctx) { unionDiff(ctx, settype.Diff) }

func unionDiff(ctx *Ctx, op func([]*settype.Set, settype.Limits) *settype.Set) {
	lim := setLimits(ctx)
	ctx.Multi(ctx.Args[1:], func(es []*store.Entry) {
		sets, ok := readSets(ctx, es)
		if ok {
			writeMembers(ctx.W, op(sets, lim))
		}
	})
}

// sinterstore: SINTERSTORE destination key [key ...]
func sinterstore(ctx *Ctx) {
	store3(ctx, func(sets []*settype.Set, lim settype.Limits) *settype.Set {
		if anyMissing(sets) {
			return nil
		}
		return settype.InterStore(sets, lim)
	})
}

// sunionstore: SUNIONSTORE destination key [key ...]
func sunionstore(ctx *Ctx) { store3(ctx, settype.Union) }

// sdiffstore: SDIFFSTORE destination key [key ...]
func sdiffstore(ctx *Ctx) { store3(ctx, settype.Diff) }

// store3 runs a STORE form: the result replaces the destination whatever
// it held (and its TTL); an empty result deletes it.
func store3(ctx *Ctx, op func([]*settype.Set, settype.Limits) *settype.Set) {
	lim := setLimits(ctx)
	ctx.Multi(ctx.Args[1:], func(es []*store.Entry) {
		dst := es[0]
		sets, ok := readSets(ctx, es[1:])
		if !ok {
			return
		}
		res := op(sets, lim)
		if res == nil || res.Len() == 0 {
			if dst.Exists() {
				ctx.Notify(EvGeneric, "del", ctx.Args[1])
			}
			dst.Delete()
			ctx.W.Int(0)
			return
		}
		dst.SetObj(store.TypeSet, res)
		dst.SetExpireAt(0)
		ctx.Notify(EvSet, ctx.Cmd.Name, ctx.Args[1]) // sinterstore, sunionstore, sdiffstore
		ctx.W.Int(int64(res.Len()))
	})
}

// scanOptions parses SSCAN's and ZSCAN's [MATCH pattern] [COUNT count]
// with Redis's errors; pat is nil for no pattern (or "*"), count is
// capped to keep int arithmetic safe (it is a hint).
func scanOptions(ctx *Ctx, opts [][]byte) (pat []byte, count int64, ok bool) {
	count = 10
	for ; len(opts) > 0; opts = opts[2:] {
		if len(opts) < 2 {
			ctx.Err(ErrSyntax)
			return nil, 0, false
		}
		switch {
		case eqFold(opts[0], "count"):
			n, ok := parseInt(opts[1])
			if !ok {
				ctx.Err(ErrNotInt)
				return nil, 0, false
			}
			if n < 1 {
				ctx.Err(ErrSyntax)
				return nil, 0, false
			}
			count = min(n, math.MaxInt32)
		case eqFold(opts[0], "match"):
			pat = opts[1]
			if len(pat) == 1 && pat[0] == '*' {
				pat = nil
			}
		default:
			ctx.Err(ErrSyntax)
			return nil, 0, false
		}
	}
	return pat, count, true
}

// sscan: SSCAN key cursor [MATCH pattern] [COUNT count]. As in Redis 7.0
// the options are parsed only once the key is known to be a set.
func sscan(ctx *Ctx) {
	cursor, ok := parseCursor(ctx.Args[2])
	if !ok {
		ctx.Err("ERR invalid cursor")
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		exists, ok := readTyped(ctx, e, store.TypeSet)
		if !ok {
			return
		}
		if !exists {
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
		emit := func(m []byte) {
			seen++
			if pat == nil || glob.Match(pat, m, false) {
				body.Bulk(m)
				n++
			}
		}
		// As Redis's scanGenericCommand: steps until count members came,
		// the scan ended, or ten steps per requested member were spent.
		s, next := setOf(e), cursor
		for steps := count * 10; ; steps-- {
			next = s.Scan(next, int(count), emit)
			if next == 0 || steps <= 0 || int64(seen) >= count {
				break
			}
		}
		var cur [20]byte
		ctx.W.Array(2)
		ctx.W.Bulk(strconv.AppendUint(cur[:0], next, 10))
		ctx.W.Array(n)
		ctx.W.Raw(body.B)
	})
}
