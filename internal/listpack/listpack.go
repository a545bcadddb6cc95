// Package listpack is a compact sequence of byte-string entries kept in one
// []byte, as Redis's listpack: the small encoding of hashes (field, value
// pairs), sets, sorted sets (member, score pairs) and lists. It knows nothing
// of RESP, commands or the store.
//
// Entries are addressed by opaque positions (First, Next, Seek, …). A
// position is valid until the next change to the listpack; the changing
// methods return the positions callers need afterwards.
//
// A Listpack is not safe for concurrent use. The zero value is empty.
package listpack

// Listpack is a sequence of byte strings.
//
// STUB: a slice of copies stands in until the packed encoding lands; the API
// is the contract.
type Listpack struct {
	e     [][]byte
	bytes int
}

// Len is the number of entries.
func (l *Listpack) Len() int { return len(l.e) }

// Bytes is the memory the listpack holds, in O(1).
func (l *Listpack) Bytes() int { return 16 + l.bytes + 24*cap(l.e) }

// First is the position of the first entry, -1 when empty.
func (l *Listpack) First() int {
	if len(l.e) == 0 {
		return -1
	}
	return 0
}

// Last is the position of the last entry, -1 when empty.
func (l *Listpack) Last() int { return len(l.e) - 1 }

// End is the position just past the last entry (Insert there appends).
func (l *Listpack) End() int { return len(l.e) }

// Next is the position after p, -1 past the last entry.
func (l *Listpack) Next(p int) int {
	if p+1 >= len(l.e) {
		return -1
	}
	return p + 1
}

// Prev is the position before p, -1 before the first entry.
func (l *Listpack) Prev(p int) int { return p - 1 }

// Seek is the position of entry i (negative counts from the end, -1 is the
// last), -1 when out of range.
func (l *Listpack) Seek(i int) int {
	if i < 0 {
		i += len(l.e)
	}
	if i < 0 || i >= len(l.e) {
		return -1
	}
	return i
}

// Get is the entry at p. It aliases the listpack until its next change.
func (l *Listpack) Get(p int) []byte { return l.e[p] }

// Find is the position of the first entry at or after p equal to v,
// comparing every (skip+1)-th entry (skip 1 looks at the fields of a
// field/value listpack), -1 when none.
func (l *Listpack) Find(p int, v []byte, skip int) int {
	for ; p >= 0 && p < len(l.e); p += skip + 1 {
		if string(l.e[p]) == string(v) {
			return p
		}
	}
	return -1
}

// Insert puts vs before position p (End() appends) and returns the
// position of the first inserted entry.
func (l *Listpack) Insert(p int, vs ...[]byte) int {
	for i, v := range vs {
		c := append([]byte(nil), v...)
		l.e = append(l.e, nil)
		copy(l.e[p+i+1:], l.e[p+i:])
		l.e[p+i] = c
		l.bytes += len(v)
	}
	return p
}

// Append adds vs at the end.
func (l *Listpack) Append(vs ...[]byte) { l.Insert(len(l.e), vs...) }

// Prepend adds vs at the front, in order.
func (l *Listpack) Prepend(vs ...[]byte) { l.Insert(0, vs...) }

// Replace sets the entry at p to v and returns its (possibly new) position.
func (l *Listpack) Replace(p int, v []byte) int {
	l.bytes += len(v) - len(l.e[p])
	l.e[p] = append([]byte(nil), v...)
	return p
}

// Delete removes n entries starting at p and returns the position of the
// entry that now follows them (-1 when none).
func (l *Listpack) Delete(p, n int) int {
	for _, v := range l.e[p : p+n] {
		l.bytes -= len(v)
	}
	l.e = append(l.e[:p], l.e[p+n:]...)
	if p >= len(l.e) {
		return -1
	}
	return p
}

// Clone is a deep copy.
func (l *Listpack) Clone() *Listpack {
	c := &Listpack{}
	c.Append(l.e...)
	return c
}
