package acl

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Registry is the server's set of users. Reads (Lookup, Default) may come
// from any goroutine; changes are serialized.
type Registry struct {
	cat *Catalog
	// pubsubAll reports acl-pubsub-default: whether new users and
	// selectors start with allchannels.
	pubsubAll func() bool

	mu    sync.RWMutex // guards users
	users map[string]*User
	def   *User
	// needsAuth caches whether the default user turns new connections away
	// until AUTH (it has a password, or is off): read on every command of
	// an unauthenticated connection.
	needsAuth atomic.Bool
	// defaultAll caches the default user's Unrestricted: what every
	// command of a connection that never authenticated as another user
	// tests.
	defaultAll atomic.Bool
}

// NewRegistry makes the users of a fresh server: only default, which may
// run everything with no password.
func NewRegistry(cat *Catalog, pubsubAll func() bool) *Registry {
	if pubsubAll == nil {
		pubsubAll = func() bool { return false }
	}
	r := &Registry{cat: cat, pubsubAll: pubsubAll, users: map[string]*User{}}
	r.def = &User{name: "default"}
	r.def.perms.Store(r.defaultPerms())
	r.users["default"] = r.def
	r.published(r.def)
	return r
}

func (r *Registry) defaultPerms() *Perms {
	p := r.newPerms()
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		_ = p.apply(op, false)
	}
	return p.finish()
}

func (r *Registry) newPerms() *Perms {
	return (&Perms{sels: []*selector{newSelector(r.cat, true, r.pubsubAll())}}).finish()
}

// Catalog is the commands the registry's rules name.
func (r *Registry) Catalog() *Catalog { return r.cat }

// Default is the default user, the one every connection starts as.
func (r *Registry) Default() *User { return r.def }

// DefaultNeedsAuth reports whether a connection must AUTH before running
// commands: the default user has a password or is off.
func (r *Registry) DefaultNeedsAuth() bool { return r.needsAuth.Load() }

func (r *Registry) published(u *User) {
	if u == r.def {
		p := u.Perms()
		r.needsAuth.Store(!p.nopass || !p.on)
		r.defaultAll.Store(p.all)
	}
}

// DefaultUnrestricted reports whether the default user may run anything.
func (r *Registry) DefaultUnrestricted() bool { return r.defaultAll.Load() }

// Lookup finds a user by name (names are case-sensitive).
func (r *Registry) Lookup(name string) *User {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.users[name]
}

// Users is every user, by name.
func (r *Registry) Users() []*User {
	r.mu.RLock()
	out := make([]*User, 0, len(r.users))
	for _, u := range r.users {
		out = append(out, u)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// List is ACL LIST: one "user <name> <rules>" line per user, by name.
func (r *Registry) List() []string {
	var out []string
	for _, u := range r.Users() {
		out = append(out, "user "+u.name+" "+u.Perms().String())
	}
	return out
}

// SetDefaultPassword is requirepass: the default user gets pass as its only
// password, or nopass when pass is "".
func (r *Registry) SetDefaultPassword(pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.def.Perms().clone()
	_ = p.apply("resetpass", false)
	if pass != "" {
		_ = p.apply(">"+pass, false)
	} else {
		_ = p.apply("nopass", false)
	}
	r.def.perms.Store(p.finish())
	r.published(r.def)
}

// mergeSelectors joins a selector written across several arguments, "(~a"
// "+get)", into one "(~a +get)", as Redis does. It returns the index of an
// unclosed selector's first argument when there is one.
func mergeSelectors(args []string) ([]string, int) {
	var out []string
	open := -1
	var cur string
	for i, a := range args {
		if open < 0 && strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")") {
			open, cur = i, a
			continue
		}
		if open >= 0 {
			cur += " " + a
			if strings.HasSuffix(a, ")") {
				out = append(out, cur)
				open = -1
			}
			continue
		}
		out = append(out, a)
	}
	return out, open
}

// SetUser is ACL SETUSER: it creates the user if needed and applies the
// rules to it, all or none. It returns the user and its permissions
// before (nil for a new user); an error's text is Redis's (without "ERR ").
func (r *Registry) SetUser(name string, rules []string) (*User, *Perms, error) {
	if hasSpaces(name) {
		return nil, nil, errors.New("Usernames can't contain spaces or null characters")
	}
	ops, open := mergeSelectors(rules)
	if open >= 0 {
		return nil, nil, fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", rules[open])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.users[name]
	var p *Perms
	if u != nil {
		p = u.Perms().clone()
	} else {
		p = r.newPerms()
	}
	all := r.pubsubAll()
	for _, op := range ops {
		if err := p.apply(op, all); err != nil {
			return nil, nil, fmt.Errorf("Error in ACL SETUSER modifier '%s': %s", op, err)
		}
	}
	if u == nil {
		u = &User{name: name}
		r.users[name] = u
	}
	old := u.perms.Swap(p.finish())
	r.published(u)
	return u, old, nil
}

// revoked is what a deleted user's permissions become: a command of one
// of its connections that races the deletion is denied.
func (r *Registry) revoked() *Perms {
	return (&Perms{sels: []*selector{newSelector(r.cat, true, false)}}).finish()
}

// Delete is ACL DELUSER: it removes the named users and returns those that
// existed. default cannot be removed (nothing is then deleted).
func (r *Registry) Delete(names []string) ([]*User, error) {
	for _, n := range names {
		if n == "default" {
			return nil, errors.New("The 'default' user cannot be removed")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*User
	for _, n := range names {
		if u := r.users[n]; u != nil {
			delete(r.users, n)
			u.perms.Store(r.revoked())
			out = append(out, u)
		}
	}
	return out, nil
}

// Save writes every user to path in the ACL file format, through a
// temporary file renamed over it.
func (r *Registry) Save(path string) error {
	var b strings.Builder
	for _, l := range r.List() {
		b.WriteString(l + "\n")
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixMilli())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// strerror renders err as C's strerror would, as Redis's messages quote it.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

// Load is ACL LOAD (and the aclfile at startup): it replaces every user by
// the file's at path, all or none; error texts are Redis's, naming the
// file as name. The default user keeps
// its identity (its connections stay) and takes the file's rules, or the
// fresh default's if the file has none. It returns the users replaced,
// whose connections must be closed.
func (r *Registry) Load(path, name string) ([]*User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", name, strerror(err))
	}
	users := map[string]*Perms{}
	var errs strings.Builder
	all := r.pubsubAll()
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", name, n)
			continue
		}
		user := argv[1]
		if hasSpaces(user) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", name, n, user)
			continue
		}
		if _, dup := users[user]; dup {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", user, n)
			continue
		}
		p := r.newPerms()
		users[user] = p
		ops, open := mergeSelectors(argv[2:])
		if open >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", name, n)
			continue
		}
		syntax := false
		for _, op := range ops {
			op = strings.Trim(op, "\t\r\n")
			err := p.apply(op, all)
			switch {
			case err == nil:
			case errors.Is(err, errUnknown):
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", name, n, op, err)
			case !syntax:
				fmt.Fprintf(&errs, "%s:%d: %s. ", name, n, err)
				syntax = true
			}
		}
	}
	if errs.Len() > 0 {
		return nil, errors.New(errs.String() + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var replaced []*User
	for n, u := range r.users {
		if u != r.def {
			u.perms.Store(r.revoked())
			replaced = append(replaced, u)
		}
		delete(r.users, n)
	}
	for n, p := range users {
		if n == "default" {
			continue
		}
		u := &User{name: n}
		u.perms.Store(p.finish())
		r.users[n] = u
	}
	def := users["default"]
	if def == nil {
		def = r.defaultPerms()
	}
	r.def.perms.Store(def.finish())
	r.users["default"] = r.def
	r.published(r.def)
	return replaced, nil
}

// LoadConfigured creates the users of the configuration's user directives
// (each a name and its rules), at startup; a user default there starts
// from reset. The first bad rule is an error, worded as Redis logs it.
func (r *Registry) LoadConfigured(users [][]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := r.pubsubAll()
	for _, line := range users {
		name := line[0]
		if hasSpaces(name) {
			return errors.New("Spaces not allowed in ACL usernames")
		}
		u := r.users[name]
		var p *Perms
		if u != nil {
			p = u.Perms().clone()
			_ = p.apply("reset", all)
		} else {
			p = r.newPerms()
		}
		ops, open := mergeSelectors(line[1:])
		if open >= 0 {
			return fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", line[1+open])
		}
		for _, op := range ops {
			if err := p.apply(op, all); err != nil {
				return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %s", op, name, err)
			}
		}
		if u == nil {
			u = &User{name: name}
			r.users[name] = u
		}
		u.perms.Store(p.finish())
		r.published(u)
	}
	return nil
}

// CheckRules is the syntax check of a user directive's rules while the
// configuration is parsed (Redis's ACLAppendUserForLoading): command and
// category names are not checked yet. It returns the index of the rule
// at fault (after joining selectors) and why.
func CheckRules(rules []string) (int, error) {
	ops, open := mergeSelectors(rules)
	if open >= 0 {
		return open, errSyntax
	}
	p := &Perms{sels: []*selector{newSelector(NewCatalog(nil), true, false)}}
	for i, op := range ops {
		if err := p.apply(op, false); err != nil && !errors.Is(err, errUnknown) {
			return i, err
		}
	}
	return 0, nil
}
