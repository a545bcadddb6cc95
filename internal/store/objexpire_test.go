package store

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// dlObj is an object whose items have deadlines, standing in for a hash
// with field TTLs.
type dlObj struct{ at []int64 } // one deadline per item, 0 = none

func (o *dlObj) MemoryUsage() int { return 100 + 8*len(o.at) }
func (o *dlObj) Clone() any       { return &dlObj{at: append([]int64(nil), o.at...)} }
func (o *dlObj) NextDeadline() int64 {
	var m int64
	for _, a := range o.at {
		if a != 0 && (m == 0 || a < m) {
			m = a
		}
	}
	return m
}
func (o *dlObj) ExpireDue(now int64, max int) (int, bool) {
	n := 0
	for i := 0; i < len(o.at); {
		if a := o.at[i]; a != 0 && now > a && (max <= 0 || n < max) {
			o.at = append(o.at[:i], o.at[i+1:]...)
			n++
			continue
		}
		i++
	}
	return n, len(o.at) == 0
}

func putDL(db *DB, key string, now int64, at ...int64) {
	db.Update([]byte(key), now, func(e *Entry) { e.SetObj(TypeHash, &dlObj{at: at}) })
}

func items(db *DB, key string, now int64) int {
	n := -1
	db.View([]byte(key), now, func(e *Entry) {
		if e.Exists() {
			n = len(e.Obj().(*dlObj).at)
		}
	})
	return n
}

func TestObjectDeadlinesOnAccess(t *testing.T) {
	ks := New(2)
	db := ks.DB(0)
	putDL(db, "h", t0, t0+10, t0+20, 0)
	putDL(db, "all", t0, t0+10)
	checkInvariants(t, db)
	if n := items(db, "h", t0+10); n != 3 {
		t.Fatalf("at the deadline the item is still there: %d", n)
	}
	if n := items(db, "h", t0+11); n != 2 {
		t.Fatalf("after the first deadline: %d items", n)
	}
	checkInvariants(t, db)
	// A read-only Peek (TYPE, EXISTS) sees the key go once nothing is left.
	var exists bool
	db.Peek([]byte("all"), t0+11, func(e *Entry) { exists = e.Exists() })
	if exists || db.Len() != 1 {
		t.Fatalf("emptied object's key: exists=%v, %d keys", exists, db.Len())
	}
	// A write sees the due items gone too.
	db.Update([]byte("h"), t0+21, func(e *Entry) {
		if o := e.Obj().(*dlObj); len(o.at) != 1 {
			t.Errorf("Update saw %d items", len(o.at))
		}
	})
	checkInvariants(t, db)
	if sumNDL(db) != 0 { // the last item has no deadline
		t.Fatalf("object without deadlines still indexed")
	}
}

func sumNDL(db *DB) int64 {
	var n int64
	for i := range db.shards {
		n += db.shards[i].ndl.Load()
	}
	return n
}

func TestObjectDeadlinesActive(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	for i := range 200 {
		putDL(db, fmt.Sprint("k", i), t0, t0+5, t0+6)
	}
	putDL(db, "keep", t0, t0+5, 0)
	if got := sumNDL(db); got != 201 {
		t.Fatalf("indexed %d", got)
	}
	for range 100 {
		ks.ActiveExpireCycle(t0+10, 25*time.Millisecond)
		if db.Len() == 1 {
			break
		}
	}
	checkInvariants(t, db)
	if db.Len() != 1 || items(db, "keep", t0+10) != 1 {
		t.Fatalf("after active expiry: %d keys", db.Len())
	}
	if got := sumNDL(db); got != 0 {
		t.Fatalf("still indexed: %d", got)
	}
}

func TestObjectDeadlinesMoveCopyFlush(t *testing.T) {
	ks := New(2)
	db := ks.DB(0)
	putDL(db, "a", t0, t0+10)
	if !ks.Copy(0, 0, []byte("a"), []byte("b"), false, t0) {
		t.Fatal("copy failed")
	}
	if moved, _ := ks.Move(0, 1, []byte("a"), t0); !moved {
		t.Fatal("move failed")
	}
	checkInvariants(t, db)
	checkInvariants(t, ks.DB(1))
	if sumNDL(db) != 1 || sumNDL(ks.DB(1)) != 1 {
		t.Fatalf("indexed after copy+move: %d %d", sumNDL(db), sumNDL(ks.DB(1)))
	}
	// Replacing the object by a string drops it from the index.
	set(db, "b", "str", t0)
	checkInvariants(t, db)
	if sumNDL(db) != 0 {
		t.Fatal("string still indexed")
	}
	ks.DB(1).Flush()
	if sumNDL(ks.DB(1)) != 0 {
		t.Fatal("flushed but indexed")
	}
	putDL(db, "c", t0, t0+10)
	db.Update([]byte("c"), t0, func(e *Entry) { e.Delete() })
	checkInvariants(t, db)
	if sumNDL(db) != 0 {
		t.Fatal("deleted but indexed")
	}
}

// Readers, writers and the active cycle on objects with deadlines at once:
// reads that meet something due upgrade to the write lock, so no object is
// changed under a read lock (the race detector checks that).
func TestObjectDeadlinesConcurrent(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	clock := func() int64 { return t0 + time.Since(start0).Milliseconds() }
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := []byte(fmt.Sprint("k", (i*7+w)%50))
				now := clock()
				switch i % 4 {
				case 0:
					putDL(db, string(key), now, now+int64(i%5), now+3, 0)
				case 1:
					db.View(key, now, func(e *Entry) {
						if e.Exists() {
							_ = e.Obj().(*dlObj).NextDeadline()
						}
					})
				case 2:
					db.Peek(key, now, func(e *Entry) { _ = e.Exists() })
				default:
					db.Update(key, now, func(e *Entry) {
						if e.Exists() {
							o := e.Obj().(*dlObj)
							o.at = append(o.at, now+2)
						}
					})
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ks.ActiveExpireCycle(clock(), time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	checkInvariants(t, db)
}

var start0 = time.Now()
