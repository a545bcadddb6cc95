package store

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

var sink int

func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i)) // 16 bytes
	}
	return keys
}

var value32 = []byte("0123456789abcdef0123456789abcdef")

func populated(b testing.TB, n int) (*DB, [][]byte) {
	db := New(1).DB(0)
	keys := benchKeys(n)
	for _, k := range keys {
		db.Update(k, t0, func(e *Entry) { e.SetStr(value32) })
	}
	return db, keys
}

const benchKeyCount = 1 << 20

func BenchmarkGet(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		db.View(keys[i&(benchKeyCount-1)], t0, func(e *Entry) { sink += len(e.Str()) })
		i += 7919 // a prime stride: spread over shards and cache lines
	}
}

func BenchmarkSet(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		db.Update(keys[i&(benchKeyCount-1)], t0, func(e *Entry) { e.SetStr(value32) })
		i += 7919
	}
}

// BenchmarkSetGrowing replaces values by ones of another size, so records
// move and compaction runs.
func BenchmarkSetGrowing(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v := value32[:8+i%25]
		db.Update(keys[i&(benchKeyCount-1)], t0, func(e *Entry) { e.SetStr(v) })
		i += 7919
	}
}

func BenchmarkGetParallel(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(time.Now().UnixNano())
		for pb.Next() {
			db.View(keys[i&(benchKeyCount-1)], t0, func(e *Entry) { sink += len(e.Str()) })
			i += 7919
		}
	})
}

func BenchmarkSetParallel(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(time.Now().UnixNano())
		for pb.Next() {
			db.Update(keys[i&(benchKeyCount-1)], t0, func(e *Entry) { e.SetStr(value32) })
			i += 7919
		}
	})
}

func BenchmarkMSet10(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	b.ReportAllocs()
	batch := make([][]byte, 10)
	i := 0
	for b.Loop() {
		for j := range batch {
			batch[j] = keys[(i+j*7919)&(benchKeyCount-1)]
		}
		db.Multi(batch, t0, func(es []*Entry) {
			for _, e := range es {
				e.SetStr(value32)
			}
		})
		i++
	}
}

func BenchmarkNowMs(b *testing.B) {
	NowMs()
	for b.Loop() {
		sink += int(NowMs())
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		sink += int(time.Now().UnixMilli())
	}
}

// measureBytesPerKey inserts n 16-byte keys with 32-byte values into a fresh
// keyspace and returns the growth of the live heap and of RSS per key.
func measureBytesPerKey(n int) (heap, rss float64) {
	keys := benchKeys(n) // allocated before the baseline, not counted
	runtime.GC()
	debug.FreeOSMemory()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rss0 := rssBytes()
	ks := New(16)
	db := ks.DB(0)
	for _, k := range keys {
		db.Update(k, t0, func(e *Entry) { e.SetStr(value32) })
	}
	runtime.GC()
	debug.FreeOSMemory() // return freed old tables, as the scavenger eventually would
	runtime.ReadMemStats(&after)
	rss1 := rssBytes()
	runtime.KeepAlive(ks)
	runtime.KeepAlive(keys)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n), float64(rss1-rss0) / float64(n)
}

// rssBytes reads the resident set size from /proc (0 where unavailable).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func BenchmarkBytesPerKey(b *testing.B) {
	for b.Loop() {
		heap, rss := measureBytesPerKey(1_000_000)
		b.ReportMetric(heap, "heap-B/key")
		b.ReportMetric(rss, "rss-B/key")
	}
}

// TestBytesPerKey holds the memory target: at most 70 bytes per 16-byte key
// with a 32-byte value (Redis: ~140).
func TestBytesPerKey(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("inserts a million keys; the race detector distorts memory use")
	}
	heap, rss := measureBytesPerKey(1_000_000)
	t.Logf("heap %.1f B/key, RSS %.1f B/key", heap, rss)
	if heap > 70 {
		t.Errorf("heap %.1f bytes per key, target 70", heap)
	}
}

// TestZeroAllocs holds the allocation target for GET and SET in steady state.
func TestZeroAllocs(t *testing.T) {
	db, keys := populated(t, 10000)
	i := 0
	get := testing.AllocsPerRun(1000, func() {
		db.View(keys[i%len(keys)], t0, func(e *Entry) { sink += len(e.Str()) })
		i += 31
	})
	set := testing.AllocsPerRun(1000, func() {
		db.Update(keys[i%len(keys)], t0, func(e *Entry) { e.SetStr(value32) })
		i += 31
	})
	if get != 0 || set != 0 {
		t.Fatalf("allocations per op: GET %v, SET %v", get, set)
	}
}
