// Package hash is the hash value type: fields mapped to values, in one of
// Redis's two encodings, with optional per-field expire times (Redis 7.4's
// hash-field expiry). Small hashes are one listpack of field, value pairs
// (encoding "listpack", "listpackex" once field TTLs were used on it); past
// hash-max-listpack-entries fields, or when a field or value is longer than
// hash-max-listpack-value, the hash converts to a bytemap ("hashtable") and
// never converts back, as in Redis.
//
// It knows nothing of RESP, commands or the store: the store sees it through
// the small interfaces it implements (MemoryUsage, Clone, Encoding,
// NextDeadline, ExpireDue).
//
// A Hash is not safe for concurrent use; readers may share it as long as no
// method that changes it runs.
package hash

import (
	"math/rand/v2"
	"unsafe"

	"github.com/smallredis/smallredis/internal/bytemap"
	"github.com/smallredis/smallredis/internal/listpack"
	"github.com/smallredis/smallredis/internal/slice32"
)

// Limits are the conversion thresholds (hash-max-listpack-entries and
// hash-max-listpack-value), passed to every write so CONFIG SET applies to
// the next write, as in Redis.
type Limits struct {
	Entries int
	Value   int
}

// DefaultLimits are Redis's defaults.
var DefaultLimits = Limits{Entries: 512, Value: 64}

// Hash is a hash value. The zero value is not usable; call New.
//
// A small hash is a key's whole value next to its listpack buffer, so it is
// one 32-byte object: the listpack lives in the Hash's own fields (b and n,
// through the view pack), and what only converted hashes and hashes with
// field TTLs need lives behind x.
type Hash struct {
	b slice32.Bytes // the listpack's field, value pairs; empty once converted
	n uint32        // the listpack's entries

	// mods counts modifications: Version. 32 bits keep the Hash at 32
	// bytes; the store compares versions across one command, which does
	// not make 2^32 changes to one hash.
	mods uint32
	x    *hashExtra // nil for a listpack hash that never had a field TTL
}

// pack is the listpack encoding's view of b and n; a change to it must be
// stored back with setPack.
func (h *Hash) pack() listpack.Listpack { return listpack.Of(h.b.Slice(), int(h.n)) }

func (h *Hash) setPack(lp *listpack.Listpack) {
	b, n := lp.Parts()
	h.b, h.n = slice32.Of(b), uint32(n)
}

type hashExtra struct {
	m   *bytemap.Map // the hashtable encoding; nil while lp is used
	ttl *fieldTTLs   // nil when no field has an expire time
	ex  bool         // field-expiry commands touched it: "listpackex"
}

// table is the hashtable encoding, nil while the hash is a listpack.
func (h *Hash) table() *bytemap.Map {
	if h.x == nil {
		return nil
	}
	return h.x.m
}

// ttls is the field expire times, nil when no field has one.
func (h *Hash) ttls() *fieldTTLs {
	if h.x == nil {
		return nil
	}
	return h.x.ttl
}

// extra is h.x, allocated on first use.
func (h *Hash) extra() *hashExtra {
	if h.x == nil {
		h.x = &hashExtra{}
	}
	return h.x
}

// Version changes whenever the hash's content (fields, values, field TTLs)
// does, so the store can tell a write command that changed it from one
// that only looked (store.Versioner).
func (h *Hash) Version() uint64 { return uint64(h.mods) }

// structBytes is what a Hash costs beyond its listpack buffer, and
// extraBytes what x adds.
const (
	structBytes = int(unsafe.Sizeof(Hash{}))
	extraBytes  = int(unsafe.Sizeof(hashExtra{}))
)

// New returns an empty hash in the listpack encoding.
func New() *Hash { return &Hash{} }

// Len is the number of fields, counting expired fields not yet reclaimed
// (see ExpireDue).
func (h *Hash) Len() int {
	if m := h.table(); m != nil {
		return m.Len()
	}
	return int(h.n) / 2
}

// Encoding is Redis's OBJECT ENCODING name.
func (h *Hash) Encoding() string {
	switch {
	case h.table() != nil:
		return "hashtable"
	case h.x != nil && h.x.ex:
		return "listpackex"
	}
	return "listpack"
}

// MemoryUsage is the memory the hash holds, in O(1) (store.Sizer).
func (h *Hash) MemoryUsage() int {
	// The Listpack value is part of the Hash: count only its buffer.
	n := structBytes + h.b.Cap()
	if h.x != nil {
		n += extraBytes
		if h.x.m != nil {
			n += h.x.m.Bytes()
		}
		if h.x.ttl != nil {
			n += h.x.ttl.bytes
		}
	}
	return n
}

// Clone is a deep copy, field expire times included (store.Cloner).
func (h *Hash) Clone() any {
	lp := h.pack()
	cp := lp.Copy()
	c := &Hash{}
	c.setPack(&cp)
	if x := h.x; x != nil {
		c.x = &hashExtra{ex: x.ex}
		if x.m != nil {
			c.x.m = x.m.Clone()
		}
		if x.ttl != nil {
			c.x.ttl = x.ttl.clone()
		}
	}
	return c
}

// find is the listpack position of field f, -1 when absent.
func (h *Hash) find(f []byte) int {
	lp := h.pack()
	p := lp.First()
	if p < 0 {
		return -1
	}
	return lp.Find(p, f, 1)
}

// Get returns f's value. It aliases the hash until its next change.
func (h *Hash) Get(f []byte) ([]byte, bool) {
	if m := h.table(); m != nil {
		return m.Get(f)
	}
	p := h.find(f)
	if p < 0 {
		return nil, false
	}
	lp := h.pack()
	return lp.Get(lp.Next(p)), true
}

// Has reports whether f is present.
func (h *Hash) Has(f []byte) bool {
	if m := h.table(); m != nil {
		return m.Has(f)
	}
	return h.find(f) >= 0
}

// Prepare converts a listpack hash to a hashtable when any of args (the
// fields and values a command is about to write) is longer than lim.Value:
// Redis's hashTypeTryConversion, which HSET runs over all its arguments
// before writing any.
func (h *Hash) Prepare(lim Limits, args ...[]byte) {
	if h.table() != nil {
		return
	}
	for _, a := range args {
		if len(a) > lim.Value {
			h.convert()
			return
		}
	}
}

// Set stores f → v, removing any expire time f had (HSET), and reports
// whether f is new.
func (h *Hash) Set(f, v []byte, lim Limits) bool {
	if t := h.ttls(); t != nil {
		t.remove(f)
		h.dropEmptyTTLs()
	}
	return h.set(f, v, lim)
}

// SetKeepTTL stores f → v keeping f's expire time (HINCRBY, HINCRBYFLOAT)
// and reports whether f is new.
func (h *Hash) SetKeepTTL(f, v []byte, lim Limits) bool { return h.set(f, v, lim) }

func (h *Hash) set(f, v []byte, lim Limits) bool {
	h.mods++ // even when v is the same: HSET counts as a change in Redis
	if h.table() == nil && (len(f) > lim.Value || len(v) > lim.Value) {
		h.convert()
	}
	if m := h.table(); m != nil {
		return m.Set(f, v)
	}
	lp := h.pack()
	if p := h.find(f); p >= 0 {
		lp.Replace(lp.Next(p), v)
		h.setPack(&lp)
		return false
	}
	lp.Append(f, v)
	h.setPack(&lp)
	if h.Len() > lim.Entries {
		h.convert()
	}
	return true
}

// Add stores f → v for a field the caller knows is not in the hash
// (RESTORE, which checks a payload's fields are distinct), without the
// search Set makes, converting where Set would.
func (h *Hash) Add(f, v []byte, lim Limits) {
	h.mods++
	if h.table() == nil && (len(f) > lim.Value || len(v) > lim.Value) {
		h.convert()
	}
	if m := h.table(); m != nil {
		m.Set(f, v)
		return
	}
	lp := h.pack()
	lp.Append(f, v)
	h.setPack(&lp)
	if h.Len() > lim.Entries {
		h.convert()
	}
}

// convert moves a listpack hash to the hashtable encoding.
func (h *Hash) convert() {
	lp := h.pack()
	m := bytemap.New(lp.Len() / 2)
	for p := lp.First(); p >= 0; p = lp.Next(lp.Next(p)) {
		m.Set(lp.Get(p), lp.Get(lp.Next(p)))
	}
	// The old buffer goes to the garbage collector, not to bufpool: the
	// caller may still hold slices of it (a value read before the write).
	h.b, h.n = slice32.Bytes{}, 0
	h.extra().m = m
}

// Delete removes f and its expire time, and reports whether it was present.
func (h *Hash) Delete(f []byte) bool {
	var ok bool
	if m := h.table(); m != nil {
		ok = m.Delete(f)
	} else if p := h.find(f); p >= 0 {
		lp := h.pack()
		lp.Delete(p, 2)
		h.setPack(&lp)
		ok = true
	}
	if ok {
		h.mods++
	}
	if t := h.ttls(); ok && t != nil {
		t.remove(f)
		h.dropEmptyTTLs()
	}
	return ok
}

// Range calls fn for every field and value until it returns false, in
// listpack order for small hashes. fn must not change the hash.
func (h *Hash) Range(fn func(f, v []byte) bool) {
	if m := h.table(); m != nil {
		m.Range(fn)
		return
	}
	lp := h.pack()
	for p := lp.First(); p >= 0; {
		vp := lp.Next(p)
		if !fn(lp.Get(p), lp.Get(vp)) {
			return
		}
		p = lp.Next(vp)
	}
}

// Scan is HSCAN's iteration: from cursor, about count entries, returning
// the next cursor (0 when done). A listpack hash is returned whole in one
// call with cursor 0, as Redis does; a hashtable guarantees that a field
// present for the whole scan is returned at least once however the hash
// grows, shrinks or converts between calls. fn must not change the hash.
func (h *Hash) Scan(cursor uint64, count int, fn func(f, v []byte)) uint64 {
	if m := h.table(); m != nil {
		return m.Scan(cursor, count, fn)
	}
	h.Range(func(f, v []byte) bool { fn(f, v); return true })
	return 0
}

// IsPacked reports whether the hash is in the listpack encoding (HSCAN
// returns it whole; HRANDFIELD picks by index).
func (h *Hash) IsPacked() bool { return h.table() == nil }

// Random returns a field and its value chosen uniformly at random; the hash
// must not be empty. The slices alias the hash until its next change.
func (h *Hash) Random() (f, v []byte) {
	if m := h.table(); m != nil {
		return m.Random()
	}
	lp := h.pack()
	p := lp.Seek(2 * rand.IntN(h.Len()))
	return lp.Get(p), lp.Get(lp.Next(p))
}
