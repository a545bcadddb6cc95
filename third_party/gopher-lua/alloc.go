package lua

import (
	"math"
	"unsafe"
)

// iface is an internal representation of the go-interface.
type iface struct {
	itab unsafe.Pointer
	word unsafe.Pointer
}

// smallInts are the boxes of the integers smallIntMin..smallIntMax-1,
// shared: loop counters, indexes and small counts allocate nothing
// (smallredis: upstream preloaded 0..127).
const (
	smallIntMin = -1024
	smallIntMax = 32768
)

var smallInts [smallIntMax - smallIntMin]float64

func init() {
	for i := range smallInts {
		smallInts[i] = float64(i + smallIntMin)
	}
}

// allocator is a fast bulk memory allocator for the LValue.
//
// smallredis: floats come from a fixed-size block and the interface is
// built from LNumber's type word directly (upstream appended to a slice
// and patched a scratch interface: more stores, each with a write barrier
// while the GC runs).
type allocator struct {
	block *[allocBlock]float64
	n     int // floats of block handed out
}

// allocBlock is how many floats one block holds (upstream: 32).
const allocBlock = 128

// lnumberType is the type word of an LNumber stored in an LValue.
var lnumberType = func() unsafe.Pointer {
	var v LValue = LNumber(1.5)
	return (*iface)(unsafe.Pointer(&v)).itab
}()

func newAllocator(size int) *allocator {
	return &allocator{n: allocBlock}
}

// LNumber2I takes a number value and returns an interface LValue representing the same number.
// Converting an LNumber to a LValue naively, by doing:
// `var val LValue = myLNumber`
// will result in an individual heap alloc of 8 bytes for the float value. LNumber2I amortizes the cost and memory
// overhead of these allocs by allocating blocks of floats instead.
// The downside of this is that all of the floats on a given block have to become eligible for gc before the block
// as a whole can be gc-ed.
//
// smallredis: in three parts small enough to be inlined each, for
// mainLoopWithContext's fast loop (LNumber2I is too big to be).
func (al *allocator) LNumber2I(v LNumber) LValue {
	p := smallBox(float64(v))
	if p == nil {
		p = al.blockBox(float64(v))
	}
	return boxedNumber(p)
}

// smallBox is the shared box of f if f is in smallInts, or nil. Not for
// -0, which is not 0: 1/(0*-1) is -inf (smallredis).
func smallBox(f float64) *float64 {
	if f >= smallIntMin && f < smallIntMax && f == float64(int64(f)) && (f != 0 || math.Float64bits(f) == 0) {
		return &smallInts[int64(f)-smallIntMin]
	}
	return nil
}

// blockBox is a new box holding f, from the current block (smallredis).
func (al *allocator) blockBox(f float64) *float64 {
	if al.n == allocBlock {
		al.block = new([allocBlock]float64)
		al.n = 0
	}
	p := &al.block[al.n]
	al.n++
	*p = f
	return p
}

// boxedNumber is the LValue of the LNumber in *p (smallredis).
func boxedNumber(p *float64) LValue {
	var lv LValue
	i := (*iface)(unsafe.Pointer(&lv))
	i.itab, i.word = lnumberType, unsafe.Pointer(p)
	return lv
}

// NumberValue is n as an LValue, boxed as the interpreter boxes its own
// numbers (smallredis: from the state's blocks, without an allocation of
// its own).
func (ls *LState) NumberValue(n LNumber) LValue { return ls.alloc.LNumber2I(n) }
