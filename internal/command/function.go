package command

import (
	"encoding/binary"
	"strings"

	"github.com/smallredis/smallredis/internal/glob"
	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/script"
)

// Functions (Redis 7): FCALL, FCALL_RO and FUNCTION.

var functionCommands = []*Spec{
	{Name: "fcall", Arity: -3, Flags: Atomic | NoScript | Stale | SkipMonitor | NoMandatoryKeys | MayReplicate, KeysFunc: evalKeys, ACL: aclScripting, Handler: fcall},
	{Name: "fcall_ro", Arity: -3, Flags: Atomic | ReadOnly | NoScript | Stale | SkipMonitor | NoMandatoryKeys, KeysFunc: evalKeys, ACL: aclScripting, Handler: fcall},
	{Name: "function", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "load", Arity: -3, Flags: Write | DenyOOM | NoScript, ACL: []string{"write", "slow", "scripting"}, Handler: functionLoad},
		{Name: "delete", Arity: 3, Flags: Write | NoScript, ACL: []string{"write", "slow", "scripting"}, Handler: functionDelete},
		{Name: "flush", Arity: -2, Flags: Write | NoScript, ACL: []string{"write", "slow", "scripting"}, Handler: functionFlush},
		{Name: "list", Arity: -2, Flags: NoScript, ACL: aclScripting, Handler: functionList},
		{Name: "dump", Arity: 2, Flags: NoScript, ACL: aclScripting, Handler: functionDump},
		{Name: "restore", Arity: -3, Flags: Write | DenyOOM | NoScript, ACL: []string{"write", "slow", "scripting"}, Handler: functionRestore},
		{Name: "stats", Arity: 2, Flags: NoScript | AllowBusy, ACL: aclScripting, Handler: functionStats},
		{Name: "kill", Arity: 2, Flags: NoScript | AllowBusy, ACL: aclScripting, Handler: functionKill},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: aclScripting, Handler: functionHelp},
	}},
}

// FCALL function numkeys [key [key ...]] [arg [arg ...]] (and FCALL_RO)
func fcall(ctx *Ctx) {
	n, ok := parseInt(ctx.Args[2])
	switch {
	case !ok:
		ctx.Err("ERR Bad number of keys provided")
		return
	case n < 0:
		ctx.Err(ErrNumkeysNegative)
		return
	case n > int64(len(ctx.Args)-3):
		ctx.Err(ErrNumkeysTooMany)
		return
	}
	f := ctx.S.Scripts.Function(string(ctx.Args[1]))
	if f == nil {
		ctx.Err("ERR Function not found")
		return
	}
	sr, ok := prepareScript(ctx, f.Flags)
	if !ok {
		return
	}
	sr.flags |= script.FlagFunction
	sr.name = f.Name
	for _, a := range ctx.Args {
		sr.cmd = append(sr.cmd, string(a))
	}
	sr.keys, sr.argv, sr.fn = ctx.Args[3:3+n], ctx.Args[3+n:], f
	runScript(ctx, sr)
}

// FUNCTION LOAD [REPLACE] function-code
func functionLoad(ctx *Ctx) {
	replace := false
	args := ctx.Args[2:]
	for len(args) > 1 {
		if !eqFold(args[0], "replace") {
			ctx.Err("ERR Unknown option given: " + string(args[0]))
			return
		}
		replace = true
		args = args[1:]
	}
	name, errMsg := ctx.S.Scripts.LoadLibrary(string(args[0]), replace)
	if errMsg != "" {
		ctx.Err(errMsg)
		return
	}
	ctx.W.BulkString(name)
}

// FUNCTION DELETE library-name
func functionDelete(ctx *Ctx) {
	if !ctx.S.Scripts.DeleteLibrary(string(ctx.Args[2])) {
		ctx.Err("ERR Library not found")
		return
	}
	ctx.W.OK()
}

// FUNCTION FLUSH [ASYNC | SYNC]
func functionFlush(ctx *Ctx) {
	if len(ctx.Args) > 3 {
		subcommandSyntaxError(ctx)
		return
	}
	if len(ctx.Args) == 3 && !eqFold(ctx.Args[2], "async") && !eqFold(ctx.Args[2], "sync") {
		ctx.Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	ctx.S.Scripts.FlushFunctions()
	ctx.W.OK()
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
func functionList(ctx *Ctx) {
	withCode := false
	var pattern []byte
	args := ctx.Args[2:]
	for len(args) > 0 {
		switch {
		case eqFold(args[0], "withcode"):
			if withCode {
				ctx.Err("ERR Unknown argument withcode")
				return
			}
			withCode = true
			args = args[1:]
		case eqFold(args[0], "libraryname"):
			if pattern != nil {
				ctx.Err("ERR Unknown argument libraryname")
				return
			}
			if len(args) < 2 {
				ctx.Err("ERR library name argument was not given")
				return
			}
			pattern = args[1]
			args = args[2:]
		default:
			ctx.Err("ERR Unknown argument " + string(args[0]))
			return
		}
	}
	var libs []*script.Library
	for _, l := range ctx.S.Scripts.Libraries() {
		if pattern == nil || glob.Match(pattern, []byte(l.Name), false) {
			libs = append(libs, l)
		}
	}
	w := ctx.W
	w.Array(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		w.Map(n)
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(l.Funcs))
		for _, f := range l.Funcs {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.Desc == "" {
				w.Null()
			} else {
				w.BulkString(f.Desc)
			}
			w.BulkString("flags")
			names := f.Flags.Names()
			w.Set(len(names))
			for _, fl := range names {
				w.Simple(fl)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.Code)
		}
	}
}

// The FUNCTION DUMP payload is Redis's: per library the RDB function
// opcode and the code as an RDB string, then the RDB version (2 bytes)
// and a CRC64 (Jones, as Redis's crc64) of everything before it, little
// endian. The code is written as Redis writes it (LZF-compressed past 20
// bytes under rdbcompression), so one library dumps to Redis's bytes.
const rdbOpFunction2 = 245

// FUNCTION DUMP
func functionDump(ctx *Ctx) {
	libs := ctx.S.Scripts.Libraries()
	var b []byte
	compress := ctx.S.Cfg.RDBCompression()
	for _, l := range libs {
		b = append(b, rdbOpFunction2)
		b = rdb.AppendString(b, []byte(l.Code), compress)
	}
	ctx.W.Bulk(rdb.Seal(b))
}

// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
func functionRestore(ctx *Ctx) {
	policy := "APPEND"
	if len(ctx.Args) > 4 {
		subcommandSyntaxError(ctx)
		return
	}
	if len(ctx.Args) == 4 {
		switch p := strings.ToUpper(string(ctx.Args[3])); p {
		case "FLUSH", "APPEND", "REPLACE":
			policy = p
		default:
			ctx.Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	codes, ok := parseFunctionDump(ctx.Args[2])
	if !ok {
		ctx.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	if codes == nil {
		ctx.Err("ERR given payload is not a valid function dump")
		return
	}
	if errMsg := ctx.S.Scripts.RestoreLibraries(codes, policy); errMsg != "" {
		ctx.Err(errMsg)
		return
	}
	ctx.W.OK()
}

func parseFunctionDump(p []byte) ([]string, bool) {
	if len(p) < 10 {
		return nil, false
	}
	body, footer := p[:len(p)-10], p[len(p)-10:]
	if v := binary.LittleEndian.Uint16(footer); v > rdb.Version {
		return nil, false
	}
	if crc := binary.LittleEndian.Uint64(footer[2:]); crc != 0 && crc != rdb.CRC64(0, p[:len(p)-8]) {
		return nil, false
	}
	codes := []string{}
	for len(body) > 0 {
		if body[0] != rdbOpFunction2 {
			return nil, true
		}
		s, rest, ok := rdb.ReadString(body[1:])
		if !ok {
			return nil, true
		}
		codes = append(codes, string(s))
		body = rest
	}
	return codes, true
}

// FUNCTION STATS
func functionStats(ctx *Ctx) {
	libs, funcs := ctx.S.Scripts.FunctionCounts()
	w := ctx.W
	w.Map(2)
	w.BulkString("running_script")
	if sr := ctx.S.scripting.running.Load(); sr != nil && sr.flags&script.FlagFunction != 0 {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(sr.name)
		w.BulkString("command")
		w.Array(len(sr.cmd))
		for _, a := range sr.cmd {
			w.BulkString(a)
		}
		w.BulkString("duration_ms")
		w.Int(sr.durationMs())
	} else {
		w.Null()
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(libs))
	w.BulkString("functions_count")
	w.Int(int64(funcs))
}

// FUNCTION KILL
func functionKill(ctx *Ctx) {
	sr := ctx.S.scripting.running.Load()
	if sr == nil {
		ctx.Err(ErrNotBusy)
		return
	}
	if sr.flags&script.FlagFunction == 0 {
		ctx.Err(ErrBusy)
		return
	}
	if sr.wrote.Load() {
		ctx.Err(ErrUnkillable)
		return
	}
	ctx.S.Scripts.Kill()
	ctx.W.OK()
}

// FUNCTION HELP
func functionHelp(ctx *Ctx) {
	writeHelp(ctx, "FUNCTION", []string{
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	})
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError.
func subcommandSyntaxError(ctx *Ctx) {
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(ctx.Args[1]), 128) + "'. Try " + strings.ToUpper(string(ctx.Args[0])) + " HELP.")
}
