package command

import (
	"math"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/acl"
)

// connectionCommands are the commands that act on the connection itself.
var connectionCommands = []*Spec{
	{Name: "ping", Arity: -1, Flags: Fast, ACL: []string{"fast", "connection"}, Handler: ping},
	{Name: "echo", Arity: 2, Flags: Loading | Stale | Fast, ACL: []string{"fast", "connection"}, Handler: echo},
	{Name: "hello", Arity: -1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, ACL: []string{"fast", "connection"}, Handler: hello},
	{Name: "auth", Arity: -2, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, ACL: []string{"fast", "connection"}, Handler: auth},
	{Name: "select", Arity: 2, Flags: Loading | Stale | Fast, ACL: []string{"fast", "connection"}, Handler: selectDB},
	{Name: "quit", Arity: -1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy | TxControl, ACL: []string{"fast", "connection"}, Handler: quit},
	{Name: "reset", Arity: 1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy | TxControl, ACL: []string{"fast", "connection"}, Handler: reset},
	{Name: "client", Arity: -2, ACL: []string{"slow"}, Subs: clientSubcommands},
}

var clientSubcommands = []*Spec{
	{Name: "id", Arity: 2, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientID},
	{Name: "setname", Arity: 3, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientSetName},
	{Name: "getname", Arity: 2, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientGetName},
	{Name: "setinfo", Arity: 4, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientSetInfo},
	{Name: "info", Arity: 2, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientInfo},
	{Name: "list", Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous", "connection"}, Handler: clientList},
	{Name: "kill", Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous", "connection"}, Handler: clientKill},
	{Name: "no-evict", Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous", "connection"}, Handler: clientNoEvict},
	{Name: "no-touch", Arity: 3, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientNoTouch},
	{Name: "reply", Arity: 3, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientReply},
	{Name: "pause", Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous", "connection"}, Handler: clientPause},
	{Name: "unblock", Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous", "connection"}, Handler: clientUnblock},
	{Name: "unpause", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: []string{"admin", "slow", "dangerous", "connection"}, Handler: clientUnpause},
	{Name: "tracking", Arity: -3, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientTracking},
	{Name: "trackinginfo", Arity: 2, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientTrackingInfo},
	{Name: "caching", Arity: 3, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientCaching},
	{Name: "getredir", Arity: 2, Flags: NoScript | Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientGetRedir},
	{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: clientHelp},
}

// ping: PING [message]
func ping(ctx *Ctx) {
	if len(ctx.Args) > 2 {
		ctx.ErrArity()
		return
	}
	if ctx.C.Proto == 2 && ctx.C.Subscribed() {
		// Subscribed mode answers in the shape of a message.
		ctx.W.Array(2)
		ctx.W.BulkString("pong")
		if len(ctx.Args) == 2 {
			ctx.W.Bulk(ctx.Args[1])
		} else {
			ctx.W.BulkString("")
		}
		return
	}
	if len(ctx.Args) == 2 {
		ctx.W.Bulk(ctx.Args[1])
		return
	}
	ctx.W.Simple("PONG")
}

// echo: ECHO message
func echo(ctx *Ctx) { ctx.W.Bulk(ctx.Args[1]) }

// hello: HELLO [protover [AUTH username password] [SETNAME clientname]]
func hello(ctx *Ctx) {
	proto := ctx.C.Proto
	args := ctx.Args[1:]
	if len(args) > 0 {
		v, ok := parseInt(args[0])
		if !ok {
			ctx.Err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			ctx.Err(ErrNoProto)
			return
		}
		proto = int(v)
		args = args[1:]
	}
	var name []byte
	setName := false
	for len(args) > 0 {
		opt := strings.ToLower(string(args[0]))
		switch {
		case opt == "auth" && len(args) >= 3:
			if !ctx.checkPassword(string(args[1]), string(args[2])) {
				return
			}
			args = args[3:]
		case opt == "setname" && len(args) >= 2:
			name, setName = args[1], true
			args = args[2:]
		default:
			ctx.Err("ERR Syntax error in HELLO option '" + string(args[0]) + "'")
			return
		}
	}
	if ctx.S.AuthRequired(ctx.C) {
		ctx.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		if msg := validName(name); msg != "" {
			ctx.Err(msg)
			return
		}
		ctx.C.SetName(string(name))
	}
	ctx.C.SetProto(proto)
	ctx.W.Proto = proto
	w := ctx.W
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(ctx.S.Cfg.RedisVersion())
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(ctx.C.ID)
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// checkPassword authenticates the client as user; it writes the error
// reply and returns false on failure (an unknown or disabled user, or a
// wrong password).
func (ctx *Ctx) checkPassword(user, pass string) bool {
	u := ctx.S.ACL.Lookup(user)
	if u == nil || !u.Perms().Authenticates([]byte(pass)) {
		ctx.authFailed(user)
		return false
	}
	ctx.C.user.Store(u)
	ctx.C.Authed = true
	return true
}

// auth: AUTH [username] password
func auth(ctx *Ctx) {
	switch len(ctx.Args) {
	case 2:
		if ctx.S.ACL.Default().Perms().NoPass() {
			ctx.Err(ErrNoPass)
			return
		}
		if ctx.checkPassword("default", string(ctx.Args[1])) {
			ctx.W.OK()
		}
	case 3:
		if ctx.checkPassword(string(ctx.Args[1]), string(ctx.Args[2])) {
			ctx.W.OK()
		}
	default:
		ctx.Err(ErrSyntax)
	}
}

// selectDB: SELECT index
func selectDB(ctx *Ctx) {
	if i, ok := parseDBIndex(ctx, ctx.Args[1]); ok {
		ctx.C.SetDB(i)
		ctx.W.OK()
	}
}

// quit: QUIT
func quit(ctx *Ctx) {
	ctx.W.OK()
	ctx.C.CloseAfterReply = true
}

// reset: RESET
func reset(ctx *Ctx) {
	c := ctx.C
	c.SetDB(0)
	c.SetProto(2)
	ctx.W.Proto = 2
	c.SetName("")
	c.ReplyMode = ReplyOn
	c.noEvict.Store(false)
	c.noTouch.Store(false)
	if c.Monitor {
		c.Monitor = false
		ctx.S.RemoveClient(c)
	}
	ctx.S.disableTracking(c)
	ctx.S.dropSubscriptions(c)
	// As Redis's clientSetDefaultAuth: back to the default user.
	c.user.Store(nil)
	c.Authed = ctx.S.StartsAuthed()
	ctx.S.discardTx(c)
	ctx.W.Simple("RESET")
}

func clientID(ctx *Ctx) { ctx.W.Int(ctx.C.ID) }

// validName returns Redis's error for names with spaces or newlines.
func validName(name []byte) string {
	for _, c := range name {
		if c < '!' || c > '~' {
			return "ERR Client names cannot contain spaces, newlines or special characters."
		}
	}
	return ""
}

func clientSetName(ctx *Ctx) {
	if msg := validName(ctx.Args[2]); msg != "" {
		ctx.Err(msg)
		return
	}
	ctx.C.SetName(string(ctx.Args[2]))
	ctx.W.OK()
}

func clientGetName(ctx *Ctx) {
	name := ctx.C.Name()
	if name == "" {
		ctx.W.Null()
		return
	}
	ctx.W.BulkString(name)
}

// clientSetInfo: CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
func clientSetInfo(ctx *Ctx) {
	attr := strings.ToLower(string(ctx.Args[2]))
	val := ctx.Args[3]
	for _, c := range val {
		if c < '!' || c > '~' {
			ctx.Err("ERR " + attr + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	switch attr {
	case "lib-name":
		ctx.C.SetLib(string(val), "")
	case "lib-ver":
		ctx.C.SetLib("", string(val))
	default:
		ctx.Err("ERR Unrecognized option '" + string(ctx.Args[2]) + "'")
		return
	}
	ctx.W.OK()
}

func clientInfo(ctx *Ctx) {
	ctx.W.Verbatim("txt", ctx.C.info(time.Now(), ctx)+"\n")
}

// clientList: CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID id …]
func clientList(ctx *Ctx) {
	var ids map[int64]bool
	typ := ""
	args := ctx.Args[2:]
	for len(args) > 0 {
		opt := strings.ToLower(string(args[0]))
		switch {
		case opt == "type" && len(args) >= 2:
			typ = strings.ToLower(string(args[1]))
			switch typ {
			case "normal", "master", "replica", "pubsub":
			case "slave":
				typ = "replica"
			default:
				ctx.Err("ERR Unknown client type '" + string(args[1]) + "'")
				return
			}
			args = args[2:]
		case opt == "id" && len(args) >= 2:
			ids = map[int64]bool{}
			for _, a := range args[1:] {
				id, ok := parseInt(a)
				if !ok || id < 0 {
					ctx.Err("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
			args = nil
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	var b strings.Builder
	now := time.Now()
	for _, c := range ctx.S.Host.Clients() {
		if ids != nil && !ids[c.ID] {
			continue
		}
		if typ != "" && typ != c.Type() {
			continue
		}
		if c == ctx.C {
			b.WriteString(c.info(now, ctx))
		} else {
			b.WriteString(c.Info(now))
		}
		b.WriteByte('\n')
	}
	ctx.W.Verbatim("txt", b.String())
}

// clientKill: CLIENT KILL ip:port | CLIENT KILL <filter value> …
func clientKill(ctx *Ctx) {
	args := ctx.Args[2:]
	if len(args) == 1 {
		// The old form: one address, an error when nobody has it.
		for _, c := range ctx.S.Host.Clients() {
			if c.Addr == string(args[0]) {
				ctx.W.OK()
				c.MarkKilled()
				return
			}
		}
		ctx.Err("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		ctx.Err(ErrSyntax)
		return
	}
	var id int64
	var addr, laddr, user, typ string
	skipMe := true
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, ok := parseInt([]byte(v))
			if !ok || n <= 0 {
				ctx.Err("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "user":
			user = v
		case "type":
			typ = strings.ToLower(v)
			switch typ {
			case "normal", "master", "replica", "pubsub":
			case "slave":
				typ = "replica"
			default:
				ctx.Err("ERR Unknown client type '" + v + "'")
				return
			}
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				ctx.Err(ErrSyntax)
				return
			}
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	var killUser *acl.User
	if user != "" {
		if killUser = ctx.S.ACL.Lookup(user); killUser == nil {
			ctx.Err("ERR No such user '" + user + "'")
			return
		}
	}
	killed := int64(0)
	var self bool
	for _, c := range ctx.S.Host.Clients() {
		if id != 0 && c.ID != id || addr != "" && c.Addr != addr || laddr != "" && c.LAddr != laddr ||
			killUser != nil && ctx.S.userOf(c) != killUser || typ != "" && typ != c.Type() {
			continue
		}
		if c == ctx.C {
			if skipMe {
				continue
			}
			self = true
			killed++
			continue
		}
		c.MarkKilled()
		killed++
	}
	ctx.W.Int(killed)
	if self {
		ctx.C.CloseAfterReply = true
	}
}

func onOff(ctx *Ctx, arg []byte) (bool, bool) {
	switch strings.ToLower(string(arg)) {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	ctx.Err(ErrSyntax)
	return false, false
}

func clientNoEvict(ctx *Ctx) {
	if v, ok := onOff(ctx, ctx.Args[2]); ok {
		ctx.C.noEvict.Store(v)
		ctx.W.OK()
	}
}

func clientNoTouch(ctx *Ctx) {
	if v, ok := onOff(ctx, ctx.Args[2]); ok {
		ctx.C.noTouch.Store(v)
		ctx.W.OK()
	}
}

// clientReply: CLIENT REPLY ON|OFF|SKIP
func clientReply(ctx *Ctx) {
	switch strings.ToLower(string(ctx.Args[2])) {
	case "on":
		ctx.C.ReplyMode = ReplyOn
		ctx.W.OK()
	case "off":
		ctx.C.ReplyMode = ReplyOff
	case "skip":
		// No reply to SKIP itself; Exec drops the next command's reply.
		if ctx.C.ReplyMode != ReplyOff {
			ctx.C.ReplyMode = skipNext
		}
	default:
		ctx.Err(ErrSyntax)
	}
}

// skipNext is an internal reply mode: SKIP's own reply is sent but the next
// command's is not. Exec turns it into ReplySkip after this command.
const skipNext = -1

// clientPause: CLIENT PAUSE timeout [WRITE|ALL]
func clientPause(ctx *Ctx) {
	ms, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err(ErrTimeout)
		return
	}
	if ms < 0 {
		ctx.Err("ERR timeout is negative")
		return
	}
	write := false
	if len(ctx.Args) == 4 {
		switch strings.ToLower(string(ctx.Args[3])) {
		case "write":
			write = true
		case "all":
		default:
			ctx.Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(ctx.Args) > 4 {
		ctx.Err(ErrSyntax)
		return
	}
	// Redis adds the timeout to its clock in ms; an end past int64 is out
	// of range (Redis 7.0 let it wrap into the past and did not pause).
	now := time.Now().UnixMilli()
	if ms > math.MaxInt64-now {
		ctx.Err("ERR timeout is out of range")
		return
	}
	ctx.S.pause.pause(now+ms, write)
	ctx.W.OK()
}

func clientUnpause(ctx *Ctx) {
	ctx.S.pause.unpause()
	ctx.W.OK()
}

func clientHelp(ctx *Ctx) {
	writeHelp(ctx, "CLIENT", []string{
		"CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETNAME", "    Return the name of the current connection.",
		"GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, ADDR, LADDR, USER, TYPE, SKIPME.",
		"LIST [options ...]", "    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB), ID <client-id> [...].",
		"UNPAUSE", "    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
		"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]", "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
		"TRACKINGINFO", "    Report tracking status for the current connection.",
	})
}

// writeHelp renders a HELP reply in Redis's format.
func writeHelp(ctx *Ctx, name string, lines []string) {
	ctx.W.Array(len(lines) + 3)
	ctx.W.Simple(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		ctx.W.Simple(l)
	}
	ctx.W.Simple("HELP")
	ctx.W.Simple("    Prints this help.")
}
