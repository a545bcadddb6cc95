package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
	"sync/atomic"
)

// User is one ACL user. Its name never changes; its permissions are
// replaced whole (Perms).
type User struct {
	name  string
	perms atomic.Pointer[Perms]
}

// Name is the user's name.
func (u *User) Name() string { return u.name }

// Perms is the user's current permissions.
func (u *User) Perms() *Perms { return u.perms.Load() }

// Payload sanitizing flags as ACL LIST shows them.
const (
	sanitizeUnset = iota
	sanitizePayload
	sanitizeSkip
)

// Perms is a snapshot of a user's flags, passwords and selectors. It is
// never modified once published, so any goroutine may read it.
type Perms struct {
	on        bool
	nopass    bool
	sanitize  uint8
	passwords []string // SHA-256 hex of each password
	sels      []*selector
	// all: the root selector allows every command, key and channel, the
	// common case that the command path tests before anything else.
	all bool
}

// Unrestricted reports whether the user may run anything: no command, key
// or channel needs checking.
func (p *Perms) Unrestricted() bool { return p.all }

// On reports whether the user is enabled (may authenticate).
func (p *Perms) On() bool { return p.on }

// NoPass reports whether any password authenticates the user.
func (p *Perms) NoPass() bool { return p.nopass }

// Authenticates reports whether pass logs in as this user: the user is on
// and nopass or pass is one of its passwords.
func (p *Perms) Authenticates(pass []byte) bool {
	if !p.on {
		return false
	}
	if p.nopass {
		return true
	}
	h := HashPassword(pass)
	ok := false
	for _, want := range p.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
			ok = true
		}
	}
	return ok
}

// HashPassword is how ACLs store a password: its SHA-256 in lower-case hex.
func HashPassword(pass []byte) string {
	sum := sha256.Sum256(pass)
	return hex.EncodeToString(sum[:])
}

func (p *Perms) clone() *Perms {
	c := *p
	c.passwords = slices.Clone(p.passwords)
	c.sels = make([]*selector, len(p.sels))
	for i, s := range p.sels {
		c.sels[i] = s.clone()
	}
	return &c
}

func (p *Perms) root() *selector { return p.sels[0] }

func (p *Perms) finish() *Perms {
	r := p.root()
	p.all = r.allCommands && r.allKeys && r.allChannels
	return p
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// apply changes the user by one rule (Redis's ACLSetUser). pubsubAll is
// acl-pubsub-default: whether new selectors start with allchannels.
func (p *Perms) apply(op string, pubsubAll bool) error {
	if op == "" {
		return nil
	}
	lop := strings.ToLower(op)
	switch {
	case lop == "on":
		p.on = true
	case lop == "off":
		p.on = false
	case lop == "skip-sanitize-payload":
		p.sanitize = sanitizeSkip
	case lop == "sanitize-payload":
		p.sanitize = sanitizePayload
	case lop == "nopass":
		p.nopass, p.passwords = true, nil
	case lop == "resetpass":
		p.nopass, p.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword([]byte(op[1:]))
		} else if !validHash(h) {
			return errBadHash
		}
		if !slices.Contains(p.passwords, h) {
			p.passwords = append(p.passwords, h)
		}
		p.nopass = false
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword([]byte(op[1:]))
		} else if !validHash(h) {
			return errBadHash
		}
		i := slices.Index(p.passwords, h)
		if i < 0 {
			return errNoSuchPass
		}
		p.passwords = slices.Delete(p.passwords, i, i+1)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(p.root().catalog, false, pubsubAll)
		// Unbalanced quotes give no rules, hence an empty selector: what
		// Redis does with sdssplitargs's failure.
		rules, _ := splitArgs(op[1 : len(op)-1])
		for _, o := range rules {
			if err := s.apply(o); err != nil {
				return err
			}
		}
		p.sels = append(p.sels, s)
	case lop == "clearselectors":
		p.sels = p.sels[:1]
	case lop == "reset":
		p.nopass, p.passwords = false, nil
		r := p.root()
		r.allKeys, r.keys = false, nil
		r.allChannels, r.channels = pubsubAll, nil
		p.on = false
		p.sanitize = sanitizePayload
		p.sels = p.sels[:1]
		r.setAll(false)
	default:
		return p.root().apply(op)
	}
	return nil
}

// Selector checks, by index: 0 is the root selector, then each (…)
// selector in order. A command is allowed if one selector allows it whole.

// Selectors is how many selectors the user has.
func (p *Perms) Selectors() int { return len(p.sels) }

// CanRun reports whether selector i allows cmd, called with args (its name
// first), leaving keys and channels aside.
func (p *Perms) CanRun(i int, cmd *Command, args [][]byte) bool {
	return p.sels[i].canRun(cmd, args)
}

// AllKeys reports whether selector i allows every key for any access.
func (p *Perms) AllKeys(i int) bool { return p.sels[i].allKeys }

// KeyOK reports whether selector i allows key with the access need (0: the
// command only names the key).
func (p *Perms) KeyOK(i int, key []byte, need Perm) bool { return p.sels[i].keyOK(key, need) }

// AllKeysFor reports whether selector i allows any key with the access need.
func (p *Perms) AllKeysFor(i int, need Perm) bool { return p.sels[i].allKeysFor(need) }

// AllChannels reports whether selector i allows every channel.
func (p *Perms) AllChannels(i int) bool { return p.sels[i].allChannels }

// ChannelOK reports whether selector i allows the channel ch, or the
// PSUBSCRIBE pattern ch when pattern is set.
func (p *Perms) ChannelOK(i int, ch []byte, pattern bool) bool {
	return p.sels[i].channelOK(ch, pattern)
}

// ChannelAllowed reports whether any selector allows the channel (or
// pattern): whether a subscription may be kept.
func (p *Perms) ChannelAllowed(ch []byte, pattern bool) bool {
	for _, s := range p.sels {
		if s.channelOK(ch, pattern) {
			return true
		}
	}
	return false
}

// ChannelsNarrowed reports whether next may deny a channel p allows, as
// Redis tests it before killing subscribers: unless some selector of next
// allows all channels, next's channel patterns must include all of p's.
func ChannelsNarrowed(p, next *Perms) bool {
	var upcoming [][]byte
	for _, s := range next.sels {
		if s.allChannels {
			return false
		}
		upcoming = append(upcoming, s.channels...)
	}
	for _, s := range p.sels {
		if s.allChannels {
			return true
		}
		for _, c := range s.channels {
			if !slices.ContainsFunc(upcoming, func(u []byte) bool { return string(u) == string(c) }) {
				return true
			}
		}
	}
	return false
}

// Flags are the user's flags as ACL GETUSER lists them.
func (p *Perms) Flags() []string {
	var f []string
	if p.on {
		f = append(f, "on")
	} else {
		f = append(f, "off")
	}
	if p.nopass {
		f = append(f, "nopass")
	}
	switch p.sanitize {
	case sanitizeSkip:
		f = append(f, "skip-sanitize-payload")
	case sanitizePayload:
		f = append(f, "sanitize-payload")
	}
	return f
}

// Passwords are the password hashes.
func (p *Perms) Passwords() []string { return p.passwords }

// SelectorDesc is one selector as ACL GETUSER shows it.
type SelectorDesc struct{ Commands, Keys, Channels string }

// Describe shows selector i as ACL GETUSER does.
func (p *Perms) Describe(i int) SelectorDesc {
	s := p.sels[i]
	d := SelectorDesc{Commands: s.describeCommands()}
	if s.allKeys {
		d.Keys = "~*"
	} else {
		var k []string
		for _, kp := range s.keys {
			k = append(k, kp.String())
		}
		d.Keys = strings.Join(k, " ")
	}
	if s.allChannels {
		d.Channels = "&*"
	} else {
		var c []string
		for _, ch := range s.channels {
			c = append(c, "&"+string(ch))
		}
		d.Channels = strings.Join(c, " ")
	}
	return d
}

func (k keyPattern) String() string {
	switch k.perm {
	case Read:
		return "%R~" + string(k.pat)
	case Write:
		return "%W~" + string(k.pat)
	}
	return "~" + string(k.pat)
}

// String is the user's rules as ACL LIST and the ACL file write them.
func (p *Perms) String() string {
	var b strings.Builder
	for _, f := range p.Flags() {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	for _, h := range p.passwords {
		b.WriteString("#" + h + " ")
	}
	for i, s := range p.sels {
		if i == 0 {
			b.WriteString(s.describe())
		} else {
			b.WriteString(" (" + s.describe() + ")")
		}
	}
	return b.String()
}
