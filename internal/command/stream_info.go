package command

import (
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
)

// XINFO, as Redis 7.0 replies it.

func xinfoSyntax(ctx *Ctx) {
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(ctx.Args[1]), 128) + "'. Try XINFO HELP.")
}

// xinfoLookup finds the stream for XINFO: "no such key" when missing.
func xinfoLookup(ctx *Ctx, fn func(s *stream.Stream)) {
	ctx.View(ctx.Args[2], func(e *store.Entry) {
		s, ok := streamRead(ctx, e)
		switch {
		case !ok:
		case s == nil:
			ctx.Err(ErrNoSuchKey)
		default:
			fn(s)
		}
	})
}

func writeLag(ctx *Ctx, s *stream.Stream, g *stream.Group) {
	if lag, ok := s.Lag(g); ok {
		ctx.W.Int(lag)
	} else {
		ctx.W.Null()
	}
}

func writeEntriesRead(ctx *Ctx, g *stream.Group) {
	if g.EntriesRead != stream.InvalidEntriesRead {
		ctx.W.Int(g.EntriesRead)
	} else {
		ctx.W.Null()
	}
}

// raxNodes stands in for Redis's radix tree node count: about one inner
// node per key plus the root (the figure depends on the keys' shared
// prefixes in Redis).
func raxNodes(s *stream.Stream) int64 {
	if s.Nodes() == 0 {
		return 1
	}
	return int64(s.Nodes()) + 1
}

// xinfoStream: XINFO STREAM key [FULL [COUNT count]]
func xinfoStream(ctx *Ctx) {
	opts := ctx.Args[3:]
	full := len(opts) > 0
	count := int64(10)
	if full {
		if (len(opts) != 1 && len(opts) != 3) || !eqFold(opts[0], "full") {
			xinfoSyntax(ctx)
			return
		}
		if len(opts) == 3 {
			if !eqFold(opts[1], "count") {
				xinfoSyntax(ctx)
				return
			}
			n, ok := parseInt(opts[2])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if n < 0 {
				n = 10
			}
			count = n
		}
	}
	xinfoLookup(ctx, func(s *stream.Stream) {
		w := ctx.W
		if full {
			w.Map(9)
		} else {
			w.Map(10)
		}
		w.BulkString("length")
		w.Int(int64(s.Len()))
		w.BulkString("radix-tree-keys")
		w.Int(int64(s.Nodes()))
		w.BulkString("radix-tree-nodes")
		w.Int(raxNodes(s))
		w.BulkString("last-generated-id")
		writeStreamID(ctx, s.LastID())
		w.BulkString("max-deleted-entry-id")
		writeStreamID(ctx, s.MaxDeleted())
		w.BulkString("entries-added")
		w.Int(s.EntriesAdded())
		w.BulkString("recorded-first-entry-id")
		writeStreamID(ctx, s.FirstID())
		if !full {
			w.BulkString("groups")
			w.Int(int64(len(s.Groups())))
			for _, rev := range []bool{false, true} {
				if rev {
					w.BulkString("last-entry")
				} else {
					w.BulkString("first-entry")
				}
				found := false
				s.Range(stream.ID{}, stream.Max, rev, func(id stream.ID, fv [][]byte) bool {
					writeEntry(ctx, id, fv)
					found = true
					return false
				})
				if !found {
					w.Null()
				}
			}
			return
		}
		w.BulkString("entries")
		replyRange(ctx, s, stream.ID{}, stream.Max, count, false)
		w.BulkString("groups")
		w.Array(len(s.Groups()))
		for _, g := range s.Groups() {
			w.Map(7)
			w.BulkString("name")
			w.Bulk(g.Name)
			w.BulkString("last-delivered-id")
			writeStreamID(ctx, g.LastID)
			w.BulkString("entries-read")
			writeEntriesRead(ctx, g)
			w.BulkString("lag")
			writeLag(ctx, s, g)
			w.BulkString("pel-count")
			w.Int(int64(g.PendingLen()))
			w.BulkString("pending")
			writePEL(ctx, g, nil, count)
			w.BulkString("consumers")
			w.Array(len(g.Consumers()))
			for _, c := range g.Consumers() {
				w.Map(4)
				w.BulkString("name")
				w.Bulk(c.Name)
				w.BulkString("seen-time")
				w.Int(c.SeenTime)
				w.BulkString("pel-count")
				w.Int(int64(c.PendingLen()))
				w.BulkString("pending")
				writePEL(ctx, g, c, count)
			}
		}
	})
}

// writePEL writes XINFO STREAM FULL's first count (0: all) pending
// entries of group g, or of its consumer c: [id, consumer, delivery time,
// count], without the consumer for c's own.
func writePEL(ctx *Ctx, g *stream.Group, c *stream.Consumer, count int64) {
	w := ctx.W
	mark, n := w.Mark(), 0
	g.PendingRange(stream.ID{}, stream.Max, c, func(p *stream.Pending) bool {
		if count != 0 && int64(n) >= count {
			return false
		}
		if c == nil {
			w.Array(4)
			writeStreamID(ctx, p.ID)
			w.Bulk(p.Owner.Name)
		} else {
			w.Array(3)
			writeStreamID(ctx, p.ID)
		}
		w.Int(p.DeliveryTime)
		w.Int(p.DeliveryCount)
		n++
		return true
	})
	w.SetArray(mark, n)
}

// xinfoGroups: XINFO GROUPS key
func xinfoGroups(ctx *Ctx) {
	xinfoLookup(ctx, func(s *stream.Stream) {
		w := ctx.W
		w.Array(len(s.Groups()))
		for _, g := range s.Groups() {
			w.Map(6)
			w.BulkString("name")
			w.Bulk(g.Name)
			w.BulkString("consumers")
			w.Int(int64(len(g.Consumers())))
			w.BulkString("pending")
			w.Int(int64(g.PendingLen()))
			w.BulkString("last-delivered-id")
			writeStreamID(ctx, g.LastID)
			w.BulkString("entries-read")
			writeEntriesRead(ctx, g)
			w.BulkString("lag")
			writeLag(ctx, s, g)
		}
	})
}

// xinfoConsumers: XINFO CONSUMERS key group
func xinfoConsumers(ctx *Ctx) {
	xinfoLookup(ctx, func(s *stream.Stream) {
		g := s.Group(ctx.Args[3])
		if g == nil {
			ctx.Err("NOGROUP No such consumer group '" + string(ctx.Args[3]) + "' for key name '" + string(ctx.Args[2]) + "'")
			return
		}
		now := store.WallMs(store.Mono())
		w := ctx.W
		w.Array(len(g.Consumers()))
		for _, c := range g.Consumers() {
			w.Map(3)
			w.BulkString("name")
			w.Bulk(c.Name)
			w.BulkString("pending")
			w.Int(int64(c.PendingLen()))
			w.BulkString("idle")
			w.Int(max(now-c.SeenTime, 0))
		}
	})
}

// xinfoHelp: XINFO HELP
func xinfoHelp(ctx *Ctx) {
	writeHelp(ctx, "XINFO", []string{
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
	})
}
