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
//
// The command runs inside the world gate (gate.go): in its client's reader
// slot, or holding the whole gate for an Atomic command.
func (s *Server) Exec(c *Client, ctx *Ctx, args [][]byte, w *resp.Writer) time.Duration {
	if len(args) == 0 {
		return 0
	}
	// The recovery lives in this small wrapper so both its defer and exec's
	// stay open-coded (nearly free): Go falls back to slower defer records
	// in a function with many defers × returns.
	defer s.recoverCommand(ctx, len(w.B))
	// One clock read serves the command's time and its timing: in a batch
	// the previous command's end, else read now and, for a batching
	// client, kept as its start (execInner chains from clockAt).
	m := c.clockAt
	if m == 0 {
		m = store.Mono()
		if c.BatchGate {
			c.clockAt = m
		}
	}
	*ctx = Ctx{Args: args, W: w, C: c, S: s, Now: store.WallMs(m)}
	start := len(w.B)
	if !s.admit(ctx) {
		applyReplyMode(c, w, start, nil)
		return 0
	}
	// For a tracking client, invalidations caused from here on (eviction,
	// the table's limit, the command) go out in Redis's order around the
	// reply, and are never dropped by CLIENT REPLY.
	tracked := s.tracking.n.Load() != 0 && s.trackEnter(c)
	d := s.gated(ctx)
	if d == 0 {
		applyReplyMode(c, w, start, ctx.Cmd)
	}
	if tracked {
		s.trackLeave(c, w)
	}
	return d
}

// applyReplyMode drops the reply CLIENT REPLY OFF or SKIP suppresses: every
// reply of a top-level command, errors and +QUEUED included. (Inside EXEC
// the mode applies to EXEC's whole reply.) The confirmations of SUBSCRIBE
// and its kin are pushes, which Redis sends whatever the mode (in RESP2
// too: CLIENT_PUSHING).
func applyReplyMode(c *Client, w *resp.Writer, start int, spec *Spec) {
	if c.ReplyMode == ReplyOn {
		return
	}
	keep := spec != nil && spec.subConfirms && len(w.B) > start && w.B[start] != '-'
	switch c.ReplyMode {
	case ReplyOff:
		if !keep {
			w.B = w.B[:start]
		}
	case ReplySkip:
		if !keep {
			w.B = w.B[:start]
		}
		c.ReplyMode = ReplyOn
	case skipNext:
		c.ReplyMode = ReplySkip
	}
}

// gated runs an admitted command inside the gate.
func (s *Server) gated(ctx *Ctx) time.Duration {
	c := ctx.C
	atomic := ctx.Cmd.Flags&Atomic != 0 || ctx.Cmd.AtomicIf != nil && ctx.Cmd.AtomicIf(ctx.Args)
	if c.gateHeld {
		if atomic {
			// The batch's previous command was atomic too: it left the
			// world gate held for this one, so it waited for nothing and
			// its dispatch time stands.
			return s.exec(ctx)
		}
		s.EndBatch(c)
	}
	if atomic {
		if !s.Gate.LockUnlessBusy() {
			s.refuse(ctx, s.busyMsg())
			return 0
		}
		if c.BatchGate {
			// Kept until a non-atomic command or the batch's end
			// (EndBatch): a pipeline of scripts takes the gate once.
			c.gateHeld = true
			return s.execHeld(ctx)
		}
		defer s.unlockGate(ctx)
		// Its command time is when it has the world to itself.
		ctx.Now = store.NowMs()
		return s.exec(ctx)
	}
	// By the client's stripe (its event loop): a loop runs one command at
	// a time, so its clients never contend for their slot, and two loops
	// never share one (by ID, clients of different loops would).
	slot := s.Gate.Slot(int64(ctx.C.Stripe))
	if !s.Gate.Enter(slot) {
		// A script holds the gate and said it is busy: only commands that
		// may run meanwhile do, without evicting or waiting for a pause.
		switch {
		case ctx.Cmd.Flags&AllowBusy == 0:
			s.refuse(ctx, s.busyMsg())
		case ctx.C.tx != nil && ctx.Cmd.Flags&TxControl == 0:
			s.queue(ctx)
		default:
			s.execInner(ctx)
		}
		return 0
	}
	defer s.Gate.Exit(slot)
	return s.exec(ctx)
}

// execHeld runs an atomic command while its client holds the gate for the
// batch (gateHeld).
func (s *Server) execHeld(ctx *Ctx) time.Duration {
	// Its command time is when it has the world to itself.
	ctx.Now = store.NowMs()
	d := s.exec(ctx)
	if ctx.gateHandedOff {
		ctx.C.gateHeld = false // a busy script's goroutine releases it
	}
	return d
}

// EndBatch releases the world gate if the client's atomic commands kept it
// (BatchGate). The server calls it after each batch of commands it runs for
// the client, before writing their replies.
func (s *Server) EndBatch(c *Client) {
	c.clockAt = 0
	if c.gateHeld {
		c.gateHeld = false
		s.Gate.Unlock()
	}
}

// unlockGate ends an Atomic command's hold on the gate, unless its handler
// handed the hold on (a script past busy-reply-threshold keeps the gate
// until it ends, on its own goroutine).
func (s *Server) unlockGate(ctx *Ctx) {
	if ctx.gateHandedOff {
		return
	}
	s.Gate.Unlock()
}

// admit resolves ctx.Args to a command and validates it as Redis does
// before running (or queueing) anything: unknown command, arity, DEBUG
// protection, authentication, ACLs. A refused command has its error
// written.
func (s *Server) admit(ctx *Ctx) bool {
	args, c := ctx.Args, ctx.C
	spec := c.lookup(s.Table, args[0])
	if spec == nil {
		c.lastCmd.Store(nil) // CLIENT LIST says cmd=NULL, as Redis
		ctx.Cmd = &unknownSpec
		s.refuseErr(ctx, unknownCommand(args))
		return false
	}
	if spec.subs != nil && len(args) >= 2 {
		sub := spec.LookupSub(args[1])
		if sub == nil {
			ctx.Cmd = spec
			s.refuseErr(ctx, "ERR unknown subcommand '"+truncate(string(args[1]), 128)+"'. Try "+strings.ToUpper(spec.Name)+" HELP.")
			return false
		}
		spec = sub
	}
	ctx.Cmd = spec
	// As Redis's processCommand: the client's last command is the one it
	// sent last, refused, queued or running (CLIENT INFO names itself), not
	// the ones EXEC or a script runs for it.
	if c.lastCmd.Load() != spec {
		c.lastCmd.Store(spec)
	}
	if !spec.checkArity(len(args)) {
		s.refuse(ctx, ctx.arityMsg())
		return false
	}
	if spec.Flags&Protected != 0 && !config.Allows(s.Cfg.EnableDebugCommand(), c.Local) {
		// As Redis: before authentication, so the reply says how to enable it.
		s.refuse(ctx, ErrDebugDisabled)
		return false
	}
	if !c.Authed && spec.Flags&NoAuth == 0 && s.ACL.DefaultNeedsAuth() {
		s.refuse(ctx, ErrNoAuth)
		return false
	}
	if c.tx != nil && spec.Flags&NoMulti != 0 {
		s.refuse(ctx, ErrNoMulti)
		return false
	}
	// The common case, the default user allowed everything, costs a nil
	// test and a flag test: no lock, no allocation.
	if u := c.user.Load(); u == nil && !s.ACL.DefaultUnrestricted() || u != nil && !u.Perms().Unrestricted() {
		if !s.admitACL(ctx, s.userOf(c)) {
			return false
		}
	}
	if c.Proto == 2 && c.Subscribed() && !subscribedOK(spec) {
		s.refuse(ctx, subscribedModeError(spec))
		return false
	}
	return true
}

// exec runs an admitted command inside the gate: eviction and OOM, CLIENT
// PAUSE, MULTI's queueing, then the handler.
func (s *Server) exec(ctx *Ctx) time.Duration {
	c, spec, args := ctx.C, ctx.Cmd, ctx.Args
	st := s.persist.state.Load() // stateDown, stateLoading: one load for both checks
	if st&stateDown != 0 {
		// The shutdown's final save is written: as Redis, which exits
		// there, nothing more runs and nothing more is acknowledged.
		c.CloseAfterReply = true
		return 0
	}
	in := incoming(spec, args)
	denyOOM := spec.Flags&DenyOOM != 0 || spec.Flags&execFlags == execFlags && c.tx != nil && c.tx.flags&DenyOOM != 0
	oom, held := s.Evict.BeforeCommand(in, ctx.Now, c.Stripe)
	ctx.oom = oom
	if held {
		// A large write's bytes stay reserved until it has stored them.
		defer s.Evict.Release(in)
	}
	if oom && (denyOOM || c.tx != nil && queuedOOM(spec)) {
		s.refuse(ctx, ErrOOM)
		return 0
	}
	write := spec.Flags&Write != 0 || spec.Flags&execFlags == execFlags && c.tx != nil && c.tx.flags&Write != 0
	if s.writesDenied() && (write || spec.Name == "ping") {
		// As Redis: PING too, so that a monitoring probe notices.
		s.refuse(ctx, ErrMisconf)
		return 0
	}
	if write && s.Cfg.NoGoodReplicas() {
		s.refuse(ctx, ErrNoReplicas)
		return 0
	}
	if st&stateLoading != 0 && spec.Flags&Loading == 0 {
		s.refuse(ctx, ErrLoading)
		return 0
	}
	if d := s.pause.blocks(spec, c.tx); d > 0 && !s.noWritesScript(spec, args) {
		return d
	}
	if c.tx != nil && spec.Flags&TxControl == 0 {
		if c.trk.executing {
			trackEarly(c, ctx.W)
		}
		s.queue(ctx)
		return 0
	}
	s.execInner(ctx)
	return 0
}

// queuedOOM reports whether a command is refused when out of memory inside
// MULTI, whatever its flags: queueing could take memory without bound.
// As Redis, never EXEC (unless its queue holds denyoom commands), DISCARD,
// QUIT or RESET.
func queuedOOM(spec *Spec) bool {
	switch spec.Name {
	case "exec", "discard", "quit", "reset":
		return false
	}
	return true
}

// monotonic reads only the monotonic clock (time.Now reads the wall clock
// too): half the cost of timing each command. The store's, so a reading
// also gives the wall clock (store.WallMs).
func monotonic() time.Duration { return store.Mono() }

// execInner runs a validated command: the handler, its BLMOVE pushes, the
// feed's delivery, statistics, latency, slowlog. It takes no gate and
// checks neither pause nor memory: Exec has done that, or EXEC (and later a
// script) runs its queued commands through it while holding the gate, as
// Redis runs them with call().
func (s *Server) execInner(ctx *Ctx) {
	c, spec, args, w := ctx.C, ctx.Cmd, ctx.Args, ctx.W
	if c.trk.executing {
		s.trackCommand(c, spec, args, w)
	}
	// MONITOR sees a command once it ran, as Redis feeds it after call():
	// EXEC after the commands it ran. A script before its commands.
	monitor := s.monitors.active()
	if monitor && spec.Flags&SkipMonitor != 0 && scriptCommand(spec) {
		s.monitors.feed(c, ctx.Now, redacted(spec, args))
	}
	// In a batch the previous command's end is this one's start (its
	// bookkeeping and this command's parsing, well under a microsecond,
	// count here): two clock reads were ~5 % of a pipelined command's CPU.
	// Commands inside EXEC or a script read their own start.
	chain := c.BatchGate && !c.atomic
	t0 := c.clockAt
	if t0 == 0 || !chain {
		t0 = monotonic()
	}
	ctx.start = t0
	spec.Handler(ctx)
	if ctx.moves != nil {
		s.runMoves(ctx.moves, ctx.Now, ctx)
	}
	if monitor && spec.Flags&(SkipMonitor|Admin) == 0 {
		s.monitors.feed(c, ctx.Now, redacted(spec, args))
	}
	t1 := monotonic()
	dur := t1 - t0
	if chain {
		c.clockAt = t1
	}
	// The command's changes reach the feed's listeners (WATCH, blocked
	// clients, notifications) before its client's next command runs; inside
	// EXEC or a script after each of its commands too, so NOLOOP tracking
	// still knows which command made a change (blocked clients wait for the
	// run's end: serveDeferred).
	s.KS.Drain()
	if ctx.ev != nil {
		s.flushEvents(ctx, true)
	}
	spec.stats.called(c.Stripe, int64(dur/time.Microsecond), !ctx.blocked && s.Cfg.LatencyTracking())
	if s.Cfg.LatencyMonitorThreshold() != 0 {
		s.commandLatency(spec, dur)
	}
	s.Stats.Commands.Add(c.Stripe, 1)
	c.Touch(ctx.Now)
	if spec.Flags&SkipSlowlog == 0 {
		s.slowlog.record(s, c, redacted(spec, args), dur)
	}
	if !c.atomic {
		s.slowlog.flushServed(s)
	}
	if c.trk.executing && !c.atomic && (spec.parent == nil || spec.parent.Name != "client") && c.tx == nil {
		// CLIENT CACHING's choice lasts for one command, or one MULTI …
		// EXEC, as Redis's resetClient.
		c.trk.endCaching()
	}
}

// scriptCommand reports the commands that run a script (MONITOR shows
// them before the script's commands, as Redis's evalGenericCommand feeds).
func scriptCommand(spec *Spec) bool {
	switch spec.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// refuse answers a command refused before it runs (arity, authentication,
// OOM, BUSY, not allowed in MULTI) as Redis's rejectCommand does: counted as
// a rejected call; inside MULTI it also dooms the transaction, and EXEC
// itself refused aborts it with the reason.
func (s *Server) refuse(ctx *Ctx, msg string) {
	if ctx.C.tx != nil {
		ctx.C.tx.aborted = true
	}
	if ctx.Cmd.Name == "exec" {
		s.discardTx(ctx.C)
		msg = "EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR ")
	}
	ctx.reject(msg)
}

// refuseErr is refuse for an unknown command or subcommand, which Redis
// counts as an error but not as a rejected call of any command.
func (s *Server) refuseErr(ctx *Ctx, msg string) {
	if ctx.C.tx != nil {
		ctx.C.tx.aborted = true
	}
	ctx.Err(msg)
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
