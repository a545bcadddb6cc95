package command

import (
	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/store"
)

// Hash-field expiry, Redis 7.4 semantics (Redis 7.0 has none of it):
// HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT set per-field expire times,
// HTTL HPTTL HEXPIRETIME HPEXPIRETIME read them, HPERSIST removes them.
// Expired fields are reclaimed by the store before any access and by its
// active expiry cycle (store/objexpire.go), so handlers never see one.

// hfeMaxAbsMs is the latest expire time Redis 7.4 accepts
// (HFE_MAX_ABS_TIME_MSEC: EB_EXPIRE_TIME_MAX >> 2).
const hfeMaxAbsMs = (1<<48 - 1) >> 2

// Per-field replies of the HEXPIRE family, HTTL family and HPERSIST.
const (
	hfeNoField  = -2 // no such field (or key)
	hfeNoTTL    = -1 // HTTL, HPERSIST: the field has no expire time
	hfeNotMet   = 0  // NX | XX | GT | LT condition not met
	hfeSet      = 1  // expire time set; HPERSIST: removed
	hfeDeleted  = 2  // the time is not in the future: field deleted
	hfeNoFields = "ERR Mandatory argument FIELDS is missing or not at the right position"
	hfeMismatch = "ERR The `numfields` parameter must match the number of arguments"
)

// hexpire: HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
func hexpire(ctx *Ctx) { hexpireGeneric(ctx, ctx.Now, true) }

// hpexpire: HPEXPIRE key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
func hpexpire(ctx *Ctx) { hexpireGeneric(ctx, ctx.Now, false) }

// hexpireat: HEXPIREAT key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
func hexpireat(ctx *Ctx) { hexpireGeneric(ctx, 0, true) }

// hpexpireat: HPEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
func hpexpireat(ctx *Ctx) { hexpireGeneric(ctx, 0, false) }

// hfeFields checks "FIELDS numfields field ..." at args[at-1:] and returns
// the fields; numMsg is the command's error for a bad numfields.
func hfeFields(ctx *Ctx, at int, numMsg string) ([][]byte, bool) {
	if !eqFold(ctx.Args[at-1], "fields") {
		ctx.Err(hfeNoFields)
		return nil, false
	}
	n, ok := parseInt(ctx.Args[at])
	if !ok || n < 1 {
		ctx.Err(numMsg)
		return nil, false
	}
	fields := ctx.Args[at+1:]
	if n != int64(len(fields)) {
		ctx.Err(hfeMismatch)
		return nil, false
	}
	return fields, true
}

func hexpireGeneric(ctx *Ctx, base int64, seconds bool) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		h, ok := writeHash(ctx, e, false)
		if !ok {
			return
		}
		at, ok := parseInt(ctx.Args[2])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		if at < 0 {
			ctx.Err("ERR invalid expire time, must be >= 0")
			return
		}
		if seconds {
			if at > hfeMaxAbsMs/1000 {
				ctx.Err(invalidExpire(ctx))
				return
			}
			at *= 1000
		}
		if at > hfeMaxAbsMs-base {
			ctx.Err(invalidExpire(ctx))
			return
		}
		at += base
		cond, numAt := 0, 4
		switch c := ctx.Args[3]; {
		case eqFold(c, "nx"):
			cond = expNX
		case eqFold(c, "xx"):
			cond = expXX
		case eqFold(c, "gt"):
			cond = expGT
		case eqFold(c, "lt"):
			cond = expLT
		}
		if cond != 0 {
			numAt++
		}
		fields, ok := hfeFields(ctx, numAt, "ERR Parameter `numFields` should be greater than 0")
		if !ok {
			return
		}
		ctx.W.Array(len(fields))
		if h == nil {
			for range fields {
				ctx.W.Int(hfeNoField)
			}
			return
		}
		h.MarkTTL()
		var set, deleted int
		for _, f := range fields {
			r := hexpireField(h, f, at, cond, ctx.Now)
			switch r {
			case hfeSet:
				set++
			case hfeDeleted:
				deleted++
			}
			ctx.W.Int(r)
		}
		// As Redis 7.4: one event for the command, "hdel" if it deleted.
		switch {
		case deleted > 0:
			ctx.Notify(EvHash, "hdel", ctx.Args[1])
		case set > 0:
			ctx.Notify(EvHash, "hexpire", ctx.Args[1])
		}
		if h.Len() == 0 {
			ctx.Notify(EvGeneric, "del", ctx.Args[1])
		}
		deleteIfEmpty(e, h)
	})
}

// hexpireField applies one field's new expire time under cond, as Redis
// 7.4's hashTypeSetEx: a field without a TTL counts as never expiring (GT
// fails, LT passes).
func hexpireField(h *hash.Hash, f []byte, at int64, cond int, now int64) int64 {
	prev, exists := h.TTL(f)
	if !exists {
		return hfeNoField
	}
	if prev == 0 {
		if cond&(expXX|expGT) != 0 {
			return hfeNotMet
		}
	} else if cond&expNX != 0 || (cond&expGT != 0 && prev >= at) || (cond&expLT != 0 && prev <= at) {
		return hfeNotMet
	}
	if at <= now {
		h.Delete(f)
		return hfeDeleted
	}
	h.SetTTL(f, at)
	return hfeSet
}

// httl: HTTL key FIELDS numfields field [field ...]
func httl(ctx *Ctx) { httlGeneric(ctx, ctx.Now, true) }

// hpttl: HPTTL key FIELDS numfields field [field ...]
func hpttl(ctx *Ctx) { httlGeneric(ctx, ctx.Now, false) }

// hexpiretime: HEXPIRETIME key FIELDS numfields field [field ...]
func hexpiretime(ctx *Ctx) { httlGeneric(ctx, 0, true) }

// hpexpiretime: HPEXPIRETIME key FIELDS numfields field [field ...]
func hpexpiretime(ctx *Ctx) { httlGeneric(ctx, 0, false) }

// httlGeneric replies each field's expire time relative to base, in
// seconds (rounded up, as Redis) or milliseconds.
func httlGeneric(ctx *Ctx, base int64, seconds bool) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		h, ok := readHash(ctx, e)
		if !ok {
			return
		}
		fields, ok := hfeFields(ctx, 3, "ERR Number of fields must be a positive integer")
		if !ok {
			return
		}
		ctx.W.Array(len(fields))
		for _, f := range fields {
			at, exists := int64(0), false
			if h != nil {
				at, exists = h.TTL(f)
			}
			switch {
			case !exists:
				ctx.W.Int(hfeNoField)
			case at == 0:
				ctx.W.Int(hfeNoTTL)
			case seconds:
				ctx.W.Int((at + 999 - base) / 1000)
			default:
				ctx.W.Int(at - base)
			}
		}
	})
}

// hpersist: HPERSIST key FIELDS numfields field [field ...]
func hpersist(ctx *Ctx) {
	ctx.Update(ctx.Args[1], func(e *store.Entry) {
		h, ok := writeHash(ctx, e, false)
		if !ok {
			return
		}
		fields, ok := hfeFields(ctx, 3, "ERR Number of fields must be a positive integer")
		if !ok {
			return
		}
		ctx.W.Array(len(fields))
		persisted := false
		for _, f := range fields {
			switch {
			case h == nil || !h.Has(f):
				ctx.W.Int(hfeNoField)
			case h.Persist(f):
				persisted = true
				ctx.W.Int(hfeSet)
			default:
				ctx.W.Int(hfeNoTTL)
			}
		}
		if persisted {
			ctx.Notify(EvHash, "hpersist", ctx.Args[1])
		}
	})
}
