package command

import (
	"fmt"
	rtdebug "runtime/debug"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
)

// Exec runs one command for client c, appending its reply to w. It returns
// a non-zero duration (at most how long it may wait) when the command could
// not run yet (CLIENT PAUSE): nothing is written, and the caller keeps the
// command and retries it once the function it gives WhenUnpaused is called.
func (s *Server) Exec(c *Client, ctx *Ctx, args [][]byte, w *resp.Writer) time.Duration {
	if len(args) == 0 {
		return 0
	}
	// The recovery lives in this small wrapper so both its defer and exec's
	// stay open-coded (nearly free): Go falls back to slower defer records
	// in a function with many defers × returns.
	defer s.recoverCommand(ctx, len(w.B))
	return s.exec(c, ctx, args, w)
}

func (s *Server) exec(c *Client, ctx *Ctx, args [][]byte, w *resp.Writer) time.Duration {
	start := len(w.B)
	*ctx = Ctx{Args: args, W: w, C: c, S: s, Now: store.NowMs()}
	spec := s.Table.Lookup(args[0])
	if spec == nil {
		ctx.Cmd = &unknownSpec
		ctx.Err(unknownCommand(args))
		return 0
	}
	if spec.subs != nil && len(args) >= 2 {
		sub := spec.LookupSub(args[1])
		if sub == nil {
			ctx.Cmd = spec
			ctx.Err("ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(spec.Name) + " HELP.")
			return 0
		}
		spec = sub
	}
	ctx.Cmd = spec
	if !spec.checkArity(len(args)) {
		ctx.reject(ctx.arityMsg())
		return 0
	}
	if spec.Name == "debug" && !config.Allows(s.Cfg.EnableDebugCommand(), c.Local) {
		// As Redis: before authentication, so the reply says how to enable it.
		ctx.reject(ErrDebugDisabled)
		return 0
	}
	if !c.Authed && spec.Flags&NoAuth == 0 && s.Cfg.RequirePass() != "" {
		ctx.reject(ErrNoAuth)
		return 0
	}
	in := incoming(spec, args)
	oom, held := s.Evict.BeforeCommand(in, ctx.Now)
	if held {
		// A large write's bytes stay reserved until it has stored them.
		defer s.Evict.Release(in)
	}
	if oom && spec.Flags&DenyOOM != 0 {
		ctx.reject(ErrOOM)
		return 0
	}
	if d := s.pause.blocks(spec); d > 0 {
		return d
	}
	if s.monitors.active() && spec.Flags&(SkipMonitor|Admin) == 0 {
		s.monitors.feed(c, ctx.Now, args)
	}
	tracked := false
	if s.tracking.n.Load() != 0 {
		tracked = s.trackBefore(c, spec, args)
	}
	t0 := time.Now()
	spec.Handler(ctx)
	if ctx.moves != nil {
		s.runMoves(ctx.moves, ctx.Now)
	}
	dur := time.Since(t0)
	// The command's changes reach the feed's listeners (WATCH, blocked
	// clients, notifications) before its client's next command runs.
	s.KS.Drain()
	spec.stats.calls.Add(1)
	spec.stats.usec.Add(int64(dur / time.Microsecond))
	s.Stats.Commands.Add(1)
	c.Touch(spec, ctx.Now)
	if spec.Flags&SkipSlowlog == 0 {
		s.slowlog.record(s, c, args, dur)
	}
	switch c.ReplyMode {
	case ReplyOff:
		w.B = w.B[:start]
	case ReplySkip:
		w.B = w.B[:start]
		c.ReplyMode = ReplyOn
	case skipNext:
		c.ReplyMode = ReplySkip
	}
	if tracked {
		// Invalidations go out even under CLIENT REPLY OFF, as Redis's pushes.
		s.trackAfter(c, spec, w)
	}
	return 0
}

// recoverCommand is the last line of defence against a bug in a command:
// a panic is logged with the command and its stack, counted (Stats.Panics
// and INFO errorstats), answered with an error instead of whatever part of
// a reply was written, and the connection is closed, since its state may
// be half-updated; every other client is unaffected. The store releases its
// locks on the way out (its callbacks unlock by defer). Redis would crash
// instead.
func (s *Server) recoverCommand(ctx *Ctx, start int) {
	r := recover()
	if r == nil {
		return
	}
	s.Stats.Panics.Add(1)
	if ctx.Cmd == nil {
		ctx.Cmd = &unknownSpec
	}
	s.logger().Error("recovered a panic in a command; closing its connection",
		"command", ctx.Cmd.Name, "client", ctx.C.Addr, "id", ctx.C.ID, "panic", fmt.Sprint(r), "stack", string(rtdebug.Stack()))
	ctx.W.B = ctx.W.B[:start]
	ctx.Err("ERR internal error while executing '" + ctx.Cmd.Name + "' (the server logged it)")
	ctx.C.CloseAfterReply = true
}

// incoming is how many bytes a command may add to the keyspace, which
// eviction makes room for before it runs: its arguments for commands that
// may grow memory (denyoom), nothing for others.
func incoming(spec *Spec, args [][]byte) int64 {
	if spec.Flags&DenyOOM == 0 {
		return 0
	}
	n := 0
	for _, a := range args[1:] {
		n += len(a)
	}
	return int64(n)
}

// unknownSpec stands in for commands not in the table, so error replies
// to them are still counted.
var unknownSpec = Spec{Name: "unknown"}

// unknownCommand renders Redis 7's text for a command not in the table.
func unknownCommand(args [][]byte) string {
	var a []byte
	for _, arg := range args[1:] {
		if len(a) >= 128 {
			break
		}
		a = append(a, '\'')
		a = append(a, truncate(string(arg), 128-len(a))...)
		a = append(a, '\'', ' ')
	}
	return "ERR unknown command '" + truncate(string(args[0]), 128) + "', with args beginning with: " + string(a)
}

func truncate(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}
