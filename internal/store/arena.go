package store

import "math/bits"

// arena holds a shard's records in []byte chunks: the garbage collector sees
// one pointer per chunk, never one per key.
//
// Records are appended to the active chunk. Chunk sizes grow with the shard
// (an eighth of its live bytes, between minChunk and maxChunk) so that a
// nearly empty database does not hold 64 shards × maxChunk, while the space
// lost in partly filled chunks stays small. A record larger than maxChunk
// (only possible with a huge key, as long values live outside the arena) gets
// a chunk of its own.
//
// A location is chunk index << locOffBits | offset/4. With 4-aligned records
// and chunks of at most 32 KiB that leaves 19 bits of chunk index: 16 GiB of
// records per shard, 1 TiB per database.
//
// Deleting or moving a record only marks it dead and counts its bytes as
// garbage. A chunk whose records are all dead is freed (or, if active,
// rewound). A chunk with at least half of its space reclaimable is queued for
// evacuation: its live records are copied to the active chunk a little at a
// time, in proportion to the garbage each write creates (see shard.maintain),
// so no single operation pays for a whole chunk.
type arena struct {
	chunks  [][]byte // nil for a free index
	fill    []uint32 // bytes appended to each chunk
	garbage []uint32 // dead bytes in each chunk (records and fillers)
	state   []uint8  // chunkQueued, chunkTouched
	freeIdx []uint32 // free chunk indices
	spare   [][]byte // emptied maxChunk chunks kept for reuse
	active  int      // chunk receiving appends, -1 if none
	victims []uint32 // chunks queued for evacuation
	touched []uint32 // chunks that gained garbage during the current operation
	evac    int      // chunk being evacuated, -1 if none
	evacOff int      // evacuation progress within it
	live    int64    // bytes of live records
	alloc   int64    // bytes in chunks

	opGarbage int64 // garbage created by the current operation (sizes compaction work)

	// tight queues chunks for evacuation at a quarter reclaimable instead of
	// half: the keyspace is near its memory limit, where garbage awaiting
	// compaction would push the process past its budget (Keyspace.SetMemoryPressure).
	tight bool
}

const (
	minChunk   = 1 << 10
	maxChunk   = 32 << 10
	locOffBits = 13 // offsets up to maxChunk in units of 4 bytes
	maxChunks  = 1 << (32 - locOffBits)
	maxSpare   = 2

	chunkQueued  = 1
	chunkTouched = 2
)

func newArena() arena { return arena{active: -1, evac: -1} }

func (a *arena) at(loc uint32) ([]byte, int) {
	return a.chunks[loc>>locOffBits], int(loc&(1<<locOffBits-1)) << 2
}

func (a *arena) rec(loc uint32) rec {
	c, off := a.at(loc)
	return decode(c, off)
}

// reserve returns the location of n fresh bytes (n a multiple of 4) and
// counts them as live. It never moves or frees existing records, so values
// aliasing the arena stay valid while a new record is written.
func (a *arena) reserve(n int) uint32 {
	a.live += int64(n)
	if n > maxChunk {
		ci := a.newChunk(n)
		a.fill[ci] = uint32(n)
		return uint32(ci) << locOffBits
	}
	if a.active >= 0 {
		ci := a.active
		f := int(a.fill[ci])
		if f+n <= len(a.chunks[ci]) {
			a.fill[ci] = uint32(f + n)
			return uint32(ci)<<locOffBits | uint32(f>>2)
		}
		// The unused tail is lost; the chunk may now qualify for evacuation.
		a.active = -1
		a.touch(ci)
	}
	size := maxChunk
	if want := int(a.live / 8); want < maxChunk {
		size = max(minChunk, 1<<bits.Len(uint(want)), n)
		size = min(size, maxChunk)
	}
	ci := a.newChunk(size)
	a.active = ci
	a.fill[ci] = uint32(n)
	return uint32(ci) << locOffBits
}

func (a *arena) newChunk(size int) int {
	var c []byte
	if size == maxChunk && len(a.spare) > 0 {
		c = a.spare[len(a.spare)-1]
		a.spare = a.spare[:len(a.spare)-1]
	} else {
		c = make([]byte, size)
	}
	a.alloc += int64(len(c))
	if n := len(a.freeIdx); n > 0 {
		ci := int(a.freeIdx[n-1])
		a.freeIdx = a.freeIdx[:n-1]
		a.chunks[ci] = c
		a.fill[ci], a.garbage[ci], a.state[ci] = 0, 0, 0
		return ci
	}
	ci := len(a.chunks)
	if ci >= maxChunks {
		panic("store: shard arena exceeds 16 GiB of records")
	}
	a.chunks = append(a.chunks, c)
	a.fill = append(a.fill, 0)
	a.garbage = append(a.garbage, 0)
	a.state = append(a.state, 0)
	return ci
}

func (a *arena) freeChunk(ci int) {
	c := a.chunks[ci]
	a.alloc -= int64(len(c))
	if len(c) == maxChunk && len(a.spare) < maxSpare {
		a.spare = append(a.spare, c)
	}
	a.chunks[ci] = nil
	a.fill[ci], a.garbage[ci] = 0, 0
	a.state[ci] &^= chunkTouched // a queued flag is cleared when the queue entry is popped
	a.freeIdx = append(a.freeIdx, uint32(ci))
	if a.evac == ci {
		a.evac = -1
	}
}

// kill counts n bytes at loc as garbage.
func (a *arena) kill(loc uint32, n int) { a.killIn(int(loc>>locOffBits), n) }

func (a *arena) killIn(ci int, n int) {
	a.garbage[ci] += uint32(n)
	a.live -= int64(n)
	a.opGarbage += int64(n)
	a.touch(ci)
}

// touch remembers that ci's garbage grew, for the end of the operation: freeing
// or queueing chunks must wait until callbacks can no longer hold slices into
// them.
func (a *arena) touch(ci int) {
	if a.state[ci]&chunkTouched == 0 {
		a.state[ci] |= chunkTouched
		a.touched = append(a.touched, uint32(ci))
	}
}

// reclaimable is the space evacuating ci would give back.
func (a *arena) reclaimable(ci int) int {
	r := int(a.garbage[ci])
	if ci != a.active {
		r += len(a.chunks[ci]) - int(a.fill[ci])
	}
	return r
}

// worthEvacuating reports whether evacuating ci gives back enough: half the
// chunk, or a quarter when memory is tight (each byte reclaimed then costs
// copying up to three live ones, instead of one).
func (a *arena) worthEvacuating(ci int) bool {
	div := 2
	if a.tight {
		div = 4
	}
	return a.reclaimable(ci)*div >= len(a.chunks[ci])
}

// settle frees chunks that died during the operation and queues those now
// worth evacuating.
func (a *arena) settle() {
	for _, c := range a.touched {
		ci := int(c)
		a.state[ci] &^= chunkTouched
		if a.chunks[ci] == nil {
			continue
		}
		if a.garbage[ci] == a.fill[ci] {
			if ci == a.active {
				a.fill[ci], a.garbage[ci] = 0, 0 // rewind: nothing in it is referenced
				continue
			}
			a.freeChunk(ci)
			continue
		}
		if ci != a.active && a.state[ci]&chunkQueued == 0 && a.worthEvacuating(ci) {
			a.state[ci] |= chunkQueued
			a.victims = append(a.victims, uint32(ci))
		}
	}
	a.touched = a.touched[:0]
}

// nextVictim picks the next chunk to evacuate, or -1.
func (a *arena) nextVictim() int {
	for len(a.victims) > 0 {
		ci := int(a.victims[0])
		copy(a.victims, a.victims[1:])
		a.victims = a.victims[:len(a.victims)-1]
		a.state[ci] &^= chunkQueued
		// The index may have been freed and reused since it was queued.
		if a.chunks[ci] != nil && ci != a.active && a.worthEvacuating(ci) {
			return ci
		}
	}
	return -1
}

func (a *arena) reset() {
	*a = newArena()
}
