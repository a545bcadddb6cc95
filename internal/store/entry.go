package store

import (
	"encoding/binary"
	"sync/atomic"
)

// Entry is a view of one key, handed to the callbacks of View, Peek, Update
// and Multi and valid only until the callback returns. Slices it returns
// alias the shard's memory and are valid for the same time. Entries of a
// View or Peek are read-only: the Set and Delete methods panic there.
//
// An Entry remembers where its key's record is and looks it up again only
// when the shard changed shape since (another key of the same Multi was
// created or deleted, a record moved), so the accessors are cheap.
type Entry struct {
	sh    *shard
	key   []byte // the key asked for (the caller's slice)
	now   int64
	h     uint32
	ver   uint32 // shard.ver when slot and loc were found
	slot  int    // -1 when the key does not exist
	loc   uint32
	r     rec // the record at loc, decoded once
	write bool
	dirty bool // Obj was handed out for writing: measure it again at the end

	// The change to report at the end (feed.go): the last one made through
	// this Entry, so SET … EX or a delete-then-store reports one change.
	change ChangeKind
	other  int32  // Change.Other for it
	objVer uint64 // the object's Version when Obj first handed it out for writing
	verOK  bool   // the object has a Version
	stale  bool   // a read found the key expired: delete it once unlocked
	due    bool   // a read found the object has something due: redo under the write lock
	absent bool   // the key did not exist when the Entry began (ChangeNew)
	quiet  bool   // Unrecorded: no change to count or report
}

// Sizer is implemented by values stored with SetObj that can estimate the
// memory they hold, for UsedMemory and eviction. The store asks again after
// every write operation that fetched the object with Obj, so in-place changes
// are charged. Objects without it are charged defaultObjSize.
type Sizer interface{ MemoryUsage() int }

// Cloner is implemented by values stored with SetObj that COPY must
// deep-copy; others are shared between the two keys.
type Cloner interface{ Clone() any }

const defaultObjSize = 64

func sizeOf(o any) int64 {
	if s, ok := o.(Sizer); ok {
		return int64(s.MemoryUsage())
	}
	return defaultObjSize
}

// begin prepares e for key, deleting it first if it has expired (in write
// mode; a reader just does not see it) and recording the access.
func (sh *shard) begin(e *Entry, key []byte, h uint32, now int64, write, touch bool) {
	// Field by field: a composite literal is built on the stack and copied,
	// which stalls on store forwarding.
	e.sh, e.key, e.h, e.now, e.write, e.dirty, e.stale, e.due, e.change = sh, key, h, now, write, false, false, false, 0
	slot, loc, r := sh.lookup(h, key)
	if slot >= 0 {
		switch {
		case r.expired(now):
			if write {
				sh.deleteSlot(slot, ChangeExpired)
				sh.expOp++
			} else {
				e.stale = true
			}
			slot = -1
		case len(sh.dl.ents) > 0 && sh.objDue(&r, now):
			if !write {
				e.due = true
				break
			}
			if _, deleted := sh.expireObj(slot, &r, now, 0); deleted {
				slot = -1
				break
			}
			if touch {
				sh.touch(r.metaPtr(), h, now)
			}
		case touch:
			sh.touch(r.metaPtr(), h, now)
		}
	}
	e.slot, e.loc, e.r, e.ver, e.absent = slot, loc, r, sh.ver, slot < 0
}

// end re-measures an object changed in place, reports the Entry's change
// to the feed, and drops the caller's key.
func (e *Entry) end() {
	if e.dirty && e.resolve() {
		if r := e.rec(); r.indirect() && r.typ() != TypeString {
			i := r.objIndex()
			sl := &e.sh.objs[i]
			n := sizeOf(sl.v)
			e.sh.extBytes += n - sl.size
			sl.size = n
			e.sh.noteObj(i, r.key())
			if e.change == 0 && (!e.verOK || version(sl.v) != e.objVer) {
				e.change = ChangeSet
			}
		}
	}
	if e.quiet {
		e.change, e.quiet = 0, false
	}
	if e.change != 0 {
		if e.absent && e.sh.db.ks.feed.newOn.Load() > 0 && e.sh.db.ks.feed.on.Load() && e.resolve() {
			e.sh.note(e.key, ChangeNew, 0)
		}
		e.sh.note(e.key, e.change, int(e.other))
		e.change = 0
	}
	e.key, e.r = nil, rec{} // do not keep the caller's buffer or a chunk alive
	e.dirty = false
}

// Unrecorded says that what this Entry does is no change of the keyspace:
// a load filling it from a snapshot, which Redis neither counts in its dirty
// counter nor signals to WATCH, client tracking or keyspace notifications.
// Memory is accounted as for any write.
func (e *Entry) Unrecorded() { e.quiet = true }

func (e *Entry) resolve() bool {
	if e.ver != e.sh.ver {
		e.slot, e.loc, e.r = e.sh.lookup(e.h, e.key)
		e.ver = e.sh.ver
	}
	return e.slot >= 0
}

// rec is the key's record; valid after resolve returned true. Methods that
// rewrite the record keep it current.
func (e *Entry) rec() *rec { return &e.r }

func (e *Entry) mustWrite() {
	if !e.write {
		panic("store: modifying a key through a read-only Entry")
	}
}

// Exists reports whether the key exists (expired keys do not).
func (e *Entry) Exists() bool { return e.resolve() }

// Expired reports whether a read found the key past its deadline: it reads
// as missing and is deleted (ChangeExpired) once the lookup ends.
func (e *Entry) Expired() bool { return e.stale }

// Key returns the stored key, or the requested one if it does not exist.
func (e *Entry) Key() []byte {
	if !e.resolve() {
		return e.key
	}
	r := e.rec()
	return r.key()
}

// Type returns the value's type, TypeNone if the key does not exist.
func (e *Entry) Type() Type {
	if !e.resolve() {
		return TypeNone
	}
	r := e.rec()
	return r.typ()
}

// Str returns a string value, nil for a missing key or another type.
func (e *Entry) Str() []byte {
	if !e.resolve() {
		return nil
	}
	r := e.rec()
	if r.typ() != TypeString {
		return nil
	}
	if r.indirect() {
		b := e.sh.objs[r.objIndex()].str().b
		return b[:len(b):len(b)]
	}
	return r.val()
}

// Obj returns a non-string value, nil for a missing key or a string. In an
// Update or Multi the object may be changed in place.
func (e *Entry) Obj() any {
	if !e.resolve() {
		return nil
	}
	r := e.rec()
	if !r.indirect() || r.typ() == TypeString {
		return nil
	}
	o := e.sh.objs[r.objIndex()].v
	if e.write && !e.dirty {
		e.dirty = true
		e.objVer, e.verOK = versionOf(o)
	}
	return o
}

// Versioner is implemented by objects stored with SetObj that count their
// modifications: the version must change whenever the value does (and
// should not otherwise). An Update or Multi that fetched such an object
// with Obj reports a change of its key only if the version moved, so a
// write command that changed nothing (HDEL of a missing field, SREM of a
// non-member) reports nothing; an object without Version counts as
// changed whenever Obj handed it out for writing. A handler that replaces a
// value with SetObj, SetStr … or deletes it needs nothing more.
type Versioner interface{ Version() uint64 }

func versionOf(o any) (uint64, bool) {
	if v, ok := o.(Versioner); ok {
		return v.Version(), true
	}
	return 0, false
}

func version(o any) uint64 {
	v, _ := versionOf(o)
	return v
}

// ExpireAt returns the expire time in unix ms, 0 without a TTL.
func (e *Entry) ExpireAt() int64 {
	if !e.resolve() {
		return 0
	}
	r := e.rec()
	return r.expireAt()
}

// Meta returns the eviction metadata word (meta.go).
func (e *Entry) Meta() uint32 {
	if !e.resolve() {
		return 0
	}
	r := e.rec()
	return r.meta()
}

// SetMeta replaces the eviction metadata word.
func (e *Entry) SetMeta(m uint32) {
	if e.resolve() {
		r := e.rec()
		atomic.StoreUint32(r.metaPtr(), m)
	}
}

// IdleMs is the time since the key was last accessed (OBJECT IDLETIME), with
// the LRU clock's one-second resolution.
func (e *Entry) IdleMs(now int64) int64 { return idleSeconds(e.Meta(), now) * 1000 }

// Freq is the key's LFU counter after decay (OBJECT FREQ).
func (e *Entry) Freq() int { return e.sh.db.ks.LFUCount(e.Meta(), e.now) }

// Encoding returns Redis's OBJECT ENCODING: for strings "int", "embstr" or
// "raw"; for objects whatever their Encoding method says ("" without one).
func (e *Entry) Encoding() string {
	if !e.resolve() {
		return ""
	}
	r := e.rec()
	if r.typ() != TypeString {
		if enc, ok := e.sh.objs[r.objIndex()].v.(interface{ Encoding() string }); ok {
			return enc.Encoding()
		}
		return ""
	}
	if r.flags()&flagRaw != 0 {
		return "raw"
	}
	v := e.Str()
	switch {
	case len(v) <= 20 && r.flags()&flagNotInt == 0 && isInt(v):
		return "int"
	case len(v) <= 44:
		return "embstr"
	}
	return "raw"
}

// isInt reports whether v is an int64 in canonical form, the strings Redis
// stores as integers.
func isInt(v []byte) bool {
	if len(v) == 0 || len(v) > 20 {
		return false
	}
	neg := v[0] == '-'
	d := v
	if neg {
		d = v[1:]
	}
	if len(d) == 0 || d[0] < '0' || d[0] > '9' || (d[0] == '0' && (len(d) > 1 || neg)) {
		return false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' || u > (1<<63)/10 {
			return false
		}
		u = u*10 + uint64(c-'0') // < 2^64: u was at most 2^63/10
	}
	if neg {
		return u <= 1<<63
	}
	return u <= 1<<63-1
}

// MarkRaw records that the string was modified in place (APPEND, SETRANGE,
// SETBIT, BITOP results), which Redis reports as encoding "raw".
func (e *Entry) MarkRaw() {
	e.mustWrite()
	if e.resolve() {
		r := e.rec()
		if r.typ() == TypeString {
			r.setFlags(r.flags() | flagRaw)
		}
	}
}

// Unchanged takes back the change a MutableStr recorded when the caller
// wrote nothing different (BITFIELD SET of the value already there): no
// feed entry, so no dirty count, invalidation or wake-up, as Redis skips
// signalModifiedKey then. The string stays as MutableStr left it (raw).
func (e *Entry) Unchanged() {
	if e.change == ChangeSet {
		e.change = 0
	}
}

// MarkNotInt records that the string was stored without integer encoding,
// as Redis stores INCRBYFLOAT's result: OBJECT ENCODING then says embstr
// (or raw) even for "3000". A later SET clears the mark.
func (e *Entry) MarkNotInt() {
	e.mustWrite()
	if e.resolve() {
		r := e.rec()
		if r.typ() == TypeString {
			r.setFlags(r.flags() | flagNotInt)
		}
	}
}

// SetStr creates or replaces the key as a string, keeping an existing TTL.
// v may alias memory of this or another Entry.
func (e *Entry) SetStr(v []byte) {
	e.mustWrite()
	e.change = ChangeSet
	if len(v) > bigValue {
		e.setBig(v, len(v), 0)
		return
	}
	e.setInline(byte(TypeString), v, len(v))
}

// SetStrOwned is SetStr for a value the caller gives up (it must not use
// v again): a long one becomes the stored value itself instead of a copy,
// so a large SET does not hold the value twice.
func (e *Entry) SetStrOwned(v []byte) {
	if len(v) <= bigValue {
		e.SetStr(v)
		return
	}
	e.mustWrite()
	e.change = ChangeSet
	e.putSlot(byte(TypeString)|flagIndirect, bigSlot(v))
}

// SetStrExpire is SetStr followed by SetExpireAt(ms) (0 = no TTL) in one
// record write: SET … EX would otherwise write the record twice and leave
// the first copy in the arena as garbage.
func (e *Entry) SetStrExpire(v []byte, ms int64) {
	e.mustWrite()
	e.change = ChangeSet
	if len(v) > bigValue {
		e.SetStr(v)
		e.SetExpireAt(ms)
		return
	}
	flags := byte(TypeString)
	if ms != 0 {
		flags |= flagTTL
	}
	sh := e.sh
	if !e.resolve() {
		e.slot, e.loc = sh.create(e.h, e.key, flags, v, len(v), ms, sh.initMeta(e.h, e.now))
		e.r, e.ver = sh.ar.rec(e.loc), sh.ver
		return
	}
	r := e.rec()
	if r.indirect() {
		sh.freeObj(r.objIndex())
	}
	if r.ttl() {
		sh.expires--
		sh.ttlSum.add(-r.expireAt())
	}
	if ms != 0 {
		sh.expires++
		sh.ttlSum.add(ms)
	}
	e.rewrite(r, flags, v, len(v), ms)
}

// MutableStr makes the key a string of at least n bytes (zero-extended,
// created if missing), marks it raw and returns the whole value for changing
// in place until the callback returns: APPEND, SETRANGE and SETBIT need not
// copy a large value. The key must be missing or a string.
func (e *Entry) MutableStr(n int) []byte {
	e.mustWrite()
	e.change = ChangeSet
	sh := e.sh
	if !e.resolve() {
		if n > bigValue {
			e.setBig(nil, n, flagRaw)
		} else {
			e.setInline(byte(TypeString)|flagRaw, nil, n)
		}
		return e.Str()
	}
	r := e.rec()
	if r.typ() != TypeString {
		panic("store: MutableStr on a " + r.typ().String())
	}
	if r.indirect() {
		sl := &sh.objs[r.objIndex()]
		bs := sl.str()
		if old := len(bs.b); n > old {
			if n <= cap(bs.b) {
				bs.b = bs.b[:n]
				clear(bs.b[old:])
			} else {
				nb := make([]byte, n, growCap(n))
				copy(nb, bs.b)
				sh.extBytes += int64(cap(nb)) - sl.size
				bs.b, sl.size = nb, int64(cap(nb))
			}
		}
		r.setFlags(r.flags() | flagRaw)
		return bs.b[:len(bs.b):len(bs.b)]
	}
	cur := r.val()
	switch {
	case n <= len(cur):
		r.setFlags(r.flags() | flagRaw)
		return cur
	case n > bigValue:
		nb := make([]byte, n, growCap(n))
		copy(nb, cur)
		i := sh.newObj(bigSlot(nb))
		var buf [4]byte
		e.rewrite(r, r.flags()|flagIndirect|flagRaw, objIndexBytes(&buf, i), 4, r.expireAt())
		return nb[:n:n]
	}
	e.rewrite(r, r.flags()|flagRaw, cur, n, r.expireAt())
	return e.Str()
}

// growCap leaves room for further appends, as Redis's sds does: double up to
// 1 MiB, then 1 MiB more.
func growCap(n int) int {
	if n < 1<<20 {
		return 2 * n
	}
	return n + 1<<20
}

// SetObj creates or replaces the key as a non-string type, keeping its TTL.
func (e *Entry) SetObj(t Type, o any) {
	e.mustWrite()
	if t <= TypeString || t > TypeStream {
		panic("store: SetObj with type " + t.String())
	}
	e.change = ChangeSet
	e.putSlot(byte(t)|flagIndirect, objSlot{v: o, size: sizeOf(o)})
	e.noteObj()
}

// noteObj indexes the key's object if it has deadlines of its own.
func (e *Entry) noteObj() {
	if e.resolve() {
		r := e.rec()
		e.sh.noteObj(r.objIndex(), r.key())
	}
}

// SetExpireAt sets the expire time in unix ms; 0 removes the TTL. Removing
// a TTL the key does not have is not a change.
func (e *Entry) SetExpireAt(ms int64) {
	e.mustWrite()
	if !e.resolve() {
		return
	}
	sh := e.sh
	r := e.rec()
	if r.ttl() || ms != 0 {
		e.change = ChangeSet
	}
	switch {
	case r.ttl() && ms != 0:
		sh.ttlSum.add(-r.expireAt())
		sh.ttlSum.add(ms)
		r.setExpireAt(ms)
	case r.ttl():
		sh.expires--
		sh.ttlSum.add(-r.expireAt())
		e.rewrite(r, r.flags()&^flagTTL, r.val(), r.vlen(), 0)
	case ms != 0:
		sh.expires++
		sh.ttlSum.add(ms)
		e.rewrite(r, r.flags()|flagTTL, r.val(), r.vlen(), ms)
	}
}

// Delete removes the key.
func (e *Entry) Delete() {
	e.mustWrite()
	if !e.resolve() {
		return
	}
	e.sh.deleteSlot(e.slot, 0)
	e.slot, e.ver = -1, e.sh.ver
	e.change = ChangeDel
}

// RenameTo gives d the value, encoding, TTL and access metadata of e, then
// deletes e (RENAME): Redis moves the very object, so nothing about it
// changes. It reports ChangeRenameFrom for e and ChangeRenameTo for d (not
// a ChangeDel for what d held). e must exist; d is another key.
func (e *Entry) RenameTo(d *Entry) {
	e.mustWrite()
	d.mustWrite()
	if !e.resolve() {
		return
	}
	r := e.rec()
	if t := r.typ(); t == TypeString {
		d.SetStr(e.Str())
		if e.Encoding() == "raw" {
			d.MarkRaw()
		}
	} else {
		d.SetObj(t, e.sh.objs[r.objIndex()].v)
	}
	d.SetExpireAt(e.ExpireAt())
	d.SetMeta(e.Meta())
	e.Delete()
	e.change, d.change = ChangeRenameFrom, ChangeRenameTo
}

// setInline stores a string of vlen bytes (val zero-extended) in the record.
func (e *Entry) setInline(flags byte, val []byte, vlen int) {
	if !e.resolve() {
		e.createWith(flags, val, vlen)
		return
	}
	r := e.rec()
	if r.indirect() {
		e.sh.freeObj(r.objIndex())
	}
	e.rewrite(r, flags|r.flags()&flagTTL, val, vlen, r.expireAt())
}

// setBig stores a string longer than bigValue (v zero-extended to n bytes)
// in the object slab, reusing the old buffer when it is big enough and not
// wastefully so.
func (e *Entry) setBig(v []byte, n int, extra byte) {
	flags := byte(TypeString) | flagIndirect | extra
	if e.resolve() {
		r := e.rec()
		if r.indirect() && r.typ() == TypeString {
			i := r.objIndex()
			bs := e.sh.objs[i].str()
			if b := bs.b; cap(b) >= n && cap(b) <= 2*n {
				b = b[:n]
				clear(b[copy(b, v):]) // copy is overlap-safe if v aliases b
				bs.b = b
				e.sh.setObj(i, objSlot{v: bs, size: int64(cap(b))})
				r.setFlags(flags | r.flags()&flagTTL)
				return
			}
		}
	}
	b := make([]byte, n)
	copy(b, v)
	e.putSlot(flags, bigSlot(b))
}

// putSlot stores sl in the slab as the key's value, with the given flags.
func (e *Entry) putSlot(flags byte, sl objSlot) {
	sh := e.sh
	var buf [4]byte
	if !e.resolve() {
		e.createWith(flags, objIndexBytes(&buf, sh.newObj(sl)), 4)
		return
	}
	r := e.rec()
	if r.indirect() {
		sh.setObj(r.objIndex(), sl)
		r.setFlags(flags | r.flags()&flagTTL)
		return
	}
	e.rewrite(r, flags|r.flags()&flagTTL, objIndexBytes(&buf, sh.newObj(sl)), 4, r.expireAt())
}

func (e *Entry) createWith(flags byte, val []byte, vlen int) {
	sh := e.sh
	e.slot, e.loc = sh.create(e.h, e.key, flags, val, vlen, 0, sh.initMeta(e.h, e.now))
	e.r, e.ver = sh.ar.rec(e.loc), sh.ver
}

// rewrite replaces e's record r by one with new flags, value (val
// zero-extended to vlen) and expire time. It writes in place when the header
// keeps its layout and the record does not grow (the rest becomes a filler),
// else it writes a new record and retires the old one. TTL counters are the
// caller's business.
func (e *Entry) rewrite(r *rec, flags byte, val []byte, vlen int, expire int64) {
	sh := e.sh
	ttl := flags&flagTTL != 0
	size := recSize(r.klen(), vlen, ttl)
	meta := r.meta()
	if ttl == r.ttl() && size <= r.size() && uvarintLen(vlen) == uvarintLen(r.vlen()) {
		c := r.b
		c[0] = flags
		binary.PutUvarint(c[1+uvarintLen(r.klen()):], uint64(vlen))
		if ttl {
			binary.LittleEndian.PutUint64(c[r.keyAt()-8:], uint64(expire))
		}
		v := c[r.valAt() : r.valAt()+vlen]
		clear(v[copy(v, val):])
		if hole := r.size() - size; hole > 0 {
			putFiller(c, size, hole)
			sh.ar.kill(e.loc+uint32(size>>2), hole)
		}
		e.r = decode(c, 0)
		return
	}
	nloc := sh.ar.reserve(size)
	c, off := sh.ar.at(nloc)
	encode(c, off, flags, r.key(), val, vlen, expire, meta)
	sh.killRec(r, e.loc)
	s := sh.tab.slots[e.slot]&^(slotTTL|1<<32-1) | uint64(nloc)
	if ttl {
		s |= slotTTL
	}
	sh.tab.slots[e.slot] = s
	sh.ver++
	e.loc, e.r, e.ver = nloc, decode(c, off), sh.ver
}
