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

const preloadLimit LNumber = 128

var preloads [int(preloadLimit)]LValue

func init() {
	for i := 0; i < int(preloadLimit); i++ {
		preloads[i] = LNumber(i)
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
func (al *allocator) LNumber2I(v LNumber) LValue {
	// first check for shared preloaded numbers (smallredis: not for -0,
	// which is not 0's box: 1/(0*-1) is -inf)
	if v >= 0 && v < preloadLimit && float64(v) == float64(int64(v)) && (v != 0 || !math.Signbit(float64(v))) {
		return preloads[int(v)]
	}
	if al.n == allocBlock {
		al.block = new([allocBlock]float64)
		al.n = 0
	}
	p := &al.block[al.n]
	al.n++
	*p = float64(v)
	var lv LValue
	i := (*iface)(unsafe.Pointer(&lv))
	i.itab, i.word = lnumberType, unsafe.Pointer(p)
	return lv
}

// NumberValue is n as an LValue, boxed as the interpreter boxes its own
// numbers (smallredis: from the state's blocks, without an allocation of
// its own).
func (ls *LState) NumberValue(n LNumber) LValue { return ls.alloc.LNumber2I(n) }
