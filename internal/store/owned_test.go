package store

import (
	"bytes"
	"testing"
)

// A long value handed over is stored as is; a short one is copied.
func TestSetStrOwned(t *testing.T) {
	db := New(1).DB(0)
	big := bytes.Repeat([]byte("v"), 100<<10)
	small := []byte("short")
	db.Update([]byte("big"), 1, func(e *Entry) { e.SetStrOwned(big) })
	db.Update([]byte("small"), 1, func(e *Entry) { e.SetStrOwned(small) })
	db.Update([]byte("ttl"), 1, func(e *Entry) {
		e.SetStr([]byte("x"))
		e.SetExpireAt(1 << 40)
		e.SetStrOwned(bytes.Repeat([]byte("w"), 100<<10))
	})
	db.View([]byte("big"), 1, func(e *Entry) {
		if v := e.Str(); len(v) != len(big) || &v[0] != &big[0] {
			t.Fatal("long value was copied")
		}
	})
	db.View([]byte("small"), 1, func(e *Entry) {
		if v := e.Str(); string(v) != "short" || &v[0] == &small[0] {
			t.Fatal("short value aliases the caller's buffer")
		}
	})
	db.View([]byte("ttl"), 1, func(e *Entry) {
		if e.ExpireAt() != 1<<40 || len(e.Str()) != 100<<10 {
			t.Fatalf("TTL %d, %d bytes after SetStrOwned", e.ExpireAt(), len(e.Str()))
		}
	})
	if m := db.UsedMemory(); m < 200<<10 {
		t.Fatalf("used memory %d does not count the values", m)
	}
}
