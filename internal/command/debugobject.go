package command

import (
	"fmt"
	"hash/maphash"
	"math"
	"strings"

	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/list"
	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/store"
)

// debugSeed gives each key a stable stand-in for Redis's object address.
var debugSeed = maphash.MakeSeed()

// debugObject: DEBUG OBJECT key. Redis prints the value's address; there
// is no stable one here (records move when the arena is compacted), so the
// address is a hash of the database and key, which is what tools and
// tests compare across commands ("did INCR change the object in place").
// serializedlength is the value's RDB length as DUMP writes it (Redis's
// rdbSavedObjectLen: compressed, without the type byte), O(N) as in Redis.
func debugObject(ctx *Ctx) {
	key := ctx.Args[2]
	ctx.PeekExpired(key, func(e *store.Entry) {
		if !e.Exists() {
			ctx.Err("ERR no such key")
			return
		}
		var h maphash.Hash
		h.SetSeed(debugSeed)
		h.WriteByte(byte(ctx.C.DB()))
		h.Write(key)
		addr := 0x7f0000000000 | h.Sum64()&0xffffffffff0
		refcount := 1
		shared := sharesIntegers(ctx)
		serialized := len(appendObject(nil, e, ctx.S.Cfg.RDBCompression())) - 1
		extra := ""
		switch e.Type() {
		case store.TypeString:
			v := e.Str()
			if n, ok := parseInt(v); ok && shared && e.Encoding() == "int" && n >= 0 && n < sharedIntegers {
				refcount = math.MaxInt32
			}
		default:
			if l, ok := e.Obj().(*list.List); ok && l.Encoding() == "quicklist" {
				nodes, bytes := l.Nodes()
				avg := 0.0
				if nodes > 0 {
					avg = float64(l.Len()) / float64(nodes)
				}
				extra = fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
					nodes, avg, ctx.S.Cfg.ListMaxListpackSize(), boolInt(ctx.S.Cfg.ListCompressDepth() != 0), bytes)
			}
		}
		lru := int64(0)
		idle := int64(0)
		if ctx.S.Evict.TracksIdle() && !lfuPolicy(ctx) {
			idle = e.IdleMs(ctx.Now) / 1000
			lru = (ctx.Now/1000 - idle) & (1<<24 - 1)
		}
		ctx.W.Simple(fmt.Sprintf("Value at:0x%x refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
			addr, refcount, e.Encoding(), serialized, lru, idle, extra))
	})
}

// debugProtocol: DEBUG PROTOCOL type, one reply of each RESP3 type (and
// its RESP2 form), as Redis's, for client libraries' tests.
func debugProtocol(ctx *Ctx) {
	w := ctx.W
	switch strings.ToLower(string(ctx.Args[2])) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNum("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.Array(3)
		for j := range 3 {
			w.Int(int64(j))
		}
	case "set":
		w.Set(3)
		for j := range 3 {
			w.Int(int64(j))
		}
	case "map":
		w.Map(3)
		for j := range 3 {
			w.Int(int64(j))
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Proto >= 3 {
			w.Raw([]byte("|1\r\n"))
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		// Attributes are no reply of their own: a real one follows.
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			ctx.Err("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		ctx.Err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// debugReload: DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]. There is no RDB
// file here; as Redis's save and load would, every value is written as
// its DUMP payload and built again from it, so each takes the encoding a
// load picks (a set converted to hashtable that has shrunk comes back as
// an intset or listpack), TTLs kept. Hashes with field TTLs, which RDB 10
// cannot hold, stay as they are. Key by key, each under its lock (Redis
// holds the whole server).
func debugReload(ctx *Ctx) {
	noflush, merge := false, false
	for _, a := range ctx.Args[2:] {
		switch strings.ToLower(string(a)) {
		case "merge":
			merge = true
		case "noflush":
			noflush = true
		case "nosave":
		default:
			ctx.Err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	// NOFLUSH without MERGE loads the saved functions over the ones still
	// there: Redis's load fails on the first library that exists and
	// changes nothing more.
	if libs, _ := ctx.S.Scripts.FunctionCounts(); noflush && !merge && libs > 0 {
		ctx.S.Log.Warn("DEBUG RELOAD NOFLUSH: a saved function library already exists")
		ctx.Err("ERR Error trying to load the RDB dump")
		return
	}
	for i := range ctx.S.KS.Databases() {
		db := ctx.S.KS.DB(i)
		var keys [][]byte
		db.Keys(ctx.Now, func(k []byte, t store.Type) bool {
			if t != store.TypeString {
				keys = append(keys, append([]byte(nil), k...))
			}
			return true
		})
		for _, k := range keys {
			db.UpdateNoTouch(k, ctx.Now, func(e *store.Entry) {
				if !e.Exists() || e.Type() == store.TypeString {
					return
				}
				if h, ok := e.Obj().(*hash.Hash); ok && h.FieldsWithTTL() > 0 {
					return
				}
				v, ok := rdb.Decode(rdb.Seal(appendObject(nil, e, false)))
				if !ok {
					return
				}
				t, obj, ok := buildValue(ctx, v)
				if !ok {
					return
				}
				at, meta := e.ExpireAt(), e.Meta()
				e.SetObj(t, obj)
				e.SetExpireAt(at)
				e.SetMeta(meta)
			})
		}
	}
	ctx.W.OK()
}
