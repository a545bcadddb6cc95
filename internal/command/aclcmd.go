package command

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"

	"github.com/smallredis/smallredis/internal/acl"
	"github.com/smallredis/smallredis/internal/resp"
)

var aclAdmin = []string{"admin", "slow", "dangerous"}

// aclCommands is ACL and its subcommands (package acl holds the users).
var aclCommands = []*Spec{
	{Name: "acl", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
		{Name: "cat", Arity: -2, Flags: NoScript | Loading | Stale, ACL: []string{"slow"}, Handler: aclCat},
		{Name: "deluser", Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclDelUser},
		{Name: "dryrun", Arity: -4, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclDryRun},
		{Name: "genpass", Arity: -2, Flags: NoScript | Loading | Stale, ACL: []string{"slow"}, Handler: aclGenPass},
		{Name: "getuser", Arity: 3, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclGetUser},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow"}, Handler: aclHelp},
		{Name: "list", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclList},
		{Name: "load", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclLoad},
		{Name: "log", Arity: -2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclLogCmd},
		{Name: "save", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclSave},
		{Name: "setuser", Arity: -3, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclSetUser},
		{Name: "users", Arity: 2, Flags: Admin | NoScript | Loading | Stale, ACL: aclAdmin, Handler: aclUsers},
		{Name: "whoami", Arity: 2, Flags: NoScript | Loading | Stale, ACL: []string{"slow"}, Handler: aclWhoAmI},
	}},
}

// aclSyntax is Redis's reply to a known ACL subcommand with arguments it
// does not take.
func aclSyntax(ctx *Ctx) {
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(ctx.Args[1]), 128) + "'. Try ACL HELP.")
}

// aclSetUser: ACL SETUSER username [rule …]
func aclSetUser(ctx *Ctx) {
	rules := make([]string, len(ctx.Args)-3)
	for i, a := range ctx.Args[3:] {
		rules[i] = string(a)
	}
	u, old, err := ctx.S.ACL.SetUser(string(ctx.Args[2]), rules)
	if err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	ctx.killRevokedSubscribers(u, old)
	ctx.W.OK()
}

// aclDelUser: ACL DELUSER username [username …]
func aclDelUser(ctx *Ctx) {
	names := make([]string, len(ctx.Args)-2)
	for i, a := range ctx.Args[2:] {
		names[i] = string(a)
	}
	gone, err := ctx.S.ACL.Delete(names)
	if err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	ctx.killUserClients(gone)
	ctx.W.Int(int64(len(gone)))
}

// aclGetUser: ACL GETUSER username
func aclGetUser(ctx *Ctx) {
	u := ctx.S.ACL.Lookup(string(ctx.Args[2]))
	if u == nil {
		ctx.W.Null()
		return
	}
	p := u.Perms()
	w := ctx.W
	w.Map(6)
	w.BulkString("flags")
	flags := p.Flags()
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("passwords")
	w.Array(len(p.Passwords()))
	for _, h := range p.Passwords() {
		w.BulkString(h)
	}
	writeSelector(w, p.Describe(0))
	w.BulkString("selectors")
	w.Array(p.Selectors() - 1)
	for i := 1; i < p.Selectors(); i++ {
		w.Map(3)
		writeSelector(w, p.Describe(i))
	}
}

func writeSelector(w *resp.Writer, d acl.SelectorDesc) {
	w.BulkString("commands")
	w.BulkString(d.Commands)
	w.BulkString("keys")
	w.BulkString(d.Keys)
	w.BulkString("channels")
	w.BulkString(d.Channels)
}

// aclList: ACL LIST
func aclList(ctx *Ctx) {
	lines := ctx.S.ACL.List()
	ctx.W.Array(len(lines))
	for _, l := range lines {
		ctx.W.BulkString(l)
	}
}

// aclUsers: ACL USERS
func aclUsers(ctx *Ctx) {
	users := ctx.S.ACL.Users()
	ctx.W.Array(len(users))
	for _, u := range users {
		ctx.W.BulkString(u.Name())
	}
}

// aclWhoAmI: ACL WHOAMI
func aclWhoAmI(ctx *Ctx) { ctx.W.BulkString(ctx.C.UserName()) }

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command " +
	"and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// aclFile is the aclfile as configured (Redis's messages name it so) and
// where it is: relative to dir, as Redis runs from there.
func (s *Server) aclFile() (name, path string) {
	name = s.Cfg.ACLFile()
	if name == "" || filepath.IsAbs(name) {
		return name, name
	}
	return name, filepath.Join(s.Cfg.Dir(), name)
}

// aclLoad: ACL LOAD
func aclLoad(ctx *Ctx) {
	name, path := ctx.S.aclFile()
	if name == "" {
		ctx.Err(errNoACLFile)
		return
	}
	replaced, err := ctx.S.ACL.Load(path, name)
	if err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	ctx.killUserClients(replaced)
	ctx.W.OK()
}

// LoadACLs creates the configuration's users and loads the aclfile, at
// startup; Redis refuses to have both.
func (s *Server) LoadACLs() error {
	name, path := s.aclFile()
	users := s.Cfg.Users()
	if name != "" && len(users) > 0 {
		return errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. " +
			"This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	if err := s.ACL.LoadConfigured(users); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	_, err := s.ACL.Load(path, name)
	return err
}

// aclSave: ACL SAVE
func aclSave(ctx *Ctx) {
	name, path := ctx.S.aclFile()
	if name == "" {
		ctx.Err(errNoACLFile)
		return
	}
	if err := ctx.S.ACL.Save(path); err != nil {
		ctx.S.logger().Warn("ACL SAVE failed", "file", path, "err", err)
		ctx.Err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	ctx.W.OK()
}

// aclCat: ACL CAT [category]
func aclCat(ctx *Ctx) {
	switch len(ctx.Args) {
	case 2:
		ctx.W.Array(len(acl.Categories))
		for _, c := range acl.Categories {
			ctx.W.BulkString(c)
		}
	case 3:
		bit := acl.CategoryBit(string(ctx.Args[2]))
		if bit == 0 {
			ctx.Err("ERR Unknown category '" + truncate(string(ctx.Args[2]), 128) + "'")
			return
		}
		names := ctx.S.Table.ACLCatalog().InCategory(bit)
		ctx.W.Array(len(names))
		for _, n := range names {
			ctx.W.BulkString(n)
		}
	default:
		aclSyntax(ctx)
	}
}

// aclGenPass: ACL GENPASS [bits]
func aclGenPass(ctx *Ctx) {
	if len(ctx.Args) > 3 {
		aclSyntax(ctx)
		return
	}
	bits := int64(256)
	if len(ctx.Args) == 3 {
		n, ok := parseInt(ctx.Args[2])
		if !ok {
			ctx.Err(ErrNotInt)
			return
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		ctx.Err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	_, _ = rand.Read(buf)
	ctx.W.BulkString(hex.EncodeToString(buf)[:chars])
}

// aclDryRun: ACL DRYRUN username command [arg …]
func aclDryRun(ctx *Ctx) {
	u := ctx.S.ACL.Lookup(string(ctx.Args[2]))
	if u == nil {
		ctx.Err("ERR User '" + string(ctx.Args[2]) + "' not found")
		return
	}
	args := ctx.Args[3:]
	spec := ctx.S.Table.Lookup(args[0])
	if spec != nil && spec.subs != nil && len(args) >= 2 {
		spec = spec.LookupSub(args[1])
	}
	if spec == nil {
		ctx.Err("ERR Command '" + string(args[0]) + "' not found")
		return
	}
	if !spec.checkArity(len(args)) {
		ctx.Err("ERR wrong number of arguments for '" + spec.Name + "' command")
		return
	}
	switch d, pos := checkACL(u.Perms(), spec, args); d {
	case aclOK:
		ctx.W.OK()
	case deniedCmd:
		ctx.W.BulkString("This user has no permissions to run the '" + spec.Name + "' command")
	case deniedKey:
		ctx.W.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' key")
	default:
		ctx.W.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' channel")
	}
}

func aclHelp(ctx *Ctx) {
	writeHelp(ctx, "ACL", []string{
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	})
}
