package list

import (
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/num"
)

// Limits are list-max-listpack-size (Fill) and list-compress-depth
// (Depth), passed to every write so CONFIG SET applies to the next one, as
// in Redis. Depth is accepted and reported but nodes are never compressed.
type Limits struct {
	Fill  int
	Depth int
}

// DefaultLimits are Redis's defaults: 8 KB nodes, no compression.
var DefaultLimits = Limits{Fill: -2}

// Redis's quicklist constants (quicklist.c).
const (
	safetyLimit   = 8192 // SIZE_SAFETY_LIMIT: the byte cap of count-limited nodes
	estimateExtra = 8    // SIZE_ESTIMATE_OVERHEAD: an entry's overhead, overestimated
	lpOverhead    = 7    // a listpack's header and end byte
)

// optimizationLevel is the byte limit of fill -1 … -5.
var optimizationLevel = [...]int{4096, 8192, 16384, 32768, 65536}

// nodeLimit is quicklistNodeLimit: a node's byte limit for a negative fill
// (count unlimited), or its entry limit for a positive one (bytes
// unlimited but for the safety limit, checked separately).
func (lim Limits) nodeLimit() (size, count int) {
	const unlimited = int(^uint(0) >> 1)
	if lim.Fill >= 0 {
		return unlimited, max(lim.Fill, 1)
	}
	return optimizationLevel[min(-lim.Fill-1, len(optimizationLevel)-1)], unlimited
}

// exceeds is quicklistNodeExceedsLimit for a node of sz bytes (as Redis
// counts them) and count entries.
func (lim Limits) exceeds(sz, count int) bool {
	size, n := lim.nodeLimit()
	if lim.Fill < 0 {
		return sz > size
	}
	return sz > safetyLimit || count > n
}

// defaultPackedThreshold is Redis's packed_threshold: 1 GB.
const defaultPackedThreshold = 1 << 30

// packedThreshold is DEBUG QUICKLIST-PACKED-THRESHOLD: process-wide, as in
// Redis, and only for tests (elements from this size on get plain nodes).
var packedThreshold atomic.Int64

func init() { packedThreshold.Store(defaultPackedThreshold) }

// SetPackedThreshold is DEBUG QUICKLIST-PACKED-THRESHOLD: 0 restores the
// default; it reports false (changing nothing) past 4 GB - 1 MB, as
// quicklistSetPackedThreshold.
func SetPackedThreshold(sz uint64) bool {
	if sz > 1<<32-1<<20 {
		return false
	}
	if sz == 0 {
		sz = defaultPackedThreshold
	}
	packedThreshold.Store(int64(sz))
	return true
}

// large is isLargeElement: an element this long gets a node of its own
// (a "plain" node in Redis).
func (lim Limits) large(sz int) bool {
	if t := packedThreshold.Load(); t != defaultPackedThreshold {
		return int64(sz) >= t
	}
	if lim.Fill >= 0 {
		return sz > safetyLimit
	}
	size, _ := lim.nodeLimit()
	return sz > size
}

// nodeBytes is how far a node's buffer may grow before it is full, for
// growing buffers geometrically without overshooting.
func (lim Limits) nodeBytes() int {
	if size, _ := lim.nodeLimit(); lim.Fill < 0 {
		return size
	}
	return safetyLimit
}

// entrySize is the size of v's entry in a Redis listpack (lpEncodeGetType
// plus the back-length): integers are stored in 1 to 9 bytes, strings with
// a 1, 2 or 5 byte header. Node limits are decided on these sizes so that
// lists convert and split exactly where Redis's do, whatever our own
// encoding costs.
func entrySize(v []byte) int {
	if n, ok := parseInt(v); ok {
		switch {
		case n >= 0 && n <= 127:
			return 2
		case n >= -4096 && n <= 4095:
			return 3
		case n >= -32768 && n <= 32767:
			return 4
		case n >= -8388608 && n <= 8388607:
			return 5
		case n >= -2147483648 && n <= 2147483647:
			return 6
		}
		return 10
	}
	l := len(v)
	switch {
	case l < 64:
		l++
	case l < 4096:
		l += 2
	default:
		l += 5
	}
	switch {
	case l <= 127:
		return l + 1
	case l < 16383:
		return l + 2
	case l < 2097151:
		return l + 3
	case l < 268435455:
		return l + 4
	}
	return l + 5
}

// parseInt is Redis's string2ll (lpStringToInt64).
func parseInt(v []byte) (int64, bool) { return num.ParseInt(v) }
