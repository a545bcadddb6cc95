package store

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// A record is one key with its value and metadata, stored in an arena chunk
// at a 4-aligned offset:
//
//	flags   1 byte: type (3 bits) | flagTTL | flagRaw | flagIndirect | flagDead | flagNotInt
//	klen    uvarint
//	vlen    uvarint, the stored value bytes (4 when flagIndirect)
//	pad     to a multiple of 4
//	meta    uint32 eviction metadata (meta.go), 4-aligned so readers can
//	        update it atomically under a read lock
//	expire  8 bytes little-endian unix ms, only with flagTTL
//	key     klen bytes
//	value   vlen bytes: the string, or with flagIndirect a little-endian uint32
//	        index into the shard's object slab (non-string types and strings
//	        longer than bigValue)
//	pad     to a multiple of 4
//
// The metadata word sits with the header and the key, in the record's first
// cache line whatever the value's length: a lookup that records an access,
// and eviction sampling a key's metadata, read one line per key instead of
// two for values longer than a few dozen bytes.
//
// A 16-byte key with a 32-byte value and no TTL takes 56 bytes. Keys without a
// TTL do not pay for one.
//
// A record rewritten in place with a shorter value leaves a filler in the
// freed tail so the chunk stays walkable by compaction: a 0x00 byte (type
// none) then the filler's total size as a uvarint (at most 4 bytes for a
// hole of up to 2 MiB, and holes are shorter than a chunk).
const (
	flagTypeMask = 0x07
	flagTTL      = 0x08
	flagRaw      = 0x10
	flagIndirect = 0x20
	flagDead     = 0x40
	flagNotInt   = 0x80 // a string Redis keeps as a string even if it reads as an integer

	// bigValue is the longest string kept inside the arena. Longer strings get
	// their own []byte in the object slab: they would waste chunk space,
	// APPEND and SETRANGE on them can then grow in place with spare
	// capacity, and deleting one gives its memory straight back.
	bigValue = 8 << 10
)

// rec is a decoded record header. It is kept to 32 bytes so the compiler
// passes it in registers: larger structs are copied through the stack in a
// way that stalls store forwarding, which cost more than the whole lookup.
type rec struct {
	b  []byte // the whole record, capacity-limited; b[0] holds the flags
	kl uint32
	vl uint32 // stored value bytes
}

func uvarintLen(x int) int { return (bits.Len64(uint64(x)|1) + 6) / 7 }

func readUvarint(c []byte, i int) (int, int) {
	v, n := binary.Uvarint(c[i:])
	return int(v), i + n
}

func align4(n int) int { return (n + 3) &^ 3 }

// recSize is the space a record takes, padding and metadata included.
func recSize(klen, vlen int, ttl bool) int {
	n := metaOff(klen, vlen) + 4 + klen + vlen
	if ttl {
		n += 8
	}
	return align4(n)
}

// metaOff is where the metadata word sits in a record.
func metaOff(klen, vlen int) int { return align4(1 + uvarintLen(klen) + uvarintLen(vlen)) }

// decode parses the record (or filler) starting at c[off].
func decode(c []byte, off int) rec {
	f := c[off]
	if f&flagTypeMask == 0 { // filler
		n, _ := readUvarint(c, off+1)
		return rec{b: c[off : off+n : off+n]}
	}
	i := off + 1
	kl := int(c[i])
	i++
	if kl >= 0x80 {
		kl, i = readUvarint(c, i-1)
	}
	vl := int(c[i])
	i++
	if vl >= 0x80 {
		vl, i = readUvarint(c, i-1)
	}
	n := align4(i-off) + 4 + kl + vl
	if f&flagTTL != 0 {
		n += 8
	}
	end := off + align4(n)
	return rec{b: c[off:end:end], kl: uint32(kl), vl: uint32(vl)}
}

// keyAt is the offset of the key in b; the expire field sits just before it.
func (r *rec) keyAt() int {
	n := metaOff(int(r.kl), int(r.vl)) + 4
	if r.ttl() {
		n += 8
	}
	return n
}

func (r *rec) flags() byte     { return r.b[0] }
func (r *rec) size() int       { return len(r.b) }
func (r *rec) klen() int       { return int(r.kl) }
func (r *rec) vlen() int       { return int(r.vl) }
func (r *rec) typ() Type       { return Type(r.b[0] & flagTypeMask) }
func (r *rec) ttl() bool       { return r.b[0]&flagTTL != 0 }
func (r *rec) indirect() bool  { return r.b[0]&flagIndirect != 0 }
func (r *rec) dead() bool      { return r.b[0]&flagDead != 0 }
func (r *rec) isFiller() bool  { return r.b[0]&flagTypeMask == 0 }
func (r *rec) valAt() int      { return r.keyAt() + int(r.kl) }
func (r *rec) objIndex() int   { return int(binary.LittleEndian.Uint32(r.b[r.valAt():])) }
func (r *rec) setFlags(f byte) { r.b[0] = f }

func (r *rec) key() []byte {
	k := r.keyAt()
	return r.b[k : k+int(r.kl) : k+int(r.kl)]
}

// val is the stored value bytes; capacity-limited so an append by the caller
// can never run into the next record.
func (r *rec) val() []byte {
	v := r.valAt()
	return r.b[v : v+int(r.vl) : v+int(r.vl)]
}

func (r *rec) expireAt() int64 {
	if !r.ttl() {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(r.b[r.keyAt()-8:]))
}

func (r *rec) setExpireAt(ms int64) {
	binary.LittleEndian.PutUint64(r.b[r.keyAt()-8:], uint64(ms))
}

func (r *rec) expired(now int64) bool {
	// Redis keeps a key alive through its expire millisecond: expired means now > at.
	return r.ttl() && now > r.expireAt()
}

func (r *rec) metaPtr() *uint32 {
	return (*uint32)(unsafe.Pointer(&r.b[metaOff(int(r.kl), int(r.vl))]))
}

func (r *rec) meta() uint32 { return atomic.LoadUint32(r.metaPtr()) }

// encode writes a whole record into fresh space at c[off:off+recSize(...)]:
// the stored value is val followed by zeros up to vlen bytes. key and val may
// alias other records (fresh space never overlaps a live record).
func encode(c []byte, off int, flags byte, key, val []byte, vlen int, expire int64, meta uint32) {
	i := off
	c[i] = flags
	i++
	i += binary.PutUvarint(c[i:], uint64(len(key)))
	i += binary.PutUvarint(c[i:], uint64(vlen))
	m := off + metaOff(len(key), vlen)
	clear(c[i:m])
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&c[m])), meta)
	i = m + 4
	if flags&flagTTL != 0 {
		binary.LittleEndian.PutUint64(c[i:], uint64(expire))
		i += 8
	}
	copy(c[i:], key)
	v := c[i+len(key) : i+len(key)+vlen]
	clear(v[copy(v, val):])
}

// putFiller marks c[off:off+n] as a hole (n is a positive multiple of 4).
func putFiller(c []byte, off, n int) {
	c[off] = 0
	binary.PutUvarint(c[off+1:], uint64(n))
}

// objIndexBytes encodes a slab index as a stored value.
func objIndexBytes(buf *[4]byte, idx int) []byte {
	binary.LittleEndian.PutUint32(buf[:], uint32(idx))
	return buf[:]
}
