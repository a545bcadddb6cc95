// Package bufpool recycles the byte buffers of the packed collection
// encodings (listpack, intset) by allocator size class. Those encodings grow
// one size class at a time, as Redis's realloc does, so a buffer is
// outgrown after a few inserts; handing the old buffer to the next
// collection that grows through the same class, instead of to the garbage
// collector, keeps the heap (and the resident set, which tracks the GC's
// heap goal, twice the live heap by default) close to the live data while
// thousands of small hashes or sets are loaded. It knows nothing of the
// encodings.
//
// Buffers are kept in one sync.Pool per size class, so the pool empties
// itself over two garbage collections when nothing is growing.
package bufpool

import (
	"sync"
	"unsafe"
)

// MaxPooled is the largest size class kept; larger buffers are whole pages
// that the runtime reuses well on its own.
const MaxPooled = 32 << 10

var (
	classes []int                  // the allocator's size classes up to MaxPooled, ascending
	index   [MaxPooled/8 + 1]uint8 // (n+7)/8 → index of the smallest class ≥ n
	pools   []sync.Pool            // one per class, holding unsafe.Pointer to class-sized arrays
)

func init() {
	// Asking the allocator for one more byte than each class found so far
	// walks its classes with one small allocation each.
	for n := 1; n <= MaxPooled; {
		c := cap(append([]byte(nil), make([]byte, n)...))
		classes = append(classes, c)
		n = c + 1
	}
	pools = make([]sync.Pool, len(classes))
	ci := 0
	for i := range index {
		for classes[ci] < i*8 {
			ci++
		}
		index[i] = uint8(ci)
	}
}

// class is the index of the smallest size class holding n bytes (n ≤ MaxPooled).
func class(n int) int {
	ci := int(index[(n+7)/8])
	for classes[ci] < n {
		ci++
	}
	return ci
}

// Get returns a buffer of length n whose capacity is n's size class. Its
// bytes are not zeroed: the caller overwrites all n.
func Get(n int) []byte {
	if n > MaxPooled {
		b := append([]byte(nil), make([]byte, n)...)
		return b[:n]
	}
	if n == 0 {
		return nil
	}
	ci := class(n)
	if p, _ := pools[ci].Get().(unsafe.Pointer); p != nil {
		return unsafe.Slice((*byte)(p), classes[ci])[:n]
	}
	return make([]byte, n, classes[ci])
}

// Sized reports whether c is a capacity Get hands out: a size class, or
// past MaxPooled. Other buffers were sized by their holder (a slab's share).
func Sized(c int) bool { return c > MaxPooled || classes[class(c)] == c }

// Put gives b back for reuse. Nothing may use b, or any slice of its array,
// afterwards.
func Put(b []byte) {
	c := cap(b)
	if c == 0 || c > MaxPooled {
		return
	}
	ci := class(c)
	if classes[ci] != c {
		return // not an allocator-sized buffer: keeping it would waste its tail
	}
	pools[ci].Put(unsafe.Pointer(unsafe.SliceData(b)))
}
