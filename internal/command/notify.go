package command

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
