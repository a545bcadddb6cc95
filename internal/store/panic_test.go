package store

import (
	"fmt"
	"testing"
	"time"
)

// A callback that panics must not leave its shard locked: the command
// layer recovers panics and keeps serving, so the next operation on the
// same shard has to go through (here: within a second, not deadlock).
func TestPanicInCallbackReleasesLocks(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	for i := range 200 { // keys in every shard, for Scan and Sample
		set(db, fmt.Sprintf("k%d", i), "v", t0)
	}
	keys := [][]byte{[]byte("k1"), []byte("k2"), []byte("k3")}
	ops := []struct {
		name string
		run  func()
	}{
		{"View", func() { db.View([]byte("k1"), t0, func(*Entry) { panic("boom") }) }},
		{"Peek", func() { db.Peek([]byte("k1"), t0, func(*Entry) { panic("boom") }) }},
		{"Update", func() { db.Update([]byte("k1"), t0, func(*Entry) { panic("boom") }) }},
		{"UpdateAfterWrite", func() {
			db.Update([]byte("k1"), t0, func(e *Entry) { e.SetStr([]byte("half")); panic("boom") })
		}},
		{"Multi", func() { db.Multi(keys, t0, func([]*Entry) { panic("boom") }) }},
		{"Scan", func() { db.Scan(0, 1000, t0, func([]byte, Type) { panic("boom") }) }},
		{"Keys", func() { db.Keys(t0, func([]byte, Type) bool { panic("boom") }) }},
		{"Sample", func() { db.Sample(5, t0, func([]byte, uint32, int64) { panic("boom") }) }},
		{"SampleKeys", func() { db.SampleEvict(5, false, func([]byte, uint64, uint32, int64) { panic("boom") }) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			func() {
				defer func() {
					if recover() == nil {
						t.Fatal("callback did not panic")
					}
				}()
				op.run()
			}()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range 200 { // write-lock every shard
					set(db, fmt.Sprintf("k%d", i), "v", t0)
				}
				db.Multi(keys, t0, func([]*Entry) {})
				_, _ = get(db, "k1", t0)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("a shard stayed locked after a panicking callback")
			}
		})
	}
	checkInvariants(t, db)
}
