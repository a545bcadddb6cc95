package command

import (
	"strconv"
	"sync"

	"github.com/smallredis/smallredis/internal/store"
)

// Keyspace notifications: handlers report what they did with Notify, after
// the change, with the event name Redis's own command sends (see Redis's
// notifyKeyspaceEvent calls: "set", "del", "expire", "hset", "lpush",
// "zadd", …) and the class of the event. The server publishes the events a
// command reported on __keyspace@<db>__:<key> / __keyevent@<db>__:<event>
// when notify-keyspace-events enables the class; expiry ("expired") and
// eviction ("evicted") come from the store's change feed, not from here.
//
// Reporting costs one atomic load when notifications are off, which is the
// default: handlers call Notify unconditionally.

// EventClass is one letter of notify-keyspace-events.
type EventClass uint32

const (
	EvGeneric EventClass = 1 << iota // g: DEL, EXPIRE, RENAME, … (type-independent)
	EvString                         // $
	EvList                           // l
	EvSet                            // s
	EvHash                           // h
	EvZSet                           // z
	EvExpired                        // x
	EvEvicted                        // e
	EvStream                         // t
	EvKeyMiss                        // m
	EvModule                         // d
	EvNew                            // n
)

// Notify reports the keyspace event of the given class for key in the
// client's selected database.
func (ctx *Ctx) Notify(class EventClass, event string, key []byte) {
	if EventClass(ctx.S.notifyOn.Load())&class == 0 {
		return
	}
	ctx.S.notify(ctx, class, event, key, ctx.C.DB())
}

// NotifyDB is Notify for a key of database db (MOVE's and COPY's other
// side, SWAPDB).
func (ctx *Ctx) NotifyDB(class EventClass, event string, key []byte, db int) {
	if EventClass(ctx.S.notifyOn.Load())&class == 0 {
		return
	}
	ctx.S.notify(ctx, class, event, key, db)
}

// loadNotify applies notify-keyspace-events. Its bits after K and E are the
// EventClass bits in the same order. Without K or E nothing is published,
// so no class is on.
func (s *Server) loadNotify() {
	f := s.Cfg.NotifyKeyspaceFlags()
	ke := uint32(f & 3)
	on := uint32(0)
	if ke != 0 {
		on = uint32(f >> 2)
	}
	s.notifyKE.Store(ke)
	s.notifyOn.Store(on)
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if wantNew := EventClass(on)&EvNew != 0; wantNew != s.notifyNew {
		s.KS.RecordNew(wantNew)
		s.notifyNew = wantNew
	}
	feed := EventClass(on)&(EvExpired|EvEvicted|EvNew|EvHash|EvGeneric) != 0
	switch {
	case feed && s.notifyFeed == nil:
		s.notifyFeed = s.KS.Listen(s.feedNotify)
	case !feed && s.notifyFeed != nil:
		s.notifyFeed()
		s.notifyFeed = nil
	}
}

// pendingEvent is one reported event; its key is keys[off:off+n] of its
// eventBuf.
type pendingEvent struct {
	class  EventClass
	event  string
	db     int
	off, n int
	pos    int // len(ctx.W.B) when reported: where a push to self goes
}

type eventBuf struct {
	evs  []pendingEvent
	keys []byte
}

var eventBufs = sync.Pool{New: func() any { return new(eventBuf) }}

// notify records an event for after the command (flushEvents): Redis
// publishes inside the command, we keep publishing out of the store's locks.
func (s *Server) notify(ctx *Ctx, class EventClass, event string, key []byte, db int) {
	for ctx.evSink != nil {
		ctx = ctx.evSink
	}
	if ctx.ev == nil {
		ctx.ev = eventBufs.Get().(*eventBuf)
	}
	b := ctx.ev
	pos := -1
	if ctx.W != nil {
		pos = len(ctx.W.B)
	}
	b.evs = append(b.evs, pendingEvent{class: class, event: event, db: db, off: len(b.keys), n: len(key), pos: pos})
	b.keys = append(b.keys, key...)
}

// flushEvents publishes what ctx's command reported. A push to the client
// itself (a RESP3 client subscribed to its own events) goes into its reply
// stream where the handler was when it reported the event, as Redis writes
// it while the command runs (SET's before +OK, LPUSH's after its length);
// withReply false (no reply stream: served waiters) sends them instead.
func (s *Server) flushEvents(ctx *Ctx, withReply bool) {
	b := ctx.ev
	ctx.ev = nil
	self := selfPush{c: ctx.C}
	var scratch []byte
	shift := 0
	for _, e := range b.evs {
		self.b = self.b[:0]
		scratch = s.publishEvent(&self, scratch, e.event, b.keys[e.off:e.off+e.n], e.db)
		if len(self.b) == 0 {
			continue
		}
		if !withReply || ctx.W == nil || e.pos < 0 {
			if ctx.C != nil && ctx.C.Send != nil {
				ctx.C.Send(append([]byte(nil), self.b...))
			}
			continue
		}
		w := ctx.W
		at := min(e.pos+shift, len(w.B))
		w.B = append(w.B, self.b...)
		copy(w.B[at+len(self.b):], w.B[at:len(w.B)-len(self.b)])
		copy(w.B[at:], self.b)
		shift += len(self.b)
	}
	b.evs = b.evs[:0]
	if cap(b.keys) > 1<<16 {
		b.keys = nil
	}
	b.keys = b.keys[:0]
	eventBufs.Put(b)
}

// publishEvent publishes one event on __keyspace@<db>__:<key> (message: the
// event) and __keyevent@<db>__:<event> (message: the key), as K and E ask;
// scratch is reused for the channel names and returned.
func (s *Server) publishEvent(self *selfPush, scratch []byte, event string, key []byte, db int) []byte {
	ke := s.notifyKE.Load()
	if ke&1 != 0 {
		scratch = append(scratch[:0], "__keyspace@"...)
		scratch = strconv.AppendInt(scratch, int64(db), 10)
		scratch = append(scratch, "__:"...)
		scratch = append(scratch, key...)
		s.publish(&s.ps.global, "message", self, scratch, []byte(event))
	}
	if ke&2 != 0 {
		scratch = append(scratch[:0], "__keyevent@"...)
		scratch = strconv.AppendInt(scratch, int64(db), 10)
		scratch = append(scratch, "__:"...)
		scratch = append(scratch, event...)
		s.publish(&s.ps.global, "message", self, scratch, key)
	}
	return scratch
}

// feedNotify is the change-feed listener for the events no handler
// reports: expiry (x: "expired"), eviction (e: "evicted"), hash fields
// reaching their TTL (h: "hexpired", and g: "del" when that emptied the
// hash). Deliveries to a client itself go through its Send.
func (s *Server) feedNotify(batch []store.Change) {
	on := EventClass(s.notifyOn.Load())
	if on == 0 {
		return
	}
	var scratch []byte
	ev := func(class EventClass, event string, c store.Change) {
		if on&class != 0 {
			scratch = s.publishEvent(nil, scratch, event, c.Key, c.DB)
		}
	}
	for _, c := range batch {
		switch c.Kind {
		case store.ChangeExpired:
			ev(EvExpired, "expired", c)
		case store.ChangeEvicted:
			ev(EvEvicted, "evicted", c)
		case store.ChangeNew:
			ev(EvNew, "new", c)
		case store.ChangeFieldsExpired:
			ev(EvHash, "hexpired", c)
		case store.ChangeEmptied:
			ev(EvHash, "hexpired", c)
			ev(EvGeneric, "del", c)
		}
	}
}

// MissKey counts a keyspace miss of a read lookup and reports its
// "keymiss" event (class m), as Redis's lookupKeyRead does; e is the
// missing key's entry.
func (ctx *Ctx) MissKey(e *store.Entry) {
	ctx.Miss()
	if EventClass(ctx.S.notifyOn.Load())&EvKeyMiss != 0 {
		ctx.S.notify(ctx, EvKeyMiss, "keymiss", e.Key(), ctx.C.DB())
	}
}
