package sim

import "math/rand/v2"

// A Workload is a deterministic trace of key ids. Next returns the key of
// request i (called with i = 0, 1, 2, … in order); ids are below MaxID.
type Workload interface {
	Next(i int) uint64
	MaxID() uint64
}

// Scale sets the sizes of the standard workloads. Full is the size in the
// issue (1M keys, 100k-key cache); Small is a tenth of it for unit tests.
type Scale struct {
	Keys     int // Zipf key space
	Cache    int // cache capacity in keys
	Requests int // trace length
	Warmup   int // requests not counted
}

var (
	Full  = Scale{Keys: 1_000_000, Cache: 100_000, Requests: 6_000_000, Warmup: 1_000_000}
	Small = Scale{Keys: 100_000, Cache: 10_000, Requests: 600_000, Warmup: 100_000}
)

// ZipfWorkload is workload (a): Zipf(0.99) over sc.Keys keys.
type ZipfWorkload struct {
	z   *Zipf
	rng *rand.Rand
	n   int
}

func NewZipfWorkload(sc Scale, seed uint64) *ZipfWorkload {
	return &ZipfWorkload{z: NewZipf(sc.Keys, 0.99), rng: rand.New(rand.NewPCG(seed, 0x5a1f)), n: sc.Keys}
}

func (w *ZipfWorkload) Next(int) uint64 { return uint64(w.z.Rank(w.rng)) }
func (w *ZipfWorkload) MaxID() uint64   { return uint64(w.n) }

// ScanWorkload is workload (b): after every Every Zipf requests, a scan of Len
// keys never seen before and never seen again (ids above the Zipf space).
// Requests with IsScan true are the scan's.
type ScanWorkload struct {
	zipf       *ZipfWorkload
	Every, Len int
	next       uint64 // next cold id
	total      int
}

func NewScanWorkload(sc Scale, seed uint64) *ScanWorkload {
	return &ScanWorkload{zipf: NewZipfWorkload(sc, seed), Every: 2 * sc.Cache, Len: sc.Cache,
		next: uint64(sc.Keys), total: sc.Requests}
}

func (w *ScanWorkload) IsScan(i int) bool { return i%(w.Every+w.Len) >= w.Every }

func (w *ScanWorkload) Next(i int) uint64 {
	if w.IsScan(i) {
		w.next++
		return w.next - 1
	}
	return w.zipf.Next(i)
}

func (w *ScanWorkload) MaxID() uint64 { return uint64(w.zipf.n + w.total) }

// LoopWorkload is workload (c): keys 0..Len-1 requested in order, over and
// over, with Len = 1.1 × the cache.
type LoopWorkload struct{ Len int }

func NewLoopWorkload(sc Scale) *LoopWorkload { return &LoopWorkload{Len: sc.Cache * 11 / 10} }

func (w *LoopWorkload) Next(i int) uint64 { return uint64(i % w.Len) }
func (w *LoopWorkload) MaxID() uint64     { return uint64(w.Len) }

// ShiftWorkload is workload (d): Zipf(0.99) whose ranks rotate by Shift every
// Period requests, so that the next most popular keys come from the coldest
// end of the key space and the old popular keys cool down gradually.
type ShiftWorkload struct {
	zipf          *ZipfWorkload
	Period, Shift int
}

func NewShiftWorkload(sc Scale, seed uint64) *ShiftWorkload {
	return &ShiftWorkload{zipf: NewZipfWorkload(sc, seed), Period: 5 * sc.Cache, Shift: sc.Cache}
}

func (w *ShiftWorkload) Next(i int) uint64 {
	n := w.zipf.n
	off := (i / w.Period * w.Shift) % n
	return uint64((int(w.zipf.Next(i)) + n - off) % n)
}

func (w *ShiftWorkload) MaxID() uint64 { return uint64(w.zipf.n) }
