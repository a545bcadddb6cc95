package command

import (
	"strconv"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/list"
)

// serverCommands administer and inspect the server.
var serverCommands = []*Spec{
	{Name: "info", Arity: -1, Flags: Loading | Stale, ACL: []string{"slow", "dangerous"}, Handler: info},
	{Name: "dbsize", Arity: 1, Flags: ReadOnly | Fast, ACL: []string{"keyspace", "read", "fast"}, Handler: dbsize},
	{Name: "flushdb", Arity: -1, Flags: Write, ACL: []string{"keyspace", "write", "slow", "dangerous"}, Handler: flushdb},
	{Name: "flushall", Arity: -1, Flags: Write, ACL: []string{"keyspace", "write", "slow", "dangerous"}, Handler: flushall},
	{Name: "time", Arity: 1, Flags: Loading | Stale | Fast, ACL: []string{"fast"}, Handler: timeCmd},
	{Name: "lastsave", Arity: 1, Flags: Loading | Stale | Fast, ACL: []string{"admin", "fast", "dangerous"}, Handler: func(ctx *Ctx) { ctx.W.Int(ctx.S.LastSave()) }},
	{Name: "monitor", Arity: 1, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: monitor},
	{Name: "shutdown", Arity: -1, Flags: Admin | NoScript | Loading | Stale | NoMulti | AllowBusy, ACL: []string{"admin", "slow", "dangerous"}, Handler: shutdown, AtomicIf: shutdownMaySave},
	{Name: "config", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "get", Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: configGet},
		{Name: "set", Arity: -4, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: configSet},
		{Name: "resetstat", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: configResetStat},
		{Name: "rewrite", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: configRewrite},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: configHelp},
	}},
	{Name: "slowlog", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "get", Arity: -2, Flags: Admin | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: slowlogGet},
		{Name: "len", Arity: 2, Flags: Admin | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: slowlogLen},
		{Name: "reset", Arity: 2, Flags: Admin | Loading | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: slowlogReset},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: slowlogHelp},
	}},
	{Name: "debug", Arity: -2, Flags: Admin | NoScript | Loading | Stale | Protected, ACL: []string{"admin", "slow", "dangerous"}, Handler: debug},
	// Every CLUSTER subcommand answers that cluster support is disabled,
	// as a standalone Redis does (unknown ones: unknown subcommand).
	{Name: "cluster", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "addslots", Arity: -3, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "addslotsrange", Arity: -4, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "bumpepoch", Arity: 2, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "count-failure-reports", Arity: 3, Flags: Admin | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "countkeysinslot", Arity: 3, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "delslots", Arity: -3, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "delslotsrange", Arity: -4, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "failover", Arity: -2, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "flushslots", Arity: 2, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "forget", Arity: 3, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "getkeysinslot", Arity: 4, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "info", Arity: 2, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "keyslot", Arity: 3, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "links", Arity: 2, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "meet", Arity: -4, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "myid", Arity: 2, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "nodes", Arity: 2, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "replicas", Arity: 3, Flags: Admin | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "replicate", Arity: 3, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "reset", Arity: -2, Flags: Admin | NoScript | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "saveconfig", Arity: 2, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "set-config-epoch", Arity: 3, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "setslot", Arity: -4, Flags: Admin | Stale | NoAsyncLoading, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "shards", Arity: 2, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
		{Name: "slaves", Arity: 3, Flags: Admin | Stale, ACL: []string{"admin", "slow", "dangerous"}, Handler: clusterDisabled},
		{Name: "slots", Arity: 2, Flags: Stale, ACL: []string{"slow"}, Handler: clusterDisabled},
	}},
}

func dbsize(ctx *Ctx) { ctx.W.Int(int64(ctx.DBSize())) }

// flushMode parses FLUSHDB's and FLUSHALL's [ASYNC|SYNC]: ok, and whether
// the flush counts as lazy (ASYNC, or neither with lazyfree-lazy-user-flush).
func flushMode(ctx *Ctx) (async, ok bool) {
	if len(ctx.Args) > 2 {
		ctx.Err(ErrSyntax)
		return false, false
	}
	async = ctx.S.Cfg.LazyfreeUserFlush()
	if len(ctx.Args) == 2 {
		switch strings.ToLower(string(ctx.Args[1])) {
		case "async":
			async = true
		case "sync":
			async = false
		default:
			ctx.Err(ErrSyntax)
			return false, false
		}
	}
	return async, true
}

func flushdb(ctx *Ctx) {
	if async, ok := flushMode(ctx); ok {
		if async {
			ctx.S.Stats.LazyFreed.Add(int64(ctx.db().Len()))
		}
		ctx.FlushDB()
		ctx.W.OK()
	}
}

func flushall(ctx *Ctx) {
	if async, ok := flushMode(ctx); ok {
		if async {
			for i := range ctx.S.KS.Databases() {
				ctx.S.Stats.LazyFreed.Add(int64(ctx.S.KS.DB(i).Len()))
			}
		}
		ctx.FlushAll()
		ctx.S.flushSaved()
		ctx.W.OK()
	}
}

func timeCmd(ctx *Ctx) {
	now := time.Now()
	ctx.W.Array(2)
	ctx.W.BulkInt(now.Unix())
	ctx.W.BulkInt(int64(now.Nanosecond() / 1000))
}

func monitor(ctx *Ctx) {
	if ctx.C.Monitor {
		ctx.W.OK()
		return
	}
	ctx.C.Monitor = true
	ctx.S.monitors.add(ctx.C)
	ctx.W.OK()
}

// shutdown: SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
//
// As in Redis, every argument is checked before acting: NOSAVE with SAVE,
// or ABORT with anything but ABORT, is a syntax error. A shutdown here is
// immediate, so there is never one in progress to abort.
//
// SAVE, or neither SAVE nor NOSAVE with save points configured, writes the
// RDB file first (persist.go); if that fails the server stays up with an
// error, unless FORCE.
func shutdown(ctx *Ctx) {
	var save, nosave, force, other, abort bool
	for _, a := range ctx.Args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now":
			other = true
		case "force":
			force, other = true, true
		case "abort":
			abort = true
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	if save && nosave || abort && (save || nosave || other) {
		ctx.Err(ErrSyntax)
		return
	}
	if abort {
		ctx.Err("ERR No shutdown in progress.")
		return
	}
	// Without NOSAVE SHUTDOWN holds the world gate (shutdownMaySave), so
	// while a script is past busy-reply-threshold it has answered BUSY, as
	// Redis's, before getting here; with NOSAVE it runs even then.
	if !ctx.S.PrepareShutdown(save, nosave, force) {
		ctx.Err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	// Like Redis, no reply on success: the connection just closes.
	ctx.C.CloseAfterReply = true
	ctx.S.Host.Shutdown()
}

// shutdownMaySave: a SHUTDOWN without NOSAVE holds the world gate, so that
// its final save has the dataset to itself and, once it is written, no
// other client's command runs (stateDown), as Redis exits right after it.
func shutdownMaySave(args [][]byte) bool {
	for _, a := range args[1:] {
		if strings.EqualFold(string(a), "nosave") {
			return false
		}
	}
	return true
}

// PrepareShutdown is Redis's prepareForShutdown as far as it concerns us:
// the final snapshot, written with SAVE, or without NOSAVE when save points
// are configured. It reports whether the server may go down: not when that
// save failed, unless force.
//
// The caller holds the world gate when a save may be written: the save then
// has the dataset to itself and, once it is written, every command from
// then on closes its connection unanswered (stateDown): a write that is
// acknowledged is in the file, as in Redis, which exits after the save.
func (s *Server) PrepareShutdown(save, nosave, force bool) bool {
	// As Redis: never while loading, which would save half the dataset.
	if s.Loading() || !save && (nosave || !s.Cfg.HasSavePoints()) {
		return true
	}
	s.stopBgsave()
	s.logger().Info("Saving the final RDB snapshot before exiting.")
	if err := s.Save(); err != nil {
		if !force {
			s.logger().Warn("Error trying to save the DB, can't exit.", "err", err)
			return false
		}
		s.logger().Warn("Error trying to save the DB. Exit anyway.", "err", err)
	}
	s.persist.state.Or(stateDown)
	return true
}

// ShutdownOnSignal is PrepareShutdown for SIGTERM (term) or SIGINT, with
// the flags shutdown-on-sigterm or shutdown-on-sigint give, holding the
// world gate (it waits for a running script or EXEC, as Redis does).
func (s *Server) ShutdownOnSignal(term bool) bool {
	f := s.Cfg.ShutdownOnSignal(term)
	s.Gate.Lock()
	defer s.Gate.Unlock()
	return s.PrepareShutdown(f&config.ShutdownSave != 0, f&config.ShutdownNoSave != 0, f&config.ShutdownForce != 0)
}

func configGet(ctx *Ctx) {
	pats := make([]string, len(ctx.Args)-2)
	for i, a := range ctx.Args[2:] {
		pats[i] = string(a)
	}
	pairs := ctx.S.Cfg.Get(pats...)
	ctx.W.Map(len(pairs))
	for _, p := range pairs {
		ctx.W.BulkString(p[0])
		ctx.W.BulkString(p[1])
	}
}

func configSet(ctx *Ctx) {
	args := ctx.Args[2:]
	if len(args)%2 != 0 {
		ctx.ErrArity()
		return
	}
	pairs := make([][2]string, 0, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	if err := ctx.S.Cfg.SetFrom(pairs, ctx.C.Local); err != nil {
		ctx.Err(err.Error())
		return
	}
	ctx.W.OK()
}

func configResetStat(ctx *Ctx) {
	ctx.S.ResetStats()
	ctx.W.OK()
}

func configRewrite(ctx *Ctx) {
	if err := ctx.S.Cfg.Rewrite(); err != nil {
		ctx.Err(err.Error())
		return
	}
	ctx.W.OK()
}

func configHelp(ctx *Ctx) {
	writeHelp(ctx, "CONFIG", []string{
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
		"RESETSTAT", "    Reset statistics reported by the INFO command.",
		"REWRITE", "    Rewrite the configuration file.",
	})
}

// ResetStats clears the counters CONFIG RESETSTAT resets.
func (s *Server) ResetStats() {
	st := &s.Stats
	st.Commands.Store(0)
	st.Connections.Store(0)
	st.Rejected.Store(0)
	st.Hits.Store(0)
	st.Misses.Store(0)
	st.ErrorReplies.Store(0)
	st.AuthDenied.Store(0)
	st.ACLDeniedCmd.Store(0)
	st.ACLDeniedKey.Store(0)
	st.ACLDeniedChannel.Store(0)
	st.NetInput.Store(0)
	st.NetOutput.Store(0)
	st.Reads.Store(0)
	st.Writes.Store(0)
	st.OutputLimitDisconnections.Store(0)
	st.EvictedClients.Store(0)
	st.LazyFreed.Store(0)
	st.errMu.Lock()
	st.errors = nil
	st.errMu.Unlock()
	s.ResetMemoryStats()
	resetRuntimeStats()
	var walk func([]*Spec)
	walk = func(specs []*Spec) {
		for _, sp := range specs {
			sp.stats.reset()
			walk(sp.Subs)
		}
	}
	walk(s.Table.All())
	// The slowlog stays, as in Redis 7.0 (SLOWLOG RESET clears it).
}

// slowlogGet: SLOWLOG GET [count]
func slowlogGet(ctx *Ctx) {
	n := 10
	if len(ctx.Args) > 3 {
		ctx.ErrArity()
		return
	}
	if len(ctx.Args) == 3 {
		v, ok := parseInt(ctx.Args[2])
		if !ok || v < -1 {
			ctx.Err("ERR count should be greater than or equal to -1")
			return
		}
		n = int(v)
		if v == -1 {
			n = int(^uint(0) >> 1)
		}
	}
	l := &ctx.S.slowlog
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > len(l.entries) {
		n = len(l.entries)
	}
	ctx.W.Array(n)
	for _, e := range l.entries[:n] {
		ctx.W.Array(6)
		ctx.W.Int(e.id)
		ctx.W.Int(e.at)
		ctx.W.Int(e.micros)
		ctx.W.Array(len(e.args))
		for _, a := range e.args {
			ctx.W.BulkString(a)
		}
		ctx.W.BulkString(e.addr)
		ctx.W.BulkString(e.name)
	}
}

func slowlogLen(ctx *Ctx) {
	l := &ctx.S.slowlog
	l.mu.Lock()
	n := len(l.entries)
	l.mu.Unlock()
	ctx.W.Int(int64(n))
}

func slowlogReset(ctx *Ctx) {
	l := &ctx.S.slowlog
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
	ctx.W.OK()
}

func slowlogHelp(ctx *Ctx) {
	writeHelp(ctx, "SLOWLOG", []string{
		"GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN", "    Return the length of the slowlog.",
		"RESET", "    Reset the slowlog.",
	})
}

// debug: DEBUG SLEEP seconds | DEBUG SET-ACTIVE-EXPIRE 0|1 | …
func debug(ctx *Ctx) {
	sub := strings.ToLower(string(ctx.Args[1]))
	switch {
	case sub == "log" && len(ctx.Args) == 3:
		// As Redis: a line in the server's log at warning level (tests mark
		// where they are).
		ctx.S.logger().Warn("DEBUG LOG: " + string(ctx.Args[2]))
		ctx.W.OK()
	case sub == "sleep" && len(ctx.Args) == 3:
		f, err := strconv.ParseFloat(string(ctx.Args[2]), 64)
		if err != nil {
			ctx.Err(ErrNotFloat)
			return
		}
		// Like Redis, this blocks the server's event loop on purpose.
		time.Sleep(time.Duration(f * float64(time.Second)))
		ctx.W.OK()
	case sub == "set-active-expire" && len(ctx.Args) == 3:
		ctx.S.ActiveExpire.Store(cAtoi(ctx.Args[2]) != 0)
		ctx.W.OK()
	case sub == "replybuffer" && len(ctx.Args) == 4 && strings.EqualFold(string(ctx.Args[2]), "resizing"):
		ctx.S.KeepReplyBuffers.Store(cAtoi(ctx.Args[3]) == 0)
		ctx.W.OK()
	case sub == "pause-cron" && len(ctx.Args) == 3:
		ctx.S.CronPaused.Store(cAtoi(ctx.Args[2]) != 0)
		ctx.W.OK()
	case sub == "set-disable-deny-scripts" && len(ctx.Args) == 3:
		ctx.S.DisableDenyScripts.Store(cAtoi(ctx.Args[2]) != 0)
		ctx.W.OK()
	case sub == "panic" && len(ctx.Args) == 2:
		// Redis crashes here; we exercise the recovery in Exec instead.
		panic("DEBUG PANIC")
	case sub == "config-rewrite-force-all" && len(ctx.Args) == 2:
		if err := ctx.S.Cfg.RewriteAll(); err != nil {
			ctx.Err(strings.Replace(err.Error(), "ERR Rewriting config file", "ERR CONFIG-REWRITE-FORCE-ALL failed", 1))
			return
		}
		ctx.W.OK()
	case sub == "quicklist-packed-threshold" && len(ctx.Args) == 3:
		n, err := config.ParseMemory(string(ctx.Args[2]))
		if err != nil || n < 0 || !list.SetPackedThreshold(uint64(n)) {
			ctx.Err("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		ctx.W.OK()
	case sub == "object" && len(ctx.Args) == 3:
		debugObject(ctx)
	case sub == "reload":
		debugReload(ctx)
	case sub == "protocol" && len(ctx.Args) == 3:
		debugProtocol(ctx)
	case sub == "digest" && len(ctx.Args) == 2:
		debugDigest(ctx)
	case sub == "digest-value":
		debugDigestValue(ctx)
	case sub == "populate" && len(ctx.Args) >= 3 && len(ctx.Args) <= 5:
		debugPopulate(ctx)
	case sub == "pprof" && len(ctx.Args) >= 4:
		debugPprof(ctx)
	case sub == "help":
		writeHelp(ctx, "DEBUG", []string{
			"PANIC", "    Panic inside the command: the server logs it, answers an error and closes the connection.",
			"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
			"DIGEST", "    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys.",
			"LOG <message>", "    Write <message> to the server log.",
			"OBJECT <key>", "    Show low level info about the <key> and associated value.",
			"RELOAD [option ...]", "    Save the RDB on disk and reload it back to memory. Here: write every value as its DUMP",
			"    payload and build it again from it (no file). Options MERGE, NOFLUSH and NOSAVE are accepted.",
			"PROTOCOL <type>", "    Reply with a test value of the specified type. <type> can be: string,",
			"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
			"    true, false.",
			"SET-ACTIVE-EXPIRE <0|1>", "    Setting it to 0 disables expiring keys in background when they are not accessed.",
			"PAUSE-CRON <0|1>", "    Stop periodic cron job processing.",
			"REPLYBUFFER RESIZING <0|1>", "    Enable or disable the reply buffer resize cron job",
			"SET-DISABLE-DENY-SCRIPTS <0|1>", "    For testing only: allow scripts to call commands normally denied to them (noscript).",
			"CONFIG-REWRITE-FORCE-ALL", "    Like CONFIG REWRITE but writes all configuration options, including",
			"    keywords not listed in original configuration file or default values.",
			"QUICKLIST-PACKED-THRESHOLD <size>", "    Sets the threshold for elements to be inserted as plain vs packed nodes",
			"POPULATE <count> [<prefix>] [<size>]", "    Create <count> string keys named key:<num>. If <prefix> is specified then",
			"    it is used instead of the 'key' prefix. These are not propagated to",
			"    replicas. Cluster slots are not respected so keys not belonging to the",
			"    current node can be created in cluster mode.",
			"PPROF CPU <seconds> <path>", "    Write a Go CPU profile of the next <seconds> to <path>, in the background.",
			"PPROF CPU STOP", "    End that profile now and reply with its path.",
			"PPROF HEAP <path>", "    Write a Go heap profile (live and allocated memory) to <path>.",
			"PPROF GOROUTINE <path>", "    Write the stacks of every goroutine to <path>.",
		})
	default:
		ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + string(ctx.Args[1]) + "'. Try DEBUG HELP.")
	}
}

// cAtoi is C's atoi, which Redis's DEBUG switches parse their argument
// with: leading spaces and a sign, then digits up to the first other byte;
// no digits is 0, never an error ("DEBUG SET-ACTIVE-EXPIRE x" is OK, off).
func cAtoi(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && n < 1<<40; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func clusterDisabled(ctx *Ctx) {
	ctx.Err("ERR This instance has cluster support disabled")
}
