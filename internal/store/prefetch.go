//go:build !race

package store

import (
	"unsafe"

	"github.com/smallredis/smallredis/internal/prefetch"
)

// Prefetch hints that key's table slot will be read soon: a pipelined
// batch asks for the slots of the commands queued behind the one running,
// so their cache misses overlap it instead of stalling each command in
// turn. It takes no lock: the table fields it reads may be changing
// (a resize), so what it computes may be no slot at all, which is harmless
// for a hint that reads nothing (prefetch.Addr never dereferences). The
// race detector would rightly report the unlocked read; race builds get
// the no-op of prefetch_race.go.
func (db *DB) Prefetch(key []byte) {
	si, h := hashKey(key)
	t := &db.shards[si].tab
	slots := t.slots
	if len(slots) == 0 {
		return
	}
	p := t.start(h)
	prefetch.Addr(uintptr(unsafe.Pointer(unsafe.SliceData(slots))) + uintptr(p)*8)
}
