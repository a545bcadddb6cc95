package store
import ("testing")
func BenchmarkDbgGetSmall(b *testing.B) {
	db, keys := populated(b, 1024)
	i := 0
	for b.Loop() {
		db.View(keys[i&1023], t0, func(e *Entry) { sink += len(e.Str()) })
		i += 7
	}
}
func BenchmarkDbgSetSmall(b *testing.B) {
	db, keys := populated(b, 1024)
	i := 0
	for b.Loop() {
		db.Update(keys[i&1023], t0, func(e *Entry) { e.SetStr(value32) })
		i += 7
	}
}
func BenchmarkDbgGet64k(b *testing.B) {
	db, keys := populated(b, 1<<16)
	i := 0
	for b.Loop() {
		db.View(keys[i&(1<<16-1)], t0, func(e *Entry) { sink += len(e.Str()) })
		i += 7919
	}
}
func BenchmarkDbgDecode(b *testing.B) {
	db, keys := populated(b, 1024)
	_, h := hashKey(keys[5])
	sh := &db.shards[0]
	for i := range db.shards { if s, _ := db.shards[i].lookup(h, keys[5]); s >= 0 { sh = &db.shards[i] } }
	_, loc := sh.lookup(h, keys[5])
	for b.Loop() { r := sh.ar.rec(loc); sink += r.klen }
}
func BenchmarkDbgLookup(b *testing.B) {
	db, keys := populated(b, 1024)
	si, h := hashKey(keys[5])
	sh := &db.shards[si]
	for b.Loop() { s, _ := sh.lookup(h, keys[5]); sink += s }
}
func BenchmarkDbgHash(b *testing.B) {
	_, keys := populated(b, 16)
	for b.Loop() { s, h := hashKey(keys[5]); sink += s+int(h) }
}
func BenchmarkDbgViewNoop(b *testing.B) {
	db, keys := populated(b, 1024)
	for b.Loop() { db.Peek(keys[5], t0, func(e *Entry) {}) }
}
