// Package sim is a trace-driven, object-count cache simulator for comparing
// eviction policies the way the server runs them: Redis's sampling and
// eviction pool (Cache), the four workloads with deterministic seeds
// (workload.go; Zipf by the alias method, zipf.go), and Redis 7's
// allkeys-lru and allkeys-lfu scoring, formula for formula (redis.go). A
// policy under test is an evict.Policy, the same code the server runs.
// go test checks the hit-ratio targets at a tenth of the size;
// go test -long at full size.
package sim

import (
	"math/rand/v2"
	"slices"

	"github.com/smallredis/smallredis/internal/evict"
)

// PoolSize and Samples are Redis's EVPOOL_SIZE and maxmemory-samples default.
const (
	PoolSize = 16
	Samples  = 5
)

// Cache is an object-count cache that evicts the way Redis's evict.c does:
// each eviction samples Samples random resident keys, merges them into a
// PoolSize-entry pool ordered by score (evictionPoolPopulate, including its
// tie order and its stale scores: a pooled key keeps the score it had when
// sampled), then evicts the pool's best entry whose key still exists. The
// policy only supplies the metadata word and the rank, as it will in the
// server.
type Cache struct {
	pol  evict.Policy
	cap  int
	idx  []int32 // key id → slot+1, 0 when absent
	ids  []uint64
	meta []uint32
	pool [PoolSize]poolEntry
	rng  *rand.Rand

	// Dedupe skips a sampled key already in the pool, as the server's
	// evictor does (Redis adds it twice).
	Dedupe bool
}

type poolEntry struct {
	id   uint64
	idle uint64 // Redis's name: larger = better candidate (here ^rank)
	used bool
}

// NewCache returns an empty cache of capacity keys for ids below maxID.
func NewCache(pol evict.Policy, capacity int, maxID uint64, seed uint64) *Cache {
	pol.Resize(capacity)
	return &Cache{
		pol: pol, cap: capacity,
		idx:  make([]int32, maxID),
		ids:  make([]uint64, 0, capacity),
		meta: make([]uint32, 0, capacity),
		rng:  rand.New(rand.NewPCG(seed, 0xe71c7)),
	}
}

// Hash is the key hash the simulated server passes to the policy.
func Hash(id uint64) uint64 {
	x := id + 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Get requests id at time now (unix ms) and reports whether it was a hit; on
// a miss the key is inserted (cache-aside), evicting first when full.
func (c *Cache) Get(id uint64, now int64) bool {
	if s := c.idx[id]; s != 0 {
		m := &c.meta[s-1]
		*m = c.pol.Access(Hash(id), *m, now)
		return true
	}
	if len(c.ids) >= c.cap {
		c.evict(now)
	}
	c.ids = append(c.ids, id)
	c.meta = append(c.meta, c.pol.Insert(Hash(id), now))
	c.idx[id] = int32(len(c.ids))
	return false
}

func (c *Cache) evict(now int64) {
	for {
		c.populate(now)
		for k := PoolSize - 1; k >= 0; k-- {
			e := &c.pool[k]
			if !e.used {
				continue
			}
			e.used, e.idle = false, 0
			if s := c.idx[e.id]; s != 0 {
				c.remove(int(s-1), now)
				return
			}
		}
	}
}

func (c *Cache) remove(slot int, now int64) {
	id := c.ids[slot]
	c.pol.Evicted(Hash(id), c.meta[slot], now)
	last := len(c.ids) - 1
	c.ids[slot], c.meta[slot] = c.ids[last], c.meta[last]
	c.idx[c.ids[slot]] = int32(slot + 1)
	c.ids, c.meta = c.ids[:last], c.meta[:last]
	c.idx[id] = 0
}

// populate is evictionPoolPopulate over Samples distinct random keys.
func (c *Cache) populate(now int64) {
	var picked [Samples]int
	for j := range min(Samples, len(c.ids)) {
		s := c.rng.IntN(len(c.ids))
		for slices.Contains(picked[:j], s) {
			s = c.rng.IntN(len(c.ids))
		}
		picked[j] = s
		c.poolInsert(c.ids[s], ^c.pol.Rank(Hash(c.ids[s]), c.meta[s], now))
	}
}

// poolInsert follows evict.c line by line: ascending idle, new entries go
// left of equal ones, a full pool drops its leftmost (worst) entry.
func (c *Cache) poolInsert(id uint64, idle uint64) {
	p := &c.pool
	if c.Dedupe {
		for j := 0; j < PoolSize && p[j].used; j++ {
			if p[j].id == id {
				return
			}
		}
	}
	k := 0
	for k < PoolSize && p[k].used && p[k].idle < idle {
		k++
	}
	switch {
	case k == 0 && p[PoolSize-1].used:
		return
	case k < PoolSize && !p[k].used:
	case !p[PoolSize-1].used:
		copy(p[k+1:], p[k:PoolSize-1])
	default:
		k--
		copy(p[:k], p[1:k+1])
	}
	p[k] = poolEntry{id: id, idle: idle, used: true}
}

// Result counts the hits of one run after warm-up; Hot* leave out the
// requests of scans (workload b), which can never hit.
type Result struct {
	Hits, Reqs       int
	HotHits, HotReqs int
}

func (r Result) Ratio() float64    { return pct(r.Hits, r.Reqs) }
func (r Result) HotRatio() float64 { return pct(r.HotHits, r.HotReqs) }

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// OpsPerSec is the request rate that maps request numbers to wall time, which
// matters to Redis's one-second LRU clock and one-minute LFU decay.
const OpsPerSec = 50_000

// Run plays sc.Requests requests of w through a cache of sc.Cache keys
// evicting with pol, with Redis's pool (dedupe false) or the server's.
func Run(w Workload, pol evict.Policy, sc Scale, seed uint64, dedupe bool) Result {
	c := NewCache(pol, sc.Cache, w.MaxID(), seed)
	c.Dedupe = dedupe
	scan, _ := w.(*ScanWorkload)
	var r Result
	for i := range sc.Requests {
		id := w.Next(i)
		hit := c.Get(id, int64(i)*1000/OpsPerSec)
		if i < sc.Warmup {
			continue
		}
		r.Reqs++
		if hit {
			r.Hits++
		}
		if scan == nil || !scan.IsScan(i) {
			r.HotReqs++
			if hit {
				r.HotHits++
			}
		}
	}
	return r
}
