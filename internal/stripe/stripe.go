// Package stripe owns counters that many event loops add to at once
// without sharing a cache line: each writer adds to its own stripe (its
// event loop's), and a reader sums the stripes. A counter every command
// increments, kept as one atomic, is one cache line that every core takes
// in turn on every command; striped, each loop's line stays in its own
// core's cache and only INFO pays, once per read, for visiting them all.
//
// The package knows nothing of what is counted or who the writers are: a
// writer passes any small integer as its stripe (the server uses the event
// loop's index), and writers that share a stripe are still correct, only
// slower.
package stripe

import (
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/procs"
)

// lineWords is the distance, in int64s, kept between two stripes' counters:
// 128 bytes, two cache lines, since x86 fetches lines in adjacent pairs.
const lineWords = 16

// maxStripes bounds the memory a Set takes on very large machines; more
// writers than stripes share them.
const maxStripes = 64

// Stripes is how many stripes NewSet and Counter.Init make by default:
// the most Ps the process may use (procs.Limit) rounded up to a power of
// two (at most 64), since at most that many goroutines run, and so add,
// at once.
func Stripes() int {
	n := 1
	for n < procs.Limit() && n < maxStripes {
		n *= 2
	}
	return n
}

// Set is n counters per stripe, each stripe's n in a block of its own
// cache lines: the way to stripe many counters (one per command) without
// padding each. Safe for concurrent use.
type Set struct {
	n, stride int
	mask      uint
	c         []atomic.Int64
}

// NewSet makes a Set of n counters over Stripes() stripes.
func NewSet(n int) *Set {
	stripes := Stripes()
	// Blocks are lineWords apart at least, whatever the slice's alignment.
	stride := (n+lineWords-1)/lineWords*lineWords + lineWords
	return &Set{n: n, stride: stride, mask: uint(stripes - 1), c: make([]atomic.Int64, stripes*stride)}
}

// Add adds d to counter i on the stripe (taken modulo the stripes).
func (s *Set) Add(stripe, i int, d int64) {
	s.c[int(uint(stripe)&s.mask)*s.stride+i].Add(d)
}

// Load sums counter i over the stripes.
func (s *Set) Load(i int) int64 {
	var t int64
	for j := i; j < len(s.c); j += s.stride {
		t += s.c[j].Load()
	}
	return t
}

// Reset sets counter i to zero. Adds that run meanwhile may survive it.
func (s *Set) Reset(i int) {
	for j := i; j < len(s.c); j += s.stride {
		s.c[j].Store(0)
	}
}

// Counter is one striped counter. The zero Counter works, as a single
// shared atomic; Init stripes it.
type Counter struct {
	cells []cell // nil: only base
	mask  uint
	base  atomic.Int64
}

type cell struct {
	n atomic.Int64
	_ [lineWords*8 - 8]byte
}

// Init stripes c over Stripes() stripes. Call it before c is shared.
func (c *Counter) Init() {
	n := Stripes()
	// One cell more than the stripes, and never the first: the first may
	// share its line with whatever precedes the slice.
	c.cells = make([]cell, n+1)[1:]
	c.mask = uint(n - 1)
}

// Add adds d on the stripe.
func (c *Counter) Add(stripe int, d int64) {
	if c.cells == nil {
		c.base.Add(d)
		return
	}
	c.cells[uint(stripe)&c.mask].n.Add(d)
}

// Load sums the stripes.
func (c *Counter) Load() int64 {
	t := c.base.Load()
	for i := range c.cells {
		t += c.cells[i].n.Load()
	}
	return t
}

// Store sets the counter to v (CONFIG RESETSTAT). Adds that run meanwhile
// may survive it.
func (c *Counter) Store(v int64) {
	for i := range c.cells {
		c.cells[i].n.Store(0)
	}
	c.base.Store(v)
}
