package command

import (
	"sync"
	"time"

	"github.com/smallredis/smallredis/internal/acl"
)

// ACL denials, in Redis's order (ACL_DENIED_*): when no selector allows a
// command, the denial reported is the highest one, at the last argument.
const (
	aclOK = iota
	deniedCmd
	deniedKey
	deniedAuth
	deniedChannel
)

// chanArgs says which arguments of a command are pub/sub channels ACLs
// check (Redis's commands_with_channels; unsubscribing is never denied).
type chanArgs uint8

const (
	chanNone    chanArgs = iota
	chanFirst            // PUBLISH, SPUBLISH: argument 1
	chanAll              // SUBSCRIBE, SSUBSCRIBE: every argument
	chanPattern          // PSUBSCRIBE: every argument, as patterns
)

func channelArgs(name string) chanArgs {
	switch name {
	case "publish", "spublish":
		return chanFirst
	case "subscribe", "ssubscribe":
		return chanAll
	case "psubscribe":
		return chanPattern
	}
	return chanNone
}

// userOf is the ACL user c is authenticated as.
func (s *Server) userOf(c *Client) *acl.User {
	if u := c.user.Load(); u != nil {
		return u
	}
	return s.ACL.Default()
}

// AuthRequired reports whether c must authenticate before running commands
// other than AUTH, HELLO and the like.
func (s *Server) AuthRequired(c *Client) bool { return !c.Authed && s.ACL.DefaultNeedsAuth() }

// StartsAuthed reports whether a new connection is authenticated from the
// start: the default user is on and needs no password.
func (s *Server) StartsAuthed() bool { return !s.ACL.DefaultNeedsAuth() }

// DefaultNoPass reports whether the default user has no password, which is
// when protected mode applies.
func (s *Server) DefaultNoPass() bool { return s.ACL.Default().Perms().NoPass() }

// checkACL is Redis's ACLCheckAllUserCommandPerm: whether one of the
// user's selectors allows spec with args, its keys and its channels; if
// none does, the denial and the argument to blame.
func checkACL(p *acl.Perms, spec *Spec, args [][]byte) (denial, pos int) {
	denial = deniedCmd
	for i := range p.Selectors() {
		d, at := checkSelector(p, i, spec, args)
		if d == aclOK {
			return aclOK, 0
		}
		if d > denial || d == denial && at > pos {
			denial, pos = d, at
		}
	}
	return denial, pos
}

func checkSelector(p *acl.Perms, i int, spec *Spec, args [][]byte) (int, int) {
	if !p.CanRun(i, spec.aclCmd, args) {
		return deniedCmd, 0
	}
	if spec.aclKeys && !p.AllKeys(i) {
		if spec.KeysFunc != nil {
			for _, k := range spec.KeysFunc(args) {
				if !p.KeyOK(i, args[k], spec.keyNeed(args, k)) {
					return deniedKey, k
				}
			}
		} else {
			// The table's range, walked in place: no slice per command.
			last, step := spec.LastKey, max(spec.Step, 1)
			if last < 0 {
				last += len(args)
			}
			for k := spec.FirstKey; k <= last && k < len(args); k += step {
				if !p.KeyOK(i, args[k], spec.keyNeed(args, k)) {
					return deniedKey, k
				}
			}
		}
	}
	if spec.channels != chanNone && !p.AllChannels(i) {
		end := len(args)
		if spec.channels == chanFirst {
			end = min(2, end)
		}
		for k := 1; k < end; k++ {
			if !p.ChannelOK(i, args[k], spec.channels == chanPattern) {
				return deniedChannel, k
			}
		}
	}
	return aclOK, 0
}

// readsAnyKey reports whether the command's user may run it and read any
// key (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess): SORT's BY and
// GET patterns name keys its arguments do not.
func (ctx *Ctx) readsAnyKey() bool {
	p := ctx.S.userOf(ctx.C).Perms()
	if p.Unrestricted() {
		return true
	}
	for i := range p.Selectors() {
		if d, _ := checkSelector(p, i, ctx.Cmd, ctx.Args); d == aclOK && p.AllKeysFor(i, acl.Read) {
			return true
		}
	}
	return false
}

// aclRefusal is Redis's error for a command its user may not run.
func aclRefusal(denial int, spec *Spec) string {
	switch denial {
	case deniedCmd:
		return "NOPERM this user has no permissions to run the '" + spec.Name + "' command"
	case deniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case deniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "ERR no permission"
}

// admitACL checks the command against the client's user; a denied one is
// logged (ACL LOG) and refused.
func (s *Server) admitACL(ctx *Ctx, u *acl.User) bool {
	d, pos := checkACL(u.Perms(), ctx.Cmd, ctx.Args)
	if d == aclOK {
		return true
	}
	context := "toplevel"
	if ctx.C.tx != nil {
		context = "multi"
	}
	s.logDenial(ctx, d, context, denialObject(d, ctx.Cmd, ctx.Args, pos), u.Name())
	s.refuse(ctx, aclRefusal(d, ctx.Cmd))
	return false
}

func denialObject(d int, spec *Spec, args [][]byte, pos int) string {
	if d == deniedCmd {
		return spec.Name
	}
	return string(args[pos])
}

// The ACL log (ACL LOG): recent denials, newest first; a denial like one
// of the last ten within a minute bumps its count instead of adding one.
type aclLog struct {
	mu      sync.Mutex // guards entries
	entries []*aclLogEntry
}

type aclLogEntry struct {
	count    int64
	reason   string // command, key, channel, auth
	context  string // toplevel, multi, lua
	object   string
	username string
	ctime    int64 // unix ms of the last occurrence
	cinfo    string
}

var reasonNames = map[int]string{deniedCmd: "command", deniedKey: "key", deniedChannel: "channel", deniedAuth: "auth"}

// logDenial adds a denial to the ACL log and counts it for INFO stats. The
// client described is the command's, or a script's caller.
func (s *Server) logDenial(ctx *Ctx, d int, context, object, username string) {
	switch d {
	case deniedCmd:
		s.Stats.ACLDeniedCmd.Add(1)
	case deniedKey:
		s.Stats.ACLDeniedKey.Add(1)
	case deniedChannel:
		s.Stats.ACLDeniedChannel.Add(1)
	}
	now := time.Now()
	e := &aclLogEntry{count: 1, reason: reasonNames[d], context: context, object: object,
		username: username, ctime: now.UnixMilli(), cinfo: ctx.C.info(now, ctx)}
	max := s.Cfg.ACLLogMaxLen()
	l := &s.acllog
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, old := range l.entries[:min(10, len(l.entries))] {
		if old.reason == e.reason && old.context == e.context && old.object == e.object &&
			old.username == e.username && e.ctime-old.ctime <= 60000 {
			old.count++
			old.ctime, old.cinfo = e.ctime, e.cinfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = old
			return
		}
	}
	l.entries = append([]*aclLogEntry{e}, l.entries...)
	if int64(len(l.entries)) > max {
		l.entries = l.entries[:max]
	}
}

// aclLogCmd: ACL LOG [count | RESET]
func aclLogCmd(ctx *Ctx) {
	l := &ctx.S.acllog
	if len(ctx.Args) > 3 {
		aclSyntax(ctx)
		return
	}
	count := int64(10)
	if len(ctx.Args) == 3 {
		if eqFold(ctx.Args[2], "reset") {
			l.mu.Lock()
			l.entries = nil
			l.mu.Unlock()
			ctx.W.OK()
			return
		}
		n, ok := parseInt(ctx.Args[2])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		count = max(n, 0)
	}
	l.mu.Lock()
	entries := l.entries[:min(int(count), len(l.entries))]
	copies := make([]aclLogEntry, len(entries))
	for i, e := range entries {
		copies[i] = *e
	}
	l.mu.Unlock()
	now := time.Now().UnixMilli()
	w := ctx.W
	w.Array(len(copies))
	for _, e := range copies {
		w.Map(7)
		w.BulkString("count")
		w.Int(e.count)
		w.BulkString("reason")
		w.BulkString(e.reason)
		w.BulkString("context")
		w.BulkString(e.context)
		w.BulkString("object")
		w.BulkString(e.object)
		w.BulkString("username")
		w.BulkString(e.username)
		w.BulkString("age-seconds")
		w.Double(float64(now-e.ctime) / 1000)
		w.BulkString("client-info")
		w.BulkString(e.cinfo)
	}
}

// killUserClients closes the connections authenticated as one of users
// (ACL DELUSER, ACL LOAD); the running command's own after its reply.
func (ctx *Ctx) killUserClients(users []*acl.User) {
	if len(users) == 0 || ctx.S.Host == nil {
		return
	}
	gone := map[*acl.User]bool{}
	for _, u := range users {
		gone[u] = true
	}
	for _, c := range ctx.S.Host.Clients() {
		if u := c.user.Load(); u != nil && gone[u] {
			if c == ctx.C {
				c.CloseAfterReply = true
				continue
			}
			c.MarkKilled()
		}
	}
}

// killRevokedSubscribers closes u's pub/sub clients subscribed to a channel
// or pattern its new permissions deny, as Redis does after ACL SETUSER.
func (ctx *Ctx) killRevokedSubscribers(u *acl.User, old *acl.Perms) {
	p := u.Perms()
	if old == nil || !acl.ChannelsNarrowed(old, p) || ctx.S.Host == nil {
		return
	}
	s := ctx.S
	for _, c := range s.Host.Clients() {
		if s.userOf(c) != u || !c.Subscribed() {
			continue
		}
		kill := false
		for _, pat := range s.ps.global.Patterns(c) {
			kill = kill || !p.ChannelAllowed([]byte(pat), true)
		}
		for _, ch := range append(s.ps.global.Channels(c), s.ps.shard.Channels(c)...) {
			kill = kill || !p.ChannelAllowed([]byte(ch), false)
		}
		if !kill {
			continue
		}
		if c == ctx.C {
			c.CloseAfterReply = true
			continue
		}
		c.MarkKilled()
	}
}
