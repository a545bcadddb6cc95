// Package slice32 is a byte slice in 16 bytes instead of a slice header's
// 24: a pointer to its first byte and 32-bit length and capacity. The
// per-key objects of small collections (a listpack hash, an intset or
// listpack set) hold their one buffer this way, which takes their objects
// from the allocator's 48-byte class to its 32-byte one: across 10,000
// small hashes 160 KB, about as much as their records in the store. It
// knows nothing of what the bytes hold.
//
// The pointer is a real pointer to the buffer's first byte, so the garbage
// collector keeps the buffer alive; buffers of 4 GiB and more do not fit.
package slice32

import (
	"math"
	"unsafe"
)

// Bytes is a []byte; the zero value is nil.
type Bytes struct {
	p    *byte
	n, c uint32
}

// Of is b as Bytes; b's capacity must be below 4 GiB.
func Of(b []byte) Bytes {
	if uint64(cap(b)) > math.MaxUint32 {
		panic("slice32: buffer of 4 GiB or more")
	}
	return Bytes{p: unsafe.SliceData(b), n: uint32(len(b)), c: uint32(cap(b))}
}

// Slice is the []byte again.
func (s Bytes) Slice() []byte {
	if s.p == nil {
		return nil
	}
	return unsafe.Slice(s.p, s.c)[:s.n]
}

// Len and Cap are the slice's length and capacity.
func (s Bytes) Len() int { return int(s.n) }
func (s Bytes) Cap() int { return int(s.c) }
