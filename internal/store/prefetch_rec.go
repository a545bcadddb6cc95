package store

import (
	"unsafe"

	"github.com/smallredis/smallredis/internal/prefetch"
)

// PrefetchRecord hints that key's record will be read soon. It reads the
// key's table slot, so it belongs a little after Prefetch of the same key
// (a batch asks for all its slots first, then for all its records): by
// then the slot is in the cache and the record's miss overlaps the others.
// It looks only while the shard's lock is free (TryRLock), and only at the
// key's first two slots: a hint must cost less than the miss it hides.
func (db *DB) PrefetchRecord(key []byte) {
	si, h := hashKey(key)
	sh := &db.shards[si]
	if !sh.mu.TryRLock() {
		return
	}
	t := &sh.tab
	if len(t.slots) > 0 {
		p := t.start(h)
		for range 2 {
			s := t.slots[p]
			if s == 0 {
				break
			}
			if slotHash(s) == h {
				c, off := sh.ar.at(slotLoc(s))
				a := uintptr(unsafe.Pointer(unsafe.SliceData(c))) + uintptr(off)
				prefetch.Addr(a)
				prefetch.Addr(a + 64)
				break
			}
			p = t.next(p)
		}
	}
	sh.mu.RUnlock()
}
