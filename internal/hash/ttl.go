package hash

import "container/heap"

// Field expiry (Redis 7.4). Expire times are unix milliseconds; a field is
// expired once now > its time, as Redis's hfieldIsExpired. Only hashes that
// ever had a field TTL pay for it: the side table below is allocated on the
// first one.

// fieldTTLs keeps each field's expire time and a min-heap of them for
// NextDeadline in O(1). Heap entries go stale when a field's time changes
// or it loses it; stale entries are dropped when they reach the top (so the
// top is always current) and the heap is rebuilt when they outnumber the
// live ones.
type fieldTTLs struct {
	at    map[string]int64
	h     deadlineHeap
	bytes int // charged to MemoryUsage
}

type deadline struct {
	at    int64
	field string
}

type deadlineHeap []deadline

func (d deadlineHeap) Len() int           { return len(d) }
func (d deadlineHeap) Less(i, j int) bool { return d[i].at < d[j].at }
func (d deadlineHeap) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *deadlineHeap) Push(x any)        { *d = append(*d, x.(deadline)) }
func (d *deadlineHeap) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// perTTL estimates what one field's expire time costs beyond the field's
// bytes (a copy of which the map keeps): its map entry and heap entry.
const perTTL = 64

func (t *fieldTTLs) set(f []byte, at int64) {
	s := string(f)
	if _, ok := t.at[s]; !ok {
		t.bytes += perTTL + len(s)
	}
	t.at[s] = at
	heap.Push(&t.h, deadline{at, s})
	t.tidy()
}

func (t *fieldTTLs) remove(f []byte) bool {
	if _, ok := t.at[string(f)]; !ok {
		return false
	}
	delete(t.at, string(f))
	t.bytes -= perTTL + len(f)
	t.tidy()
	return true
}

// tidy drops stale entries from the top and rebuilds a heap mostly stale.
func (t *fieldTTLs) tidy() {
	for len(t.h) > 0 {
		top := t.h[0]
		if at, ok := t.at[top.field]; ok && at == top.at {
			break
		}
		heap.Pop(&t.h)
	}
	if len(t.h) > 2*len(t.at)+16 {
		t.h = t.h[:0]
		for f, at := range t.at {
			t.h = append(t.h, deadline{at, f})
		}
		heap.Init(&t.h)
	}
}

func (t *fieldTTLs) next() int64 {
	if len(t.h) == 0 {
		return 0
	}
	return t.h[0].at
}

func (t *fieldTTLs) clone() *fieldTTLs {
	c := &fieldTTLs{at: make(map[string]int64, len(t.at)), bytes: t.bytes}
	for f, at := range t.at {
		c.at[f] = at
		c.h = append(c.h, deadline{at, f})
	}
	heap.Init(&c.h)
	return c
}

func (h *Hash) dropEmptyTTLs() {
	if len(h.x.ttl.at) == 0 {
		h.x.ttl = nil
	}
}

// MarkTTL records that a field-expiry command ran on the hash: Redis 7.4
// then keeps a listpack hash as "listpackex" for good.
func (h *Hash) MarkTTL() { h.extra().ex = true }

// TTL is f's expire time: exists is false when f is absent, at is 0 when f
// has no expire time.
func (h *Hash) TTL(f []byte) (at int64, exists bool) {
	if !h.Has(f) {
		return 0, false
	}
	if t := h.ttls(); t != nil {
		at = t.at[string(f)]
	}
	return at, true
}

// SetTTL gives the existing field f the expire time at (unix ms, > 0).
func (h *Hash) SetTTL(f []byte, at int64) {
	h.mods++
	x := h.extra()
	x.ex = true
	if x.ttl == nil {
		x.ttl = &fieldTTLs{at: map[string]int64{}}
	}
	x.ttl.set(f, at)
}

// Persist removes f's expire time and reports whether it had one.
func (h *Hash) Persist(f []byte) bool {
	if t := h.ttls(); t == nil || !t.remove(f) {
		return false
	}
	h.mods++
	h.dropEmptyTTLs()
	return true
}

// FieldsWithTTL is how many fields have an expire time.
func (h *Hash) FieldsWithTTL() int {
	if t := h.ttls(); t != nil {
		return len(t.at)
	}
	return 0
}

// NextDeadline is the earliest field expire time, 0 when no field has one,
// in O(1). The store uses it to decide when ExpireDue is worth calling.
func (h *Hash) NextDeadline() int64 {
	if t := h.ttls(); t != nil {
		return t.next()
	}
	return 0
}

// ExpireDue deletes up to max fields that expired before now (max <= 0: no
// limit) and reports how many it deleted and whether the hash is now empty
// (its key should go).
func (h *Hash) ExpireDue(now int64, max int) (removed int, empty bool) {
	for t := h.ttls(); t != nil && (max <= 0 || removed < max); t = h.ttls() {
		d := t.next()
		if d == 0 || d >= now {
			break
		}
		f := []byte(t.h[0].field)
		h.Delete(f) // removes the TTL too, and tidies the heap
		removed++
	}
	return removed, h.Len() == 0
}
