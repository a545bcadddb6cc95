package command

import (
	"math"
	"strconv"

	"github.com/smallredis/smallredis/internal/glob"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

// keyCommands work on keys of any type: existence, names, the 16
// databases, iteration, and OBJECT introspection (object.go).
var keyCommands = []*Spec{
	{Name: "del", Arity: -2, Flags: Write, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace", "write", "slow"}, Handler: del},
	{Name: "unlink", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: unlink},
	{Name: "exists", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: exists},
	{Name: "touch", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: touch},
	{Name: "type", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "read", "fast"}, Handler: typeCmd},
	{Name: "rename", Arity: 3, Flags: Write, FirstKey: 1, LastKey: 2, Step: 1, ACL: []string{"keyspace", "write", "slow"}, Handler: rename},
	{Name: "renamenx", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: renamenx},
	{Name: "copy", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, ACL: []string{"keyspace", "write", "slow"}, Handler: copyCmd},
	{Name: "move", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"keyspace", "write", "fast"}, Handler: move},
	{Name: "swapdb", Arity: 3, Flags: Write | Fast, ACL: []string{"keyspace", "write", "fast", "dangerous"}, Handler: swapdb},
	{Name: "randomkey", Arity: 1, Flags: ReadOnly, ACL: []string{"keyspace", "read", "slow"}, Handler: randomkey},
	{Name: "keys", Arity: 2, Flags: ReadOnly, ACL: []string{"keyspace", "read", "slow", "dangerous"}, Handler: keys},
	{Name: "scan", Arity: -2, Flags: ReadOnly, ACL: []string{"keyspace", "read", "slow"}, Handler: scan},
	objectSpec,
}

// del: DEL key [key ...]. UNLINK differs in Redis only by freeing big
// values in a background thread; here the garbage collector does that for
// both, and only lazyfreed_objects tells them apart (lazyfree.go). A key
// named twice is deleted once.
func del(ctx *Ctx) { deleteKeys(ctx, ctx.S.Cfg.LazyfreeUserDel()) }

// unlink: UNLINK key [key ...]
func unlink(ctx *Ctx) { deleteKeys(ctx, true) }

func deleteKeys(ctx *Ctx, lazy bool) {
	var n int64
	// No access to record: the keys are going away.
	ctx.EachNoTouch(ctx.Args[1:], func(i int, e *store.Entry) {
		if e.Exists() {
			if lazy {
				countLazyFree(ctx.S, e)
			}
			e.Delete()
			ctx.Notify(EvGeneric, "del", ctx.Args[1+i])
			n++
		}
	})
	ctx.W.Int(n)
}

// exists: EXISTS key [key ...]. A key named twice counts twice. Redis
// looks the keys up without touching them.
func exists(ctx *Ctx) { countExisting(ctx, ctx.Peek) }

// touch: TOUCH key [key ...]. It updates the access time even under
// CLIENT NO-TOUCH, as Redis 7.2 does: touching is its whole purpose.
func touch(ctx *Ctx) { countExisting(ctx, ctx.ViewTouch) }

// countExisting replies how many of the keys exist, reading each with
// lookup (Peek or View).
func countExisting(ctx *Ctx, lookup func(key []byte, fn func(e *store.Entry))) {
	var n int64
	for _, k := range ctx.Args[1:] {
		lookup(k, func(e *store.Entry) {
			if e.Exists() {
				ctx.Hit()
				n++
			} else {
				ctx.MissKey(e)
			}
		})
	}
	ctx.W.Int(n)
}

// typeCmd: TYPE key
func typeCmd(ctx *Ctx) {
	ctx.Peek(ctx.Args[1], func(e *store.Entry) {
		if !e.Exists() {
			ctx.MissKey(e)
			ctx.W.Simple("none")
			return
		}
		ctx.Hit()
		ctx.W.Simple(e.Type().String())
	})
}

// rename: RENAME key newkey
func rename(ctx *Ctx) { renameGeneric(ctx, false) }

// renamenx: RENAMENX key newkey
func renamenx(ctx *Ctx) { renameGeneric(ctx, true) }

// renameGeneric moves the value and its TTL from one name to another in
// the selected database, atomically.
func renameGeneric(ctx *Ctx, nx bool) {
	src, dst := ctx.Args[1], ctx.Args[2]
	ctx.Multi(ctx.Args[1:3], func(es []*store.Entry) {
		s, d := es[0], es[1]
		switch {
		case !s.Exists():
			ctx.Err(ErrNoSuchKey)
		case string(src) == string(dst):
			// Nothing to do, but only once the key is known to exist;
			// RENAMENX reports that nothing was renamed.
			if nx {
				ctx.W.Int(0)
			} else {
				ctx.W.OK()
			}
		case nx && d.Exists():
			ctx.W.Int(0)
		default:
			s.RenameTo(d)
			ctx.Notify(EvGeneric, "rename_from", src)
			ctx.Notify(EvGeneric, "rename_to", dst)
			if nx {
				ctx.W.Int(1)
			} else {
				ctx.W.OK()
			}
		}
	})
}

// copyCmd: COPY source destination [DB destination-db] [REPLACE]
func copyCmd(ctx *Ctx) {
	srcDB := ctx.C.DB()
	dstDB := srcDB
	replace := false
	for i := 3; i < len(ctx.Args); i++ {
		switch a := ctx.Args[i]; {
		case eqFold(a, "replace"):
			replace = true
		case eqFold(a, "db") && i+1 < len(ctx.Args):
			i++
			db, ok := parseDBIndex(ctx, ctx.Args[i])
			if !ok {
				return
			}
			dstDB = db
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	from, to := ctx.Args[1], ctx.Args[2]
	if srcDB == dstDB && string(from) == string(to) {
		ctx.Err(ErrSameObject)
		return
	}
	// Redis reads the source as a GET would, counting a keyspace hit or
	// miss; Keyspace.Copy does not say which, so look first.
	ctx.Peek(from, func(e *store.Entry) {
		if e.Exists() {
			ctx.Hit()
		} else {
			ctx.MissKey(e)
		}
	})
	copied := ctx.Copy(srcDB, dstDB, from, to, replace)
	if copied {
		ctx.NotifyDB(EvGeneric, "copy_to", to, dstDB)
	}
	ctx.W.Int(boolInt(copied))
}

// move: MOVE key db
func move(ctx *Ctx) {
	dst, ok := parseDBIndex(ctx, ctx.Args[2])
	if !ok {
		return
	}
	src := ctx.C.DB()
	if src == dst {
		ctx.Err(ErrSameObject)
		return
	}
	moved, _ := ctx.Move(src, dst, ctx.Args[1])
	if moved {
		ctx.NotifyDB(EvGeneric, "move_from", ctx.Args[1], src)
		ctx.NotifyDB(EvGeneric, "move_to", ctx.Args[1], dst)
	}
	ctx.W.Int(boolInt(moved))
}

// swapdb: SWAPDB index1 index2
func swapdb(ctx *Ctx) {
	i, ok := parseInt32(ctx.Args[1])
	if !ok {
		ctx.Err("ERR invalid first DB index")
		return
	}
	j, ok := parseInt32(ctx.Args[2])
	if !ok {
		ctx.Err("ERR invalid second DB index")
		return
	}
	n := int64(ctx.Databases())
	if i < 0 || i >= n || j < 0 || j >= n {
		ctx.Err(ErrInvalidDB)
		return
	}
	ctx.SwapDB(int(i), int(j))
	ctx.W.OK()
}

// parseDBIndex parses a database number as MOVE and COPY … DB do
// (getIntFromObjectOrReply, then a range check), replying on error.
func parseDBIndex(ctx *Ctx, b []byte) (int, bool) {
	v, ok := parseInt(b)
	switch {
	case !ok:
		ctx.Err(ErrNotInt)
		return 0, false
	case v < math.MinInt32 || v > math.MaxInt32:
		ctx.Err(ErrIntRange)
		return 0, false
	case v < 0 || v >= int64(ctx.Databases()):
		ctx.Err(ErrInvalidDB)
		return 0, false
	}
	return int(v), true
}

// parseInt32 accepts what Redis's getIntFromObject accepts: a string2ll
// integer within the C int range.
func parseInt32(b []byte) (int64, bool) {
	v, ok := parseInt(b)
	return v, ok && v >= math.MinInt32 && v <= math.MaxInt32
}

// randomkey: RANDOMKEY
func randomkey(ctx *Ctx) {
	var buf [64]byte
	k, ok := ctx.RandomKey(buf[:0])
	if !ok {
		ctx.W.Null()
		return
	}
	ctx.W.Bulk(k)
}

// keys: KEYS pattern
func keys(ctx *Ctx) {
	pat := ctx.Args[1]
	// Like Redis, "*" skips matching, so that it also matches the empty key.
	all := len(pat) == 1 && pat[0] == '*'
	// Replies are encoded into a side buffer while the keys are visited,
	// then the array header goes out once the count is known.
	body := resp.Writer{Proto: ctx.W.Proto}
	n := 0
	ctx.Keys(func(key []byte, _ store.Type) bool {
		if all || glob.Match(pat, key, false) {
			body.Bulk(key)
			n++
		}
		return true
	})
	ctx.W.Array(n)
	ctx.W.Raw(body.B)
}

// scan: SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
func scan(ctx *Ctx) {
	cursor, ok := parseCursor(ctx.Args[1])
	if !ok {
		ctx.Err("ERR invalid cursor")
		return
	}
	var (
		pat     []byte
		typ     []byte
		count   int64 = 10
		matchOn bool
	)
	args := ctx.Args[2:]
	for len(args) > 0 {
		if len(args) < 2 {
			ctx.Err(ErrSyntax)
			return
		}
		opt, val := args[0], args[1]
		switch {
		case eqFold(opt, "count"):
			n, ok := parseInt(val)
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if n < 1 {
				ctx.Err(ErrSyntax)
				return
			}
			count = n
		case eqFold(opt, "match"):
			pat = val
			matchOn = !(len(val) == 1 && val[0] == '*')
		case eqFold(opt, "type"):
			typ = val
		default:
			ctx.Err(ErrSyntax)
			return
		}
		args = args[2:]
	}
	if count > math.MaxInt32 {
		count = math.MaxInt32 // a hint only; keeps the store's int arithmetic safe
	}
	body := resp.Writer{Proto: ctx.W.Proto}
	n, lookups := 0, int64(0)
	next := ctx.Scan(cursor, int(count), func(key []byte, t store.Type) {
		if matchOn && !glob.Match(pat, key, false) {
			return
		}
		if typ != nil {
			// Redis looks each candidate up to learn its type, which
			// counts as a keyspace hit. It compares type names
			// case-insensitively; an unknown name is not an error in
			// 7.0, it just matches nothing.
			lookups++
			if !eqFold(typ, t.String()) {
				return
			}
		}
		body.Bulk(key)
		n++
	})
	if lookups > 0 {
		ctx.S.Stats.Hits.Add(ctx.C.Stripe, lookups)
	}
	var cur [20]byte
	ctx.W.Array(2)
	ctx.W.Bulk(strconv.AppendUint(cur[:0], next, 10))
	ctx.W.Array(n)
	ctx.W.Raw(body.B)
}

// parseCursor parses a SCAN cursor as Redis does with strtoul: an optional
// sign ("-1" wraps around), decimal digits, nothing else; the empty string
// is cursor 0, leading space and overflow are errors.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	switch b[0] {
	case '+':
		b = b[1:]
	case '-':
		neg = true
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
