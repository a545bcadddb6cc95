package bytemap

import (
	"encoding/binary"
	"math/bits"
)

// arena holds the records in []byte chunks: the garbage collector sees one
// pointer per chunk, never one per entry.
//
// A record is [uvarint klen][uvarint vlen][key][value], unaligned. Records
// are appended to the active chunk; a chunk's size grows with the map (a
// quarter of the live bytes, at least four of the record being written,
// between minChunk and maxChunk), so a set of three members stays small
// while a million-entry map loses little in partly filled chunks. A record
// over maxChunk/4 gets a chunk of its own (so a big value never strands
// most of a chunk).
//
// A location is chunk index << offBits | offset: 2^20 chunks of up to
// 64 KiB, 64 GiB of records in one map.
//
// Deleting or rewriting a record only counts its bytes as garbage in its
// chunk (as does the unused tail of a chunk when it stops being the active
// one). A chunk holding nothing live is freed (the active one rewound); one
// at least half garbage is evacuated by the map (see Map.settle) at the end
// of the operation that made it so: its live records are copied to the
// active chunk and the chunk is freed. Garbage therefore stays under half of
// every chunk but the active one, and each byte copied was paid for by a
// byte of garbage.
type arena struct {
	chunks  [][]byte    // nil for a free index
	meta    []chunkMeta // per chunk index
	freeIdx []uint32    // free chunk indices
	spare   []byte      // one emptied maxChunk chunk kept for reuse
	active  int         // chunk receiving appends, -1 if none
	victims []uint32    // chunks to evacuate or free at the end of the operation
	live    int         // bytes of live records
	dead    int         // bytes of garbage
	alloc   int         // bytes in chunks
}

type chunkMeta struct {
	fill    uint32 // bytes of records appended
	garbage uint32 // dead bytes: records, and past fill the lost tail once not active
}

const (
	minChunk  = 64
	maxChunk  = 64 << 10
	ownChunk  = maxChunk / 4
	offBits   = 16
	maxChunks = 1 << (hashShift - offBits)
)

func newArena() arena { return arena{active: -1} }

func makeLoc(ci, off int) uint64 { return uint64(ci)<<offBits | uint64(off) }

func (a *arena) at(loc uint64) ([]byte, int) {
	return a.chunks[loc>>offBits], int(loc & (1<<offBits - 1))
}

// recordSize is the bytes a record of a klen-byte key and vlen-byte value
// takes.
func recordSize(klen, vlen int) int {
	return uvarintLen(klen) + uvarintLen(vlen) + klen + vlen
}

// record decodes the record at loc: key, value and its size.
func (a *arena) record(loc uint64) (k, v []byte, size int) {
	c, off := a.at(loc)
	return decode(c, off)
}

func decode(c []byte, off int) (k, v []byte, size int) {
	kl, w1 := uvarint(c[off:])
	vl, w2 := uvarint(c[off+w1:])
	s := off + w1 + w2
	e := s + kl + vl
	return c[s : s+kl : s+kl], c[s+kl : e : e], e - off
}

// write appends the record k → v and returns its location.
func (a *arena) write(k, v []byte) uint64 {
	n := recordSize(len(k), len(v))
	loc := a.reserve(n)
	c, off := a.at(loc)
	off += binary.PutUvarint(c[off:], uint64(len(k)))
	off += binary.PutUvarint(c[off:], uint64(len(v)))
	off += copy(c[off:], k)
	copy(c[off:], v)
	return loc
}

// reserve returns the location of n fresh bytes and counts them as live. It
// never moves or frees existing records, so arguments aliasing the arena
// stay valid while a record is written.
func (a *arena) reserve(n int) uint64 {
	if len(a.chunks) == 0 {
		a.active = -1 // the zero arena
	}
	a.live += n
	if n > ownChunk {
		ci := a.newChunk(n)
		a.meta[ci].fill = uint32(n)
		a.meta[ci].garbage = uint32(len(a.chunks[ci]) - n) // the allocator's rounding
		a.dead += len(a.chunks[ci]) - n
		return makeLoc(ci, 0)
	}
	if ci := a.active; ci >= 0 {
		f := int(a.meta[ci].fill)
		if f+n <= len(a.chunks[ci]) {
			a.meta[ci].fill = uint32(f + n)
			return makeLoc(ci, f)
		}
		// The unused tail is lost; the chunk may now be worth evacuating.
		a.active = -1
		a.kill(ci, len(a.chunks[ci])-f)
	}
	size := maxChunk
	if want := a.live / 4; want < maxChunk {
		// At least 4 records' worth, so the lost tails stay small.
		size = min(max(minChunk, 1<<bits.Len(uint(max(want, 4*n-1))), n), maxChunk)
	}
	ci := a.newChunk(size)
	a.active = ci
	a.meta[ci].fill = uint32(n)
	return makeLoc(ci, 0)
}

func (a *arena) newChunk(size int) int {
	var c []byte
	if size == maxChunk && a.spare != nil {
		c, a.spare = a.spare, nil
	} else {
		c = alloc(size)
	}
	a.alloc += len(c)
	if n := len(a.freeIdx); n > 0 {
		ci := int(a.freeIdx[n-1])
		a.freeIdx = a.freeIdx[:n-1]
		a.chunks[ci] = c
		a.meta[ci] = chunkMeta{}
		return ci
	}
	ci := len(a.chunks)
	if ci >= maxChunks {
		panic("bytemap: a map exceeds 2^20 chunks of records")
	}
	a.chunks = append(a.chunks, c)
	a.meta = append(a.meta, chunkMeta{})
	return ci
}

func (a *arena) freeChunk(ci int) {
	c := a.chunks[ci]
	a.alloc -= len(c)
	a.dead -= int(a.meta[ci].garbage)
	if len(c) == maxChunk && a.spare == nil {
		a.spare = c
	}
	a.chunks[ci] = nil
	a.meta[ci].fill, a.meta[ci].garbage = 0, 0
	a.freeIdx = append(a.freeIdx, uint32(ci))
}

// kill counts n bytes of chunk ci as garbage; settle then decides whether
// the chunk is to be freed or evacuated.
func (a *arena) kill(ci, n int) {
	a.meta[ci].garbage += uint32(n)
	a.dead += n
	a.victims = append(a.victims, uint32(ci))
}

// killAt counts the record of n bytes at loc as garbage.
func (a *arena) killAt(loc uint64, n int) {
	a.live -= n
	a.kill(int(loc>>offBits), n)
}

// worthEvacuating reports whether ci, not the active chunk, is at least half
// garbage.
func (a *arena) worthEvacuating(ci int) bool {
	return ci != a.active && int(a.meta[ci].garbage)*2 >= len(a.chunks[ci])
}

func (a *arena) bytes() int {
	return a.alloc + cap(a.chunks)*24 + cap(a.meta)*8 + cap(a.freeIdx)*4 + cap(a.victims)*4
}

func uvarint(b []byte) (int, int) {
	if c := b[0]; c < 0x80 {
		return int(c), 1
	}
	n, w := binary.Uvarint(b)
	return int(n), w
}

func uvarintLen(n int) int {
	w := 1
	for n >= 0x80 {
		n >>= 7
		w++
	}
	return w
}

// alloc returns n zero bytes with the capacity the allocator gives them
// anyway (append to a nil slice rounds up to the size class).
func alloc(n int) []byte {
	b := append([]byte(nil), make([]byte, n)...)
	return b[:cap(b)]
}
