// Package evictor keeps the keyspace within maxmemory. The store charges
// every write its bytes (store.Keyspace.UsedMemory); this package decides
// when to evict and which keys, as Redis's evict.c does: each round samples
// maxmemory-samples keys from every database into a 16-entry pool ordered by
// the policy's score and evicts the best candidate that still exists. It
// implements Redis's eight maxmemory policies and runs any evict.Policy
// registered under a name of our own (Register) the same way.
//
// Eviction runs in two places. Before each command (BeforeCommand) a client
// over the limit evicts inline until the keyspace fits again, bounded in time
// by maxmemory-eviction-tenacity as in Redis, so no command stalls; and a
// background goroutine (Run) keeps a little headroom below the limit so that
// bursts of writes rarely have to evict inline at all. A write's own size is
// made room for before it runs (and a large one reserved while it runs), so
// even large values written at once on several connections do not push
// used_memory past the limit. Evicting goroutines sample and delete in
// parallel; only merging samples into the pool and picking is serialised.
// Near the limit the store is asked to compact its arenas harder
// (store.Keyspace.SetMemoryPressure), so that garbage left by evictions does
// not take the process's RSS far past maxmemory.
//
// runtime.go ties the rest of the process to the budget: maxmemory's default
// under a cgroup memory limit, and the Go collector's memory limit.
//
// It knows nothing of commands or connections: the command layer asks
// whether a command may run.
package evictor

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/evict"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stripe"
)

// Result is what an eviction attempt achieved, Redis's EVICT_OK,
// EVICT_RUNNING and EVICT_FAIL.
type Result uint8

const (
	// OK: memory is within the target.
	OK Result = iota
	// Running: eviction ran out of time before reaching the target; the
	// background evictor carries on. Commands still run.
	Running
	// Fail: memory is over the target and nothing can be evicted (the policy
	// is noeviction, or no key qualifies).
	Fail
)

// Evictor enforces maxmemory over one keyspace. Create it with New; it is
// safe for concurrent use.
type Evictor struct {
	ks  *store.Keyspace
	cfg *config.Config

	// Read by every command (BeforeCommand), written seldom.
	limit    atomic.Int64 // maxmemory, 0 = none
	reserved atomic.Int64 // incoming bytes of large commands running now
	pol      atomic.Pointer[policy]
	wake     chan struct{}
	gate     sync.Locker                         // held by the background evictor around each batch; nil = none
	latency  func(event string, d time.Duration) // SetLatencySink; nil = none
	cands    atomic.Pointer[candidates]

	// Time spent over the limit (INFO stats *_eviction_exceeded_time).
	overSince atomic.Int64 // unix µs when eviction last failed to finish, 0 if it did
	overTotal atomic.Int64 // µs accumulated in finished periods

	// Written by every eviction, from every event loop and the background
	// evictor: on lines of their own, so that evicting on one core does not
	// cost the other core's next command a miss on the fields above.
	_       cpu.CacheLinePad
	evicted atomic.Int64
	nextDB  atomic.Uint32 // round-robin position of the random policies
	_       cpu.CacheLinePad

	// pools are the eviction pools: one per statistics stripe (event
	// loop), the last the background evictor's. One pool shared by every
	// loop moved its dozen cache lines, and its lock, between the cores on
	// every eviction. Each pool samples for the evictions of its own loop,
	// as many samples per eviction as Redis's one pool, so the policy's
	// approximation is the same.
	pools []poolShard

	mu       sync.Mutex              // guards the fields below
	impls    map[string]evict.Policy // custom policies made so far, by name
	capacity int                     // keys last passed to a custom policy's Resize
}

// New returns an evictor following cfg's maxmemory, maxmemory-policy,
// lfu-log-factor and lfu-decay-time, also when they change at run time.
func New(ks *store.Keyspace, cfg *config.Config) *Evictor {
	ev := &Evictor{ks: ks, cfg: cfg, wake: make(chan struct{}, 1), impls: map[string]evict.Policy{},
		pools: make([]poolShard, stripe.Stripes()+1)}
	ev.limit.Store(cfg.MaxMemory())
	ev.setPolicy(cfg.MaxMemoryPolicy())
	ks.SetLFUParams(cfg.LFULogFactor(), cfg.LFUDecayTime())
	cfg.OnChange("maxmemory", func() {
		ev.limit.Store(cfg.MaxMemory())
		ev.resizeCustom()
		ev.evictNow()
	})
	cfg.OnChange("maxmemory-policy", func() { ev.setPolicy(cfg.MaxMemoryPolicy()); ev.kick() })
	cfg.OnChange("lfu-log-factor", func() { ks.SetLFUParams(cfg.LFULogFactor(), cfg.LFUDecayTime()) })
	cfg.OnChange("lfu-decay-time", func() { ks.SetLFUParams(cfg.LFULogFactor(), cfg.LFUDecayTime()) })
	return ev
}

func (ev *Evictor) setPolicy(name string) {
	p, mk := parsePolicy(name)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if mk != nil {
		base := name[strings.IndexByte(name, '-')+1:]
		if ev.impls[base] == nil {
			ev.impls[base] = mk()
			ev.capacity = 0
		}
		p.impl = ev.impls[base]
	}
	for i := range ev.pools {
		ps := &ev.pools[i]
		ps.mu.Lock()
		ps.pool.reset()
		ps.mu.Unlock()
	}
	ev.pol.Store(&p)
	if p.impl != nil {
		ev.resizeLocked(p.impl, true)
		ev.ks.SetMetaPolicy(p.impl)
	} else {
		ev.ks.SetMetaPolicy(nil)
	}
}

// resizeCustom tells a custom policy the cache's capacity in keys when it
// moved by more than half since last time.
func (ev *Evictor) resizeCustom() {
	p := ev.pol.Load()
	if p.impl == nil {
		return
	}
	ev.mu.Lock()
	ev.resizeLocked(p.impl, false)
	ev.mu.Unlock()
}

// minCapacity is the capacity assumed before there is data to measure.
const minCapacity = 1 << 12

func (ev *Evictor) resizeLocked(impl evict.Policy, force bool) {
	keys := int64(0)
	for i := range ev.ks.Databases() {
		keys += int64(ev.ks.DB(i).Len())
	}
	c := keys
	if limit := ev.limit.Load(); limit > 0 {
		per := int64(64) // a small key until measured
		if used := ev.ks.UsedMemory(); keys > 0 && used > 0 {
			per = max(1, used/keys)
		}
		c = limit / per
	}
	c = max(c, minCapacity)
	old := int64(ev.capacity)
	if force || old == 0 || c > old*3/2 || c < old*2/3 {
		ev.capacity = int(min(c, math.MaxInt32))
		impl.Resize(ev.capacity)
	}
}

// PolicyName is the maxmemory-policy in force.
func (ev *Evictor) PolicyName() string { return ev.pol.Load().name }

// Evicted is INFO's evicted_keys.
func (ev *Evictor) Evicted() int64 { return ev.evicted.Load() }

// TracksIdle reports whether key metadata holds Redis's LRU clock and LFU
// counter (OBJECT IDLETIME and FREQ), not a custom policy's own word.
func (ev *Evictor) TracksIdle() bool { return ev.pol.Load().kind != custom }

// ExceededTime is INFO stats total_eviction_exceeded_time and
// current_eviction_exceeded_time: how long used memory stayed over
// maxmemory without eviction catching up, in total and in the current spell.
func (ev *Evictor) ExceededTime() (total, current time.Duration) {
	cur := int64(0)
	if s := ev.overSince.Load(); s != 0 {
		cur = max(0, time.Now().UnixMicro()-s)
	}
	return time.Duration(ev.overTotal.Load()+cur) * time.Microsecond, time.Duration(cur) * time.Microsecond
}

// ResetStats zeroes evicted_keys and the exceeded times (CONFIG RESETSTAT);
// a spell over the limit in progress restarts now.
func (ev *Evictor) ResetStats() {
	ev.evicted.Store(0)
	ev.overTotal.Store(0)
	if s := ev.overSince.Load(); s != 0 {
		ev.overSince.CompareAndSwap(s, time.Now().UnixMicro())
	}
}

func (ev *Evictor) noteResult(r Result) {
	if r == OK {
		if s := ev.overSince.Load(); s != 0 && ev.overSince.CompareAndSwap(s, 0) {
			ev.overTotal.Add(max(0, time.Now().UnixMicro()-s))
		}
		return
	}
	if ev.overSince.Load() == 0 {
		ev.overSince.CompareAndSwap(0, time.Now().UnixMicro())
	}
}

// reserveMin is the size from which a command's incoming bytes are reserved
// until it has stored them (see BeforeCommand): below it, what concurrent
// commands bring at once is a few kilobytes at most.
const reserveMin = 32 << 10

// BeforeCommand runs before every command. incoming is the bytes the command
// brings that it may store (its arguments, for commands that may grow
// memory; 0 for others). Over the limit it evicts first, making room for
// incoming too; it reports oom when memory is over maxmemory and could not
// be freed, which Redis answers with -OOM for commands flagged denyoom.
//
// A large incoming (reserveMin or more) is also reserved, so that commands
// running at the same time on other connections make room for it as well,
// and held reports it: the caller must Release(incoming) once the command
// has run (or was refused). Without it, eight connections each writing a
// 1 MB value could all evict down to maxmemory − 1 MB and then all store.
//
// Below the limit it costs three atomic loads.
func (ev *Evictor) BeforeCommand(incoming, now int64, stripe int) (oom, held bool) {
	limit := ev.limit.Load()
	if limit == 0 {
		return false, false
	}
	pending := incoming
	if incoming >= reserveMin {
		pending = ev.reserved.Add(incoming)
		held = true
	} else {
		pending += ev.reserved.Load()
	}
	used := ev.ks.UsedMemory()
	if used+pending <= limit {
		if used > limit-Headroom(limit) {
			ev.kick()
		}
		return false, held
	}
	r := Fail
	if ev.pol.Load().kind != noEviction {
		target := max(0, limit-min(pending, limit))
		r = ev.evict(ev.loopPool(stripe), target, ev.timeLimit(), now, limit)
		if r == Running {
			ev.kick()
		}
	}
	over := ev.ks.UsedMemory() > limit
	if over {
		ev.noteResult(r)
	} else {
		ev.noteResult(OK)
	}
	return r == Fail && over, held
}

// evictNow is what Redis's CONFIG SET maxmemory does (performEvictions in
// updateMaxmemory): evict at once, within the usual time limit, so the
// keys a lower limit pushes out are gone, and their invalidations and
// notifications sent, before the client's next command runs; the
// background evictor finishes what the time limit leaves.
func (ev *Evictor) evictNow() {
	limit := ev.limit.Load()
	if limit == 0 || ev.ks.UsedMemory() <= limit {
		ev.kick()
		return
	}
	if ev.pol.Load().kind != noEviction && ev.evict(&ev.pools[0], limit, ev.timeLimit(), store.NowMs(), limit) == OK {
		return
	}
	ev.kick()
}

// Release ends the reservation BeforeCommand made for a large command.
func (ev *Evictor) Release(incoming int64) { ev.reserved.Add(-incoming) }

// timeLimit is Redis's evictionTimeLimitUs for maxmemory-eviction-tenacity:
// 50 µs per point up to 10 (500 µs, the default), then 15 % more per point,
// and no limit at 100.
func (ev *Evictor) timeLimit() time.Duration {
	t := ev.cfg.MaxMemoryEvictionTenacity()
	switch {
	case t <= 10:
		return time.Duration(50*t) * time.Microsecond
	case t < 100:
		return time.Duration(500*math.Pow(1.15, float64(t-10))) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// Evict evicts keys until used memory is at most target, for up to about
// budget (checked every 16 keys, as Redis does). It returns OK when the
// target is met, Running when time ran out first, and Fail when nothing
// more can be evicted. Concurrent calls share the pool but sample and delete
// in parallel: the pool's lock is held only to merge samples and pick.
func (ev *Evictor) Evict(target int64, budget time.Duration, now int64) Result {
	return ev.evict(&ev.pools[0], target, budget, now, 0)
}

// evict is Evict, stopping early (with OK) once maxmemory is no longer
// limit, when limit is not 0: after CONFIG SET maxmemory the target it was
// given means nothing.
func (ev *Evictor) evict(ps *poolShard, target int64, budget time.Duration, now, limit int64) Result {
	if ev.ks.UsedMemory() <= target {
		return OK
	}
	p := ev.pol.Load()
	if p.kind == noEviction {
		return Fail
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.pool = ps
	if !ev.monitoring() {
		return ev.evictLoop(p, sc, target, budget, now, limit, time.Time{})
	}
	start := time.Now()
	r := ev.evictLoop(p, sc, target, budget, now, limit, start)
	ev.latency("eviction-cycle", time.Since(start))
	return r
}

// evictLoop is evict's loop. A zero start is read from the clock once a
// second key is needed: under steady eviction most commands free room with
// one key, and a clock read per command was 2-3 % of the server's CPU. The
// budget then runs from the end of the first eviction, a few microseconds
// late.
func (ev *Evictor) evictLoop(p *policy, sc *scratch, target int64, budget time.Duration, now, limit int64, start time.Time) Result {
	for n := 0; ev.ks.UsedMemory() > target; {
		if limit != 0 && ev.limit.Load() != limit {
			return OK
		}
		if n == 1 && start.IsZero() {
			start = time.Now()
		}
		if !ev.evictOne(p, sc, now) {
			return Fail
		}
		if n++; n%16 == 0 && time.Since(start) > budget {
			return Running
		}
	}
	return OK
}

// SetLatencySink gives the evictor where to report how long eviction
// rounds ("eviction-cycle") and single deletions ("eviction-del") took,
// as Redis's latency monitor names them, while latency-monitor-threshold
// is on: the command layer's latency monitor. Call it before evicting.
func (ev *Evictor) SetLatencySink(f func(event string, d time.Duration)) { ev.latency = f }

// monitoring reports whether eviction times are wanted: timing each
// deletion costs a clock read, so only while the monitor is on.
func (ev *Evictor) monitoring() bool {
	return ev.latency != nil && ev.cfg.LatencyMonitorThreshold() != 0
}

// scratch is one evicting goroutine's buffers: the keys it sampled (copied,
// as they alias the arena only under the shard lock) and the key it picked.
type scratch struct {
	keys    []byte
	samples []sample
	picked  []byte
	pool    *poolShard // the pool this eviction uses
}

type sample struct {
	db       int
	off, len int // in scratch.keys
	score    uint64
	hash     uint64 // store.KeyHash
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// candidates is the list of databases holding keys the policy may evict,
// shared by evicting goroutines and refreshed every candidateUses uses (so
// a database that gains its first keys is sampled soon) or when it ran dry.
// Counting a database's keys reads 64 shard counters, too many to do for
// every eviction.
type candidates struct {
	dbs      []int
	volatile bool
	uses     atomic.Int32
}

const candidateUses = 32

func (ev *Evictor) candidateDBs(p *policy, stale bool) []int {
	if c := ev.cands.Load(); c != nil && !stale && c.volatile == p.volatile && c.uses.Add(1) <= candidateUses {
		return c.dbs
	}
	c := &candidates{volatile: p.volatile}
	for i := range ev.ks.Databases() {
		if ev.ks.DB(i).HasKeys(p.volatile) {
			c.dbs = append(c.dbs, i)
		}
	}
	ev.cands.Store(c)
	return c.dbs
}

// poolShard is one eviction pool and its lock, on cache lines of its own.
type poolShard struct {
	mu   sync.Mutex
	pool pool
	_    cpu.CacheLinePad
}

// loopPool is the pool of the event loop whose statistics stripe is stripe.
func (ev *Evictor) loopPool(stripe int) *poolShard {
	n := len(ev.pools) - 1
	return &ev.pools[uint(stripe)%uint(n)]
}

// maxRounds bounds the sampling rounds of one eviction whose candidates all
// vanished under it (deleted by other clients between sampling and
// evicting); Redis, single-threaded, needs no bound.
const maxRounds = 64

// evictOne evicts one key (or reclaims one expired key) and reports whether
// it could.
func (ev *Evictor) evictOne(p *policy, sc *scratch, now int64) bool {
	if p.kind == random {
		return ev.evictRandom(p, sc, now)
	}
	samples := max(1, ev.cfg.MaxMemorySamples())
	stale := false
	for range maxRounds {
		dbs := ev.candidateDBs(p, stale)
		if len(dbs) == 0 {
			return false
		}
		// Sample every database (evictionPoolPopulate) without the lock.
		sc.keys, sc.samples = sc.keys[:0], sc.samples[:0]
		for _, i := range dbs {
			ev.ks.DB(i).SampleEvict(samples, p.volatile, func(key []byte, h uint64, meta uint32, expireAt int64) {
				sc.samples = append(sc.samples, sample{db: i, off: len(sc.keys), len: len(key), score: ev.score(p, h, meta, expireAt, now), hash: h})
				sc.keys = append(sc.keys, key...)
			})
		}
		if len(sc.samples) == 0 {
			stale = true // the databases emptied: look again
			continue
		}
		stale = false
		ps := sc.pool
		ps.mu.Lock()
		for _, x := range sc.samples {
			ps.pool.insert(x.db, sc.keys[x.off:x.off+x.len], x.hash, x.score)
		}
		for {
			i, key, ok := ps.pool.take()
			if !ok {
				break // only ghosts: sample again
			}
			sc.picked = append(sc.picked[:0], key...)
			ps.mu.Unlock()
			if ev.evictKey(p, i, sc.picked, now) {
				return true
			}
			ps.mu.Lock()
		}
		ps.mu.Unlock()
	}
	return false
}

// score is the pool's ordering: the higher, the sooner the key goes.
func (ev *Evictor) score(p *policy, h uint64, meta uint32, expireAt, now int64) uint64 {
	switch p.kind {
	case lru:
		return uint64(store.IdleSeconds(meta, now))
	case lfu:
		return uint64(255 - ev.ks.LFUCount(meta, now))
	case ttl:
		return math.MaxUint64 - uint64(expireAt)
	case custom:
		return ^p.impl.Rank(h, meta, now)
	}
	return 0
}

// evictRandom evicts a random key of the next database in turn that has one
// (Redis's allkeys-random and volatile-random).
func (ev *Evictor) evictRandom(p *policy, sc *scratch, now int64) bool {
	n := ev.ks.Databases()
	for range maxRounds {
		tried := false
		for range n {
			i := int(ev.nextDB.Add(1) % uint32(n))
			sc.picked = sc.picked[:0]
			got := ev.ks.DB(i).SampleEvict(1, p.volatile, func(k []byte, _ uint64, _ uint32, _ int64) {
				sc.picked = append(sc.picked, k...)
			})
			if got == 0 {
				continue
			}
			tried = true
			if ev.evictKey(p, i, sc.picked, now) {
				return true
			}
			break
		}
		if !tried {
			return false
		}
	}
	return false
}

// evictKey deletes one candidate, reporting false if it was a ghost.
func (ev *Evictor) evictKey(p *policy, i int, key []byte, now int64) bool {
	var t0 time.Time
	mon := ev.monitoring()
	if mon {
		t0 = time.Now()
	}
	res, h, meta := ev.ks.DB(i).EvictKey(key, p.volatile, now)
	if mon {
		ev.latency("eviction-del", time.Since(t0))
	}
	switch res {
	case store.EvictDeleted:
		ev.evicted.Add(1)
		if p.impl != nil {
			p.impl.Evicted(h, meta, now)
		}
		return true
	case store.EvictExpired:
		return true
	}
	return false
}
