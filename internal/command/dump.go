package command

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/list"
	"github.com/smallredis/smallredis/internal/num"
	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/resp"
	settype "github.com/smallredis/smallredis/internal/set"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
	"github.com/smallredis/smallredis/internal/zset"
)

// DUMP and RESTORE carry Redis 7.0's payload (package rdb): a value dumped
// here restores in Redis and the other way round. DUMP writes the RDB
// types Redis 7.0 writes for the same encoding (strings; lists as
// QUICKLIST_2 with one node per node of ours; intsets as SET_INTSET, other
// sets as SET, since 7.0 has no listpack set; listpack hashes and sorted
// sets as HASH_LISTPACK / ZSET_LISTPACK, larger ones as HASH / ZSET_2;
// streams as STREAM_LISTPACKS_2, their nodes, groups and pending entries
// as they are), with Redis's integer encodings and LZF compression
// (rdbcompression), so where our elements and order are Redis's the bytes
// are too (for a stream they always are). Hash-field TTLs
// (Redis 7.4) have no place in RDB 10: the fields are dumped without them.
// RESTORE builds the value through the types' own methods, so it gets the
// encoding our thresholds choose, whatever the payload's was; a stream
// keeps the payload's nodes, as Redis's load does.

var dumpCommands = []*Spec{
	{Name: "dump", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "read", "slow"}, Handler: dump},
	{Name: "restore", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "slow", "dangerous"}, Handler: restore},
}

// dump: DUMP key
func dump(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.MissKey(e)
			ctx.W.Null()
			return
		}
		ctx.Hit()
		ctx.W.Bulk(rdb.Seal(appendObject(nil, e, ctx.S.Cfg.RDBCompression())))
	})
}

// appendObject appends the type byte and the value of e.
func appendObject(b []byte, e *store.Entry, compress bool) []byte {
	switch e.Type() {
	case store.TypeString:
		return rdb.AppendString(append(b, rdb.TypeString), e.Str(), compress)
	case store.TypeList:
		return appendList(b, e.Obj().(*list.List), compress)
	case store.TypeSet:
		return appendSet(b, e.Obj().(*settype.Set), compress)
	case store.TypeHash:
		return appendHash(b, e.Obj().(*hash.Hash), compress)
	case store.TypeZSet:
		return appendZSet(b, e.Obj().(*zset.ZSet), compress)
	case store.TypeStream:
		return rdb.AppendStream(b, e.Obj().(*stream.Stream), compress)
	}
	panic("dump: unknown type " + e.Type().String())
}

func appendList(b []byte, l *list.List, compress bool) []byte {
	b = append(b, rdb.TypeListQuicklist2)
	nodes := 0
	l.Shape(func(int, bool, int) { nodes++ })
	b = rdb.AppendLen(b, uint64(nodes))
	it := l.IterFrom(0, false)
	l.Shape(func(count int, plain bool, size int) {
		if plain {
			v, _ := it.Next()
			b = rdb.AppendString(rdb.AppendLen(b, rdb.ContainerPlain), v, compress)
			return
		}
		var lp rdb.Listpack
		lp.Grow(size)
		for range count {
			v, _ := it.Next()
			lp.Append(v)
		}
		b = rdb.AppendString(rdb.AppendLen(b, rdb.ContainerPacked), lp.Bytes(), compress)
	})
	return b
}

func appendSet(b []byte, s *settype.Set, compress bool) []byte {
	if s.Encoding() == "intset" {
		vs := make([]int64, 0, s.Len())
		s.Range(func(m []byte) bool {
			v, _ := num.ParseInt(m)
			vs = append(vs, v)
			return true
		})
		slices.Sort(vs)
		return rdb.AppendString(append(b, rdb.TypeSetIntset), rdb.Intset(vs), compress)
	}
	b = rdb.AppendLen(append(b, rdb.TypeSet), uint64(s.Len()))
	s.Range(func(m []byte) bool {
		b = rdb.AppendString(b, m, compress)
		return true
	})
	return b
}

func appendHash(b []byte, h *hash.Hash, compress bool) []byte {
	if h.IsPacked() {
		var lp rdb.Listpack
		h.Range(func(f, v []byte) bool {
			lp.Append(f)
			lp.Append(v)
			return true
		})
		return rdb.AppendString(append(b, rdb.TypeHashListpack), lp.Bytes(), compress)
	}
	b = rdb.AppendLen(append(b, rdb.TypeHash), uint64(h.Len()))
	h.Range(func(f, v []byte) bool {
		b = rdb.AppendString(b, f, compress)
		b = rdb.AppendString(b, v, compress)
		return true
	})
	return b
}

func appendZSet(b []byte, z *zset.ZSet, compress bool) []byte {
	if z.IsPacked() {
		var lp rdb.Listpack
		var buf [32]byte
		z.Walk(0, false, func(m []byte, s float64) bool {
			lp.Append(m)
			if v, ok := double2ll(s); ok {
				lp.AppendInt(v)
			} else {
				lp.Append(resp.AppendDouble(buf[:0], s)) // d2string: inf, -inf, %.17g
			}
			return true
		})
		return rdb.AppendString(append(b, rdb.TypeZSetListpack), lp.Bytes(), compress)
	}
	// Highest score first, as Redis writes a skiplist (its load then
	// always inserts at the head).
	b = rdb.AppendLen(append(b, rdb.TypeZSet2), uint64(z.Len()))
	z.Walk(z.Len()-1, true, func(m []byte, s float64) bool {
		b = rdb.AppendString(b, m, compress)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
		return true
	})
	return b
}

// double2ll is Redis's: s as an int64 when it is one exactly, within
// ±2^62 (a listpack stores such a score as an integer entry).
func double2ll(s float64) (int64, bool) {
	if s < -math.MaxInt64/2 || s > math.MaxInt64/2 {
		return 0, false
	}
	v := int64(s)
	return v, float64(v) == s
}

// restore: RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME
// seconds] [FREQ frequency]
func restore(ctx *Ctx) {
	args := ctx.Args
	replace, absttl := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch a := args[j]; {
		case eqFold(a, "replace"):
			replace = true
		case eqFold(a, "absttl"):
			absttl = true
		case eqFold(a, "idletime") && more >= 1 && freq == -1:
			v, ok := parseInt(args[j+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if v < 0 {
				ctx.Err("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case eqFold(a, "freq") && more >= 1 && idle == -1:
			v, ok := parseInt(args[j+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if v < 0 || v > 255 {
				ctx.Err("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v
			j++
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	// Redis checks the key first, then the TTL, then the payload. The
	// value is decoded and built before taking the key's lock (the work is
	// the payload's size), its error kept for after the key check.
	var fail string
	var v *rdb.Value
	var t store.Type
	var obj any
	ttl, ok := parseInt(args[2])
	switch {
	case !ok:
		fail = ErrNotInt
	case ttl < 0:
		fail = "ERR Invalid TTL value, must be >= 0"
	default:
		if _, ok := rdb.Open(args[3]); !ok {
			fail = "ERR DUMP payload version or checksum are wrong"
			break
		}
		// The whole payload, as Redis reads it: a value may run into the
		// footer's bytes.
		if v, ok = rdb.Decode(args[3]); ok {
			t, obj, ok = buildValue(ctx, v)
		}
		if !ok {
			fail = "ERR Bad data format"
		}
	}
	key := args[1]
	ctx.Update(key, func(e *store.Entry) {
		exists := e.Exists()
		if exists && !replace {
			ctx.Err("BUSYKEY Target key name already exists.")
			return
		}
		if fail != "" {
			ctx.Err(fail)
			return
		}
		at := ttl
		if ttl != 0 && !absttl {
			at += ctx.Now
		}
		if ttl != 0 && at <= ctx.Now {
			// Already expired: the old value goes, nothing is created.
			if exists {
				e.Delete()
				ctx.Notify(EvGeneric, "del", key)
			}
			ctx.W.OK()
			return
		}
		putValue(e, t, v, obj, at)
		// As Redis's objectSetLRUOrLFU: FREQ under an LFU policy, IDLETIME
		// under the others that track access times.
		switch lfu := lfuPolicy(ctx); {
		case lfu && freq >= 0:
			e.SetMeta(store.MetaFreq(ctx.Now, int(freq)))
		case !lfu && idle >= 0 && ctx.S.Evict.TracksIdle():
			e.SetMeta(store.MetaIdle(e.Meta(), ctx.Now, idle))
		}
		ctx.Notify(EvGeneric, "restore", key)
		ctx.W.OK()
	})
}

// putValue stores what buildValue made of v in e, with deadline at (0:
// none): RESTORE and a start's load.
func putValue(e *store.Entry, t store.Type, v *rdb.Value, obj any, at int64) {
	if t == store.TypeString {
		e.SetStrExpire(v.Str, at)
		return
	}
	e.SetObj(t, obj)
	e.SetExpireAt(at)
}

// buildValue makes the stored value of a decoded payload, adding the
// elements as the type's commands would, so the encoding is the one our
// thresholds pick. A duplicate member or field fails, as in Redis.
func buildValue(ctx *Ctx, v *rdb.Value) (store.Type, any, bool) {
	switch v.Kind {
	case rdb.KindString:
		return store.TypeString, nil, true
	case rdb.KindList:
		lim := listLimits(ctx)
		l := list.New()
		for _, el := range v.Elems {
			l.Prepare(lim, el)
			l.Push(el, list.Tail, lim)
		}
		return store.TypeList, l, true
	case rdb.KindSet:
		lim := setLimits(ctx)
		s := settype.New(v.Elems[0], len(v.Elems), lim)
		for _, m := range v.Elems {
			if !s.Add(m, lim) {
				return 0, nil, false
			}
		}
		return store.TypeSet, s, true
	case rdb.KindHash:
		lim := hashLimits(ctx)
		h := hash.New()
		// While the hash is a listpack, a map finds duplicates (Set would
		// search the listpack for each field); the hashtable finds them
		// itself.
		seen := make(map[string]struct{}, min(len(v.Elems)/2, lim.Entries+1))
		for i := 0; i+1 < len(v.Elems); i += 2 {
			f, val := v.Elems[i], v.Elems[i+1]
			if !h.IsPacked() {
				if !h.Set(f, val, lim) {
					return 0, nil, false
				}
				continue
			}
			if _, dup := seen[string(f)]; dup {
				return 0, nil, false
			}
			seen[string(f)] = struct{}{}
			h.Add(f, val, lim)
		}
		return store.TypeHash, h, true
	case rdb.KindZSet:
		lim := zsetLimits(ctx)
		maxLen := 0
		for _, m := range v.Elems {
			maxLen = max(maxLen, len(m))
		}
		z := zset.New(len(v.Elems), maxLen, lim)
		for i, m := range v.Elems {
			if !z.Set(m, v.Scores[i], lim) {
				return 0, nil, false
			}
		}
		return store.TypeZSet, z, true
	case rdb.KindStream:
		return store.TypeStream, v.Stream, true
	}
	return 0, nil, false
}
