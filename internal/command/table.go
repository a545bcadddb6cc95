// Package command owns the command table and every command's handler: one
// Spec per command (name, arity, flags, key positions, ACL categories, docs,
// handler) drives dispatch, arity errors, COMMAND, COMMAND DOCS, key
// extraction and ACL checks (aclcheck.go; the users and their rules are
// package acl's). Handlers write replies (package resp); they know nothing of
// sockets or event loops, which the server package reaches through the Host
// interface.
//
// The command context is the only door to the keyspace: a handler reaches
// keys and databases only through Ctx's methods (ctx.go: View, Update,
// Peek, Multi, Scan, FlushDB, Move…), never through package store directly,
// so the client's database, the command time and CLIENT NO-TOUCH are applied
// in one place, whatever runs the command (a connection, EXEC, later a
// script). Only the server's own machinery (the feed listeners that serve
// blocked clients and flag WATCH, and INFO/MEMORY statistics) uses the
// store itself.
//
// Every command passes Exec, which runs it inside the world gate (gate.go):
// ordinary commands in a reader slot of their own, Atomic ones (EXEC)
// holding the whole gate, which is how a transaction is atomic with no
// global lock on the normal path. Lock order: the gate, then shard locks.
package command

import (
	"sort"
	"strings"
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/acl"
	"github.com/smallredis/smallredis/internal/latency"
	"github.com/smallredis/smallredis/internal/stripe"
)

// Flag is a command flag as COMMAND INFO reports it.
type Flag uint32

// Command flags, named as Redis 7 names them.
const (
	Write Flag = 1 << iota
	ReadOnly
	DenyOOM
	Admin
	PubSub
	NoScript
	Blocking
	Loading
	Stale
	SkipMonitor
	SkipSlowlog
	Fast
	NoAuth
	MayReplicate
	NoMandatoryKeys
	NoMulti
	AllowBusy
	// Movablekeys is derived: commands whose keys are not at fixed positions.
	Movablekeys
	// NoAsyncLoading: refused while a replica loads its dataset
	// asynchronously (never here; reported as Redis does).
	NoAsyncLoading

	// Our own flags, not reported by COMMAND INFO.

	// Atomic: the command holds the world gate exclusively (gate.go): EXEC,
	// and later the script commands.
	Atomic
	// TxControl: the command runs, rather than being queued, inside MULTI
	// (MULTI EXEC DISCARD WATCH QUIT RESET).
	TxControl
	// Protected: refused unless enable-debug-command allows the client
	// (Redis's CMD_PROTECTED, which COMMAND INFO does not report either).
	Protected
)

// flagOrder is the order COMMAND INFO lists flags in (Redis's
// addReplyFlagsForCommand), with their names. may_replicate is left out:
// hidden on purpose, as in Redis.
var flagOrder = []struct {
	f    Flag
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Admin, "admin"},
	{PubSub, "pubsub"}, {NoScript, "noscript"}, {Blocking, "blocking"}, {Loading, "loading"},
	{Stale, "stale"}, {SkipMonitor, "skip_monitor"}, {SkipSlowlog, "skip_slowlog"}, {Fast, "fast"},
	{NoAuth, "no_auth"}, {NoMandatoryKeys, "no_mandatory_keys"}, {NoAsyncLoading, "no_async_loading"},
	{NoMulti, "no_multi"}, {Movablekeys, "movablekeys"}, {AllowBusy, "allow_busy"},
}

// Names lists the flag names set in f, in Redis's order.
func (f Flag) Names() []string {
	var out []string
	for _, o := range flagOrder {
		if f&o.f != 0 {
			out = append(out, o.name)
		}
	}
	return out
}

// Arg documents one argument for COMMAND DOCS (and redis-cli's hints).
type Arg struct {
	Name     string
	Type     string // key, string, integer, double, pattern, unix-time, pure-token, oneof, block
	Token    string
	Flags    []string // optional, multiple, multiple_token
	Display  string   // display_text
	Since    string
	KeySpec  int // key_spec_index, -1 when not a key
	Children []Arg
}

// Doc is a command's documentation as COMMAND DOCS reports it.
type Doc struct {
	Summary    string
	Since      string
	Group      string
	Complexity string
	DocFlags   []string // e.g. deprecated
	Replaced   string   // doc_flags deprecated: replaced_by
	History    [][2]string
	Args       []Arg
	Tips       []string  // COMMAND INFO's tips (request_policy:all_shards, …)
	KeySpecs   []KeySpec // COMMAND INFO's key specs, for their flags
}

// KeySpec is one of Redis's key specifications: where its keys are and
// how they are accessed (flags RW, OW, RM, RO, access, update, insert,
// delete, not_key, incomplete, variable_flags).
type KeySpec struct {
	Notes string
	Flags []string
	Begin KeyBegin
	Find  KeyFind
}

// KeyBegin is a key spec's begin_search: an argument index, or the
// argument after a keyword searched for from StartFrom (negative: from
// the end, backwards).
type KeyBegin struct {
	Type      string // "index", "keyword" or "unknown"
	Index     int
	Keyword   string
	StartFrom int
}

// KeyFind is a key spec's find_keys: a range (LastKey relative to the
// first key, negative from the end; Limit divides the rest when LastKey
// is -1) or a key count at KeyNumIdx followed by keys from FirstKey.
type KeyFind struct {
	Type      string // "range", "keynum" or "unknown"
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// Handler runs one command. It reads ctx.Args and writes exactly one
// reply to ctx.W (or none when it blocks or closes the connection).
type Handler func(ctx *Ctx)

// Spec is one row of the command table.
type Spec struct {
	Name     string // lower case; "container|sub" for subcommands
	Arity    int    // Redis convention: negative means "at least -Arity"
	Flags    Flag
	FirstKey int
	LastKey  int
	Step     int
	ACL      []string // ACL categories without '@'
	Handler  Handler
	Subs     []*Spec // subcommands of a container command (CLIENT, CONFIG, …)
	// KeysFunc extracts key positions for commands with movable keys.
	KeysFunc func(args [][]byte) []int
	// AtomicIf: for these arguments the command holds the world gate as an
	// Atomic one does (SHUTDOWN that may save).
	AtomicIf func(args [][]byte) bool
	Doc      Doc

	parent *Spec
	subs   map[string]*Spec
	stats  cmdStats

	// ACLs (aclcheck.go): the command as ACL rules name it, Redis's key
	// specs (how each key is used), whether its key arguments are keys
	// for ACLs, and which of its arguments are channels.
	aclCmd   *acl.Command
	keySpecs []keySpec
	aclKeys  bool
	channels chanArgs

	// subConfirms: the reply is (un)subscribe confirmations, pushes that
	// CLIENT REPLY OFF and SKIP do not suppress (applyReplyMode).
	subConfirms bool
}

// cmdStats is one command's INFO commandstats and latency histogram
// (LATENCY HISTOGRAM, INFO latencystats). Calls, time and the histogram's
// buckets move on every call, so they live striped in the table's Set
// (counters idx to idx+statWords-1), not in atomics all event loops would
// take turns on.
type cmdStats struct {
	hot              *stripe.Set // nil for a spec in no table
	idx              int
	rejected, failed atomic.Int64
}

// statWords is how many striped counters a command has: the calls not in
// the histogram, µs, then the histogram's buckets.
const statWords = 2 + latency.Buckets

// called counts a call that took usec microseconds. With hist
// (latency-tracking) the call is counted in its histogram bucket instead
// of the plain counter, since calls() sums both: the histogram costs a
// bits.Len64, not a third atomic add.
func (st *cmdStats) called(stripe int, usec int64, hist bool) {
	if st.hot == nil {
		return
	}
	i := st.idx
	if hist {
		i += 2 + latency.Bucket(usec)
	}
	st.hot.Add(stripe, i, 1)
	st.hot.Add(stripe, st.idx+1, usec)
}

// served moves a call counted when it blocked into the histogram, with
// the time its serving took.
func (st *cmdStats) served(stripe int, usec int64) {
	if st.hot != nil {
		st.hot.Add(stripe, st.idx, -1)
		st.hot.Add(stripe, st.idx+2+latency.Bucket(usec), 1)
	}
}

func (st *cmdStats) calls() int64 {
	if st.hot == nil {
		return 0
	}
	var h [latency.Buckets]int64
	st.histogram(&h)
	n := st.hot.Load(st.idx)
	for _, c := range h {
		n += c
	}
	return n
}

func (st *cmdStats) usec() int64 {
	if st.hot == nil {
		return 0
	}
	return st.hot.Load(st.idx + 1)
}

// histogram sums the histogram's buckets over the stripes and reports
// whether any call was counted in it.
func (st *cmdStats) histogram(h *[latency.Buckets]int64) bool {
	if st.hot == nil {
		return false
	}
	any := false
	for j := range h {
		h[j] = st.hot.Load(st.idx + 2 + j)
		any = any || h[j] != 0
	}
	return any
}

func (st *cmdStats) reset() {
	if st.hot != nil {
		for i := range statWords {
			st.hot.Reset(st.idx + i)
		}
	}
	st.rejected.Store(0)
	st.failed.Store(0)
}

// shortName is the subcommand's own name ("setname" of "client|setname").
func (s *Spec) shortName() string {
	if i := strings.IndexByte(s.Name, '|'); i >= 0 {
		return s.Name[i+1:]
	}
	return s.Name
}

// Table is the set of commands a server dispatches.
type Table struct {
	byName map[string]*Spec
	sorted []*Spec
	acl    *acl.Catalog
}

// NewTable builds a table from command families. It panics on duplicate
// names, which is a programming error.
func NewTable(families ...[]*Spec) *Table {
	t := &Table{byName: map[string]*Spec{}}
	for _, fam := range families {
		for _, s := range fam {
			s = s.clone()
			if _, dup := t.byName[s.Name]; dup {
				panic("command: duplicate command " + s.Name)
			}
			s.finish(nil)
			t.byName[s.Name] = s
			t.sorted = append(t.sorted, s)
		}
	}
	sort.Slice(t.sorted, func(i, j int) bool { return t.sorted[i].Name < t.sorted[j].Name })
	var all []*Spec
	var walk func([]*Spec)
	walk = func(specs []*Spec) {
		for _, s := range specs {
			all = append(all, s)
			walk(s.Subs)
		}
	}
	walk(t.sorted)
	hot := stripe.NewSet(statWords * len(all))
	for i, s := range all {
		s.stats.hot, s.stats.idx = hot, statWords*i
	}
	var cmds []*acl.Command
	for _, s := range t.sorted {
		cmds = append(cmds, s.catalogEntry())
	}
	t.acl = acl.NewCatalog(cmds)
	return t
}

// catalogEntry describes the spec and its subcommands to package acl.
func (s *Spec) catalogEntry() *acl.Command {
	c := &acl.Command{Name: s.Name, NoAuth: s.Flags&NoAuth != 0}
	for _, name := range s.ACL {
		c.Cats |= acl.CategoryBit(name)
	}
	for _, sub := range s.Subs {
		c.Subs = append(c.Subs, sub.catalogEntry())
	}
	s.aclCmd = c
	s.keySpecs = keySpecsOf(s.Name)
	s.aclKeys = aclHasKeys(s)
	s.channels = channelArgs(s.Name)
	return c
}

// ACLCatalog is the table as ACL rules see it.
func (t *Table) ACLCatalog() *acl.Catalog { return t.acl }

// clone copies a spec so every table has its own statistics.
func (s *Spec) clone() *Spec {
	c := &Spec{Name: s.Name, Arity: s.Arity, Flags: s.Flags, FirstKey: s.FirstKey, LastKey: s.LastKey,
		Step: s.Step, ACL: s.ACL, Handler: s.Handler, KeysFunc: s.KeysFunc, AtomicIf: s.AtomicIf, Doc: s.Doc}
	for _, sub := range s.Subs {
		c.Subs = append(c.Subs, sub.clone())
	}
	return c
}

func (s *Spec) finish(parent *Spec) {
	s.parent = parent
	if parent != nil && !strings.Contains(s.Name, "|") {
		s.Name = parent.Name + "|" + s.Name
	}
	if s.Doc.Summary == "" {
		s.Doc = redisDoc(s.Name)
	}
	if s.KeysFunc != nil {
		s.Flags |= Movablekeys
	}
	switch s.Name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		s.subConfirms = true
	}
	if len(s.Subs) > 0 {
		s.subs = map[string]*Spec{}
		for _, sub := range s.Subs {
			sub.finish(s)
			s.subs[sub.shortName()] = sub
		}
		sort.Slice(s.Subs, func(i, j int) bool { return s.Subs[i].Name < s.Subs[j].Name })
	}
}

// Lookup finds a command by name, case-insensitively, without allocating
// for names up to 32 bytes.
func (t *Table) Lookup(name []byte) *Spec {
	var buf [32]byte
	if len(name) > len(buf) {
		return t.byName[strings.ToLower(string(name))]
	}
	return t.byName[string(lower(buf[:0], name))]
}

// LookupSub finds a subcommand of a container command.
func (s *Spec) LookupSub(name []byte) *Spec {
	var buf [32]byte
	if len(name) > len(buf) {
		return s.subs[strings.ToLower(string(name))]
	}
	return s.subs[string(lower(buf[:0], name))]
}

func lower(dst, src []byte) []byte {
	for _, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// All returns the top-level commands sorted by name.
func (t *Table) All() []*Spec { return t.sorted }

// Len counts top-level commands (COMMAND COUNT).
func (t *Table) Len() int { return len(t.sorted) }

// checkArity reports whether n arguments (including the name) fit.
func (s *Spec) checkArity(n int) bool {
	if s.Arity >= 0 {
		return n == s.Arity
	}
	return n >= -s.Arity
}

// Keys returns the argument indexes that are keys.
func (s *Spec) Keys(args [][]byte) []int {
	if s.KeysFunc != nil {
		return s.KeysFunc(args)
	}
	if s.FirstKey <= 0 {
		return nil
	}
	last := s.LastKey
	if last < 0 {
		last = len(args) + last
	}
	step := s.Step
	if step <= 0 {
		step = 1
	}
	var out []int
	for i := s.FirstKey; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}
