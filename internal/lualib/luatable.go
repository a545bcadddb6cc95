package lualib

import (
	"math"
	"runtime"
	"sync"
	"weak"

	lua "github.com/yuin/gopher-lua"
)

// This file recovers the order in which C Lua 5.1's lua_next would walk a
// table, so that cjson objects and msgpack maps list their keys as Redis
// does. gopher-lua walks a table in insertion order; C Lua walks its array
// part, then its hash nodes, whose layout follows from the keys' hashes and
// the history of insertions and rehashes (ltable.c). That history is not
// kept, so it is replayed from gopher-lua's insertion order, with a guess
// at how the table began (see built): exact for string keys when the guess
// is right, and for tables of one key.

const luaMaxBits = 26 // MAXBITS: the array part holds at most 2^26 slots

type luaNode struct {
	key  lua.LValue // nil: free
	next int        // -1: end of chain
}

// luaTableSim is the shape of a C Lua table: which array slots are used
// and which key sits in each hash node.
type luaTableSim struct {
	array    []bool
	node     []luaNode
	dummy    bool // the shared empty node part
	lastfree int
	ptrs     map[lua.LValue]uint32 // stand-in hashes of keys hashed by address
}

// KeyOrder returns t's keys in the order C Lua 5.1's next() would give
// them (see above), for callers that want Redis's pairs() order.
func KeyOrder(t *lua.LTable) []lua.LValue { return luaNextOrder(t) }

// luaNextOrder returns t's keys in C Lua's lua_next order.
// built records the tables cjson.decode and cmsgpack.unpack made: those
// were filled key by key from empty, as in C. Any other table is taken for
// a constructor's ({a=1, b=2}: its hash part sized for all its keys, then
// filled in order), the commonest way scripts build what they encode.
var built struct {
	mu sync.Mutex
	m  map[weak.Pointer[lua.LTable]]struct{}
}

// markBuilt records that t is being filled key by key from empty.
func markBuilt(t *lua.LTable) {
	wp := weak.Make(t)
	built.mu.Lock()
	if built.m == nil {
		built.m = map[weak.Pointer[lua.LTable]]struct{}{}
	}
	built.m[wp] = struct{}{}
	built.mu.Unlock()
	runtime.AddCleanup(t, func(wp weak.Pointer[lua.LTable]) {
		built.mu.Lock()
		delete(built.m, wp)
		built.mu.Unlock()
	}, wp)
}

func isBuilt(t *lua.LTable) bool {
	built.mu.Lock()
	_, ok := built.m[weak.Make(t)]
	built.mu.Unlock()
	return ok
}

func int2fb(x int) int {
	e := 0
	for x >= 16 {
		x = (x + 1) >> 1
		e++
	}
	if x < 8 {
		return x
	}
	return (e+1)<<3 | (x - 8)
}

func fb2int(x int) int {
	e := (x >> 3) & 31
	if e == 0 {
		return x
	}
	return (x&7 + 8) << (e - 1)
}

func luaNextOrder(t *lua.LTable) []lua.LValue {
	var keys []lua.LValue
	each(t, func(k, _ lua.LValue) bool {
		keys = append(keys, k)
		return true
	})
	if len(keys) < 2 {
		return keys
	}
	s := luaTableSim{dummy: true, node: make([]luaNode, 1)}
	s.node[0].next = -1
	if !isBuilt(t) {
		na := 0
		for na < len(keys) && keys[na] == lua.LNumber(na+1) {
			na++
		}
		s.array = make([]bool, fb2int(int2fb(na)))
		if nh := fb2int(int2fb(len(keys) - na)); nh > 0 {
			size := 1 << ceilLog2(nh)
			s.node, s.dummy, s.lastfree = make([]luaNode, size), false, size
			for j := range s.node {
				s.node[j].next = -1
			}
		}
	}
	for _, k := range keys {
		s.set(k)
	}
	out := make([]lua.LValue, 0, len(keys))
	for i, used := range s.array {
		if used {
			out = append(out, lua.LNumber(i+1))
		}
	}
	if !s.dummy {
		for _, n := range s.node {
			if n.key != nil {
				out = append(out, n.key)
			}
		}
	}
	return out
}

// luaStringHash is Lua 5.1's string hash (lstring.c).
func luaStringHash(s string) uint32 {
	l := len(s)
	h := uint32(l)
	step := (l >> 5) + 1
	for l1 := l; l1 >= step; l1 -= step {
		h ^= (h << 5) + (h >> 2) + uint32(s[l1-1])
	}
	return h
}

// arrayIndex is ltable.c's arrayindex: the key as an int when it is one.
func arrayIndex(k lua.LValue) int {
	if n, ok := k.(lua.LNumber); ok {
		f := float64(n)
		if i := dtoi32(f); float64(i) == f {
			return int(i)
		}
	}
	return -1
}

func (s *luaTableSim) size() int { return len(s.node) }

func (s *luaTableSim) mainPosition(k lua.LValue) int {
	size := s.size()
	switch x := k.(type) {
	case lua.LNumber:
		f := float64(x)
		if f == 0 {
			return 0
		}
		b := math.Float64bits(f)
		a := uint32(b) + uint32(b>>32)
		return int(a % uint32((size-1)|1))
	case lua.LString:
		return int(luaStringHash(string(x)) & uint32(size-1))
	case lua.LBool:
		if x {
			return 1 & (size - 1)
		}
		return 0
	}
	// Tables and functions hash by address in C: any fixed value will do.
	if s.ptrs == nil {
		s.ptrs = map[lua.LValue]uint32{}
	}
	h, ok := s.ptrs[k]
	if !ok {
		h = uint32(len(s.ptrs)) * 2654435761
		s.ptrs[k] = h
	}
	return int(h % uint32((size-1)|1))
}

// set inserts a key that is not in the table yet (luaH_set of a new key).
func (s *luaTableSim) set(k lua.LValue) {
	if i := arrayIndex(k); i >= 1 && i <= len(s.array) {
		s.array[i-1] = true
		return
	}
	mp := s.mainPosition(k)
	if s.dummy || s.node[mp].key != nil {
		n := s.freePos()
		if n < 0 {
			s.rehash(k)
			s.set(k)
			return
		}
		othern := s.mainPosition(s.node[mp].key)
		if othern != mp {
			// The colliding node is out of its main position: move it.
			for s.node[othern].next != mp {
				othern = s.node[othern].next
			}
			s.node[othern].next = n
			s.node[n] = s.node[mp]
			s.node[mp].next = -1
		} else {
			s.node[n].next = s.node[mp].next
			s.node[mp].next = n
			mp = n
		}
	}
	s.node[mp].key = k
}

func (s *luaTableSim) freePos() int {
	if s.dummy {
		return -1
	}
	for s.lastfree > 0 {
		s.lastfree--
		if s.node[s.lastfree].key == nil {
			return s.lastfree
		}
	}
	return -1
}

func ceilLog2(x int) int {
	l := 0
	for 1<<l < x {
		l++
	}
	return l
}

func countInt(k lua.LValue, nums *[luaMaxBits + 1]int) int {
	if i := arrayIndex(k); i > 0 && i <= 1<<luaMaxBits {
		nums[ceilLog2(i)]++
		return 1
	}
	return 0
}

func (s *luaTableSim) rehash(ek lua.LValue) {
	var nums [luaMaxBits + 1]int
	// numusearray
	nasize := 0
	i := 1
	for lg, ttlg := 0, 1; lg <= luaMaxBits; lg, ttlg = lg+1, ttlg*2 {
		lim := ttlg
		if lim > len(s.array) {
			lim = len(s.array)
			if i > lim {
				break
			}
		}
		lc := 0
		for ; i <= lim; i++ {
			if s.array[i-1] {
				lc++
			}
		}
		nums[lg] += lc
		nasize += lc
	}
	total := nasize
	// numusehash
	if !s.dummy {
		for j := len(s.node) - 1; j >= 0; j-- {
			if k := s.node[j].key; k != nil {
				nasize += countInt(k, &nums)
				total++
			}
		}
	}
	nasize += countInt(ek, &nums)
	total++
	// computesizes
	a, na, n := 0, 0, 0
	for lg, twotoi := 0, 1; twotoi/2 < nasize; lg, twotoi = lg+1, twotoi*2 {
		if nums[lg] > 0 {
			a += nums[lg]
			if a > twotoi/2 {
				n = twotoi
				na = a
			}
		}
		if a == nasize {
			break
		}
	}
	s.resize(n, total-na)
}

func (s *luaTableSim) resize(nasize, nhsize int) {
	oldArray := s.array
	oldNode, oldDummy := s.node, s.dummy
	if nasize > len(s.array) {
		s.array = append(s.array, make([]bool, nasize-len(s.array))...)
	}
	if nhsize == 0 {
		s.node, s.dummy, s.lastfree = []luaNode{{next: -1}}, true, 0
	} else {
		size := 1 << ceilLog2(nhsize)
		s.node, s.dummy, s.lastfree = make([]luaNode, size), false, size
		for j := range s.node {
			s.node[j].next = -1
		}
	}
	if nasize < len(oldArray) {
		s.array = s.array[:nasize]
		for j := nasize; j < len(oldArray); j++ {
			if oldArray[j] {
				s.set(lua.LNumber(j + 1))
			}
		}
	}
	if !oldDummy {
		for j := len(oldNode) - 1; j >= 0; j-- {
			if k := oldNode[j].key; k != nil {
				s.set(k)
			}
		}
	}
}
