package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const t0 = int64(1_700_000_000_000) // a fixed "now" in unix ms

// testObj stands in for the list/hash/set types of later issues.
type testObj struct{ items []string }

func (o *testObj) MemoryUsage() int { return 100 + 10*len(o.items) }
func (o *testObj) Clone() any       { return &testObj{items: slices.Clone(o.items)} }
func (o *testObj) Encoding() string { return "listpack" }

func set(db *DB, key, val string, now int64) {
	db.Update([]byte(key), now, func(e *Entry) { e.SetStr([]byte(val)) })
}

// get returns the value and whether the key is visible.
func get(db *DB, key string, now int64) (string, bool) {
	var v string
	var ok bool
	db.View([]byte(key), now, func(e *Entry) {
		ok = e.Exists()
		v = string(e.Str())
	})
	return v, ok
}

func TestTypeString(t *testing.T) {
	want := []string{"none", "string", "list", "set", "zset", "hash", "stream"}
	for i, w := range want {
		if got := Type(i).String(); got != w {
			t.Errorf("Type(%d) = %q, want %q", i, got, w)
		}
	}
}

func TestSetGetOverwriteDelete(t *testing.T) {
	ks := New(16)
	db := ks.DB(0)
	if _, ok := get(db, "k", t0); ok {
		t.Fatal("missing key visible")
	}
	for _, v := range []string{"v", "", "a somewhat longer value that needs a new record", "short", strings.Repeat("x", 300), "yy"} {
		set(db, "k", v, t0)
		if got, ok := get(db, "k", t0); !ok || got != v {
			t.Fatalf("after set %q: got %q %v", v, got, ok)
		}
		checkInvariants(t, db)
	}
	if db.Len() != 1 {
		t.Fatalf("Len = %d", db.Len())
	}
	db.Update([]byte("k"), t0, func(e *Entry) {
		if !e.Exists() || e.Type() != TypeString || string(e.Key()) != "k" {
			t.Fatal("bad entry")
		}
		e.Delete()
		if e.Exists() || e.Type() != TypeNone || e.Str() != nil {
			t.Fatal("deleted key still visible in its callback")
		}
	})
	if _, ok := get(db, "k", t0); ok || db.Len() != 0 {
		t.Fatal("deleted key visible")
	}
	checkInvariants(t, db)
	if ks.UsedMemory() != db.UsedMemory() || ks.UsedMemory() < 0 {
		t.Fatalf("UsedMemory %d, db %d", ks.UsedMemory(), db.UsedMemory())
	}
}

func TestReadOnlyEntryPanics(t *testing.T) {
	db := New(1).DB(0)
	defer func() {
		if recover() == nil {
			t.Fatal("SetStr in View did not panic")
		}
		// The lock must have been released by the deferred unlock.
		set(db, "k", "v", t0)
	}()
	db.View([]byte("k"), t0, func(e *Entry) { e.SetStr([]byte("x")) })
}

func TestExpiryVisibility(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	db.Update([]byte("gone"), t0, func(e *Entry) {
		e.SetStr([]byte("v"))
		e.SetExpireAt(t0 + 100)
	})
	set(db, "stay", "v", t0)
	at := t0 + 100 // Redis: still alive at its expire millisecond
	if _, ok := get(db, "gone", at); !ok {
		t.Fatal("key expired too early")
	}
	late := t0 + 101
	var keys []string
	db.Keys(late, func(k []byte, _ Type) bool { keys = append(keys, string(k)); return true })
	if !slices.Equal(keys, []string{"stay"}) {
		t.Fatalf("Keys = %q", keys)
	}
	keys = nil
	for c := uint64(0); ; {
		c = db.Scan(c, 10, late, func(k []byte, _ Type) { keys = append(keys, string(k)) })
		if c == 0 {
			break
		}
	}
	if !slices.Equal(keys, []string{"stay"}) {
		t.Fatalf("Scan = %q", keys)
	}
	for range 50 {
		if k, ok := db.RandomKey(late, nil); !ok || string(k) != "stay" {
			t.Fatalf("RandomKey = %q %v", k, ok)
		}
	}
	db.Sample(10, late, func(k []byte, _ uint32, _ int64) {
		if string(k) != "stay" {
			t.Fatalf("Sample returned %q", k)
		}
	})
	if db.Len() != 2 || db.Expires() != 1 {
		t.Fatalf("before reclaiming: Len %d Expires %d", db.Len(), db.Expires())
	}
	db.Peek([]byte("gone"), late, func(e *Entry) {
		if e.Exists() || e.Type() != TypeNone || e.ExpireAt() != 0 {
			t.Fatal("Peek sees an expired key")
		}
	})
	// The read deleted it, as Redis does on access.
	if _, ok := get(db, "gone", late); ok {
		t.Fatal("View sees an expired key")
	}
	db.Update([]byte("gone"), late, func(e *Entry) {
		if e.Exists() {
			t.Fatal("Update sees an expired key")
		}
	})
	if db.Len() != 1 || db.Expires() != 0 || ks.ExpiredKeys() != 1 {
		t.Fatalf("after lazy expiry: Len %d Expires %d ExpiredKeys %d", db.Len(), db.Expires(), ks.ExpiredKeys())
	}
	// Only expired keys: RandomKey finds nothing.
	db.Update([]byte("stay"), late, func(e *Entry) { e.SetExpireAt(late) })
	if _, ok := db.RandomKey(late+1, nil); ok {
		t.Fatal("RandomKey returned an expired key")
	}
	checkInvariants(t, db)
}

func TestTTLChanges(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	db.Update([]byte("k"), t0, func(e *Entry) {
		e.SetStr([]byte("value"))
		e.SetExpireAt(t0 + 5000)
		if e.ExpireAt() != t0+5000 {
			t.Fatal("ExpireAt not set")
		}
		e.SetStr([]byte("a new, longer value: it moves")) // keeps the TTL
		if e.ExpireAt() != t0+5000 {
			t.Fatal("SetStr dropped the TTL")
		}
		e.SetExpireAt(t0 + 9000)
	})
	if got := db.AvgTTL(t0); got != 9000 {
		t.Fatalf("AvgTTL = %d", got)
	}
	db.Update([]byte("k2"), t0, func(e *Entry) {
		e.SetStr([]byte("x"))
		e.SetExpireAt(t0 + 1000)
	})
	if got := db.AvgTTL(t0); got != 5000 {
		t.Fatalf("AvgTTL with two keys = %d", got)
	}
	db.Update([]byte("k"), t0, func(e *Entry) { e.SetExpireAt(0) })
	db.View([]byte("k"), t0+1e9, func(e *Entry) {
		if !e.Exists() || e.ExpireAt() != 0 || string(e.Str()) != "a new, longer value: it moves" {
			t.Fatal("PERSIST lost the key or its value")
		}
	})
	if db.Expires() != 1 {
		t.Fatalf("Expires = %d", db.Expires())
	}
	checkInvariants(t, db)
}

func TestEncoding(t *testing.T) {
	db := New(1).DB(0)
	for _, tc := range []struct{ v, enc string }{
		{"123", "int"}, {"-5", "int"}, {"0", "int"},
		{"9223372036854775807", "int"}, {"-9223372036854775808", "int"},
		{"9223372036854775808", "embstr"}, {"01", "embstr"}, {"-0", "embstr"}, {"+1", "embstr"},
		{"", "embstr"}, {"hello", "embstr"},
		{strings.Repeat("a", 44), "embstr"}, {strings.Repeat("a", 45), "raw"},
		{strings.Repeat("a", 20000), "raw"},
	} {
		set(db, "k", tc.v, t0)
		db.Peek([]byte("k"), t0, func(e *Entry) {
			if got := e.Encoding(); got != tc.enc {
				t.Errorf("Encoding(%.20q) = %q, want %q", tc.v, got, tc.enc)
			}
		})
	}
	db.Update([]byte("k"), t0, func(e *Entry) {
		e.SetStr([]byte("12"))
		e.MarkRaw()
	})
	db.Peek([]byte("k"), t0, func(e *Entry) {
		if e.Encoding() != "raw" {
			t.Errorf("MarkRaw: %q", e.Encoding())
		}
	})
	set(db, "k", "12", t0) // a plain SET makes it an int again
	db.Peek([]byte("k"), t0, func(e *Entry) {
		if e.Encoding() != "int" {
			t.Errorf("after SET: %q", e.Encoding())
		}
	})
	db.Update([]byte("o"), t0, func(e *Entry) { e.SetObj(TypeList, &testObj{}) })
	db.Peek([]byte("o"), t0, func(e *Entry) {
		if e.Encoding() != "listpack" || e.Type() != TypeList || e.Str() != nil {
			t.Errorf("object: %q %v", e.Encoding(), e.Type())
		}
	})
}

func TestBigValues(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	big := bytes.Repeat([]byte("0123456789"), 2000) // 20 kB, outside the arena
	db.Update([]byte("b"), t0, func(e *Entry) { e.SetStr(big) })
	if got, _ := get(db, "b", t0); got != string(big) {
		t.Fatal("big value corrupted")
	}
	if ks.UsedMemory() < int64(len(big)) {
		t.Fatalf("big value not charged: %d", ks.UsedMemory())
	}
	// Overwrite with a slightly smaller big value (buffer reused), then a small one.
	db.Update([]byte("b"), t0, func(e *Entry) { e.SetStr(e.Str()[5:]) })
	if got, _ := get(db, "b", t0); got != string(big[5:]) {
		t.Fatal("self-aliasing overwrite corrupted the value")
	}
	set(db, "b", "small", t0)
	if got, _ := get(db, "b", t0); got != "small" {
		t.Fatal("big → small")
	}
	if ks.UsedMemory() > 4096 {
		t.Fatalf("big value still charged: %d", ks.UsedMemory())
	}
	// APPEND-style growth through MutableStr, across the inline/big boundary.
	want := []byte("small")
	for i := 0; i < 40; i++ {
		chunk := bytes.Repeat([]byte{byte('a' + i%26)}, 997)
		db.Update([]byte("b"), t0, func(e *Entry) {
			old := len(e.Str())
			buf := e.MutableStr(old + len(chunk))
			copy(buf[old:], chunk)
		})
		want = append(want, chunk...)
		if got, _ := get(db, "b", t0); got != string(want) {
			t.Fatalf("append %d: value corrupted (len %d, want %d)", i, len(got), len(want))
		}
	}
	// SETRANGE-style write inside and past the end, on a missing key too.
	db.Update([]byte("r"), t0, func(e *Entry) { copy(e.MutableStr(8)[5:], "xyz") })
	if got, _ := get(db, "r", t0); got != "\x00\x00\x00\x00\x00xyz" {
		t.Fatalf("SETRANGE on missing key: %q", got)
	}
	db.Peek([]byte("r"), t0, func(e *Entry) {
		if e.Encoding() != "raw" {
			t.Fatal("MutableStr must mark raw")
		}
	})
	db.Update([]byte("b"), t0, func(e *Entry) { e.Delete() })
	db.Update([]byte("r"), t0, func(e *Entry) { e.Delete() })
	checkInvariants(t, db)
	// Only the (minimum-size) tables remain charged.
	if m := ks.MemoryStats(); ks.UsedMemory() != m.Tables || m.Records != 0 || m.External != 0 {
		t.Fatalf("UsedMemory after deleting everything = %d, %+v", ks.UsedMemory(), m)
	}
}

func TestTenMegabyteValue(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	v := bytes.Repeat([]byte("x"), 10<<20)
	db.Update([]byte("big"), t0, func(e *Entry) { e.SetStr(v) })
	if used := ks.UsedMemory(); used < 10<<20 || used > 11<<20 {
		t.Fatalf("UsedMemory = %d for a 10 MiB value", used)
	}
	// APPEND of 1 KiB, 100 times: grows in place, no 10 MiB copy each time.
	for range 100 {
		db.Update([]byte("big"), t0, func(e *Entry) {
			n := len(e.Str())
			copy(e.MutableStr(n + 1024)[n:], bytes.Repeat([]byte("y"), 1024))
		})
	}
	db.View([]byte("big"), t0, func(e *Entry) {
		s := e.Str()
		if len(s) != 10<<20+100*1024 || s[0] != 'x' || s[len(s)-1] != 'y' {
			t.Fatalf("bad value after appends: len %d", len(s))
		}
	})
	db.Update([]byte("big"), t0, func(e *Entry) { e.Delete() })
	if m := ks.MemoryStats(); m.External != 0 || m.Records != 0 {
		t.Fatalf("memory left: %+v", m)
	}
	checkInvariants(t, db)
}

func TestHugeKey(t *testing.T) {
	db := New(1).DB(0)
	key := strings.Repeat("k", 100_000) // bigger than a chunk: gets its own
	set(db, key, "v", t0)
	set(db, "small", "v", t0)
	if got, ok := get(db, key, t0); !ok || got != "v" {
		t.Fatal("huge key lost")
	}
	set(db, key, "a longer value", t0)
	if got, _ := get(db, key, t0); got != "a longer value" {
		t.Fatal("huge key overwrite")
	}
	checkInvariants(t, db)
}

func TestObjects(t *testing.T) {
	ks := New(2)
	db := ks.DB(0)
	db.Update([]byte("l"), t0, func(e *Entry) { e.SetObj(TypeList, &testObj{items: []string{"a"}}) })
	base := ks.UsedMemory()
	db.Update([]byte("l"), t0, func(e *Entry) {
		o := e.Obj().(*testObj)
		o.items = append(o.items, "b", "c")
	})
	if got := ks.UsedMemory() - base; got != 20 {
		t.Fatalf("in-place object growth charged %d, want 20", got)
	}
	// COPY deep-copies through Cloner.
	if !ks.Copy(0, 1, []byte("l"), []byte("l2"), false, t0) {
		t.Fatal("Copy failed")
	}
	ks.DB(1).Update([]byte("l2"), t0, func(e *Entry) {
		o := e.Obj().(*testObj)
		o.items[0] = "changed"
	})
	db.View([]byte("l"), t0, func(e *Entry) {
		if e.Obj().(*testObj).items[0] != "a" {
			t.Fatal("Copy shared the object")
		}
	})
	// Replace an object by a string and back.
	set(db, "l", "now a string", t0)
	db.Update([]byte("l"), t0, func(e *Entry) { e.SetObj(TypeHash, &testObj{}) })
	db.View([]byte("l"), t0, func(e *Entry) {
		if e.Type() != TypeHash {
			t.Fatal("type not replaced")
		}
	})
	checkInvariants(t, db)
	checkInvariants(t, ks.DB(1))
}

func TestMultiDuplicates(t *testing.T) {
	db := New(1).DB(0)
	set(db, "a", "1", t0)
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("a"), []byte("c")}
	db.Multi(keys, t0, func(es []*Entry) {
		if es[0] != es[2] || es[0] == es[1] {
			t.Fatal("duplicate keys must share an Entry")
		}
		es[0].SetStr([]byte("a much longer value than before"))
		if string(es[2].Str()) != "a much longer value than before" {
			t.Fatal("change not visible through the duplicate")
		}
		es[1].SetStr(es[0].Str()) // copy across keys, possibly across shards
		es[0].Delete()
		es[3].SetStr([]byte("3"))
		if es[2].Exists() || string(es[1].Str()) != "a much longer value than before" {
			t.Fatal("RENAME-like sequence broken")
		}
	})
	if _, ok := get(db, "a", t0); ok {
		t.Fatal("a survived")
	}
	if v, _ := get(db, "b", t0); v != "a much longer value than before" {
		t.Fatalf("b = %q", v)
	}
	// Many keys, all the same: one Entry, and the dedup index path.
	many := make([][]byte, 200)
	for i := range many {
		many[i] = []byte(fmt.Sprint("k", i%50))
	}
	db.Multi(many, t0, func(es []*Entry) {
		for i, e := range es {
			if e != es[i%50] {
				t.Fatalf("key %d not deduplicated", i)
			}
			e.SetStr([]byte(fmt.Sprint(i)))
		}
	})
	if v, _ := get(db, "k7", t0); v != "157" {
		t.Fatalf("k7 = %q", v)
	}
	checkInvariants(t, db)
}

// EachNoTouch holds Entries for a chunk of keys at a time: a key repeated
// in a later chunk sees what the earlier occurrence did (deleted once, as
// Redis's DEL k … k counts it), within a chunk repeats share an Entry, and
// the shards stay locked for the whole call.
func TestEachNoTouchChunks(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	const distinct = 3 * multiChunk
	for i := range distinct {
		db.Update([]byte(fmt.Sprint("k", i)), t0, func(e *Entry) { e.SetStr([]byte("v")) })
	}
	var keys [][]byte
	for i := range distinct {
		keys = append(keys, []byte(fmt.Sprint("k", i)))
	}
	keys = append(keys, []byte("k5"), []byte("k5"), []byte("missing"))
	keys = append(keys, keys[:distinct/2]...) // every key of the first half again, chunks later
	deleted, seen := 0, 0
	var prev *Entry
	db.EachNoTouch(keys, t0, func(i int, e *Entry) {
		if i != seen {
			t.Fatalf("key %d came as %d", seen, i)
		}
		seen++
		if i == distinct+1 && e != prev {
			t.Error("k5 twice in one chunk: not one Entry")
		}
		prev = e
		if e.Exists() {
			e.Delete()
			deleted++
		}
	})
	if seen != len(keys) || deleted != distinct {
		t.Fatalf("saw %d of %d keys, deleted %d, want %d", seen, len(keys), deleted, distinct)
	}
	if n := db.Len(); n != 0 {
		t.Fatalf("%d keys left", n)
	}
	// A panic in the callback leaves no shard locked.
	func() {
		defer func() { _ = recover() }()
		db.EachNoTouch(keys, t0, func(i int, e *Entry) {
			if i == multiChunk+3 {
				panic("boom")
			}
		})
	}()
	db.Update([]byte("after"), t0, func(e *Entry) { e.SetStr([]byte("x")) })
	if v, ok := get(db, "after", t0); !ok || v != "x" {
		t.Fatal("store unusable after a panic in EachNoTouch")
	}
	checkInvariants(t, db)
}

func TestMoveCopySwapFlush(t *testing.T) {
	ks := New(3)
	db0, db1 := ks.DB(0), ks.DB(1)
	db0.Update([]byte("k"), t0, func(e *Entry) {
		e.SetStr([]byte("v"))
		e.SetExpireAt(t0 + 10000)
	})
	db0.Update([]byte("o"), t0, func(e *Entry) { e.SetObj(TypeSet, &testObj{items: []string{"x"}}) })
	if moved, typ := ks.Move(0, 1, []byte("k"), t0); !moved || typ != TypeString {
		t.Fatalf("Move = %v %v", moved, typ)
	}
	if moved, typ := ks.Move(0, 1, []byte("k"), t0); moved || typ != TypeNone {
		t.Fatal("Move of a missing key")
	}
	db1.View([]byte("k"), t0, func(e *Entry) {
		if string(e.Str()) != "v" || e.ExpireAt() != t0+10000 {
			t.Fatal("Move lost the value or TTL")
		}
	})
	set(db0, "k", "other", t0)
	if moved, typ := ks.Move(0, 1, []byte("k"), t0); moved || typ != TypeString {
		t.Fatal("Move onto an existing key")
	}
	if moved, typ := ks.Move(0, 2, []byte("o"), t0); !moved || typ != TypeSet {
		t.Fatal("Move of an object")
	}
	ks.DB(2).View([]byte("o"), t0, func(e *Entry) {
		if e.Obj().(*testObj).items[0] != "x" {
			t.Fatal("object lost in Move")
		}
	})
	// Copy: same db, other db, replace.
	if !ks.Copy(1, 1, []byte("k"), []byte("k2"), false, t0) || ks.Copy(1, 1, []byte("k"), []byte("k2"), false, t0) {
		t.Fatal("Copy / Copy without replace")
	}
	if ks.Copy(1, 1, []byte("k"), []byte("k"), true, t0) {
		t.Fatal("Copy onto itself")
	}
	if !ks.Copy(0, 1, []byte("k"), []byte("k2"), true, t0) {
		t.Fatal("Copy with replace")
	}
	db1.View([]byte("k2"), t0, func(e *Entry) {
		if string(e.Str()) != "other" || e.ExpireAt() != 0 {
			t.Fatalf("Copy with replace: %q %d", e.Str(), e.ExpireAt())
		}
	})
	if ks.Copy(0, 1, []byte("missing"), []byte("x"), true, t0) {
		t.Fatal("Copy of a missing key")
	}
	for _, db := range []*DB{ks.DB(0), ks.DB(1), ks.DB(2)} {
		checkInvariants(t, db)
	}
	// SwapDB.
	ks.SwapDB(0, 1)
	if ks.DB(0) != db1 || ks.DB(1) != db0 {
		t.Fatal("SwapDB")
	}
	if v, _ := get(ks.DB(0), "k2", t0); v != "other" {
		t.Fatal("SwapDB contents")
	}
	// Flush and FlushAll.
	used := ks.UsedMemory()
	ks.DB(0).Flush()
	if ks.DB(0).Len() != 0 || ks.UsedMemory() >= used {
		t.Fatal("Flush")
	}
	ks.FlushAll()
	for i := range ks.Databases() {
		if ks.DB(i).Len() != 0 {
			t.Fatal("FlushAll")
		}
		checkInvariants(t, ks.DB(i))
	}
	if ks.UsedMemory() != 0 {
		t.Fatalf("UsedMemory after FlushAll = %d", ks.UsedMemory())
	}
}

func TestIdleAndFreq(t *testing.T) {
	db := New(1).DB(0)
	set(db, "k", "v", t0)
	db.Peek([]byte("k"), t0+61_000, func(e *Entry) {
		if got := e.IdleMs(t0 + 61_000); got != 61_000 {
			t.Fatalf("IdleMs = %d", got)
		}
		if e.Freq() != lfuInit-1 { // one minute of decay
			t.Fatalf("Freq = %d", e.Freq())
		}
	})
	for range 100 {
		db.View([]byte("k"), t0+62_000, func(*Entry) {})
	}
	db.Peek([]byte("k"), t0+63_000, func(e *Entry) {
		if e.IdleMs(t0+63_000) != 1000 {
			t.Fatalf("View did not touch: idle %d", e.IdleMs(t0+63_000))
		}
		if f := e.Freq(); f <= lfuInit || f > 20 {
			t.Fatalf("Freq after 100 hits = %d", f)
		}
	})
}

func TestSample(t *testing.T) {
	db := New(1).DB(0)
	for i := range 1000 {
		set(db, fmt.Sprint("key", i), "v", t0)
	}
	seen := map[string]bool{}
	for range 200 {
		n := 0
		db.Sample(5, t0, func(k []byte, meta uint32, exp int64) {
			n++
			seen[string(k)] = true
			if meta>>8 != lruClock(t0) || exp != 0 {
				t.Fatalf("bad sample metadata %x %d", meta, exp)
			}
		})
		if n != 5 {
			t.Fatalf("Sample returned %d keys", n)
		}
	}
	if len(seen) < 300 {
		t.Fatalf("Sample is not random: %d distinct keys", len(seen))
	}
}

func TestSetStrExpire(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	put := func(v string, ms int64) {
		db.Update([]byte("k"), t0, func(e *Entry) { e.SetStrExpire([]byte(v), ms) })
	}
	check := func(v string, ms int64, expires int) {
		t.Helper()
		db.Peek([]byte("k"), t0, func(e *Entry) {
			if !e.Exists() || string(e.Str()) != v || e.ExpireAt() != ms {
				t.Fatalf("got %q expire %d, want %q %d", e.Str(), e.ExpireAt(), v, ms)
			}
		})
		if db.Expires() != expires || db.Len() != 1 {
			t.Fatalf("Expires %d Len %d, want %d 1", db.Expires(), db.Len(), expires)
		}
	}
	put("a", t0+5000)
	check("a", t0+5000, 1)
	put("bb", t0+9000) // replace value and TTL
	check("bb", t0+9000, 1)
	put("c", 0) // drops the TTL
	check("c", 0, 0)
	put("a much longer value than before", t0+1000) // grows and gains a TTL
	check("a much longer value than before", t0+1000, 1)
	big := string(make([]byte, 100_000))
	put(big, t0+2000) // slab-backed value
	check(big, t0+2000, 1)
	put("d", 0)
	check("d", 0, 0)
}

// A read that meets an expired key deletes it, as Redis does on access.
func TestReadDeletesExpiredKey(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	for _, k := range []string{"a", "b", "c"} {
		db.Update([]byte(k), t0, func(e *Entry) { e.SetStrExpire([]byte("v"), t0+10) })
	}
	later := t0 + 20
	db.View([]byte("a"), later, func(e *Entry) {
		if e.Exists() {
			t.Error("expired key visible to View")
		}
	})
	db.Peek([]byte("b"), later, func(e *Entry) {
		if e.Exists() {
			t.Error("expired key visible to Peek")
		}
	})
	if db.Len() != 1 || db.Expires() != 1 || ks.ExpiredKeys() != 2 {
		t.Fatalf("after reading two expired keys: Len %d Expires %d ExpiredKeys %d, want 1 1 2",
			db.Len(), db.Expires(), ks.ExpiredKeys())
	}
}

// Client memory counts in UsedMemory, apart from the data, and leaves it whole.
func TestChargeClients(t *testing.T) {
	ks := New(1)
	set(ks.DB(0), "k", "v", t0)
	data := ks.UsedMemory()
	ks.ChargeClients(1000)
	ks.ChargeClients(-200)
	if ks.UsedMemory() != data+800 || ks.ClientMemory() != 800 {
		t.Fatalf("used %d (data %d), clients %d after charging 800", ks.UsedMemory(), data, ks.ClientMemory())
	}
	ks.ChargeClients(-800)
	if ks.UsedMemory() != data || ks.ClientMemory() != 0 {
		t.Fatalf("used %d, clients %d after uncharging", ks.UsedMemory(), ks.ClientMemory())
	}
}
