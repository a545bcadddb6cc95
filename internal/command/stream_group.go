package command

import (
	"math"
	"time"

	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
)

// Reading streams (XREAD, XREADGROUP, both blocking with BLOCK) and the
// consumer group commands, as Redis 7.0's t_stream.c answers them.

// xreadDefaultCount is what a blocked XREAD without COUNT is served at most.
const xreadDefaultCount = 1000

type xreadArgs struct {
	timeout  time.Duration
	block    bool
	count    int64
	keys     [][]byte
	ids      [][]byte
	group    []byte
	consumer []byte
	noack    bool
}

func parseXRead(ctx *Ctx, group bool) (a xreadArgs, ok bool) {
	args := ctx.Args
	name := string(args[0])
	streamsAt := 0
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case eqFold(o, "block") && more > 0:
			if ctx.C.Lua {
				ctx.Err("ERR " + name + " command is not allowed with BLOCK option from scripts")
				return a, false
			}
			i++
			n, ok := parseInt(args[i])
			if !ok {
				ctx.Err(ErrTimeout)
				return a, false
			}
			if n < 0 {
				ctx.Err("ERR timeout is negative")
				return a, false
			}
			a.block, a.timeout = true, time.Duration(n)*time.Millisecond
		case eqFold(o, "count") && more > 0:
			i++
			n, ok := parseInt(args[i])
			if !ok {
				ctx.Err(ErrNotInt)
				return a, false
			}
			a.count = max(n, 0)
		case eqFold(o, "streams") && more > 0:
			streamsAt = i + 1
			n := len(args) - streamsAt
			if n%2 != 0 {
				ctx.Err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return a, false
			}
			a.keys, a.ids = args[streamsAt:streamsAt+n/2], args[streamsAt+n/2:]
			i = len(args)
		case eqFold(o, "group") && more >= 2:
			if !group {
				ctx.Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.group, a.consumer = args[i+1], args[i+2]
			i += 2
		case eqFold(o, "noack"):
			if !group {
				ctx.Err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.noack = true
		default:
			ctx.Err(ErrSyntax)
			return a, false
		}
	}
	if streamsAt == 0 {
		ctx.Err(ErrSyntax)
		return a, false
	}
	if group && a.group == nil {
		ctx.Err("ERR Missing GROUP option for XREADGROUP")
		return a, false
	}
	return a, true
}

// xread: XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
func xread(ctx *Ctx) { xreadGeneric(ctx, false) }

// xreadgroup: XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
func xreadgroup(ctx *Ctx) { xreadGeneric(ctx, true) }

// groupLast stands for ">" in a waiter's IDs.
var groupLast = stream.Max

func xreadGeneric(ctx *Ctx, group bool) {
	a, ok := parseXRead(ctx, group)
	if !ok {
		return
	}
	fn := func(es []*store.Entry) {
		ids := make([]stream.ID, len(a.keys))
		groups := make([]*stream.Group, len(a.keys))
		for i, e := range es {
			s, ok := streamRead(ctx, e)
			if !ok {
				return
			}
			if group {
				var g *stream.Group
				if s != nil {
					g = s.Group(a.group)
				}
				if g == nil {
					ctx.Err("NOGROUP No such key '" + string(a.keys[i]) + "' or consumer group '" + string(a.group) + "' in XREADGROUP with GROUP option")
					return
				}
				groups[i] = g
			}
			idArg := a.ids[i]
			switch {
			case len(idArg) == 1 && idArg[0] == '$':
				if group {
					ctx.Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
					return
				}
				if s != nil {
					ids[i] = s.LastID()
				}
			case len(idArg) == 1 && idArg[0] == '>':
				if !group {
					ctx.Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
					return
				}
				ids[i] = groupLast
			default:
				id, ok := parseStreamID(ctx, idArg, 0, true)
				if !ok {
					return
				}
				ids[i] = id
			}
		}
		mark := ctx.W.Mark()
		n := 0
		for i, e := range es {
			if !e.Exists() {
				continue
			}
			s := streamOf(e)
			gt := ids[i]
			history := false
			serve := false
			if group {
				if gt != groupLast {
					serve, history = true, true
				} else if last, ok := s.Edge(true); ok && groups[i].LastID.Less(last) {
					serve, gt = true, groups[i].LastID
				}
			} else if last, ok := s.Edge(true); ok && gt.Less(last) {
				serve = true
			}
			if !serve {
				continue
			}
			n++
			if ctx.W.Proto < 3 {
				ctx.W.Array(2)
			}
			ctx.W.Bulk(a.keys[i])
			if group {
				c := groups[i].Consumer(a.consumer)
				if c == nil {
					c = groups[i].CreateConsumer(a.consumer, ctx.Now)
					ctx.Notify(EvStream, "xgroup-createconsumer", a.keys[i])
				}
				c.SeenTime = ctx.Now
				serveGroup(ctx, s, groups[i], c, gt, a.count, a.noack, history)
			} else {
				start, _ := gt.Next()
				replyRange(ctx, s, start, stream.Max, a.count, false)
			}
		}
		if n > 0 {
			if ctx.W.Proto < 3 {
				ctx.W.SetArray(mark, n)
			} else {
				ctx.W.SetMap(mark, n)
			}
			return
		}
		if !a.block {
			ctx.W.NullArray()
			return
		}
		if ctx.denyBlocking(blockXRead) {
			return
		}
		count := a.count
		if count == 0 {
			count = xreadDefaultCount
		}
		w := &waiter{kind: blockXRead, count: int(count), xgroup: a.group, xconsumer: a.consumer, noack: a.noack, xids: map[string]stream.ID{}}
		for i, k := range a.keys {
			if _, dup := w.xids[string(k)]; !dup {
				w.xids[string(k)] = ids[i]
			}
		}
		if a.group != nil {
			w.xgroup = append([]byte(nil), a.group...)
			w.xconsumer = append([]byte(nil), a.consumer...)
		}
		ctx.block(a.keys, w, a.timeout)
	}
	ctx.Multi(a.keys, fn)
}

// serveGroup writes the entries a consumer group read delivers: after gt
// (new entries, advancing the group, adding them to the PEL unless noack)
// or, for history, the consumer's own pending entries from gt on.
func serveGroup(ctx *Ctx, s *stream.Stream, g *stream.Group, c *stream.Consumer, gt stream.ID, count int64, noack, history bool) {
	mark := ctx.W.Mark()
	n := 0
	if history {
		from, ok := gt.Next()
		if !ok {
			ctx.W.Array(0)
			return
		}
		g.PendingRange(from, stream.Max, c, func(p *stream.Pending) bool {
			found := s.Get(p.ID, func(fv [][]byte) { writeEntry(ctx, p.ID, fv) })
			if !found {
				ctx.W.Array(2)
				writeStreamID(ctx, p.ID)
				ctx.W.NullArray()
			} else {
				p.DeliveryTime = ctx.Now
				p.DeliveryCount++
				s.Touch()
			}
			n++
			return count == 0 || int64(n) < count
		})
		ctx.W.SetArray(mark, n)
		return
	}
	start, _ := gt.Next()
	var delivered []stream.ID
	s.Range(start, stream.Max, false, func(id stream.ID, fv [][]byte) bool {
		s.Advance(g, id)
		writeEntry(ctx, id, fv)
		if !noack {
			delivered = append(delivered, id)
		}
		n++
		return count == 0 || int64(n) < count
	})
	for _, id := range delivered {
		g.Deliver(id, c, ctx.Now)
	}
	c.ActiveTime = ctx.Now
	ctx.W.SetArray(mark, n)
}

// streamWaiterReady reports whether waiter w, blocked on key, is to be
// answered from stream st: it holds entries past the waiter's ID (a group
// waiter's is its group's last ID now), or the waiter's group is gone.
func streamWaiterReady(w *waiter, key []byte, st *stream.Stream) bool {
	gt := w.xids[string(key)]
	if w.xgroup != nil {
		g := st.Group(w.xgroup)
		if g == nil {
			return true
		}
		gt = g.LastID
	}
	return gt.Less(st.LastID())
}

// serveStreamWaiter writes the reply of a ready waiter whose group (if
// any) exists: [[key, entries]] (a map in RESP3), delivering a group
// read's entries to its consumer.
func serveStreamWaiter(w *waiter, key []byte, e *store.Entry, ctx *Ctx) {
	st := streamOf(e)
	if ctx.W.Proto < 3 {
		ctx.W.Array(1)
		ctx.W.Array(2)
	} else {
		ctx.W.Map(1)
	}
	ctx.W.Bulk(key)
	if w.xgroup == nil {
		start, _ := w.xids[string(key)].Next()
		replyRange(ctx, st, start, stream.Max, int64(w.count), false)
		return
	}
	g := st.Group(w.xgroup)
	c := g.Consumer(w.xconsumer)
	if c == nil {
		c = g.CreateConsumer(w.xconsumer, ctx.Now)
		ctx.Notify(EvStream, "xgroup-createconsumer", key)
	}
	c.SeenTime = ctx.Now
	serveGroup(ctx, st, g, c, g.LastID, int64(w.count), w.noack, false)
}

// xgroupCreate: XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
func xgroupCreate(ctx *Ctx) { xgroupGeneric(ctx, "create") }

// xgroupSetID: XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
func xgroupSetID(ctx *Ctx) { xgroupGeneric(ctx, "setid") }

// xgroupDestroy: XGROUP DESTROY key group
func xgroupDestroy(ctx *Ctx) { xgroupGeneric(ctx, "destroy") }

// xgroupCreateConsumer: XGROUP CREATECONSUMER key group consumer
func xgroupCreateConsumer(ctx *Ctx) { xgroupGeneric(ctx, "createconsumer") }

// xgroupDelConsumer: XGROUP DELCONSUMER key group consumer
func xgroupDelConsumer(ctx *Ctx) { xgroupGeneric(ctx, "delconsumer") }

func xgroupSyntax(ctx *Ctx) {
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(ctx.Args[1]), 128) + "'. Try XGROUP HELP.")
}

func xgroupGeneric(ctx *Ctx, sub string) {
	args := ctx.Args
	mkstream := false
	entriesRead := int64(stream.InvalidEntriesRead)
	for i := 5; i < len(args); {
		switch {
		case sub == "create" && eqFold(args[i], "mkstream"):
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && eqFold(args[i], "entriesread") && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if n < 0 && n != stream.InvalidEntriesRead {
				ctx.Err("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			entriesRead = n
			i += 2
		default:
			xgroupSyntax(ctx)
			return
		}
	}
	key, name := args[2], args[3]
	ctx.Update(key, func(e *store.Entry) {
		s, ok := streamWrite(ctx, e)
		if !ok {
			return
		}
		var g *stream.Group
		if !mkstream {
			if s == nil {
				ctx.Err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
				return
			}
			g = s.Group(name)
			if g == nil && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
				ctx.Err("NOGROUP No such consumer group '" + string(name) + "' for key name '" + string(key) + "'")
				return
			}
		}
		switch sub {
		case "create":
			if len(args) > 8 {
				xgroupSyntax(ctx)
				return
			}
			var id stream.ID
			if len(args[4]) == 1 && args[4][0] == '$' {
				if s != nil {
					id = s.LastID()
				}
			} else {
				var ok bool
				if id, ok = parseStreamID(ctx, args[4], 0, true); !ok {
					return
				}
			}
			if s == nil {
				s = stream.New()
				e.SetObj(store.TypeStream, s)
			}
			if s.CreateGroup(name, id, entriesRead) == nil {
				ctx.Err("BUSYGROUP Consumer Group name already exists")
				return
			}
			ctx.W.OK()
			ctx.Notify(EvStream, "xgroup-create", key)
		case "setid":
			if len(args) != 5 && len(args) != 7 {
				xgroupSyntax(ctx)
				return
			}
			var id stream.ID
			if len(args[4]) == 1 && args[4][0] == '$' {
				id = s.LastID()
			} else {
				var ok bool
				if id, ok = parseStreamID(ctx, args[4], 0, false); !ok {
					return
				}
			}
			s.Touch()
			g.LastID, g.EntriesRead = id, entriesRead
			ctx.W.OK()
			ctx.Notify(EvStream, "xgroup-setid", key)
		case "destroy":
			if g == nil {
				ctx.W.Int(0)
				return
			}
			s.DestroyGroup(name)
			ctx.W.Int(1)
			ctx.Notify(EvStream, "xgroup-destroy", key)
			ctx.signalPushed(key, e)
		case "createconsumer":
			c := g.CreateConsumer(args[4], ctx.Now)
			if c == nil {
				ctx.W.Int(0)
				return
			}
			ctx.W.Int(1)
			ctx.Notify(EvStream, "xgroup-createconsumer", key)
		case "delconsumer":
			n := 0
			if g.Consumer(args[4]) != nil {
				n = g.DeleteConsumer(args[4])
				ctx.Notify(EvStream, "xgroup-delconsumer", key)
			}
			ctx.W.Int(int64(n))
		}
	})
}

// xgroupHelp: XGROUP HELP
func xgroupHelp(ctx *Ctx) {
	writeHelp(ctx, "XGROUP", []string{
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
	})
}

// xsetid: XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func xsetid(ctx *Ctx) {
	args := ctx.Args
	id, ok := parseStreamID(ctx, args[2], 0, true)
	if !ok {
		return
	}
	added := int64(-1)
	var maxDel stream.ID
	for i := 3; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "entriesadded") && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if n < 0 {
				ctx.Err("ERR entries_added must be positive")
				return
			}
			added = n
		case eqFold(args[i], "maxdeletedid") && more > 0:
			m, ok := parseStreamID(ctx, args[i+1], 0, true)
			if !ok {
				return
			}
			if id.Less(m) {
				ctx.Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxDel = m
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	key := args[1]
	ctx.Update(key, func(e *store.Entry) {
		exists, ok := writeTyped(ctx, e, store.TypeStream)
		if !ok {
			return
		}
		if !exists {
			ctx.Err(ErrNoSuchKey)
			return
		}
		s := streamOf(e)
		if s.Len() > 0 {
			if last, _ := s.Edge(true); id.Less(last) {
				ctx.Err("ERR The ID specified in XSETID is smaller than the target stream top item")
				return
			}
			if added != -1 && int64(s.Len()) > added {
				ctx.Err("ERR The entries_added specified in XSETID is smaller than the target stream length")
				return
			}
		}
		if added == -1 {
			added = s.EntriesAdded()
		}
		md := s.MaxDeleted()
		if !maxDel.IsZero() {
			md = maxDel
		}
		s.SetMeta(id, added, md)
		ctx.W.OK()
		ctx.Notify(EvStream, "xsetid", key)
	})
}

// xack: XACK key group id [id ...]
func xack(ctx *Ctx) {
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		s, ok := streamWrite(ctx, e)
		if !ok {
			return
		}
		var g *stream.Group
		if s != nil {
			g = s.Group(ctx.Args[2])
		}
		if g == nil {
			ctx.W.Int(0)
			return
		}
		ids := make([]stream.ID, 0, len(ctx.Args)-3)
		for _, b := range ctx.Args[3:] {
			id, ok := parseStreamID(ctx, b, 0, true)
			if !ok {
				return
			}
			ids = append(ids, id)
		}
		n := 0
		for _, id := range ids {
			if g.Ack(id) {
				n++
			}
		}
		if n == 0 {
		}
		ctx.W.Int(int64(n))
	})
}

func noGroup(ctx *Ctx, key, group []byte) {
	ctx.Err("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'")
}

// xpending: XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func xpending(ctx *Ctx) {
	args := ctx.Args
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		ctx.Err(ErrSyntax)
		return
	}
	var start, end stream.ID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		at := 3
		if eqFold(args[3], "idle") {
			n, ok := parseInt(args[4])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			minIdle = n
			if len(args) < 8 {
				ctx.Err(ErrSyntax)
				return
			}
			at += 2
		}
		n, ok := parseInt(args[at+2])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		count = max(n, 0)
		if start, ok = parseRangeStart(ctx, args[at]); !ok {
			return
		}
		if end, ok = parseRangeEnd(ctx, args[at+1]); !ok {
			return
		}
		if at+3 < len(args) {
			consumer = args[at+3]
		}
	}
	ctx.View(args[1], func(e *store.Entry) {
		s, ok := streamRead(ctx, e)
		if !ok {
			return
		}
		var g *stream.Group
		if s != nil {
			g = s.Group(args[2])
		}
		if g == nil {
			noGroup(ctx, args[1], args[2])
			return
		}
		if justInfo {
			ctx.W.Array(4)
			ctx.W.Int(int64(g.PendingLen()))
			if g.PendingLen() == 0 {
				ctx.W.Null()
				ctx.W.Null()
				ctx.W.NullArray()
				return
			}
			writeStreamID(ctx, g.FirstPending().ID)
			writeStreamID(ctx, g.LastPending().ID)
			n := 0
			for _, c := range g.Consumers() {
				if c.PendingLen() > 0 {
					n++
				}
			}
			ctx.W.Array(n)
			for _, c := range g.Consumers() {
				if c.PendingLen() > 0 {
					ctx.W.Array(2)
					ctx.W.Bulk(c.Name)
					ctx.W.BulkInt(int64(c.PendingLen()))
				}
			}
			return
		}
		var c *stream.Consumer
		if consumer != nil {
			if c = g.Consumer(consumer); c == nil {
				ctx.W.Array(0)
				return
			}
		}
		now := store.WallMs(store.Mono())
		mark := ctx.W.Mark()
		n := 0
		if count > 0 {
			g.PendingRange(start, end, c, func(p *stream.Pending) bool {
				idle := now - p.DeliveryTime
				if minIdle != 0 && idle < minIdle {
					return true
				}
				ctx.W.Array(4)
				writeStreamID(ctx, p.ID)
				ctx.W.Bulk(p.Owner.Name)
				ctx.W.Int(max(idle, 0))
				ctx.W.Int(p.DeliveryCount)
				n++
				return int64(n) < count
			})
		}
		ctx.W.SetArray(mark, n)
	})
}

// claimGroup is the stream and group XCLAIM and XAUTOCLAIM work on, NOGROUP
// when either is missing; ok is false after an error reply.
func claimGroup(ctx *Ctx, e *store.Entry, key, group []byte) (*stream.Stream, *stream.Group, bool) {
	s, ok := streamWrite(ctx, e)
	if !ok {
		return nil, nil, false
	}
	var g *stream.Group
	if s != nil {
		g = s.Group(group)
	}
	if g == nil {
		noGroup(ctx, key, group)
		return nil, nil, false
	}
	return s, g, true
}

// claim hands pending entry p to the consumer named name (created, and
// kept in *c, on the first claim of the command), delivered at when, with
// count retry (or one more unless justID when retry is -1), and writes the
// entry or with justID its ID.
func claim(ctx *Ctx, s *stream.Stream, g *stream.Group, c **stream.Consumer, name []byte, p *stream.Pending, when, retry int64, justID bool) {
	if *c == nil {
		if *c = g.Consumer(name); *c == nil {
			*c = g.CreateConsumer(name, ctx.Now)
			ctx.Notify(EvStream, "xgroup-createconsumer", ctx.Args[1]) // XCLAIM's and XAUTOCLAIM's key
		}
		(*c).SeenTime = ctx.Now
	}
	g.Assign(p, *c)
	s.Touch()
	p.DeliveryTime = when
	if retry >= 0 {
		p.DeliveryCount = retry
	} else if !justID {
		p.DeliveryCount++
	}
	id := p.ID
	if justID {
		writeStreamID(ctx, id)
	} else {
		s.Get(id, func(fv [][]byte) { writeEntry(ctx, id, fv) })
	}
}

// parseIntMsg reads an integer, answering "ERR "+msg when it is not one.
func parseIntMsg(ctx *Ctx, b []byte, msg string) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		ctx.Err("ERR " + msg)
	}
	return n, ok
}

// xclaim: XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
func xclaim(ctx *Ctx) {
	args := ctx.Args
	key := args[1]
	ctx.Update(key, func(e *store.Entry) {
		s, g, ok := claimGroup(ctx, e, key, args[2])
		if !ok {
			return
		}
		minIdle, ok := parseIntMsg(ctx, args[4], "Invalid min-idle-time argument for XCLAIM")
		if !ok {
			return
		}
		minIdle = max(minIdle, 0)
		var ids []stream.ID
		j := 5
		for ; j < len(args); j++ {
			id, _, ok := stream.Parse(args[j], 0)
			if !ok || (len(args[j]) == 1 && (args[j][0] == '-' || args[j][0] == '+')) {
				break
			}
			ids = append(ids, id)
		}
		now := store.WallMs(store.Mono())
		deliveryTime, retry := int64(-1), int64(-1)
		force, justID := false, false
		var lastID stream.ID
		for ; j < len(args); j++ {
			more := len(args) - 1 - j
			o := args[j]
			switch {
			case eqFold(o, "force"):
				force = true
			case eqFold(o, "justid"):
				justID = true
			case eqFold(o, "idle") && more > 0:
				j++
				n, ok := parseIntMsg(ctx, args[j], "Invalid IDLE option argument for XCLAIM")
				if !ok {
					return
				}
				deliveryTime = now - n
			case eqFold(o, "time") && more > 0:
				j++
				n, ok := parseIntMsg(ctx, args[j], "Invalid TIME option argument for XCLAIM")
				if !ok {
					return
				}
				deliveryTime = n
			case eqFold(o, "retrycount") && more > 0:
				j++
				n, ok := parseIntMsg(ctx, args[j], "Invalid RETRYCOUNT option argument for XCLAIM")
				if !ok {
					return
				}
				retry = n
			case eqFold(o, "lastid") && more > 0:
				j++
				id, ok := parseStreamID(ctx, args[j], 0, true)
				if !ok {
					return
				}
				lastID = id
			default:
				ctx.Err("ERR Unrecognized XCLAIM option '" + string(o) + "'")
				return
			}
		}
		if g.LastID.Less(lastID) {
			g.LastID = lastID
			s.Touch()
		}
		if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now {
			deliveryTime = now
		}
		var c *stream.Consumer
		mark := ctx.W.Mark()
		n := 0
		for _, id := range ids {
			p := g.Pending(id)
			if !s.Get(id, nil) {
				if p != nil {
					g.Ack(id)
				}
				continue
			}
			if force && p == nil {
				g.AddPending(id, now, 1)
				p = g.Pending(id)
			}
			if p == nil {
				continue
			}
			if p.Owner != nil && minIdle > 0 && now-p.DeliveryTime < minIdle {
				continue
			}
			claim(ctx, s, g, &c, args[3], p, deliveryTime, retry, justID)
			n++
		}
		if c != nil {
			c.ActiveTime = ctx.Now
		}
		ctx.W.SetArray(mark, n)
	})
}

// xautoclaim: XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func xautoclaim(ctx *Ctx) {
	args := ctx.Args
	minIdle, ok := parseIntMsg(ctx, args[4], "Invalid min-idle-time argument for XAUTOCLAIM")
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := parseRangeStart(ctx, args[5])
	if !ok {
		return
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		switch {
		case eqFold(args[j], "count") && j+1 < len(args):
			n, ok := parseInt(args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				ctx.Err("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case eqFold(args[j], "justid"):
			justID = true
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	key := args[1]
	ctx.Update(key, func(e *store.Entry) {
		s, g, ok := claimGroup(ctx, e, key, args[2])
		if !ok {
			return
		}
		now := store.WallMs(store.Mono())
		attempts := count * 10
		var c *stream.Consumer
		var deleted []stream.ID
		ctx.W.Array(3)
		cursorAt := ctx.W.Mark()
		n := 0
		// The cursor is the pending entry after the last one examined (0-0
		// when none is left), as Redis's raxNext after its loop.
		var cursor stream.ID
		for p := g.PendingFrom(start); p != nil; {
			if attempts == 0 || count == 0 {
				cursor = p.ID
				break
			}
			attempts--
			next := g.PendingAfter(p.ID) // before an Ack takes p out
			switch {
			case !s.Get(p.ID, nil):
				g.Ack(p.ID)
				deleted = append(deleted, p.ID)
				count--
			case minIdle > 0 && now-p.DeliveryTime < minIdle:
			default:
				claim(ctx, s, g, &c, args[3], p, now, -1, justID)
				n++
				count--
			}
			p = next
		}
		if c != nil {
			c.ActiveTime = ctx.Now
		}
		ctx.W.SetArray(cursorAt, n)
		var buf [48]byte
		ctx.W.SetBulk(cursorAt, cursor.Append(buf[:0]))
		ctx.W.Array(len(deleted))
		for _, id := range deleted {
			writeStreamID(ctx, id)
		}
	})
}
