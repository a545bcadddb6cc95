package sim

import (
	"fmt"
	"strings"
	"testing"
)

type switchWorkload struct {
	parts []Workload
	at    []int // start request of each part
	max   uint64
}

func (w *switchWorkload) Next(i int) uint64 {
	k := 0
	for k+1 < len(w.at) && i >= w.at[k+1] {
		k++
	}
	return w.parts[k].Next(i)
}
func (w *switchWorkload) MaxID() uint64 { return w.max }

// TestVariants prints, with -long, how the policies fare on workloads the
// constants were not tuned on. It asserts nothing.
func TestVariants(t *testing.T) {
	if !*long {
		t.Skip("prints a table at full size; run with -long")
	}
	sc := Full
	c := sc.Cache
	vars := []struct {
		name string
		w    func() Workload
	}{
		{"scans 3C per 2C", func() Workload { w := NewScanWorkload(sc, 2); w.Len = 3 * c; return w }},
		{"shift every 2.5C", func() Workload { w := NewShiftWorkload(sc, 4); w.Period = 5 * c / 2; return w }},
		{"shift every 10C", func() Workload { w := NewShiftWorkload(sc, 4); w.Period = 10 * c; return w }},
		{"zipf 0.8", func() Workload { w := NewZipfWorkload(sc, 5); w.z = NewZipf(sc.Keys, 0.8); return w }},
		{"loop 1.5x", func() Workload { return &LoopWorkload{Len: c * 3 / 2} }},
		{"loop 2x", func() Workload { return &LoopWorkload{Len: 2 * c} }},
		{"zipf→loop→shift", func() Workload {
			n := sc.Requests / 3
			return &switchWorkload{parts: []Workload{NewZipfWorkload(sc, 6), NewLoopWorkload(sc), NewShiftWorkload(sc, 7)},
				at: []int{0, n, 2 * n}, max: uint64(sc.Keys)}
		}},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| variant | Redis allkeys-lru | Redis allkeys-lfu | allkeys-lrfu |\n|---|---|---|---|\n")
	for _, v := range vars {
		a := Run(v.w(), redisLRU(), sc, 3, false)
		lfu := Run(v.w(), redisLFU(), sc, 3, false)
		o := Run(v.w(), ours(), sc, 3, true)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", v.name, cell(a), cell(lfu), cell(o))
	}
	t.Logf("\n%s", b.String())
}
