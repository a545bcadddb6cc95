package command

import (
	"fmt"
	rtdebug "runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/script"
	"github.com/smallredis/smallredis/internal/store"
)

// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT. The engine
// (package script) runs Lua; this file decides what a script may call and
// runs those calls through the command table (scriptCaller), and runs the
// script off the connection's event loop so a long one can be answered
// later (runScript).

var aclScripting = []string{"slow", "scripting"}

var scriptingCommands = []*Spec{
	{Name: "eval", Arity: -3, Flags: Atomic | NoScript | Stale | SkipMonitor | NoMandatoryKeys | MayReplicate, KeysFunc: evalKeys, ACL: aclScripting, Handler: eval},
	{Name: "evalsha", Arity: -3, Flags: Atomic | NoScript | Stale | SkipMonitor | NoMandatoryKeys | MayReplicate, KeysFunc: evalKeys, ACL: aclScripting, Handler: evalsha},
	{Name: "eval_ro", Arity: -3, Flags: Atomic | ReadOnly | NoScript | Stale | SkipMonitor | NoMandatoryKeys, KeysFunc: evalKeys, ACL: aclScripting, Handler: eval},
	{Name: "evalsha_ro", Arity: -3, Flags: Atomic | ReadOnly | NoScript | Stale | SkipMonitor | NoMandatoryKeys, KeysFunc: evalKeys, ACL: aclScripting, Handler: evalsha},
	{Name: "script", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "load", Arity: 3, Flags: NoScript | Stale, ACL: aclScripting, Handler: scriptLoad},
		{Name: "exists", Arity: -3, Flags: NoScript, ACL: aclScripting, Handler: scriptExists},
		{Name: "flush", Arity: -2, Flags: NoScript, ACL: aclScripting, Handler: scriptFlush},
		{Name: "kill", Arity: 2, Flags: NoScript | AllowBusy, ACL: aclScripting, Handler: scriptKill},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: aclScripting, Handler: scriptHelp},
	}},
}

func evalKeys(args [][]byte) []int { return numkeysKeys(args, 2) }

// Errors of the scripting commands.
const (
	ErrNoScript        = "NOSCRIPT No matching script. Please use EVAL."
	ErrNumkeysNegative = "ERR Number of keys can't be negative"
	ErrNotBusy         = "NOTBUSY No scripts in execution right now."
	ErrUnkillable      = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errScriptWriteRO   = "ERR Write commands are not allowed from read-only scripts."
	errScriptROFlag    = "ERR Can not execute a script with write flag using *_ro command."
)

// scriptArgs splits numkeys key… arg… (from args[2]).
func scriptArgs(ctx *Ctx) (keys, argv [][]byte, ok bool) {
	n, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrNotInt)
		return nil, nil, false
	}
	if n < 0 {
		ctx.Err(ErrNumkeysNegative)
		return nil, nil, false
	}
	if n > int64(len(ctx.Args)-3) {
		ctx.Err(ErrNumkeysTooMany)
		return nil, nil, false
	}
	return ctx.Args[3 : 3+n], ctx.Args[3+n:], true
}

// EVAL script numkeys [key [key ...]] [arg [arg ...]] (and EVAL_RO)
func eval(ctx *Ctx) {
	keys, argv, ok := scriptArgs(ctx)
	if !ok {
		return
	}
	sc, errMsg := ctx.S.Scripts.Load(string(ctx.Args[1]), false)
	if errMsg != "" {
		ctx.Err(errMsg)
		return
	}
	runEval(ctx, sc, keys, argv)
}

// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]] (and EVALSHA_RO)
func evalsha(ctx *Ctx) {
	keys, argv, ok := scriptArgs(ctx)
	if !ok {
		return
	}
	sc := ctx.S.Scripts.Lookup(ctx.Args[1])
	if sc == nil {
		ctx.Err(ErrNoScript)
		return
	}
	runEval(ctx, sc, keys, argv)
}

func runEval(ctx *Ctx, sc *script.Script, keys, argv [][]byte) {
	flags := sc.Flags
	if !sc.Shebang {
		flags = script.FlagLegacy
	}
	sr, ok := prepareScript(ctx, flags)
	if !ok {
		return
	}
	sr.keys, sr.argv, sr.sc = keys, argv, sc
	runScript(ctx, sr)
}

// noWritesScript reports an EVAL, EVALSHA or FCALL of a script declaring
// no-writes: not held by CLIENT PAUSE WRITE, as Redis judges such a
// command by its script's flags. Only asked while a pause is on.
func (s *Server) noWritesScript(spec *Spec, args [][]byte) bool {
	var f script.Flags
	switch spec.Name {
	case "eval":
		var ok bool
		if f, ok = script.BodyFlags(string(args[1])); !ok {
			return false
		}
	case "evalsha":
		sc := s.Scripts.Lookup(args[1])
		if sc == nil || !sc.Shebang {
			return false
		}
		f = sc.Flags
	case "fcall":
		fn := s.Scripts.Function(string(args[1]))
		if fn == nil {
			return false
		}
		f = fn.Flags
	default:
		return false
	}
	return f&script.FlagNoWrites != 0
}

// prepareScript checks a script's flags against the command and the
// server's state, as Redis's scriptPrepareForRun does, and readies its
// caller.
func prepareScript(ctx *Ctx, flags script.Flags) (*scriptCaller, bool) {
	ro := ctx.Cmd.Flags&ReadOnly != 0
	if flags&script.FlagLegacy == 0 {
		if flags&script.FlagNoWrites == 0 && ctx.S.writesDenied() {
			// Redis's processCommand refuses it first, a flagged script
			// being a write unless no-writes: its generic reply.
			ctx.Err(ErrMisconf)
			return nil, false
		}
		if ro && flags&script.FlagNoWrites == 0 {
			ctx.Err(errScriptROFlag)
			return nil, false
		}
		if flags&script.FlagNoWrites == 0 && ctx.S.Cfg.NoGoodReplicas() {
			ctx.Err(ErrNoReplicas)
			return nil, false
		}
		if ctx.oom && flags&(script.FlagAllowOOM|script.FlagNoWrites) == 0 {
			ctx.Err(ErrOOM)
			return nil, false
		}
		if flags&script.FlagNoWrites != 0 {
			ro = true
		}
	}
	sr := callerPool.Get().(*scriptCaller)
	sr.s, sr.parent, sr.ro, sr.flags = ctx.S, ctx, ro, flags
	sr.wrote.Store(false)
	sr.start = store.MonoTime(ctx.start) // a clock read was 2.5 % of an EVALSHA's CPU
	sr.name, sr.cmd = "", nil
	c := &sr.c
	c.SetDB(ctx.C.DB())
	c.Authed = true
	c.user.Store(ctx.C.user.Load()) // the script's commands are its caller's
	c.atomic = true                 // blocking commands answer at once, as inside EXEC
	c.Lua = true
	c.ID = ctx.C.ID
	c.Addr, c.LAddr = ctx.C.Addr, ctx.C.LAddr
	return sr, true
}

var callerPool = sync.Pool{New: func() any { return &scriptCaller{} }}

// scriptCaller runs a script's redis.call: through the command table,
// with Redis's refusals, as the script's own client (its SELECT does not
// change the caller's database).
type scriptCaller struct {
	s          *Server
	parent     *Ctx
	ro         bool
	flags      script.Flags
	keys, argv [][]byte
	wrote      atomic.Bool // a write ran: SCRIPT KILL answers UNKILLABLE
	name       string      // FUNCTION STATS: the function
	cmd        []string    // and the command that called it
	start      time.Time
	c          Client
	ctx        Ctx

	// What runs: a cached script, or else a function.
	sc *script.Script
	fn *script.Function
	// The run (runScript), its reply, and its end: done receives once
	// when the script has ended. Kept with the caller across scripts.
	run  script.Run
	w    resp.Writer
	done chan struct{}
}

// step runs the script, or finishes it if it stopped (run.Stopped), and
// reports whether it stopped again (only a first step with StopAt set
// does). A panic outside Lua becomes the script's error reply.
func (sr *scriptCaller) step() (stopped bool) {
	defer func() {
		if r := recover(); r != nil {
			s := sr.s
			s.Stats.Panics.Add(1)
			s.logger().Error("recovered a panic in a script", "panic", fmt.Sprint(r), "stack", string(rtdebug.Stack()))
			sr.w.B = sr.w.B[:0]
			sr.w.Error("ERR internal error while running a script (the server logged it)")
			stopped = false
		}
	}()
	switch {
	case sr.run.Stopped():
		sr.s.Scripts.Continue(&sr.run)
	case sr.fn != nil:
		sr.s.Scripts.FCall(sr.fn, &sr.run)
	default:
		sr.s.Scripts.Eval(sr.sc, &sr.run)
	}
	return sr.run.Stopped()
}

// finish runs the rest of the script on a script worker and says so on done.
func (sr *scriptCaller) finish() {
	defer func() { sr.done <- struct{}{} }()
	sr.step()
}

// ACLCheck is redis.acl_check_cmd: whether args names a command, and
// whether the script's caller may run it so.
func (sr *scriptCaller) ACLCheck(args [][]byte) (known, allowed bool) {
	spec := sr.s.Table.Lookup(args[0])
	if spec != nil && spec.subs != nil && len(args) >= 2 {
		spec = spec.LookupSub(args[1])
	}
	if spec == nil {
		return false, false
	}
	d, _ := checkACL(sr.s.userOf(&sr.c).Perms(), spec, args)
	return true, d == aclOK
}

// rejectScriptCall refuses a command a script called, as Redis's
// scriptCall does: an error reply counted in errorstats, and a rejected
// call of that command (Ctx.reject's counting, before the command's Ctx
// exists).
func (s *Server) rejectScriptCall(w *resp.Writer, spec *Spec, msg string) {
	w.Error(msg)
	s.Stats.countError(msg)
	spec.stats.rejected.Add(1)
}

// scriptDenial is Redis's getAclErrorMessage.
func scriptDenial(d int) string {
	switch d {
	case deniedCmd:
		return "can't run this command or subcommand"
	case deniedKey:
		return "can't access at least one of the keys mentioned in the command arguments"
	case deniedChannel:
		return "can't publish to the channel mentioned in the command"
	}
	return "lacking the permissions for the command"
}

// Call implements script.Caller.
func (sr *scriptCaller) Call(args [][]byte, w *resp.Writer) {
	s := sr.s
	spec := s.Table.Lookup(args[0])
	if spec != nil && spec.subs != nil && len(args) >= 2 {
		spec = spec.LookupSub(args[1])
	}
	switch {
	case spec == nil:
		w.Error("ERR Unknown Redis command called from script")
		return
	case !spec.checkArity(len(args)):
		w.Error("ERR Wrong number of args calling Redis command from script")
		return
	case spec.Flags&NoScript != 0 && !s.DisableDenyScripts.Load():
		w.Error("ERR This Redis command is not allowed from script")
		return
	}
	// A script's commands are its caller's: its user's ACLs apply.
	if u := s.userOf(&sr.c); !u.Perms().Unrestricted() {
		if d, pos := checkACL(u.Perms(), spec, args); d != aclOK {
			s.logDenial(sr.parent, d, "lua", denialObject(d, spec, args, pos), u.Name())
			s.rejectScriptCall(w, spec, "ERR The user executing the script "+scriptDenial(d))
			return
		}
	}
	if spec.Flags&(Write|MayReplicate) != 0 && sr.ro {
		// PUBLISH too, as Redis's scriptVerifyWriteCommandAllow.
		s.rejectScriptCall(w, spec, errScriptWriteRO)
		return
	}
	if spec.Flags&Write != 0 && !sr.wrote.Load() && s.writesDenied() {
		// A legacy script's first write; once it wrote, it may go on, as
		// Redis does not fail a script half done on the disk's state.
		s.rejectScriptCall(w, spec, ErrMisconf)
		return
	}
	if spec.Flags&Write != 0 && s.Cfg.NoGoodReplicas() {
		// A legacy script's write (a flagged one was refused at its start).
		s.rejectScriptCall(w, spec, ErrNoReplicas)
		return
	}
	if spec.Flags&Write != 0 {
		if spec.Flags&DenyOOM != 0 && sr.parent.oom && sr.flags&script.FlagAllowOOM == 0 {
			s.rejectScriptCall(w, spec, ErrOOM)
			return
		}
	}
	if caller := sr.parent.C; caller.trk.flags&trkOn != 0 {
		// A script's reads are its caller's, as Redis tracks them.
		s.TrackKeys(caller, spec, args)
	}
	c := &sr.c
	c.SetProto(w.Proto)
	ctx := &sr.ctx
	*ctx = Ctx{Args: args, W: w, C: c, S: s, Now: sr.parent.Now, Cmd: spec, oom: sr.parent.oom}
	func() {
		defer s.recoverScriptCall(ctx, len(w.B))
		s.execInner(ctx)
	}()
	if spec.Flags&Write != 0 {
		sr.wrote.Store(true)
	}
	ctx.Args = nil
}

func (sr *scriptCaller) durationMs() int64 { return time.Since(sr.start).Milliseconds() }

// recoverScriptCall keeps a command's panic inside a script an error reply.
func (s *Server) recoverScriptCall(ctx *Ctx, start int) {
	if r := recover(); r != nil {
		s.Stats.Panics.Add(1)
		s.logger().Error("recovered a panic in a command called from a script", "command", ctx.Cmd.Name, "panic", r)
		ctx.W.B = ctx.W.B[:start]
		ctx.W.Error("ERR internal error while executing '" + ctx.Cmd.Name + "' (the server logged it)")
	}
}

// scriptState is the script running now (SCRIPT KILL, BUSY).
type scriptState struct {
	running atomic.Pointer[scriptCaller]
	mu      sync.Mutex  // serialises scripts (the gate does too, except inside EXEC)
	timer   *time.Timer // busy-reply-threshold's; guarded by mu
}

// runScript runs a script on the connection's goroutine while it is
// short, and moves it to a goroutine of its own, a script worker, when it
// is not: once it has run busy-reply-threshold (alias lua-time-limit), or
// before it calls what could run Lua under Go, such as pcall (Run.StopAt:
// a Lua loop under a Go frame could not move). The command holds the
// world gate (Atomic), so nothing else runs meanwhile. The connection waits
// for the worker up to the threshold; past it the gate is marked busy
// (other clients get BUSY, except SCRIPT KILL, SHUTDOWN NOSAVE and the
// like), the hold passes to the script's goroutine, and the connection
// parks like a blocked client until the script ends, so its event loop
// goes on serving (BUSY to) its other clients. Inside EXEC the script
// simply runs to its end on the caller's goroutine: EXEC holds the gate
// for its whole length, and nobody could be answered meanwhile.
func runScript(ctx *Ctx, sr *scriptCaller) {
	s := ctx.S
	st := &s.scripting
	st.mu.Lock()
	st.running.Store(sr)
	sr.w.Proto = ctx.W.Proto
	sr.w.B = sr.w.B[:0]
	sr.run = script.Run{Keys: sr.keys, Args: sr.argv, Caller: sr, W: &sr.w}
	if sr.done == nil {
		sr.done = make(chan struct{}, 1)
	}
	limit := time.Duration(s.Cfg.BusyReplyThreshold()) * time.Millisecond
	if limit <= 0 {
		limit = 100 * 365 * 24 * time.Hour
	}
	canPark := ctx.Cmd.Flags&Atomic != 0 && !ctx.C.atomic && ctx.C.Wake != nil
	if canPark {
		sr.run.StopAt = sr.start.Add(limit)
	}
	s.deferReady() // releaseScript serves
	if !sr.step() {
		finishScript(ctx, sr)
		return
	}
	scriptWorkers.run(sr)
	if st.timer == nil {
		st.timer = time.NewTimer(limit - time.Since(sr.start))
	} else {
		st.timer.Reset(limit - time.Since(sr.start))
	}
	select {
	case <-sr.done:
		// The timer is left to run out unheeded: the next script's Reset
		// discards it (Go's timers deliver nothing stale after Reset),
		// and a Stop per script cost as much as half the Reset.
		finishScript(ctx, sr)
		return
	case <-st.timer.C:
	}
	// Busy: the reply comes later, like a blocked client's. The arguments
	// alias the connection's input buffer, which the connection reuses
	// from now on: a script stops only after it has copied them.
	s.Gate.SetBusy(true)
	ctx.gateHandedOff = true
	wt := &waiter{c: ctx.C, proto: ctx.C.Proto}
	ctx.C.block = wt
	cmd := ctx.Cmd
	go func() {
		<-sr.done
		reply, counted := sr.w.B, sr.run.ErrCounted
		sr.w.B = nil // the waiter keeps it
		releaseScript(s, sr)
		s.Gate.Unlock()
		countScriptError(s, cmd, reply, counted)
		wt.deliver(reply)
	}()
}

// scriptWorkers run scripts. A worker outlives its script, so its stack
// stays grown to what the interpreter needs: a goroutine per script spent
// a sixth of EVALSHA's CPU copying a fresh goroutine's stack as it grew.
var scriptWorkers = workerPool{jobs: make(chan *scriptCaller)}

// workerPool hands scripts to idle long-lived goroutines, starting one
// when none is idle; a worker that ran nothing for a whole minute (between
// two ticks of its timer) ends. The timer is not reset per script: that
// cost more than a tenth of the hand-off.
type workerPool struct{ jobs chan *scriptCaller }

func (p *workerPool) run(sr *scriptCaller) {
	select {
	case p.jobs <- sr:
	default:
		go p.work(sr)
	}
}

func (p *workerPool) work(sr *scriptCaller) {
	idle := time.NewTicker(time.Minute)
	defer idle.Stop()
	ran := true
	for {
		if sr != nil {
			sr.finish()
			ran = true
		}
		select {
		case sr = <-p.jobs:
		case <-idle.C:
			if !ran {
				return
			}
			ran, sr = false, nil
		}
	}
}

// finishScript appends the ended script's reply to its command's, counts
// an error reply, and releases the script.
func finishScript(ctx *Ctx, sr *scriptCaller) {
	ctx.W.B = append(ctx.W.B, sr.w.B...)
	countScriptError(ctx.S, ctx.Cmd, sr.w.B, sr.run.ErrCounted)
	if cap(sr.w.B) > 64<<10 {
		sr.w.B = nil // a huge reply's buffer is not kept
	}
	releaseScript(ctx.S, sr)
}

func releaseScript(s *Server, sr *scriptCaller) {
	st := &s.scripting
	st.running.Store(nil)
	st.mu.Unlock()
	s.serveDeferred()
	sr.parent, sr.keys, sr.argv, sr.sc, sr.fn = nil, nil, nil, nil, nil
	sr.run = script.Run{}
	callerPool.Put(sr)
}

// countScriptError counts a script's error reply in errorstats, unless a
// command the script called replied it and was counted then (counted).
func countScriptError(s *Server, cmd *Spec, reply []byte, counted bool) {
	if len(reply) > 0 && reply[0] == '-' {
		end := len(reply) - 2
		if end < 1 {
			end = 1
		}
		if !counted {
			s.Stats.countError(string(reply[1:end]))
		}
		cmd.stats.failed.Add(1)
	}
}

// SCRIPT LOAD script
func scriptLoad(ctx *Ctx) {
	sc, errMsg := ctx.S.Scripts.Load(string(ctx.Args[2]), true)
	if errMsg != "" {
		ctx.Err(errMsg)
		return
	}
	ctx.W.BulkString(sc.SHA)
}

// SCRIPT EXISTS sha1 [sha1 ...]
func scriptExists(ctx *Ctx) {
	ctx.W.Array(len(ctx.Args) - 2)
	for _, a := range ctx.Args[2:] {
		if ctx.S.Scripts.Exists(string(a)) {
			ctx.W.Int(1)
		} else {
			ctx.W.Int(0)
		}
	}
}

// SCRIPT FLUSH [ASYNC | SYNC]
func scriptFlush(ctx *Ctx) {
	if len(ctx.Args) > 3 || len(ctx.Args) == 3 && !eqFold(ctx.Args[2], "async") && !eqFold(ctx.Args[2], "sync") {
		ctx.Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	ctx.S.Scripts.Flush()
	ctx.W.OK()
}

// busyMsg is the BUSY error for the running script's kind.
func (s *Server) busyMsg() string {
	if sr := s.scripting.running.Load(); sr != nil && sr.flags&script.FlagFunction != 0 {
		return errBusyFunction
	}
	return ErrBusy
}

const errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."

// SCRIPT KILL
func scriptKill(ctx *Ctx) {
	sr := ctx.S.scripting.running.Load()
	if sr == nil {
		ctx.Err(ErrNotBusy)
		return
	}
	if sr.flags&script.FlagFunction != 0 {
		ctx.Err(errBusyFunction)
		return
	}
	if sr.wrote.Load() {
		ctx.Err(ErrUnkillable)
		return
	}
	ctx.S.Scripts.Kill()
	ctx.W.OK()
}

// SCRIPT HELP
func scriptHelp(ctx *Ctx) {
	writeHelp(ctx, "SCRIPT", []string{
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	})
}

// newScriptEngine makes the server's engine; redis.log writes to the
// server's log.
func newScriptEngine(s *Server) *script.Engine {
	e := script.NewEngine()
	e.Log = func(level int, msg string) {
		l := s.logger()
		switch level {
		case script.LogDebug, script.LogVerbose:
			l.Debug(msg)
		case script.LogNotice:
			l.Info(msg)
		default:
			l.Warn(msg)
		}
	}
	return e
}
