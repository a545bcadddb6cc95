package acl

import (
	"slices"
	"strings"

	"github.com/smallredis/smallredis/internal/glob"
)

// Perm is the access a key pattern grants, or a key access needs.
type Perm uint8

// Key permissions: %R~ grants Read, %W~ Write, ~ both.
const (
	Read Perm = 1 << iota
	Write
	ReadWrite = Read | Write
)

type keyPattern struct {
	pat  []byte
	perm Perm
}

// selector is one set of permissions: a user's root selector and each of
// its (…) selectors. A command runs if any of the user's selectors allows
// the command, all its keys and all its channels.
type selector struct {
	root        bool
	allKeys     bool
	allChannels bool
	allCommands bool
	cmds        []uint64         // one bit per Command.ID, plus futureBit
	firstArgs   map[int][]string // +cmd|arg of a command whose bit is clear
	keys        []keyPattern     // unless allKeys
	channels    [][]byte         // unless allChannels
	catalog     *Catalog         // to resolve names and categories
}

func newSelector(cat *Catalog, root, allChannels bool) *selector {
	return &selector{root: root, allChannels: allChannels, cmds: make([]uint64, cat.words()), catalog: cat}
}

func (s *selector) clone() *selector {
	c := *s
	c.cmds = slices.Clone(s.cmds)
	c.keys = slices.Clone(s.keys)
	c.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, a := range s.firstArgs {
			c.firstArgs[id] = slices.Clone(a)
		}
	}
	return &c
}

func (s *selector) bit(id int) bool { return s.cmds[id/64]&(1<<(id%64)) != 0 }

func (s *selector) setBit(id int, v bool) {
	if v {
		s.cmds[id/64] |= 1 << (id % 64)
	} else {
		s.cmds[id/64] &^= 1 << (id % 64)
		s.allCommands = false
	}
}

// change allows or denies cmd and, for a container, all its subcommands.
func (s *selector) change(cmd *Command, allow bool) {
	s.setBit(cmd.ID, allow)
	delete(s.firstArgs, cmd.ID)
	for _, sub := range cmd.Subs {
		s.setBit(sub.ID, allow)
	}
}

func (s *selector) changeCategory(bit uint32, allow bool) {
	s.catalog.walk(func(cmd *Command) {
		if cmd.Cats&bit != 0 {
			s.change(cmd, allow)
		}
	})
}

func (s *selector) setAll(allow bool) {
	var w uint64
	if allow {
		w = ^uint64(0)
	}
	for i := range s.cmds {
		s.cmds[i] = w
	}
	s.allCommands = allow
	s.firstArgs = nil
}

// errKind is why a rule was refused; its text is Redis's.
type errKind int

const (
	errSyntax errKind = iota + 1
	errUnknown
	errKeysAfterAll
	errChannelsAfterAll
	errNoSuchPass
	errBadHash
	errSubFirstArg
)

var errTexts = map[errKind]string{
	errSyntax:  "Syntax error",
	errUnknown: "Unknown command or category name in ACL",
	errKeysAfterAll: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. " +
		"Try 'resetkeys' to start with an empty list of patterns",
	errChannelsAfterAll: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. " +
		"Try 'resetchannels' to start with an empty list of channels",
	errNoSuchPass:  "The password you are trying to remove from the user does not exist",
	errBadHash:     "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
	errSubFirstArg: "Allowing first-arg of a subcommand is not supported",
}

func (e errKind) Error() string { return errTexts[e] }

// hasSpaces is Redis's ACLStringHasSpaces: patterns and user names may not
// hold white space or NUL.
func hasSpaces(s string) bool {
	return strings.ContainsAny(s, " \t\n\v\f\r\x00")
}

// apply changes the selector by one rule (Redis's ACLSetSelector).
func (s *selector) apply(op string) error {
	lop := strings.ToLower(op)
	switch {
	case lop == "allkeys" || op == "~*":
		s.allKeys, s.keys = true, nil
	case lop == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lop == "allchannels" || op == "&*":
		s.allChannels, s.channels = true, nil
	case lop == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lop == "allcommands" || lop == "+@all":
		s.setAll(true)
	case lop == "nocommands" || lop == "-@all":
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return errChannelsAfterAll
		}
		if hasSpaces(op[1:]) {
			return errSyntax
		}
		if !slices.ContainsFunc(s.channels, func(c []byte) bool { return string(c) == op[1:] }) {
			s.channels = append(s.channels, []byte(op[1:]))
		}
	case op[0] == '+' && !strings.HasPrefix(op, "+@"):
		return s.allow(op[1:])
	case op[0] == '-' && !strings.HasPrefix(op, "-@"):
		cmd := s.catalog.Lookup(op[1:])
		if cmd == nil {
			return errUnknown
		}
		s.change(cmd, false)
	case (op[0] == '+' || op[0] == '-') && op[1] == '@':
		bit := CategoryBit(op[2:])
		if bit == 0 {
			return errUnknown
		}
		s.changeCategory(bit, op[0] == '+')
	default:
		return errSyntax
	}
	return nil
}

func (s *selector) addKeyPattern(op string) error {
	if s.allKeys {
		return errKeysAfterAll
	}
	perm, i := ReadWrite, 1
	if op[0] == '%' {
		perm = 0
		for ; i < len(op); i++ {
			switch c := op[i]; {
			case (c == 'R' || c == 'r') && perm&Read == 0:
				perm |= Read
			case (c == 'W' || c == 'w') && perm&Write == 0:
				perm |= Write
			case c == '~':
				i++
				goto done
			default:
				return errSyntax
			}
		}
	done:
	}
	pat := op[min(i, len(op)):]
	if hasSpaces(pat) {
		return errSyntax
	}
	for j := range s.keys {
		if string(s.keys[j].pat) == pat {
			s.keys[j].perm |= perm
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{pat: []byte(pat), perm: perm})
	return nil
}

// allow is +cmd, +container|sub and +cmd|first-arg.
func (s *selector) allow(name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := s.catalog.Lookup(name)
		if cmd == nil {
			return errUnknown
		}
		s.change(cmd, true)
		return nil
	}
	cmd := s.catalog.Lookup(name[:i])
	switch {
	case cmd == nil:
		return errUnknown
	case cmd.Parent != nil:
		return errSubFirstArg
	case i == len(name)-1:
		return errSyntax
	case len(cmd.Subs) > 0:
		sub := s.catalog.Lookup(name)
		if sub == nil {
			return errUnknown
		}
		s.change(sub, true)
	default:
		// Redis allows, with a deprecation warning, one first argument of
		// an otherwise denied command (+select|0).
		arg := name[i+1:]
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		if !slices.ContainsFunc(s.firstArgs[cmd.ID], func(a string) bool { return strings.EqualFold(a, arg) }) {
			s.firstArgs[cmd.ID] = append(s.firstArgs[cmd.ID], arg)
		}
	}
	return nil
}

// canRun reports whether the selector allows cmd with these arguments
// (the command name first), whatever its keys and channels.
func (s *selector) canRun(cmd *Command, args [][]byte) bool {
	if s.allCommands || cmd.NoAuth || s.bit(cmd.ID) {
		return true
	}
	allowed := s.firstArgs[cmd.ID]
	idx := 1
	if cmd.Parent != nil {
		idx = 2
	}
	if len(allowed) == 0 || len(args) <= idx {
		return false
	}
	for _, a := range allowed {
		if strings.EqualFold(a, string(args[idx])) {
			return true
		}
	}
	return false
}

// keyOK reports whether key may be used with the access need.
func (s *selector) keyOK(key []byte, need Perm) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.keys {
		if p.perm&need == need && glob.Match(p.pat, key, false) {
			return true
		}
	}
	return false
}

// allKeysFor reports whether every key may be used with the access need
// (SORT's BY and GET patterns reach keys no argument names).
func (s *selector) allKeysFor(need Perm) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.keys {
		if p.perm&need == need && string(p.pat) == "*" {
			return true
		}
	}
	return false
}

// channelOK reports whether the selector allows ch: a channel name is
// matched against the patterns, a PSUBSCRIBE pattern only literally.
func (s *selector) channelOK(ch []byte, pattern bool) bool {
	if s.allChannels {
		return true
	}
	return channelInList(s.channels, ch, pattern)
}

func channelInList(list [][]byte, ch []byte, pattern bool) bool {
	for _, p := range list {
		if pattern && string(p) == string(ch) || !pattern && glob.Match(p, ch, false) {
			return true
		}
	}
	return false
}
