package command

import (
	"math"
	"strconv"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

// stringCommands operate on string values. GET and plain SET are the hot
// path: they must not allocate, so handlers pass non-escaping closures to
// ctx.View/ctx.Update and write replies from inside them.
var stringCommands = []*Spec{
	{Name: "get", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclReadFast, Handler: get},
	{Name: "set", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteSlow, Handler: set},
	{Name: "getex", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: getex},
	{Name: "getdel", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: getdel},
	{Name: "getset", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: getset},
	{Name: "mget", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: aclReadFast, Handler: mget},
	{Name: "mset", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 2, ACL: aclWriteSlow, Handler: mset},
	{Name: "msetnx", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 2, ACL: aclWriteSlow, Handler: msetnx},
	{Name: "setnx", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: setnx},
	{Name: "setex", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteSlow, Handler: setex},
	{Name: "psetex", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteSlow, Handler: psetex},
	{Name: "incr", Arity: 2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: incr},
	{Name: "decr", Arity: 2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: decr},
	{Name: "incrby", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: incrby},
	{Name: "decrby", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: decrby},
	{Name: "incrbyfloat", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: incrbyfloat},
	{Name: "append", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteFast, Handler: appendCmd},
	{Name: "strlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclReadFast, Handler: strlenCmd},
	{Name: "getrange", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclReadSlow, Handler: getrange},
	{Name: "substr", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclReadSlow, Handler: getrange},
	{Name: "setrange", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclWriteSlow, Handler: setrange},
	{Name: "lcs", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclReadSlow, Handler: lcs},
}

// ACL category lists of the string family, shared so specs stay one line.
var (
	aclReadFast  = []string{"read", "string", "fast"}
	aclReadSlow  = []string{"read", "string", "slow"}
	aclWriteFast = []string{"write", "string", "fast"}
	aclWriteSlow = []string{"write", "string", "slow"}
)

// get: GET key
func get(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		if !readString(ctx, e) {
			return
		}
		ctx.W.Bulk(e.Str())
	})
}

// readString does what Redis's lookupKeyReadOrReply + checkType do for
// GET-like commands: count the hit or miss, reply nil for a missing key
// and WRONGTYPE for another type. It reports whether e is a string the
// caller should now reply with.
func readString(ctx *Ctx, e *store.Entry) bool {
	if !e.Exists() {
		ctx.Miss()
		ctx.W.Null()
		return false
	}
	ctx.Hit()
	if e.Type() != store.TypeString {
		ctx.Err(ErrWrongType)
		return false
	}
	return true
}

// setFlags are SET's and GETEX's options, as Redis's OBJ_SET_* flags.
type setFlags uint16

const (
	setNX setFlags = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT

	setAnyExpire = setEX | setPX | setEXAT | setPXAT
)

// parseSetOptions parses SET's (getex false) or GETEX's (getex true)
// options like Redis's parseExtendedStringArgumentsOrReply: an option
// that conflicts with an earlier one, or that the command does not take,
// is a syntax error; repeating an option is allowed and the last expire
// wins.
func parseSetOptions(opts [][]byte, getex bool) (flags setFlags, expire []byte, ok bool) {
	forSet := !getex
	for i := 0; i < len(opts); i++ {
		o := opts[i]
		hasNext := i+1 < len(opts)
		var unit setFlags
		switch {
		case forSet && eqFold(o, "nx") && flags&setXX == 0:
			flags |= setNX
			continue
		case forSet && eqFold(o, "xx") && flags&setNX == 0:
			flags |= setXX
			continue
		case forSet && eqFold(o, "get"):
			flags |= setGet
			continue
		case forSet && eqFold(o, "keepttl") && flags&(setPersist|setAnyExpire) == 0:
			flags |= setKeepTTL
			continue
		case getex && eqFold(o, "persist") && flags&(setKeepTTL|setAnyExpire) == 0:
			flags |= setPersist
			continue
		case eqFold(o, "ex"):
			unit = setEX
		case eqFold(o, "px"):
			unit = setPX
		case eqFold(o, "exat"):
			unit = setEXAT
		case eqFold(o, "pxat"):
			unit = setPXAT
		default:
			return 0, nil, false
		}
		if !hasNext || flags&(setKeepTTL|setPersist|(setAnyExpire&^unit)) != 0 {
			return 0, nil, false
		}
		flags |= unit
		expire = opts[i+1]
		i++
	}
	return flags, expire, true
}

// expireAt converts an EX/PX/EXAT/PXAT argument to an absolute unix-ms
// time as Redis's getExpireMillisecondsOrReply does, replying with the
// error and returning false when it is not a positive integer or the
// result overflows.
func expireAt(ctx *Ctx, flags setFlags, arg []byte) (int64, bool) {
	ms, ok := parseInt(arg)
	if !ok {
		ctx.Err(ErrNotInt)
		return 0, false
	}
	seconds := flags&(setEX|setEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		ctx.Err(invalidExpire(ctx))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(setEX|setPX) != 0 {
		ms += ctx.Now // wraps negative on overflow, as in Redis
	}
	if ms <= 0 {
		ctx.Err(invalidExpire(ctx))
		return 0, false
	}
	return ms, true
}

func invalidExpire(ctx *Ctx) string {
	return "ERR invalid expire time in '" + ctx.Cmd.Name + "' command"
}

// set: SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
// EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
func set(ctx *Ctx) {
	flags, expire, ok := parseSetOptions(ctx.Args[3:], false)
	if !ok {
		ctx.Err(ErrSyntax)
		return
	}
	var at int64
	if expire != nil {
		if at, ok = expireAt(ctx, flags, expire); !ok {
			return
		}
	}
	setGeneric(ctx, ctx.Args[1], ctx.Args[2], flags, at, replyOK)
}

// setReply selects how setGeneric answers: SET's OK/nil, or SETNX's 1/0.
type setReply uint8

const (
	replyOK setReply = iota
	replyInt
)

// setGeneric is Redis's setGenericCommand: store val under key honouring
// NX/XX/GET/KEEPTTL and an absolute expire time (0 = none). Like Redis,
// it overwrites a value of another type unless GET is given.
func setGeneric(ctx *Ctx, key, val []byte, flags setFlags, at int64, reply setReply) {
	ctx.Update(key, func(e *store.Entry) {
		if flags&setGet != 0 {
			if e.Exists() {
				ctx.Hit()
				if e.Type() != store.TypeString {
					ctx.Err(ErrWrongType)
					return
				}
				ctx.W.Bulk(e.Str())
			} else {
				ctx.Miss()
				ctx.W.Null()
			}
		}
		found := e.Exists()
		if (flags&setNX != 0 && found) || (flags&setXX != 0 && !found) {
			if flags&setGet == 0 {
				if reply == replyInt {
					ctx.W.Int(0)
				} else {
					ctx.W.Null()
				}
			}
			return
		}
		switch {
		case len(val) >= resp.BigArg && ctx.C.ArgOwned != nil && ctx.C.ArgOwned(val):
			e.SetStrOwned(val) // a large value: stored without a copy
			if flags&setKeepTTL == 0 {
				e.SetExpireAt(at)
			}
		case flags&setKeepTTL == 0:
			e.SetStrExpire(val, at)
		default:
			e.SetStr(val)
		}
		if flags&setGet == 0 {
			if reply == replyInt {
				ctx.W.Int(1)
			} else {
				ctx.W.OK()
			}
		}
	})
}

// setnx: SETNX key value
func setnx(ctx *Ctx) { setGeneric(ctx, ctx.Args[1], ctx.Args[2], setNX, 0, replyInt) }

// setex: SETEX key seconds value
func setex(ctx *Ctx) { setWithExpire(ctx, setEX) }

// psetex: PSETEX key milliseconds value
func psetex(ctx *Ctx) { setWithExpire(ctx, setPX) }

func setWithExpire(ctx *Ctx, unit setFlags) {
	at, ok := expireAt(ctx, unit, ctx.Args[2])
	if !ok {
		return
	}
	setGeneric(ctx, ctx.Args[1], ctx.Args[3], unit, at, replyOK)
}

// getex: GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
// PXAT unix-time-milliseconds | PERSIST]
func getex(ctx *Ctx) {
	flags, expire, ok := parseSetOptions(ctx.Args[2:], true)
	if !ok {
		ctx.Err(ErrSyntax)
		return
	}
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if !readString(ctx, e) {
			return
		}
		// Redis validates the time only once it knows the key is a string.
		var at int64
		if expire != nil {
			var ok bool
			if at, ok = expireAt(ctx, flags, expire); !ok {
				return
			}
		}
		ctx.W.Bulk(e.Str())
		switch {
		case flags&(setEXAT|setPXAT) != 0 && at <= ctx.Now:
			e.Delete()
		case expire != nil:
			e.SetExpireAt(at)
		case flags&setPersist != 0:
			e.SetExpireAt(0)
		}
	})
}

// getdel: GETDEL key
func getdel(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if !readString(ctx, e) {
			return
		}
		ctx.W.Bulk(e.Str())
		e.Delete()
	})
}

// getset: GETSET key value
func getset(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if e.Exists() {
			ctx.Hit()
			if e.Type() != store.TypeString {
				ctx.Err(ErrWrongType)
				return
			}
			ctx.W.Bulk(e.Str())
		} else {
			ctx.Miss()
			ctx.W.Null()
		}
		e.SetStrExpire(ctx.Args[2], 0)
	})
}

// mget: MGET key [key ...]
//
// Keys are read together so a concurrent MSET is seen whole or not at all.
func mget(ctx *Ctx) {
	keys := ctx.Args[1:]
	ctx.W.Array(len(keys))
	ctx.Multi(keys, func(es []*store.Entry) {
		for _, e := range es {
			switch {
			case !e.Exists():
				ctx.Miss()
				ctx.W.Null()
			case e.Type() != store.TypeString:
				ctx.Hit()
				ctx.W.Null()
			default:
				ctx.Hit()
				ctx.W.Bulk(e.Str())
			}
		}
	})
}

// pairKeys returns the keys of a "key value [key value ...]" argument
// list, or false (after the arity error Redis sends) when a value is
// missing.
func pairKeys(ctx *Ctx) ([][]byte, bool) {
	if len(ctx.Args)%2 == 0 {
		ctx.ErrArity()
		return nil, false
	}
	keys := make([][]byte, 0, len(ctx.Args)/2)
	for i := 1; i < len(ctx.Args); i += 2 {
		keys = append(keys, ctx.Args[i])
	}
	return keys, true
}

// mset: MSET key value [key value ...]
func mset(ctx *Ctx) {
	keys, ok := pairKeys(ctx)
	if !ok {
		return
	}
	ctx.MultiTouch(keys, func(es []*store.Entry) {
		for i, e := range es {
			e.SetStrExpire(ctx.Args[2+2*i], 0)
		}
	})
	ctx.W.OK()
}

// msetnx: MSETNX key value [key value ...]
func msetnx(ctx *Ctx) {
	keys, ok := pairKeys(ctx)
	if !ok {
		return
	}
	ctx.MultiTouch(keys, func(es []*store.Entry) {
		for _, e := range es {
			if e.Exists() {
				ctx.W.Int(0)
				return
			}
		}
		for i, e := range es {
			e.SetStrExpire(ctx.Args[2+2*i], 0)
		}
		ctx.W.Int(1)
	})
}

// incr: INCR key
func incr(ctx *Ctx) { incrBy(ctx, 1) }

// decr: DECR key
func decr(ctx *Ctx) { incrBy(ctx, -1) }

// incrby: INCRBY key increment
func incrby(ctx *Ctx) {
	n, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	incrBy(ctx, n)
}

// decrby: DECRBY key decrement
func decrby(ctx *Ctx) {
	n, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	if n == math.MinInt64 {
		ctx.Err(ErrDecrOverflow)
		return
	}
	incrBy(ctx, -n)
}

// incrBy adds n to the integer at ctx.Args[1], keeping its TTL.
func incrBy(ctx *Ctx, n int64) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		var v int64
		if e.Exists() {
			if e.Type() != store.TypeString {
				ctx.Err(ErrWrongType)
				return
			}
			var ok bool
			if v, ok = parseInt(e.Str()); !ok {
				ctx.Err(ErrNotInt)
				return
			}
		}
		if (n < 0 && v < 0 && n < math.MinInt64-v) || (n > 0 && v > 0 && n > math.MaxInt64-v) {
			ctx.Err(ErrOverflow)
			return
		}
		v += n
		var buf [20]byte
		e.SetStr(strconv.AppendInt(buf[:0], v, 10))
		ctx.W.Int(v)
	})
}

// incrbyfloat: INCRBYFLOAT key increment
//
// Redis computes in long double and replies "%.17Lf" with trailing zeros
// trimmed; see parseLongDouble.
func incrbyfloat(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		cur := ldZero()
		if e.Exists() {
			if e.Type() != store.TypeString {
				ctx.Err(ErrWrongType)
				return
			}
			var ok bool
			if cur, ok = parseLongDouble(e.Str()); !ok {
				ctx.Err(ErrNotFloat)
				return
			}
		}
		by, ok := parseLongDouble(ctx.Args[2])
		if !ok {
			ctx.Err(ErrNotFloat)
			return
		}
		sum, ok := addLongDouble(cur, by)
		if !ok {
			ctx.Err(ErrIncrFloatNaNInf)
			return
		}
		out := appendLongDouble(nil, sum)
		e.SetStr(out)
		e.MarkNotInt()
		ctx.W.Bulk(out)
	})
}

// appendCmd: APPEND key value
func appendCmd(ctx *Ctx) {
	add := ctx.Args[2]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			e.SetStr(add)
			ctx.W.Int(int64(len(add)))
			return
		}
		if e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		n := len(e.Str())
		if !ctx.checkStringLength(int64(n), int64(len(add))) {
			return
		}
		v := e.MutableStr(n + len(add))
		copy(v[n:], add)
		ctx.W.Int(int64(len(v)))
	})
}

// strlenCmd: STRLEN key
func strlenCmd(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.Miss()
			ctx.W.Int(0)
			return
		}
		ctx.Hit()
		if e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		ctx.W.Int(int64(len(e.Str())))
	})
}

// getrange: GETRANGE key start end (also SUBSTR key start end)
func getrange(ctx *Ctx) {
	start, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	end, ok := parseInt(ctx.Args[3])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.Miss()
			ctx.W.Bulk(nil)
			return
		}
		ctx.Hit()
		if e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		ctx.W.Bulk(substring(e.Str(), start, end))
	})
}

// substring applies GETRANGE's index rules: negative indexes count from
// the end, both are clamped, and an empty range gives an empty string.
func substring(s []byte, start, end int64) []byte {
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return s[start : end+1]
}

// setrange: SETRANGE key offset value
func setrange(ctx *Ctx) {
	off, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return
	}
	if off < 0 {
		ctx.Err(ErrOffsetRange)
		return
	}
	val := ctx.Args[3]
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		if e.Exists() && e.Type() != store.TypeString {
			ctx.Err(ErrWrongType)
			return
		}
		if len(val) == 0 {
			// Nothing to write: a missing key stays missing.
			ctx.W.Int(int64(len(e.Str())))
			return
		}
		if !ctx.checkStringLength(off, int64(len(val))) {
			return
		}
		v := e.MutableStr(int(off) + len(val))
		copy(v[off:], val)
		ctx.W.Int(int64(len(v)))
	})
}
