package sim

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/evict"
)

var long = flag.Bool("long", false, "simulate at the full size of the issue (1M keys, 100k-key cache, 6M requests; about 10 s of CPU)")

type workloadSpec struct {
	name string
	make func(sc Scale) Workload
}

var workloads = []workloadSpec{
	{"a zipf", func(sc Scale) Workload { return NewZipfWorkload(sc, 1) }},
	{"b zipf+scans", func(sc Scale) Workload { return NewScanWorkload(sc, 2) }},
	{"c loop 1.1x", func(sc Scale) Workload { return NewLoopWorkload(sc) }},
	{"d shifting", func(sc Scale) Workload { return NewShiftWorkload(sc, 4) }},
}

// The Redis policies run with evict.c's pool; ours with the server's
// (package evictor), which skips keys already pooled.
var (
	redisLRU = func() evict.Policy { return RedisLRU{} }
	redisLFU = func() evict.Policy { return NewRedisLFU(7) }
	ours     = func() evict.Policy { return evict.New(0) }
)

type row struct{ lru, lfu, ours Result }

// smallRedis holds the Redis baselines at Small scale (the simulation is
// deterministic). Under -race, where simulating is ten times slower and
// finds nothing (it runs in one goroutine), the test uses them instead of
// simulating Redis again; without -race it checks them.
var smallRedis = [...][2]Result{
	{{Hits: 352661, Reqs: 500000, HotHits: 352661, HotReqs: 500000}, {Hits: 381224, Reqs: 500000, HotHits: 381224, HotReqs: 500000}},
	{{Hits: 204656, Reqs: 500000, HotHits: 204656, HotReqs: 330000}, {Hits: 244429, Reqs: 500000, HotHits: 244429, HotReqs: 330000}},
	{{Hits: 401259, Reqs: 500000, HotHits: 401259, HotReqs: 500000}, {Hits: 419121, Reqs: 500000, HotHits: 419121, HotReqs: 500000}},
	{{Hits: 339013, Reqs: 500000, HotHits: 339013, HotReqs: 500000}, {Hits: 317297, Reqs: 500000, HotHits: 317297, HotReqs: 500000}},
}

func simulate(t *testing.T, sc Scale) []row {
	rows := make([]row, len(workloads))
	for i, w := range workloads {
		rows[i].ours = Run(w.make(sc), ours(), sc, 3, true)
		if sc == Small && raceEnabled {
			rows[i].lru, rows[i].lfu = smallRedis[i][0], smallRedis[i][1]
			continue
		}
		rows[i].lru = Run(w.make(sc), redisLRU(), sc, 3, false)
		rows[i].lfu = Run(w.make(sc), redisLFU(), sc, 3, false)
		if sc == Small && (rows[i].lru != smallRedis[i][0] || rows[i].lfu != smallRedis[i][1]) {
			t.Errorf("%s: Redis baselines changed to %+v, %+v: update smallRedis", workloads[i].name, rows[i].lru, rows[i].lfu)
		}
	}
	return rows
}

func cell(r Result) string {
	if r.HotReqs != r.Reqs {
		return fmt.Sprintf("%5.2f / %5.2f", r.HotRatio(), r.Ratio())
	}
	return fmt.Sprintf("%5.2f", r.Ratio())
}

func format(sc Scale, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hit ratio %%, %d keys, cache %d, %d requests (first %d not counted); (b): Zipf requests / all\n",
		sc.Keys, sc.Cache, sc.Requests, sc.Warmup)
	fmt.Fprintf(&b, "| workload | Redis allkeys-lru | Redis allkeys-lfu | allkeys-lrfu |\n|---|---|---|---|\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", workloads[i].name, cell(r.lru), cell(r.lfu), cell(r.ours))
	}
	return b.String()
}

// TestHitRatioTargets checks the targets in simulation: on every
// workload at least the better of Redis's LRU and LFU minus 0.5 points; on
// (b) at least Redis LRU + 5 points; on (d) at least Redis LFU + 3 points.
// Run with -long for the full size.
func TestHitRatioTargets(t *testing.T) {
	sc := Small
	if *long {
		sc = Full
	}
	rows := simulate(t, sc)
	t.Logf("\n%s", format(sc, rows))
	for i, r := range rows {
		name := workloads[i].name
		// Scans can never hit, so (b) is judged on the Zipf requests; the
		// all-requests ratios differ by the same constant factor.
		best := max(r.lru.HotRatio(), r.lfu.HotRatio())
		if got := r.ours.HotRatio(); got < best-0.5 {
			t.Errorf("%s: %.2f, want ≥ best Redis policy %.2f − 0.5", name, got, best)
		}
	}
	b, d := rows[1], rows[3]
	if got, want := b.ours.HotRatio(), b.lru.HotRatio()+5; got < want {
		t.Errorf("b: %.2f on Zipf requests, want ≥ Redis LRU + 5 = %.2f", got, want)
	}
	if got, want := b.ours.Ratio(), b.lru.Ratio()+5; got < want {
		t.Errorf("b: %.2f on all requests, want ≥ Redis LRU + 5 = %.2f", got, want)
	}
	if got, want := d.ours.Ratio(), d.lfu.Ratio()+3; got < want {
		t.Errorf("d: %.2f, want ≥ Redis LFU + 3 = %.2f", got, want)
	}
}
