package bytemap

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// key16 is the i-th 16-byte key of the benchmarks (field:%010d), made
// without allocating so that the heap and RSS measures are the map's.
func key16(b []byte, i int) []byte {
	b = append(b[:0], "field:0000000000"...)
	for p := len(b) - 1; i > 0; p-- {
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return b
}

var value16 = []byte("0123456789abcdef")

// build makes a map of n entries of 16-byte keys and vlen-byte values.
func build(n, vlen int) *Map {
	m := New(0)
	var k []byte
	v := value16[:vlen]
	for i := range n {
		k = key16(k, i)
		m.Set(k, v)
	}
	return m
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// measure builds a map of n entries and reports Bytes and the heap growth
// per entry.
func measure(n, vlen int) (bytes, heap float64) {
	h0 := heapInUse()
	m := build(n, vlen)
	h1 := heapInUse()
	runtime.KeepAlive(m)
	return float64(m.Bytes()) / float64(n), float64(h1-h0) / float64(n)
}

// The targets of the hashes-and-sets issue at a million entries: a hash of
// 16-byte fields and values at most 70 B per field (Redis: 115), a set of
// 16-byte members at most 50 B per member (Redis: 80). The bounds hold the
// map's own cost with room for the rest of the server.
func TestBytesPerEntry(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million entries; the race detector distorts memory use")
	}
	for _, tt := range []struct {
		name  string
		vlen  int
		bound float64
	}{{"hash 16+16", 16, 55}, {"set 16", 0, 38}} {
		bytes, heap := measure(1_000_000, tt.vlen)
		t.Logf("%s: Bytes %.1f B/elem, heap %.1f B/elem", tt.name, bytes, heap)
		if bytes > tt.bound || heap > tt.bound {
			t.Errorf("%s: Bytes %.1f, heap %.1f B/elem; bound %.0f", tt.name, bytes, heap, tt.bound)
		}
		if heap > bytes*1.02+1 {
			t.Errorf("%s: Bytes %.1f B/elem understates the heap's %.1f", tt.name, bytes, heap)
		}
	}
}

func BenchmarkBytesPerEntry(b *testing.B) {
	for _, vlen := range []int{16, 0} {
		b.Run(fmt.Sprintf("1M/v%d", vlen), func(b *testing.B) {
			for b.Loop() {
				r0 := rss()
				bytes, heap := measure(1_000_000, vlen)
				b.ReportMetric(bytes, "B/elem")
				b.ReportMetric(heap, "heap-B/elem")
				b.ReportMetric(float64(rss()-r0)/1e6, "rss-B/elem") // the first run only: later ones reuse its pages
			}
		})
	}
}

func benchMap(b *testing.B, n int) (*Map, [][]byte) {
	m := build(n, 16)
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = key16(nil, i)
	}
	b.ResetTimer()
	return m, keys
}

func BenchmarkGet(b *testing.B) {
	m, keys := benchMap(b, 1_000_000)
	i := 0
	for b.Loop() {
		m.Get(keys[i%len(keys)])
		i += 7919
	}
}

func BenchmarkHas(b *testing.B) {
	m, keys := benchMap(b, 1_000_000)
	i := 0
	for b.Loop() {
		m.Has(keys[i%len(keys)])
		i += 7919
	}
}

func BenchmarkSetExisting(b *testing.B) {
	m, keys := benchMap(b, 1_000_000)
	v := []byte("fedcba9876543210x")
	i := 0
	for b.Loop() {
		m.Set(keys[i%len(keys)], v[:16+i&1]) // alternate sizes: rewrites records
		i += 7919
	}
}

func BenchmarkSetNew(b *testing.B) {
	m := New(0)
	var k [8]byte
	i := uint64(0)
	for b.Loop() {
		binary.LittleEndian.PutUint64(k[:], i)
		m.Set(k[:], value16)
		i++
	}
}

func BenchmarkDeleteInsert(b *testing.B) {
	m, keys := benchMap(b, 1_000_000)
	i := 0
	for b.Loop() {
		k := keys[i%len(keys)]
		m.Delete(k)
		m.Set(k, value16)
		i += 7919
	}
}

// TestSmallMap: a map of a few short entries stays within a few hundred
// bytes (Redis 7.0 keeps every set of strings in a dict: about 224 bytes for
// three 10-byte members).
func TestSmallMap(t *testing.T) {
	m := New(0)
	for _, k := range []string{"member:001", "member:002", "member:003"} {
		m.Set([]byte(k), nil)
	}
	if got := m.Bytes(); got > 400 {
		t.Errorf("3 members: %d bytes", got)
	}
	t.Logf("3 members: %d bytes (Map value %d)", m.Bytes(), structBytes)
}
