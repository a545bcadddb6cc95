// Package bytemap is a hash map from byte strings to byte strings for the
// large encodings of hashes (field → value) and sets (member → empty): open
// addressing over byte arenas, no Go pointer per entry, so a million
// entries cost the garbage collector nothing and well under Go's
// map[string]string. It knows nothing of RESP, commands or the store.
//
// A Map is not safe for concurrent use.
package bytemap

// Map maps byte strings to byte strings.
//
// STUB: a Go map stands in until the arena table lands; the API is the
// contract.
type Map struct {
	m     map[string]string
	bytes int
}

// New returns an empty map sized for about hint entries.
func New(hint int) *Map { return &Map{m: make(map[string]string, hint)} }

// Len is the number of entries.
func (m *Map) Len() int { return len(m.m) }

// Bytes is the memory the map holds, in O(1).
func (m *Map) Bytes() int { return 64 + m.bytes + 48*len(m.m) }

// Get returns k's value. It aliases the map until its next change.
func (m *Map) Get(k []byte) ([]byte, bool) {
	v, ok := m.m[string(k)]
	return []byte(v), ok
}

// Has reports whether k is present.
func (m *Map) Has(k []byte) bool { _, ok := m.m[string(k)]; return ok }

// Set stores k → v (both copied) and reports whether k is new.
func (m *Map) Set(k, v []byte) bool {
	old, ok := m.m[string(k)]
	if ok {
		m.bytes += len(v) - len(old)
	} else {
		m.bytes += len(k) + len(v)
	}
	m.m[string(k)] = string(v)
	return !ok
}

// Delete removes k and reports whether it was present.
func (m *Map) Delete(k []byte) bool {
	old, ok := m.m[string(k)]
	if ok {
		m.bytes -= len(k) + len(old)
		delete(m.m, string(k))
	}
	return ok
}

// Range calls fn for every entry until it returns false. fn must not
// change the map.
func (m *Map) Range(fn func(k, v []byte) bool) {
	for k, v := range m.m {
		if !fn([]byte(k), []byte(v)) {
			return
		}
	}
}

// Scan calls fn for the entries of a few buckets from cursor on and returns
// the next cursor, 0 when the scan is complete. As Redis's dictScan, an
// entry present for the whole scan is returned at least once however the
// map grows or shrinks between calls (the cursor counts in reversed bit
// order). fn must not change the map.
func (m *Map) Scan(cursor uint64, count int, fn func(k, v []byte)) uint64 {
	for k, v := range m.m {
		fn([]byte(k), []byte(v))
	}
	return 0
}

// Random returns an entry chosen uniformly at random; the map must not be
// empty. The slices alias the map until its next change.
func (m *Map) Random() (k, v []byte) {
	for k, v := range m.m {
		return []byte(k), []byte(v)
	}
	panic("bytemap: Random on an empty map")
}

// Clone is a deep copy.
func (m *Map) Clone() *Map {
	c := New(len(m.m))
	for k, v := range m.m {
		c.m[k] = v
	}
	c.bytes = m.bytes
	return c
}
