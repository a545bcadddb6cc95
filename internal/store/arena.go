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
// garbage. The dead space becomes a hole that a later record of at most its
// size can take (see holes), as an allocator reuses a freed block: a cache
// that evicts one key for every key it writes, values of one size, then
// refills its holes instead of copying live records around to compact, and
// its memory stays at what it holds. A chunk whose records are all dead is
// freed (or, if active, rewound). A chunk with at least half of its space reclaimable is queued for
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

	// Holes: dead space (a dead record, or a filler) that reserve may hand
	// out again, by size class, taken last in first out. An entry is valid
	// while its chunk's generation is the one it was recorded under: freeing,
	// rewinding or queueing a chunk for evacuation bumps the generation, which
	// invalidates its entries at once (they are dropped when met, or pruned).
	// Space killed during an operation waits in fresh until the operation
	// ends, as values being written may alias it until then.
	holes  [][]hole // holeClasses lists, made when the first hole is listed
	fresh  []hole
	gen    []uint32 // per chunk index
	listed []uint32 // valid entries per chunk index
	nholes int      // entries in holes
	stale  int      // of which invalid

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

	// minHole is the smallest dead space worth listing: smaller holes would
	// fit only records of tiny keys with tiny values.
	minHole     = 16
	holeScan    = 8                // entries of a class fromHole looks at
	holeClasses = 4 + (15-6)*4 + 1 // holeClass(maxChunk) + 1
)

// hole is dead space of size bytes at loc, recorded under generation gen of
// its chunk.
type hole struct{ loc, gen, size uint32 }

// holeClass buckets hole sizes four classes per power of two, so that every
// hole of a class above holeClass(n) fits n bytes.
func holeClass(size int) int {
	if size < 64 {
		return size >> 4
	}
	b := bits.Len(uint(size)) - 1
	return 4 + (b-6)*4 + (size>>(b-2))&3
}

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
	if a.nholes > 0 {
		if loc, ok := a.fromHole(n); ok {
			return loc
		}
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

// fromHole takes n bytes from a listed hole: one of the latest few of n's
// class that is large enough, else the latest of the next classes up, where
// any hole fits. A remainder becomes a filler, and a hole again if worth
// listing.
func (a *arena) fromHole(n int) (uint32, bool) {
	first := holeClass(n)
	for c := first; c < min(first+3, len(a.holes)); c++ {
		l := a.holes[c]
		for len(l) > 0 && l[len(l)-1].gen != a.gen[l[len(l)-1].loc>>locOffBits] {
			l = l[:len(l)-1]
			a.nholes--
			a.stale--
		}
		a.holes[c] = l
		// Records of one kind differ by a few bytes (key lengths): look a
		// little way down the first class rather than only at its top.
		for k := len(l) - 1; k >= max(0, len(l)-holeScan); k-- {
			h := l[k]
			ci := int(h.loc >> locOffBits)
			if int(h.size) < n || h.gen != a.gen[ci] {
				continue
			}
			l[k] = l[len(l)-1]
			a.holes[c] = l[:len(l)-1]
			a.nholes--
			a.listed[ci]--
			a.garbage[ci] -= uint32(n)
			if rest := int(h.size) - n; rest > 0 {
				ch, off := a.at(h.loc)
				putFiller(ch, off+n, rest)
				if rest >= minHole {
					a.list(hole{h.loc + uint32(n>>2), h.gen, uint32(rest)})
				}
			}
			return h.loc, true
		}
	}
	return 0, false
}

// list makes a valid hole available to reserve.
func (a *arena) list(h hole) {
	c := holeClass(int(h.size))
	if a.holes == nil {
		a.holes = make([][]hole, holeClasses)
	}
	a.holes[c] = append(a.holes[c], h)
	a.nholes++
	a.listed[h.loc>>locOffBits]++
}

// recycle bumps ci's generation: its listed holes are no longer valid.
func (a *arena) recycle(ci int) {
	a.gen[ci]++
	a.stale += int(a.listed[ci])
	a.listed[ci] = 0
}

// pruneHoles drops invalid entries once they are most of the lists, so
// holes of chunks freed by evacuation or whole deletes do not pile up.
func (a *arena) pruneHoles() {
	for c := range a.holes {
		l := a.holes[c][:0]
		for _, h := range a.holes[c] {
			if h.gen == a.gen[h.loc>>locOffBits] {
				l = append(l, h)
			}
		}
		clear(a.holes[c][len(l):])
		a.holes[c] = l
	}
	a.nholes -= a.stale
	a.stale = 0
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
	a.gen = append(a.gen, 0)
	a.listed = append(a.listed, 0)
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
	a.recycle(ci)
	if a.evac == ci {
		a.evac = -1
	}
}

// kill counts n bytes at loc as garbage, to be reused as a hole once the
// operation ends (unless the chunk is on its way out).
func (a *arena) kill(loc uint32, n int) {
	ci := int(loc >> locOffBits)
	a.killIn(ci, n)
	if n >= minHole && n <= maxChunk && a.state[ci]&chunkQueued == 0 && ci != a.evac {
		a.fresh = append(a.fresh, hole{loc, a.gen[ci], uint32(n)})
	}
}

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
				a.recycle(ci)
				continue
			}
			a.freeChunk(ci)
			continue
		}
		if ci != a.active && a.state[ci]&chunkQueued == 0 && a.worthEvacuating(ci) {
			a.state[ci] |= chunkQueued
			a.victims = append(a.victims, uint32(ci))
			a.recycle(ci) // its holes will go with it
		}
	}
	a.touched = a.touched[:0]
	for _, h := range a.fresh {
		if ci := int(h.loc >> locOffBits); h.gen == a.gen[ci] && a.state[ci]&chunkQueued == 0 && ci != a.evac {
			a.list(h)
		}
	}
	a.fresh = a.fresh[:0]
	if a.stale > 256 && a.stale*2 > a.nholes {
		a.pruneHoles()
	}
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
