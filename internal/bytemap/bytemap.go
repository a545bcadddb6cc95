// Package bytemap is a hash map from byte strings to byte strings for the
// large encodings of hashes (field → value) and sets (member → empty): open
// addressing over byte arenas, no Go pointer per entry, so a million
// entries cost the garbage collector nothing and well under Go's
// map[string]string. It knows nothing of RESP, commands or the store.
//
// The index is a Robin Hood table of uint64 slots (hash bits | record
// location, table.go); the records live in []byte chunks with incremental
// compaction (arena.go); Scan walks home buckets in Redis's reverse-binary
// order (scan.go). Keys are hashed with hash/maphash under a seed chosen per
// process, so clients cannot aim collisions at it.
//
// A Map is not safe for concurrent use. The zero value is an empty map.
package bytemap

import (
	"hash/maphash"
	"math/rand/v2"
	"unsafe"
)

// Map maps byte strings to byte strings.
type Map struct {
	tab table
	ar  arena
}

// structBytes is the Map value itself, counted by Bytes.
const structBytes = int(unsafe.Sizeof(Map{}))

var seed = maphash.MakeSeed()

func hashOf(k []byte) uint32 { return hash28(maphash.Bytes(seed, k)) }

// New returns an empty map sized for about hint entries.
func New(hint int) *Map {
	m := &Map{ar: newArena()}
	if hint > 0 {
		m.tab.resize(hint)
	}
	return m
}

// Len is the number of entries.
func (m *Map) Len() int { return m.tab.count }

// Bytes is the memory the map holds, in O(1): slots, chunks (live records
// and garbage awaiting compaction) and bookkeeping.
func (m *Map) Bytes() int { return structBytes + cap(m.tab.slots)*8 + m.ar.bytes() }

// find is the slot of k, -1 when absent.
func (m *Map) find(k []byte, h uint32) int {
	t := &m.tab
	if t.count == 0 {
		return -1
	}
	p := t.start(h)
	for d := 0; ; d++ {
		s := t.slots[p]
		if s == 0 || t.dist(s, p) < d {
			return -1
		}
		if slotHash(s) == h {
			if rk, _, _ := m.ar.record(slotLoc(s)); string(rk) == string(k) {
				return p
			}
		}
		p = t.next(p)
	}
}

// Get returns k's value. It aliases the map until its next change.
func (m *Map) Get(k []byte) ([]byte, bool) {
	p := m.find(k, hashOf(k))
	if p < 0 {
		return nil, false
	}
	_, v, _ := m.ar.record(slotLoc(m.tab.slots[p]))
	return v, true
}

// Has reports whether k is present.
func (m *Map) Has(k []byte) bool { return m.find(k, hashOf(k)) >= 0 }

// Set stores k → v (both copied) and reports whether k is new.
func (m *Map) Set(k, v []byte) bool {
	h := hashOf(k)
	p := m.find(k, h)
	if p < 0 {
		m.tab.insert(makeSlot(h, m.ar.write(k, v)))
		m.settle()
		return true
	}
	loc := slotLoc(m.tab.slots[p])
	_, old, size := m.ar.record(loc)
	if len(old) == len(v) {
		copy(old, v)
		return false
	}
	// The new record is written before the old one is let go, so v may
	// alias the map (a value just read with Get).
	m.tab.slots[p] = makeSlot(h, m.ar.write(k, v))
	m.ar.killAt(loc, size)
	m.settle()
	return false
}

// Delete removes k and reports whether it was present.
func (m *Map) Delete(k []byte) bool {
	p := m.find(k, hashOf(k))
	if p < 0 {
		return false
	}
	loc := slotLoc(m.tab.slots[p])
	_, _, size := m.ar.record(loc)
	m.tab.remove(p)
	if m.tab.count == 0 {
		m.ar = newArena()
		return true
	}
	m.ar.killAt(loc, size)
	m.settle()
	return true
}

// settle frees the chunks the operation emptied and evacuates those it
// left at least half garbage.
func (m *Map) settle() {
	a := &m.ar
	for len(a.victims) > 0 {
		ci := int(a.victims[len(a.victims)-1])
		a.victims = a.victims[:len(a.victims)-1]
		switch {
		case a.chunks[ci] == nil:
		case ci == a.active && a.meta[ci].garbage == a.meta[ci].fill:
			a.dead -= int(a.meta[ci].garbage)
			a.meta[ci].fill, a.meta[ci].garbage = 0, 0 // rewind: nothing in it is referenced
		case ci != a.active && int(a.meta[ci].garbage) == len(a.chunks[ci]):
			a.freeChunk(ci)
		case a.worthEvacuating(ci):
			m.evacuate(ci)
		}
	}
	if cap(a.victims) > 64 {
		a.victims = nil
	}
}

// evacuate moves chunk ci's live records to the active chunk and frees it.
// A record is live when a slot holds its hash and location; slots are found
// by hashing the record's key, so no per-record flag is needed.
func (m *Map) evacuate(ci int) {
	a, t := &m.ar, &m.tab
	c := a.chunks[ci]
	fill := int(a.meta[ci].fill)
	for off := 0; off < fill; {
		k, v, size := decode(c, off)
		loc := makeLoc(ci, off)
		h := hashOf(k)
		want := makeSlot(h, loc)
		p := t.start(h)
		for d := 0; ; d++ {
			s := t.slots[p]
			if s == 0 || t.dist(s, p) < d {
				break // dead
			}
			if s == want {
				// Counted live again by write, dead here by kill, so
				// that the chunk's garbage reaches its fill and it is freed.
				t.slots[p] = makeSlot(h, a.write(k, v))
				a.live -= size
				a.meta[ci].garbage += uint32(size)
				a.dead += size
				break
			}
			p = t.next(p)
		}
		off += size
	}
	a.freeChunk(ci)
}

// Range calls fn for every entry until it returns false. fn must not
// change the map.
func (m *Map) Range(fn func(k, v []byte) bool) {
	for _, s := range m.tab.slots {
		if s == 0 {
			continue
		}
		k, v, _ := m.ar.record(slotLoc(s))
		if !fn(k, v) {
			return
		}
	}
}

// Random returns an entry chosen uniformly at random; the map must not be
// empty. The slices alias the map until its next change. The table is
// always at least an eighth full, so a random slot is soon an occupied one.
func (m *Map) Random() (k, v []byte) {
	if m.tab.count == 0 {
		panic("bytemap: Random on an empty map")
	}
	for {
		if s := m.tab.slots[rand.IntN(len(m.tab.slots))]; s != 0 {
			k, v, _ = m.ar.record(slotLoc(s))
			return k, v
		}
	}
}

// Clone is a deep copy, its records compacted.
func (m *Map) Clone() *Map {
	c := &Map{ar: newArena()}
	c.tab.bits, c.tab.count = m.tab.bits, m.tab.count
	if m.tab.count == 0 {
		return c
	}
	c.tab.slots = make([]uint64, len(m.tab.slots))
	for p, s := range m.tab.slots {
		if s != 0 {
			k, v, _ := m.ar.record(slotLoc(s))
			c.tab.slots[p] = makeSlot(slotHash(s), c.ar.write(k, v))
		}
	}
	c.settle() // chunk tails
	return c
}
