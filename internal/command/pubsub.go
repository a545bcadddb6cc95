package command

import (
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/pubsub"
	"github.com/smallredis/smallredis/internal/resp"
)

// Publish/subscribe. The registries (package pubsub) say who listens;
// delivery goes through each subscriber's Client.Send, which queues the
// frame for the subscriber's own event loop under its output limit
// (client-output-buffer-limit pubsub) and wakes it, so a publisher never
// waits for a subscriber. A frame is encoded once per publish and protocol
// (once per pattern for pmessage) and shared by every subscriber: Send's
// contract is that the bytes never change afterwards.
//
// Order: a publisher's messages reach each subscriber in publish order
// (Send queues in call order); a subscriber's confirmations and messages
// keep the order of its own loop. A RESP3 client that receives its own
// message gets it before PUBLISH's reply, as Redis 7.0 writes it.
//
// RESP2 subscribed mode: a client with any subscription may only run the
// commands of subscribedOK (Exec refuses the rest); RESP3 has no such mode.

var pubsubCommands = []*Spec{
	{Name: "subscribe", Arity: -2, Flags: PubSub | NoScript | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: subscribe},
	{Name: "unsubscribe", Arity: -1, Flags: PubSub | NoScript | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: unsubscribe},
	{Name: "psubscribe", Arity: -2, Flags: PubSub | NoScript | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: psubscribe},
	{Name: "punsubscribe", Arity: -1, Flags: PubSub | NoScript | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: punsubscribe},
	{Name: "ssubscribe", Arity: -2, Flags: PubSub | NoScript | Loading | Stale, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"pubsub", "slow"}, Handler: ssubscribe},
	{Name: "sunsubscribe", Arity: -1, Flags: PubSub | NoScript | Loading | Stale, FirstKey: 1, LastKey: -1, Step: 1, ACL: []string{"pubsub", "slow"}, Handler: sunsubscribe},
	{Name: "publish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, ACL: []string{"pubsub", "fast"}, Handler: publish},
	{Name: "spublish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, FirstKey: 1, LastKey: 1, Step: 1, ACL: []string{"pubsub", "fast"}, Handler: spublish},
	{Name: "pubsub", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "channels", Arity: -2, Flags: PubSub | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: pubsubChannels},
		{Name: "numsub", Arity: -2, Flags: PubSub | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: pubsubNumSub},
		{Name: "numpat", Arity: 2, Flags: PubSub | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: pubsubNumPat},
		{Name: "shardchannels", Arity: -2, Flags: PubSub | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: pubsubShardChannels},
		{Name: "shardnumsub", Arity: -2, Flags: PubSub | Loading | Stale, ACL: []string{"pubsub", "slow"}, Handler: pubsubShardNumSub},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: pubsubHelp},
	}},
}

// pubsubState is the server's registries.
type pubsubState struct {
	global pubsub.Registry[*Client] // SUBSCRIBE, PSUBSCRIBE, PUBLISH
	shard  pubsub.Registry[*Client] // SSUBSCRIBE, SPUBLISH
}

// subCounts are a client's subscriptions, for CLIENT LIST (any goroutine)
// and subscribed mode (its own loop).
type subCounts struct {
	sub, psub, ssub atomic.Int32
}

func (n *subCounts) total() int32 { return n.sub.Load() + n.psub.Load() + n.ssub.Load() }

// Subscribed reports whether c is in subscribed mode (CLIENT LIST flag P,
// the pubsub output-limit class). Safe from any goroutine.
func (c *Client) Subscribed() bool { return c.subs.total() > 0 }

// Type is the client's type as CLIENT LIST / CLIENT KILL TYPE name it
// (Redis's getClientType): "pubsub" while subscribed, else "normal" (a
// MONITOR client too); there are no replicas or masters.
func (c *Client) Type() string {
	if c.Subscribed() {
		return "pubsub"
	}
	return "normal"
}

// SubscribedTo reports whether c is subscribed to channel ch itself (not
// through a pattern): client-side caching's redirection checks it for
// __redis__:invalidate.
func (s *Server) SubscribedTo(c *Client, ch string) bool { return s.ps.global.Subscribed(c, ch) }

// Deliver queues a complete pub/sub frame (built with MessageFrame, or a
// frame of one's own) for c, after what c has queued, under its output
// limit. Safe from any goroutine; frame must not change afterwards.
func (s *Server) Deliver(c *Client, frame []byte) {
	if c.Send != nil {
		c.Send(frame)
	}
}

// MessageFrame encodes a "message" of channel ch in protocol proto.
func MessageFrame(proto int, ch, msg []byte) []byte {
	w := resp.Writer{Proto: proto}
	w.Push(3)
	w.BulkString("message")
	w.Bulk(ch)
	w.Bulk(msg)
	return w.B
}

// Publish sends msg on channel ch and returns how many receivers it had
// (PUBLISH's reply); keyspace notifications use it.
func (s *Server) Publish(ch, msg []byte) int { return s.publish(&s.ps.global, "message", nil, ch, msg) }

// frames caches a publish's frame per protocol.
type frames [2][]byte

func (f *frames) get(proto int, build func(w *resp.Writer)) []byte {
	i := 0
	if proto >= 3 {
		i = 1
	}
	if f[i] == nil {
		w := resp.Writer{Proto: proto}
		build(&w)
		f[i] = w.B
	}
	return f[i]
}

// publish delivers msg on ch through reg; kind is "message" or
// "smessage". Deliveries to self (the publishing client) are appended to
// *self, the rest are sent.
func (s *Server) publish(reg *pubsub.Registry[*Client], kind string, self *selfPush, ch, msg []byte) int {
	var plain, pat frames
	lastPat := ""
	return reg.Publish(ch, func(c *Client, p string) {
		proto := int(c.proto.Load())
		var b []byte
		if p == "" {
			b = plain.get(proto, func(w *resp.Writer) {
				w.Push(3)
				w.BulkString(kind)
				w.Bulk(ch)
				w.Bulk(msg)
			})
		} else {
			if p != lastPat {
				pat, lastPat = frames{}, p
			}
			b = pat.get(proto, func(w *resp.Writer) {
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(p)
				w.Bulk(ch)
				w.Bulk(msg)
			})
		}
		switch {
		case self != nil && c == self.c:
			self.b = append(self.b, b...)
		case self != nil && self.c != nil && c.Queue != nil:
			if c.Queue(b) {
				self.c.wakeLater = append(self.c.wakeLater, c)
			}
		case c.Send != nil:
			c.Send(b)
		}
	})
}

// WakeDeferred wakes the subscribers c's commands queued messages for
// (see Client.Queue). The server calls it on c's loop before it writes
// c's replies, once per batch of commands.
func (c *Client) WakeDeferred() {
	if len(c.wakeLater) == 0 {
		return
	}
	for i, x := range c.wakeLater {
		x.WakeOutput()
		c.wakeLater[i] = nil
	}
	if cap(c.wakeLater) > 1024 {
		c.wakeLater = nil
	} else {
		c.wakeLater = c.wakeLater[:0]
	}
}

// selfPush collects what a client publishes to itself, for its own reply
// stream (Send would put it after the whole batch's replies).
type selfPush struct {
	c *Client
	b []byte
}

// confirm writes one (un)subscribe confirmation: [kind, name, count].
func confirm(w *resp.Writer, kind string, name []byte, count int) {
	w.Push(3)
	w.BulkString(kind)
	if name == nil {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(count))
}

func (ctx *Ctx) syncCounts() {
	c := ctx.C
	ch, pat := ctx.S.ps.global.Counts(c)
	sh, _ := ctx.S.ps.shard.Counts(c)
	c.subs.sub.Store(int32(ch))
	c.subs.psub.Store(int32(pat))
	c.subs.ssub.Store(int32(sh))
}

// subscribe: SUBSCRIBE channel [channel ...]
func subscribe(ctx *Ctx) {
	for _, ch := range ctx.Args[1:] {
		_, n := ctx.S.ps.global.Subscribe(ctx.C, string(ch))
		ctx.syncCounts()
		confirm(ctx.W, "subscribe", ch, n)
	}
}

// psubscribe: PSUBSCRIBE pattern [pattern ...]
func psubscribe(ctx *Ctx) {
	for _, p := range ctx.Args[1:] {
		_, n := ctx.S.ps.global.PSubscribe(ctx.C, string(p))
		ctx.syncCounts()
		confirm(ctx.W, "psubscribe", p, n)
	}
}

// ssubscribe: SSUBSCRIBE shardchannel [shardchannel ...]
func ssubscribe(ctx *Ctx) {
	for _, ch := range ctx.Args[1:] {
		_, n := ctx.S.ps.shard.Subscribe(ctx.C, string(ch))
		ctx.syncCounts()
		confirm(ctx.W, "ssubscribe", ch, n)
	}
}

// unsubscribeEach is the body of the three UNSUBSCRIBEs: the named ones, or
// every subscription of the kind; with none at all, one confirmation with
// a null name.
func unsubscribeEach(ctx *Ctx, kind string, names []string, remove func(string) int, count func() int) {
	if len(ctx.Args) > 1 {
		names = names[:0]
		for _, a := range ctx.Args[1:] {
			names = append(names, string(a))
		}
	}
	if len(names) == 0 {
		confirm(ctx.W, kind, nil, count())
		return
	}
	for _, n := range names {
		left := remove(n)
		ctx.syncCounts()
		confirm(ctx.W, kind, []byte(n), left)
	}
}

// unsubscribe: UNSUBSCRIBE [channel [channel ...]]
func unsubscribe(ctx *Ctx) {
	reg := &ctx.S.ps.global
	var names []string
	if len(ctx.Args) == 1 {
		names = reg.Channels(ctx.C)
	}
	unsubscribeEach(ctx, "unsubscribe", names,
		func(ch string) int { _, n := reg.Unsubscribe(ctx.C, ch); return n },
		func() int { a, b := reg.Counts(ctx.C); return a + b })
}

// punsubscribe: PUNSUBSCRIBE [pattern [pattern ...]]
func punsubscribe(ctx *Ctx) {
	reg := &ctx.S.ps.global
	var names []string
	if len(ctx.Args) == 1 {
		names = reg.Patterns(ctx.C)
	}
	unsubscribeEach(ctx, "punsubscribe", names,
		func(p string) int { _, n := reg.PUnsubscribe(ctx.C, p); return n },
		func() int { a, b := reg.Counts(ctx.C); return a + b })
}

// sunsubscribe: SUNSUBSCRIBE [shardchannel [shardchannel ...]]
func sunsubscribe(ctx *Ctx) {
	reg := &ctx.S.ps.shard
	var names []string
	if len(ctx.Args) == 1 {
		names = reg.Channels(ctx.C)
	}
	unsubscribeEach(ctx, "sunsubscribe", names,
		func(ch string) int { _, n := reg.Unsubscribe(ctx.C, ch); return n },
		func() int { a, _ := reg.Counts(ctx.C); return a })
}

// publish: PUBLISH channel message
func publish(ctx *Ctx) { publishOn(ctx, &ctx.S.ps.global, "message") }

// spublish: SPUBLISH shardchannel message
func spublish(ctx *Ctx) { publishOn(ctx, &ctx.S.ps.shard, "smessage") }

func publishOn(ctx *Ctx, reg *pubsub.Registry[*Client], kind string) {
	self := selfPush{c: ctx.C}
	n := ctx.S.publish(reg, kind, &self, ctx.Args[1], ctx.Args[2])
	ctx.W.Raw(self.b)
	ctx.W.Int(int64(n))
}

// subscribedOK reports whether a RESP2 client in subscribed mode may run
// the command, as Redis's processCommand allows.
func subscribedOK(s *Spec) bool {
	switch s.Name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}

func subscribedModeError(s *Spec) string {
	return "ERR Can't execute '" + s.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// dropSubscriptions forgets every subscription of c (RESET, close).
func (s *Server) dropSubscriptions(c *Client) {
	if !c.Subscribed() {
		return
	}
	s.ps.global.RemoveAll(c)
	s.ps.shard.RemoveAll(c)
	c.subs.sub.Store(0)
	c.subs.psub.Store(0)
	c.subs.ssub.Store(0)
}

func pubsubSyntax(ctx *Ctx) {
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + string(ctx.Args[1]) + "'. Try PUBSUB HELP.")
}

func writeChannels(ctx *Ctx, reg *pubsub.Registry[*Client]) {
	if len(ctx.Args) > 3 {
		pubsubSyntax(ctx)
		return
	}
	var pat []byte
	if len(ctx.Args) == 3 {
		pat = ctx.Args[2]
	}
	chs := reg.Active(pat)
	ctx.W.Array(len(chs))
	for _, ch := range chs {
		ctx.W.BulkString(ch)
	}
}

func writeNumSub(ctx *Ctx, reg *pubsub.Registry[*Client]) {
	ctx.W.Array(2 * (len(ctx.Args) - 2))
	for _, ch := range ctx.Args[2:] {
		ctx.W.Bulk(ch)
		ctx.W.Int(int64(reg.NumSub(string(ch))))
	}
}

// pubsubChannels: PUBSUB CHANNELS [pattern]
func pubsubChannels(ctx *Ctx) { writeChannels(ctx, &ctx.S.ps.global) }

// pubsubShardChannels: PUBSUB SHARDCHANNELS [pattern]
func pubsubShardChannels(ctx *Ctx) { writeChannels(ctx, &ctx.S.ps.shard) }

// pubsubNumSub: PUBSUB NUMSUB [channel ...]
func pubsubNumSub(ctx *Ctx) { writeNumSub(ctx, &ctx.S.ps.global) }

// pubsubShardNumSub: PUBSUB SHARDNUMSUB [shardchannel ...]
func pubsubShardNumSub(ctx *Ctx) { writeNumSub(ctx, &ctx.S.ps.shard) }

// pubsubNumPat: PUBSUB NUMPAT
func pubsubNumPat(ctx *Ctx) { ctx.W.Int(int64(ctx.S.ps.global.NumPatterns())) }

func pubsubHelp(ctx *Ctx) {
	writeHelp(ctx, "PUBSUB", []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
}

// PubSubCounts is INFO stats pubsub_channels, pubsub_patterns and
// pubsubshard_channels.
func (s *Server) PubSubCounts() (channels, patterns, shardChannels int) {
	return s.ps.global.NumChannels(), s.ps.global.NumPatterns(), s.ps.shard.NumChannels()
}
