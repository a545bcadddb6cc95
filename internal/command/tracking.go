package command

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/tracking"
)

// Client-side caching (CLIENT TRACKING), as Redis's tracking.c.
//
// Remembering: Exec records the keys of every read-only command a tracking
// client runs (from the command table's key positions) before the handler
// reads them, so a change made after the read is always seen by the feed
// listener below; a change made between the recording and the read costs a
// spurious invalidation, never a stale cache. The one atomic load of
// trackingState.n is all Exec pays while nobody tracks.
//
// Invalidating: while any client tracks, a listener on the store's change
// feed takes each changed key's readers from the table and sends each one
// invalidation (RESP3 push, or the redirect target's push or Pub/Sub
// message). A flush (FLUSHDB, FLUSHALL) and SWAPDB send the null
// invalidation to every tracking client. Broadcasting clients get, after
// each delivered batch (one command's changes), one message per prefix
// with the changed keys in byte order.
//
// An invalidation for a client that is running a command goes after that
// command's reply, as Redis sends it (the client's pending buffer, appended
// by Exec); any other goes through Client.Send, which queues it after what
// the connection has already produced. Either way it follows every reply
// that carried the old value.
//
// "Its own change" (NOLOOP, and the entries a read re-tracks) is the change
// of a key among the arguments of the command the client is running: a
// write's keys, or a key a read found expired. Redis, single-threaded,
// knows the exact writer; here another client changing the same key at the
// same instant may be taken for it.
//
// Lock order: trackingState.mu, then one client's clientTracking.mu; the
// table's own locks last. Nothing holds two clients' locks at once.

type trackFlag uint8

const (
	trkOn trackFlag = 1 << iota
	trkBcast
	trkOptin
	trkOptout
	trkNoloop
	trkCaching // CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command
)

// trackState is one client's tracking state. Only the client's own loop
// writes flags, redirect and prefixes (under mu), so it reads them without
// the lock; others read everything under mu.
type trackState struct {
	mu        sync.Mutex
	flags     trackFlag
	broken    bool  // the redirect target is gone (CLIENT LIST R)
	redirect  int64 // 0: none
	prefixes  []string
	prefixMem atomic.Int64 // what prefixes cost (client memory)

	// While the client runs a command: the command, and the invalidations
	// meant for this connection, which go after the command's reply.
	executing bool
	running   *Spec
	runArgs   [][]byte
	pending   []byte
}

type trackingState struct {
	n   atomic.Int32 // clients with tracking on
	tab *tracking.Table

	mu      sync.RWMutex // guards clients, cancel
	clients map[int64]*Client
	cancel  func()

	// The feed listener's scratch; its deliveries never overlap.
	ids []int64

	// Broadcasting: the keys changed since the last broadcast, by prefix,
	// each with the NOLOOP client that changed it (0: none, or several
	// clients did), as Redis's per-prefix radix tree of keys remembers
	// their writer. Sent after each command outside a transaction or
	// script, and once after a whole EXEC or script (hold > 0 meanwhile),
	// as Redis sends them once per event-loop iteration.
	bmu   sync.Mutex
	bcast map[string]map[string]int64
	hold  atomic.Int32

	limitRuns atomic.Int64 // limitTracking's calls in a row left over the limit
}

const trackingChannel = "__redis__:invalidate"

// trackEnter starts a command of client c while some client tracks: it
// keeps the table within tracking-table-max-keys, as Redis does before each
// command, and for a tracking client marks it executing, so that what is
// meant for it from now on waits in its pending buffer (see trackCommand
// and trackLeave). It reports whether trackLeave must run.
func (s *Server) trackEnter(c *Client) bool {
	t := &c.trk
	if t.flags&trkOn == 0 {
		s.limitTracking()
		return false
	}
	t.mu.Lock()
	t.executing = true
	t.mu.Unlock()
	s.limitTracking()
	return true
}

// trackCommand runs before the handler of each command of a tracking client
// (each command EXEC runs too): invalidations that came before it (eviction
// making room for it, the table's limit) go before its reply, as Redis sends
// them, and a read command's keys are remembered.
func (s *Server) trackCommand(c *Client, spec *Spec, args [][]byte, w *resp.Writer) {
	t := &c.trk
	t.mu.Lock()
	t.running, t.runArgs = spec, args
	t.mu.Unlock()
	trackEarly(c, w)
	s.TrackKeys(c, spec, args)
}

// trackEarly puts the invalidations that came before the command's reply
// (eviction making room for it, the table's limit) ahead of it, as Redis
// writes them to the client before the command's reply: a command run, or
// one queued in MULTI (its +QUEUED).
func trackEarly(c *Client, w *resp.Writer) {
	if c.atomic || c.ReplyMode != ReplyOn {
		// (Under CLIENT REPLY OFF or SKIP they wait for trackLeave, after
		// the reply is dropped.)
		return
	}
	t := &c.trk
	t.mu.Lock()
	p := t.pending
	t.pending = nil
	t.mu.Unlock()
	w.B = append(w.B, p...)
}

// TrackKeys records the keys of a read-only command for a tracking client
// in the default mode (Redis's trackingRememberKeys), honouring OPTIN and
// OPTOUT with CLIENT CACHING. Exec calls it for every command; a
// transaction or script must call it for each command it runs.
func (s *Server) TrackKeys(c *Client, spec *Spec, args [][]byte) {
	if spec.Flags&ReadOnly == 0 || spec.Flags&PubSub != 0 || readOnlyScript(spec) {
		return
	}
	s.trackArgs(c, spec, args)
}

// readOnlyScript reports EVAL_RO, EVALSHA_RO and FCALL_RO, which Redis
// leaves out of tracking: like any script's, their commands' reads are
// tracked as they run (a script that only PINGs tracks nothing).
func readOnlyScript(spec *Spec) bool {
	switch spec.Name {
	case "eval_ro", "evalsha_ro", "fcall_ro":
		return true
	}
	return false
}

// trackArgs records spec's keys in args for c (default mode only).
func (s *Server) trackArgs(c *Client, spec *Spec, args [][]byte) {
	flags := c.trk.flags
	if flags&trkOn == 0 || flags&trkBcast != 0 {
		return
	}
	caching := flags&trkCaching != 0
	if flags&trkOptin != 0 && !caching || flags&trkOptout != 0 && caching {
		return
	}
	tab := s.tracking.tab
	if spec.KeysFunc != nil {
		for _, i := range spec.KeysFunc(args) {
			tab.Add(args[i], c.ID)
		}
		return
	}
	if spec.FirstKey <= 0 {
		return
	}
	last, step := spec.LastKey, max(spec.Step, 1)
	if last < 0 {
		last += len(args)
	}
	for i := spec.FirstKey; i <= last && i < len(args); i += step {
		tab.Add(args[i], c.ID)
	}
}

// trackLeave ends a tracking client's command: the invalidations it
// caused go after its reply (also under CLIENT REPLY OFF, as Redis's pushes).
func (s *Server) trackLeave(c *Client, w *resp.Writer) {
	t := &c.trk
	t.mu.Lock()
	t.executing, t.running, t.runArgs = false, nil, nil
	p := t.pending
	t.pending = nil
	t.mu.Unlock()
	w.B = append(w.B, p...)
}

func (t *trackState) endCaching() {
	if t.flags&trkCaching != 0 {
		t.mu.Lock()
		t.flags &^= trkCaching
		t.mu.Unlock()
	}
}

// limitTracking evicts tracked keys past tracking-table-max-keys, sending
// their invalidations early, as Redis's trackingLimitUsedSlots: before each
// command and from the cron (TrackingCron), with an effort of 100 keys per
// call more for each call in a row that ended still over the limit, so a
// limit lowered far below the table empties it over several calls instead
// of stalling one command.
func (s *Server) limitTracking() {
	tab := s.tracking.tab
	limit := s.Cfg.TrackingTableMaxKeys()
	runs := &s.tracking.limitRuns
	if limit == 0 || tab.Keys() <= limit {
		if runs.Load() != 0 {
			runs.Store(0)
		}
		return
	}
	var ids []int64
	for effort := 100 * (runs.Load() + 1); effort > 0; effort-- {
		key, got, ok := tab.Evict(ids[:0])
		if !ok {
			break
		}
		ids = got
		for _, id := range ids {
			s.invalidateFor(id, []byte(key), 0)
		}
		if tab.Keys() <= limit {
			runs.Store(0)
			return
		}
	}
	runs.Add(1)
}

// TrackingCron is the cron's share of client-side caching: the table's
// limit holds even while no command runs (Redis's serverCron does the
// same), e.g. right after CONFIG SET tracking-table-max-keys.
func (s *Server) TrackingCron() {
	if s.tracking.n.Load() > 0 {
		s.limitTracking()
	}
}

// trackingFeed is the change-feed listener, registered while any client
// tracks.
func (s *Server) trackingFeed(batch []store.Change) {
	ts := &s.tracking
	flushed := false
	for _, ch := range batch {
		if ch.Kind.DBWide() {
			if ch.Kind == store.ChangeSwap && ch.Other == ch.DB {
				continue
			}
			// FLUSHALL reports each database: one null invalidation.
			if !flushed {
				s.invalidateAll()
				flushed = true
			}
			continue
		}
		flushed = false
		key := ch.Key
		if ts.tab.Prefixes() > 0 {
			ts.tab.Match(key, func(p string) { s.rememberBroadcast(p, key) })
		}
		ts.ids = ts.tab.Take(key, ts.ids[:0])
		for _, id := range ts.ids {
			if s.invalidateFor(id, key, ch.Kind) {
				ts.tab.Add(key, id)
			}
		}
	}
	if ts.hold.Load() == 0 {
		s.broadcast()
	}
}

// rememberBroadcast records key, changed, for the clients watching prefix
// p, with its writer if that is one of them in NOLOOP mode (the one
// running a write of key now, as for the default mode's NOLOOP).
func (s *Server) rememberBroadcast(p string, key []byte) {
	ts := &s.tracking
	var writer int64
	for _, id := range ts.tab.Watchers(p, nil) {
		c := s.trackingClient(id)
		if c == nil {
			continue
		}
		t := &c.trk
		t.mu.Lock()
		// running is nil between trackEnter and trackCommand (a change
		// drained then, e.g. by another loop, is not this client's).
		own := t.flags&trkNoloop != 0 && t.executing && t.running != nil &&
			t.running.Flags&ReadOnly == 0 && hasKeyArg(t.running, t.runArgs, key)
		t.mu.Unlock()
		if own {
			writer = id
			break
		}
	}
	ts.bmu.Lock()
	if ts.bcast == nil {
		ts.bcast = map[string]map[string]int64{}
	}
	keys := ts.bcast[p]
	if keys == nil {
		keys = map[string]int64{}
		ts.bcast[p] = keys
	}
	if w, ok := keys[string(key)]; ok && w != writer {
		writer = 0
	}
	keys[string(key)] = writer
	ts.bmu.Unlock()
}

// holdBroadcast starts a transaction's or script's run: broadcasts wait
// for its end (releaseBroadcast), so that its changes go in one message
// per prefix.
func (s *Server) holdBroadcast() { s.tracking.hold.Add(1) }

// releaseBroadcast ends a holdBroadcast; the outermost sends what waited.
func (s *Server) releaseBroadcast() {
	if s.tracking.hold.Add(-1) == 0 {
		s.broadcast()
	}
}

// invalidateFor tells client id that key changed (kind 0: evicted from the
// table). It reports whether the client stays tracked for the key: the
// change was its own read finding the key expired, and Redis tracks what a
// read read after the read.
func (s *Server) invalidateFor(id int64, key []byte, kind store.ChangeKind) (keep bool) {
	c := s.trackingClient(id)
	if c == nil {
		return false
	}
	t := &c.trk
	t.mu.Lock()
	if t.flags&trkOn == 0 || t.flags&trkBcast != 0 {
		t.mu.Unlock()
		return false
	}
	own := false
	if kind != 0 && t.executing && hasKeyArg(t.running, t.runArgs, key) {
		if t.running.Flags&ReadOnly != 0 {
			own = kind == store.ChangeExpired || kind == store.ChangeEmptied || kind == store.ChangeFieldsExpired
			keep = own
		} else {
			own = true
		}
	}
	if own && t.flags&trkNoloop != 0 {
		t.mu.Unlock()
		return keep
	}
	redir := t.redirect
	t.mu.Unlock()
	s.sendInvalidation(c, redir, appendKeysPayload(nil, key))
	return keep
}

// invalidateAll is the null invalidation of a flush, sent to every
// tracking client whatever its mode; the table is emptied, as Redis frees
// it. SWAPDB takes the same path: Redis 7.0 sends nothing for it, which
// leaves a client of either database with the other's values.
func (s *Server) invalidateAll() {
	ts := &s.tracking
	ts.tab.Clear()
	ts.mu.RLock()
	clients := make([]*Client, 0, len(ts.clients))
	for _, c := range ts.clients {
		clients = append(clients, c)
	}
	ts.mu.RUnlock()
	slices.SortFunc(clients, func(a, b *Client) int { return int(a.ID - b.ID) })
	for _, c := range clients {
		t := &c.trk
		t.mu.Lock()
		on, redir := t.flags&trkOn != 0, t.redirect
		t.mu.Unlock()
		if !on {
			continue
		}
		// Redis's null in the tracking client's protocol, wherever it goes.
		null := "$-1\r\n"
		if c.proto.Load() == 3 {
			null = "_\r\n"
		}
		s.sendInvalidation(c, redir, []byte(null))
	}
}

// broadcast sends the keys changed since the last broadcast to the clients
// watching their prefixes: one message per prefix, keys in byte order,
// without those a NOLOOP client changed itself.
func (s *Server) broadcast() {
	ts := &s.tracking
	ts.bmu.Lock()
	defer ts.bmu.Unlock()
	if len(ts.bcast) == 0 {
		return
	}
	var ids []int64
	// Prefixes in byte order, as Redis walks its prefix table.
	for _, p := range slices.Sorted(maps.Keys(ts.bcast)) {
		changed := ts.bcast[p]
		keys := slices.Sorted(maps.Keys(changed))
		ids = ts.tab.Watchers(p, ids[:0])
		for _, id := range ids {
			c := s.trackingClient(id)
			if c == nil {
				continue
			}
			t := &c.trk
			t.mu.Lock()
			if t.flags&(trkOn|trkBcast) != trkOn|trkBcast {
				t.mu.Unlock()
				continue
			}
			send := keys
			if t.flags&trkNoloop != 0 {
				send = nil
				for _, k := range keys {
					if changed[k] != id {
						send = append(send, k)
					}
				}
			}
			redir := t.redirect
			t.mu.Unlock()
			if len(send) > 0 {
				s.sendInvalidation(c, redir, appendKeysPayload(nil, toBytes(send)...))
			}
		}
	}
	clear(ts.bcast)
}

func toBytes(keys []string) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = []byte(k)
	}
	return out
}

// sendInvalidation delivers payload (the keys array, or a null) for
// tracking client c: to c itself in RESP3; to its redirect target as a push
// (RESP3) or a __redis__:invalidate message (RESP2 in Pub/Sub mode); when
// the target is gone, c gets tracking-redir-broken instead, as Redis's
// sendTrackingMessage. A RESP2 client without a redirect gets nothing.
func (s *Server) sendInvalidation(c *Client, redir int64, payload []byte) {
	to := c
	if redir != 0 {
		to = s.clientByID(redir)
		if to == nil {
			c.trk.mu.Lock()
			c.trk.broken = true
			c.trk.mu.Unlock()
			if c.proto.Load() == 3 {
				b := append([]byte(nil), ">2\r\n$21\r\ntracking-redir-broken\r\n:"...)
				b = strconv.AppendInt(b, redir, 10)
				deliver(c, append(b, "\r\n"...))
			}
			return
		}
	}
	var b []byte
	switch {
	case to.proto.Load() == 3:
		b = append(make([]byte, 0, 24+len(payload)), ">2\r\n$10\r\ninvalidate\r\n"...)
	case redir != 0 && to.Subscribed():
		// Any subscription will do, as Redis checks (CLIENT_PUBSUB), not
		// __redis__:invalidate itself.
		b = append(make([]byte, 0, 48+len(payload)), "*3\r\n$7\r\nmessage\r\n$20\r\n"+trackingChannel+"\r\n"...)
	default:
		return
	}
	deliver(to, append(b, payload...))
}

// deliver queues frame for c: after the reply of the command c is running,
// or now.
func deliver(c *Client, frame []byte) {
	t := &c.trk
	t.mu.Lock()
	if t.executing {
		t.pending = append(t.pending, frame...)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if c.Send != nil {
		c.Send(frame)
	}
}

func appendKeysPayload(b []byte, keys ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(keys)), 10)
	b = append(b, "\r\n"...)
	for _, k := range keys {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(k)), 10)
		b = append(b, "\r\n"...)
		b = append(b, k...)
		b = append(b, "\r\n"...)
	}
	return b
}

// hasKeyArg reports whether key is one of the command's key arguments.
func hasKeyArg(spec *Spec, args [][]byte, key []byte) bool {
	if spec == nil {
		return false
	}
	if spec.KeysFunc != nil {
		for _, i := range spec.KeysFunc(args) {
			if string(args[i]) == string(key) {
				return true
			}
		}
		return false
	}
	if spec.FirstKey <= 0 {
		return false
	}
	last, step := spec.LastKey, max(spec.Step, 1)
	if last < 0 {
		last += len(args)
	}
	for i := spec.FirstKey; i <= last && i < len(args); i += step {
		if string(args[i]) == string(key) {
			return true
		}
	}
	return false
}

func (s *Server) trackingClient(id int64) *Client {
	ts := &s.tracking
	ts.mu.RLock()
	c := ts.clients[id]
	ts.mu.RUnlock()
	return c
}

// clientFinder is what a Host offers to find one client quickly.
type clientFinder interface {
	Client(id int64) *Client
}

// clientByID finds a connected client (a redirect target).
func (s *Server) clientByID(id int64) *Client {
	if s.Host == nil {
		return nil
	}
	if f, ok := s.Host.(clientFinder); ok {
		return f.Client(id)
	}
	for _, c := range s.Host.Clients() {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// enableTracking is CLIENT TRACKING ON once its options are checked:
// Redis's enableTracking (CACHING's pending choice survives; the redirect
// and the other options are replaced; BCAST prefixes add up).
func (s *Server) enableTracking(c *Client, redir int64, opts trackFlag, prefixes []string) {
	ts := &s.tracking
	t := &c.trk
	if t.flags&trkOn == 0 {
		ts.mu.Lock()
		if ts.clients == nil {
			ts.clients = map[int64]*Client{}
		}
		ts.clients[c.ID] = c
		ts.n.Add(1)
		if ts.cancel == nil {
			ts.cancel = s.KS.Listen(s.trackingFeed)
		}
		ts.mu.Unlock()
	}
	t.mu.Lock()
	t.flags = trkOn | opts | t.flags&trkCaching
	t.broken, t.redirect = false, redir
	if opts&trkBcast != 0 {
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			if !slices.Contains(t.prefixes, p) {
				t.prefixes = append(t.prefixes, p)
				t.prefixMem.Add(int64(len(p)) + entryMem)
				s.tracking.tab.AddPrefix(p, c.ID)
			}
		}
		slices.Sort(t.prefixes)
	}
	t.mu.Unlock()
}

// disableTracking is CLIENT TRACKING OFF, RESET and disconnection. The
// keys the client read stay in the table until they change (as Redis);
// once nobody tracks, the listener goes and the table is emptied.
func (s *Server) disableTracking(c *Client) {
	t := &c.trk
	if t.flags&trkOn == 0 {
		return
	}
	t.mu.Lock()
	prefixes := t.prefixes
	t.flags, t.broken, t.redirect, t.prefixes = 0, false, 0, nil
	t.prefixMem.Store(0)
	t.mu.Unlock()
	ts := &s.tracking
	for _, p := range prefixes {
		ts.tab.RemovePrefix(p, c.ID)
	}
	ts.mu.Lock()
	delete(ts.clients, c.ID)
	if ts.n.Add(-1) == 0 && ts.cancel != nil {
		ts.cancel()
		ts.cancel = nil
		ts.tab.Clear()
	}
	ts.mu.Unlock()
}

// TrackingClients is INFO's tracking_clients.
func (s *Server) TrackingClients() int { return int(s.tracking.n.Load()) }

// trackListFlags are CLIENT LIST's tracking flags (t, R, B) and redir.
func (c *Client) trackListFlags() (string, int64) {
	t := &c.trk
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.flags&trkOn == 0 {
		return "", -1
	}
	f := "t"
	if t.broken {
		f += "R"
	}
	if t.flags&trkBcast != 0 {
		f += "B"
	}
	return f, t.redirect
}

// clientTracking: CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p …] [BCAST]
// [OPTIN] [OPTOUT] [NOLOOP]
func clientTracking(ctx *Ctx) {
	c := ctx.C
	var redir int64
	var opts trackFlag
	var prefixes []string
	args := ctx.Args
	for j := 3; j < len(args); j++ {
		more := j < len(args)-1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "redirect" && more:
			j++
			if redir != 0 {
				ctx.Err("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parseInt(args[j])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			if ctx.S.clientByID(id) == nil {
				ctx.Err("ERR The client ID you want redirect to does not exist")
				return
			}
			redir = id
		case opt == "bcast":
			opts |= trkBcast
		case opt == "optin":
			opts |= trkOptin
		case opt == "optout":
			opts |= trkOptout
		case opt == "noloop":
			opts |= trkNoloop
		case opt == "prefix" && more:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	t := &c.trk
	switch strings.ToLower(string(args[2])) {
	case "on":
		switch {
		case opts&trkBcast == 0 && len(prefixes) > 0:
			ctx.Err("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case t.flags&trkOn != 0 && (t.flags&trkBcast != 0) != (opts&trkBcast != 0):
			ctx.Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		case opts&trkBcast != 0 && opts&(trkOptin|trkOptout) != 0:
			ctx.Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case opts&trkOptin != 0 && opts&trkOptout != 0:
			ctx.Err("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case opts&trkOptin != 0 && t.flags&trkOptout != 0 || opts&trkOptout != 0 && t.flags&trkOptin != 0:
			ctx.Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if opts&trkBcast != 0 {
			if msg := prefixCollision(t.prefixes, prefixes); msg != "" {
				ctx.Err(msg)
				return
			}
		}
		ctx.S.enableTracking(c, redir, opts, prefixes)
	case "off":
		ctx.S.disableTracking(c)
	default:
		ctx.Err(ErrSyntax)
		return
	}
	ctx.W.OK()
}

// prefixCollision is Redis's checkPrefixCollisionsOrReply: no new prefix
// may be a prefix of, or start with, one the client has or another new
// one. (Redis 7.0 also answers OK after the error when the colliding new
// prefix is not the first; we answer the error only.)
func prefixCollision(have, add []string) string {
	for i, p := range add {
		for _, h := range have {
			if tracking.Overlap(p, h) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + h + "'. Prefixes for a single client must not overlap."
			}
		}
		for _, q := range add[i+1:] {
			if tracking.Overlap(p, q) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// clientTrackingInfo: CLIENT TRACKINGINFO
func clientTrackingInfo(ctx *Ctx) {
	t := &ctx.C.trk
	t.mu.Lock()
	flags, broken, redir, prefixes := t.flags, t.broken, t.redirect, slices.Clone(t.prefixes)
	t.mu.Unlock()
	var names []string
	if flags&trkOn == 0 {
		names = append(names, "off")
		redir = -1
	} else {
		names = append(names, "on")
	}
	if flags&trkBcast != 0 {
		names = append(names, "bcast")
	}
	if flags&trkOptin != 0 {
		names = append(names, "optin")
		if flags&trkCaching != 0 {
			names = append(names, "caching-yes")
		}
	}
	if flags&trkOptout != 0 {
		names = append(names, "optout")
		if flags&trkCaching != 0 {
			names = append(names, "caching-no")
		}
	}
	if flags&trkNoloop != 0 {
		names = append(names, "noloop")
	}
	if broken {
		names = append(names, "broken_redirect")
	}
	w := ctx.W
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(names))
	for _, n := range names {
		w.BulkString(n)
	}
	w.BulkString("redirect")
	w.Int(redir)
	w.BulkString("prefixes")
	w.Array(len(prefixes))
	for _, p := range prefixes {
		w.BulkString(p)
	}
}

// clientCaching: CLIENT CACHING YES|NO
func clientCaching(ctx *Ctx) {
	t := &ctx.C.trk
	if t.flags&trkOn == 0 {
		ctx.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(ctx.Args[2])) {
	case "yes":
		if t.flags&trkOptin == 0 {
			ctx.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case "no":
		if t.flags&trkOptout == 0 {
			ctx.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		ctx.Err(ErrSyntax)
		return
	}
	t.mu.Lock()
	t.flags |= trkCaching
	t.mu.Unlock()
	ctx.W.OK()
}

// clientGetRedir: CLIENT GETREDIR
func clientGetRedir(ctx *Ctx) {
	t := &ctx.C.trk
	if t.flags&trkOn == 0 {
		ctx.W.Int(-1)
		return
	}
	t.mu.Lock()
	redir := t.redirect
	t.mu.Unlock()
	ctx.W.Int(redir)
}
