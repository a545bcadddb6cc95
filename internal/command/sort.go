package command

import (
	"bytes"
	"math"
	"slices"

	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/list"
	settype "github.com/smallredis/smallredis/internal/set"
	"github.com/smallredis/smallredis/internal/store"
)

// SORT and SORT_RO, as Redis's sortCommandGeneric: the elements of a list
// or a set (sorted sets join in sortElements once they exist), weighted by
// themselves or by BY keys, sorted numerically or with ALPHA, cut by LIMIT,
// replaced by GET keys, replied or stored as a list.
//
// BY and GET read other keys, known only once the elements are read. The
// command locks its own keys, reads the elements, derives the pattern keys,
// and if any is not locked yet it starts again with all of them locked
// (DB.Multi), so the whole command sees one consistent keyspace.

// sortOpts is a parsed SORT command.
type sortOpts struct {
	desc, alpha bool
	dontsort    bool // BY a pattern without '*': keep the native order
	limStart    int64
	limCount    int64
	by          []byte // nil: the elements themselves
	gets        [][]byte
	store       []byte // nil: reply
}

// sortKeys finds SORT's keys: the sorted key and a STORE destination.
func sortKeys(args [][]byte) []int { return sortKeyPositions(args, false) }

// sortROKeys finds SORT_RO's key.
func sortROKeys(args [][]byte) []int { return sortKeyPositions(args, true) }

func sortKeyPositions(args [][]byte, readonly bool) []int {
	if len(args) < 2 {
		return nil
	}
	keys := []int{1}
	if readonly {
		return keys
	}
	// As Redis's sortGetKeys: skip the options with arguments, the last
	// STORE wins.
	store := -1
	for i := 2; i < len(args); i++ {
		switch {
		case eqFold(args[i], "limit"):
			i += 2
		case eqFold(args[i], "get"), eqFold(args[i], "by"):
			i++
		case eqFold(args[i], "store") && i+1 < len(args):
			store = i + 1 // the key itself is scanned next, as Redis does
		}
	}
	if store > 0 {
		keys = append(keys, store)
	}
	return keys
}

// sort: SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET
// pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]
func sortCmd(ctx *Ctx) { sortGeneric(ctx, false) }

// sortRO: SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern …]
// [ASC|DESC] [ALPHA]
func sortRO(ctx *Ctx) { sortGeneric(ctx, true) }

func parseSort(ctx *Ctx, readonly bool) (o sortOpts, ok bool) {
	o.limCount = -1
	args := ctx.Args
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case eqFold(a, "asc"):
			o.desc = false
		case eqFold(a, "desc"):
			o.desc = true
		case eqFold(a, "alpha"):
			o.alpha = true
		case eqFold(a, "limit") && left >= 2:
			s, ok1 := parseInt(args[j+1])
			c, ok2 := parseInt(args[j+2])
			if !ok1 || !ok2 {
				ctx.Err(ErrNotInt)
				return o, false
			}
			o.limStart, o.limCount = s, c
			j += 2
		case !readonly && eqFold(a, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case eqFold(a, "by") && left >= 1:
			o.by = args[j+1]
			o.dontsort = bytes.IndexByte(cstr(o.by), '*') < 0
			// A pattern reaches keys no argument names: only for a user
			// who may read any key.
			if !o.dontsort && !ctx.readsAnyKey() {
				ctx.Err("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return o, false
			}
			j++
		case eqFold(a, "get") && left >= 1:
			if !ctx.readsAnyKey() {
				ctx.Err("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return o, false
			}
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			ctx.Err(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// cstr is b up to its first NUL: Redis searches patterns with strchr.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// patternKey is lookupKeyByPattern's substitution: the first '*' of pat
// replaced by subst, and the hash field after a following "->" if any.
// ok is false when pat has no '*' (a fixed key is never read).
func patternKey(pat, subst []byte) (key, field []byte, ok bool) {
	c := cstr(pat)
	star := bytes.IndexByte(c, '*')
	if star < 0 {
		return nil, nil, false
	}
	end := len(pat)
	if f := bytes.Index(c[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(c) {
		at := star + 1 + f
		field = pat[at+2:]
		end = at
	}
	key = make([]byte, 0, star+len(subst)+end-star-1)
	key = append(append(append(key, pat[:star]...), subst...), pat[star+1:end]...)
	return key, field, true
}

func isGetSelf(pat []byte) bool { return len(pat) == 1 && pat[0] == '#' }

type sortItem struct {
	v     []byte
	score float64
	cmp   []byte // the BY value under ALPHA; nil when its key is missing
}

func sortGeneric(ctx *Ctx, readonly bool) {
	o, ok := parseSort(ctx, readonly)
	if !ok {
		return
	}
	keys := [][]byte{ctx.Args[1]}
	if o.store != nil {
		keys = append(keys, o.store)
	}
	for {
		var want [][]byte
		done := false
		ctx.Multi(keys, func(es []*store.Entry) {
			locked := make(map[string]*store.Entry, len(keys))
			for i, k := range keys {
				locked[string(k)] = es[i]
			}
			want, done = sortLocked(ctx, &o, es[0], locked)
		})
		if done {
			return
		}
		keys = append(keys[:0:0], keys...)
		keys = append(keys, want...)
	}
}

// sortLocked runs SORT with the entries locked so far. When the elements
// need pattern keys not among them it returns those keys and done false
// (writing nothing), so the caller locks them too and calls again.
func sortLocked(ctx *Ctx, o *sortOpts, src *store.Entry, locked map[string]*store.Entry) (missing [][]byte, done bool) {
	elems, ok := sortElements(ctx, src)
	if !ok {
		return nil, true
	}
	// Every key a pattern will read must be locked.
	need := func(pat []byte) {
		for _, v := range elems {
			if k, _, ok := patternKey(pat, v); ok {
				if _, ok := locked[string(k)]; !ok {
					missing = append(missing, k)
					locked[string(k)] = nil
				}
			}
		}
	}
	sortBy := o.by != nil && !o.dontsort
	if sortBy {
		need(o.by)
	}
	for _, g := range o.gets {
		if !isGetSelf(g) {
			need(g)
		}
	}
	if missing != nil {
		return missing, false
	}
	// Counted once, on the pass that runs (as lookupKeyRead would).
	if src.Exists() {
		ctx.Hit()
	} else {
		ctx.MissKey(src)
	}
	lookup := func(pat, v []byte) ([]byte, bool) {
		if isGetSelf(pat) {
			return v, true
		}
		k, field, ok := patternKey(pat, v)
		if !ok {
			return nil, false
		}
		e := locked[string(k)]
		if !e.Exists() {
			ctx.MissKey(e)
			return nil, false
		}
		ctx.Hit()
		switch {
		case field != nil:
			if e.Type() != store.TypeHash {
				return nil, false
			}
			return e.Obj().(*hash.Hash).Get(field)
		case e.Type() == store.TypeString:
			return e.Str(), true
		}
		return nil, false
	}

	// A sorted set keeps its own order under BY nosort, as a list does.
	isList := src.Exists() && (src.Type() == store.TypeList || src.Type() == store.TypeZSet)
	isSet := src.Exists() && src.Type() == store.TypeSet
	dontsort, alpha := o.dontsort, o.alpha
	if dontsort && isSet && (o.store != nil || ctx.C.Lua) {
		// A set's order is arbitrary: a stored result, or one a script
		// sees, is sorted, as Redis does so that replicas and scripts
		// compute the same.
		dontsort, alpha, sortBy = false, true, false
	}

	// LIMIT clamped to the element count first, as Redis does against
	// overflow.
	n := int64(len(elems))
	start := min(max(o.limStart, 0), n)
	count := min(max(o.limCount, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)

	items := make([]sortItem, 0, len(elems))
	switch {
	case isList && dontsort:
		// The native order (reversed by DESC), only the LIMIT range.
		if end >= start {
			if o.desc {
				for i := n - 1 - start; i >= 0 && int64(len(items)) < end-start+1; i-- {
					items = append(items, sortItem{v: elems[i]})
				}
			} else {
				for i := start; i <= end; i++ {
					items = append(items, sortItem{v: elems[i]})
				}
			}
			end -= start
			start = 0
		}
	default:
		for _, v := range elems {
			items = append(items, sortItem{v: v})
		}
	}

	if !dontsort {
		bad := false
		for i := range items {
			it := &items[i]
			w := it.v
			if sortBy {
				var ok bool
				if w, ok = lookup(o.by, it.v); !ok {
					continue
				}
			}
			if alpha {
				if sortBy {
					it.cmp = append([]byte{}, w...)
				}
				continue
			}
			f, ok := sortScore(w)
			if !ok {
				bad = true
			}
			it.score = f
		}
		if bad {
			ctx.Err(ErrSortScore)
			return nil, true
		}
		slices.SortStableFunc(items, func(a, b sortItem) int {
			c := compareSort(&a, &b, alpha, sortBy)
			if o.desc {
				return -c
			}
			return c
		})
	}

	outlen := end - start + 1
	if len(o.gets) > 0 {
		outlen *= int64(len(o.gets))
	}
	outlen = max(outlen, 0)
	if o.store == nil {
		ctx.W.Array(int(outlen))
		for j := start; j <= end; j++ {
			v := items[j].v
			if len(o.gets) == 0 {
				ctx.W.Bulk(v)
			}
			for _, g := range o.gets {
				if val, ok := lookup(g, v); ok {
					ctx.W.Bulk(val)
				} else {
					ctx.W.Null()
				}
			}
		}
		return nil, true
	}

	dst := locked[string(o.store)]
	lim := listLimits(ctx)
	res := list.NewQuicklist()
	for j := start; j <= end; j++ {
		v := items[j].v
		if len(o.gets) == 0 {
			res.Push(v, list.Tail, lim)
		}
		for _, g := range o.gets {
			val, _ := lookup(g, v)
			res.Push(val, list.Tail, lim)
		}
	}
	if outlen > 0 {
		res.Convert(lim, false)
		dst.SetObj(store.TypeList, res)
		dst.SetExpireAt(0)
		ctx.Notify(EvList, "sortstore", o.store)
	} else if dst.Exists() {
		dst.Delete()
		ctx.Notify(EvGeneric, "del", o.store)
	}
	ctx.W.Int(outlen)
	return nil, true
}

// sortElements copies out the elements SORT works on (they must outlive
// a STORE that replaces the key): a list in order, a set in its iteration
// order, a sorted set by rank, nothing for a missing key. It answers WRONGTYPE for other types. The keyspace hit or miss
// is counted by the caller, on its last pass.
func sortElements(ctx *Ctx, e *store.Entry) ([][]byte, bool) {
	if !e.Exists() {
		return nil, true
	}
	var out [][]byte
	switch e.Type() {
	case store.TypeList:
		l := e.Obj().(*list.List)
		out = make([][]byte, 0, l.Len())
		it := l.IterFrom(0, false)
		for v, ok := it.Next(); ok; v, ok = it.Next() {
			out = append(out, append([]byte{}, v...))
		}
	case store.TypeSet:
		s := e.Obj().(*settype.Set)
		out = make([][]byte, 0, s.Len())
		s.Range(func(m []byte) bool {
			out = append(out, append([]byte{}, m...))
			return true
		})
	case store.TypeZSet:
		z := zsetOf(e)
		out = make([][]byte, 0, z.Len())
		z.Walk(0, false, func(m []byte, _ float64) bool {
			out = append(out, append([]byte{}, m...))
			return true
		})
	default:
		ctx.Hit()
		ctx.Err(ErrWrongType)
		return nil, false
	}
	return out, true
}

// sortScore is SORT's strtod: leading white space skipped, the rest all
// consumed; an empty string weighs 0.
func sortScore(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	f, ok := parseFloat(b[i:])
	if ok && math.IsNaN(f) {
		return 0, false
	}
	return f, ok
}

// compareSort is Redis's sortCompare: scores with ties broken by the
// elements' bytes, or ALPHA on the BY values (a missing one sorts first)
// or on the elements.
func compareSort(a, b *sortItem, alpha, byPattern bool) int {
	if !alpha {
		switch {
		case a.score > b.score:
			return 1
		case a.score < b.score:
			return -1
		}
		return bytes.Compare(a.v, b.v)
	}
	if byPattern {
		switch {
		case a.cmp == nil && b.cmp == nil:
			return 0
		case a.cmp == nil:
			return -1
		case b.cmp == nil:
			return 1
		}
		return bytes.Compare(a.cmp, b.cmp)
	}
	return bytes.Compare(a.v, b.v)
}
