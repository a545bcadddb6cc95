package main

import (
	"fmt"
	"math/rand/v2"
)

// coldBase is the first id of the scan workload's cold keys: far above any
// Zipf key, so a cold key is never requested twice and never collides.
const coldBase = 1_000_000_000

func isCold(id uint32) bool { return id >= coldBase }

// params describes the key streams; one value serves all workloads.
type params struct {
	requests   int
	keys       int     // Zipf key space
	s          float64 // Zipf exponent
	seed       uint64
	scanEvery  int // scan: Zipf requests between two scans
	scanLen    int // scan: cold keys per scan
	shiftEvery int // shift: requests between two rotations
	shiftBy    int // shift: ranks the mapping rotates by
	loopKeys   int // loop: keys in the cycle
}

var workloads = []string{"zipf", "scan", "loop", "shift"}

// generate returns the request stream of a workload: key ids in request
// order. The stream depends only on the workload and p, so every server and
// policy sees the same requests.
func generate(workload string, p params) ([]uint32, error) {
	seq := make([]uint32, 0, p.requests)
	// Each workload gets its own stream, derived from the seed.
	var stream uint64
	for _, c := range workload {
		stream = stream*31 + uint64(c)
	}
	z := NewZipf(rand.New(rand.NewPCG(p.seed, stream)), p.s, uint64(p.keys))
	switch workload {
	case "zipf":
		for range p.requests {
			seq = append(seq, uint32(z.Uint64()-1))
		}
	case "scan":
		if p.scanEvery <= 0 || p.scanLen <= 0 {
			return nil, fmt.Errorf("scan needs -scan-every and -scan-len > 0")
		}
		cold := uint32(coldBase)
		for len(seq) < p.requests {
			for i := 0; i < p.scanEvery && len(seq) < p.requests; i++ {
				seq = append(seq, uint32(z.Uint64()-1))
			}
			for i := 0; i < p.scanLen && len(seq) < p.requests; i++ {
				seq = append(seq, cold)
				cold++
			}
		}
	case "loop":
		if p.loopKeys <= 0 {
			return nil, fmt.Errorf("loop needs a key count (-cache-keys or INFO maxmemory)")
		}
		for i := range p.requests {
			seq = append(seq, uint32(i%p.loopKeys))
		}
	case "shift":
		if p.shiftEvery <= 0 {
			return nil, fmt.Errorf("shift needs -shift-every > 0")
		}
		for i := range p.requests {
			offset := uint64(i/p.shiftEvery) * uint64(p.shiftBy)
			seq = append(seq, uint32((z.Uint64()-1+offset)%uint64(p.keys)))
		}
	default:
		return nil, fmt.Errorf("unknown workload %q (want %v)", workload, workloads)
	}
	return seq, nil
}
