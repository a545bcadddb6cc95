// Package acl owns Redis 7.0's access control lists: users, their
// passwords and selectors, the ACL SETUSER rule language, how users are
// described (ACL LIST, ACL GETUSER, the ACL file), and the permission tests
// of one command, key or channel against one selector.
//
// It knows commands only as a Catalog of names, categories and ids that the
// command table hands it. Which arguments of a command are keys or
// channels, how a denial is answered or logged, and which clients are
// authenticated as whom are the command package's business.
//
// A user's permissions are an immutable Perms snapshot behind an atomic
// pointer: every event loop reads them without a lock, and a change (ACL
// SETUSER, ACL LOAD, CONFIG SET requirepass) builds a new snapshot and
// publishes it, all rules at once or none.
package acl

import (
	"sort"
	"strings"
)

// Categories are Redis's ACL command categories, in Redis's order (ACL CAT,
// and the order ACL LIST tries them in).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// CategoryBit is a category's bit in Command.Cats; 0 for an unknown name.
func CategoryBit(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// Command is what ACLs know of one command or subcommand.
type Command struct {
	ID     int    // index in a selector's command bits, set by NewCatalog
	Name   string // full name, lower case: "get", "config|get"
	Cats   uint32 // CategoryBit of each of its categories
	NoAuth bool   // runs before authentication (AUTH, HELLO): never denied
	Parent *Command
	Subs   []*Command
}

// Catalog is the set of commands ACL rules name.
type Catalog struct {
	top    []*Command // top-level commands by name
	all    []*Command // every command by ID
	byName map[string]*Command
}

// NewCatalog numbers cmds and their subcommands and indexes them by name.
func NewCatalog(cmds []*Command) *Catalog {
	c := &Catalog{byName: map[string]*Command{}}
	c.top = append(c.top, cmds...)
	sort.Slice(c.top, func(i, j int) bool { return c.top[i].Name < c.top[j].Name })
	var add func(cmd *Command)
	add = func(cmd *Command) {
		cmd.ID = len(c.all)
		c.all = append(c.all, cmd)
		c.byName[cmd.Name] = cmd
		sort.Slice(cmd.Subs, func(i, j int) bool { return cmd.Subs[i].Name < cmd.Subs[j].Name })
		for _, s := range cmd.Subs {
			s.Parent = cmd
			add(s)
		}
	}
	for _, cmd := range c.top {
		add(cmd)
	}
	return c
}

// Lookup finds a command by full name ("config|get"), case-insensitively.
func (c *Catalog) Lookup(name string) *Command { return c.byName[strings.ToLower(name)] }

// InCategory lists the full names of the commands in category cat (ACL CAT
// cat), parents before their subcommands.
func (c *Catalog) InCategory(bit uint32) []string {
	var out []string
	c.walk(func(cmd *Command) {
		if cmd.Cats&bit != 0 {
			out = append(out, cmd.Name)
		}
	})
	return out
}

// walk visits every command, each top-level one before its subcommands.
func (c *Catalog) walk(fn func(cmd *Command)) {
	var visit func(cmds []*Command)
	visit = func(cmds []*Command) {
		for _, cmd := range cmds {
			fn(cmd)
			visit(cmd.Subs)
		}
	}
	visit(c.top)
}

// words is the size of a selector's command bit set: one bit per command
// plus Redis's reserved bit for commands added later (futureBit).
func (c *Catalog) words() int { return (len(c.all) + 1 + 63) / 64 }

// futureBit is set by +@all and allcommands only: the selector was granted
// everything, not a list, which is how ACL LIST tells "+@all -x" from
// "-@all +a +b …".
func (c *Catalog) futureBit() int { return len(c.all) }
