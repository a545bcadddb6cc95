package evictor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/evict"
	"github.com/smallredis/smallredis/internal/store"
)

const t0 = int64(1_700_000_000_000)

// insertKey offers key to the pool with its hash, as evictOne does.
func (p *pool) insertKey(db int, key []byte, score uint64) {
	p.insert(db, key, store.KeyHash(key), score)
}

func TestPool(t *testing.T) {
	var p pool
	for i, s := range []uint64{5, 1, 9, 3, 9} {
		p.insertKey(0, []byte{byte('a' + i)}, s)
	}
	p.insertKey(0, []byte("a"), 100) // already pooled: ignored
	p.insertKey(1, []byte("a"), 2)   // same key, other db: a candidate of its own
	var got []string
	for {
		db, k, ok := p.take()
		if !ok {
			break
		}
		got = append(got, fmt.Sprintf("%d %s", db, k))
	}
	// Best first; of two equal scores the one pooled earlier goes first.
	if want := "0 c,0 e,0 a,0 d,1 a,0 b"; strings.Join(got, ",") != want {
		t.Errorf("took %v, want %s", got, want)
	}

	// A full pool keeps the 16 best and drops what scores below them all.
	for i := range 40 {
		p.insertKey(0, []byte(strconv.Itoa(i)), uint64(i))
	}
	p.insertKey(0, []byte("low"), 3)
	n := 0
	for want := 39; ; want-- {
		_, k, ok := p.take()
		if !ok {
			break
		}
		if string(k) != strconv.Itoa(want) {
			t.Fatalf("took %q, want %d", k, want)
		}
		n++
	}
	if n != poolSize {
		t.Errorf("full pool held %d entries", n)
	}
}

// newEvictor returns an evictor over a fresh keyspace with the given policy
// and no memory limit yet.
func newEvictor(t *testing.T, dbs int, pol string, extra ...string) (*Evictor, *store.Keyspace, *config.Config) {
	t.Helper()
	cfg, err := config.Parse(append([]string{"--maxmemory-policy", pol, "--databases", strconv.Itoa(dbs)}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	ks := store.New(dbs)
	return New(ks, cfg), ks, cfg
}

func setKey(db *store.DB, key string, size int, expireAt, now int64) {
	db.Update([]byte(key), now, func(e *store.Entry) {
		e.SetStr(make([]byte, size))
		e.SetExpireAt(expireAt)
	})
}

func exists(db *store.DB, key string, now int64) (ok bool) {
	db.Peek([]byte(key), now, func(e *store.Entry) { ok = e.Exists() })
	return
}

func count(db *store.DB, prefix string, n int, now int64) int {
	c := 0
	for i := range n {
		if exists(db, prefix+strconv.Itoa(i), now) {
			c++
		}
	}
	return c
}

// TestPolicies loads two groups of keys that differ only in what the policy
// looks at, evicts half the memory, and checks which group lost.
func TestPolicies(t *testing.T) {
	const n = 2000
	now := t0 + 3600_000
	cases := []struct {
		policy string
		// load makes group "good:" (should stay) and "bad:" (should go).
		load func(db *store.DB, ks *store.Keyspace)
		// keep is the share of "good:" keys that must survive.
		keep float64
		// persist keys (no TTL) that must all survive, for volatile policies.
		persist bool
	}{
		{"allkeys-lru", func(db *store.DB, ks *store.Keyspace) {
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, 0, t0)
				setKey(db, "good:"+strconv.Itoa(i), 100, 0, t0)
				db.View([]byte("good:"+strconv.Itoa(i)), now, func(*store.Entry) {})
			}
		}, 0.9, false},
		{"allkeys-lfu", func(db *store.DB, ks *store.Keyspace) {
			ks.SetLFUParams(0, 0) // every access counts, no decay: deterministic
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, 0, now)
				setKey(db, "good:"+strconv.Itoa(i), 100, 0, now)
				for range 3 {
					db.View([]byte("good:"+strconv.Itoa(i)), now, func(*store.Entry) {})
				}
			}
		}, 0.9, false},
		{"volatile-lru", func(db *store.DB, ks *store.Keyspace) {
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, now+1e9, t0)
				setKey(db, "good:"+strconv.Itoa(i), 100, now+1e9, t0)
				db.View([]byte("good:"+strconv.Itoa(i)), now, func(*store.Entry) {})
			}
		}, 0.75, true},
		{"volatile-lfu", func(db *store.DB, ks *store.Keyspace) {
			ks.SetLFUParams(0, 0)
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, now+1e9, now)
				setKey(db, "good:"+strconv.Itoa(i), 100, now+1e9, now)
				for range 3 {
					db.View([]byte("good:"+strconv.Itoa(i)), now, func(*store.Entry) {})
				}
			}
		}, 0.75, true},
		{"volatile-ttl", func(db *store.DB, ks *store.Keyspace) {
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, now+1000, t0)
				setKey(db, "good:"+strconv.Itoa(i), 100, now+1e9, t0)
			}
			// Sampled, so a run keeps 1,800–1,900 of the good keys; one in
			// about fifty kept 1,799 against a bound of 0.9 (random
			// eviction keeps about half).
		}, 0.85, true},
		{"allkeys-random", func(db *store.DB, ks *store.Keyspace) {
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, 0, t0)
				setKey(db, "good:"+strconv.Itoa(i), 100, 0, t0)
			}
		}, 0.2, false}, // random: both groups lose about the same
		{"volatile-random", func(db *store.DB, ks *store.Keyspace) {
			for i := range n {
				setKey(db, "bad:"+strconv.Itoa(i), 100, now+1e9, t0)
				setKey(db, "good:"+strconv.Itoa(i), 100, now+1e9, t0)
			}
		}, 0.2, true},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			ev, ks, _ := newEvictor(t, 2, c.policy)
			db := ks.DB(1)
			c.load(db, ks)
			if c.persist {
				for i := range n / 2 {
					setKey(ks.DB(0), "persist:"+strconv.Itoa(i), 100, 0, t0)
				}
			}
			before := ks.UsedMemory()
			target := before - before*35/100
			if r := ev.Evict(target, time.Hour, now); r != OK {
				t.Fatalf("Evict = %v", r)
			}
			if ks.UsedMemory() > target {
				t.Fatalf("used %d > target %d", ks.UsedMemory(), target)
			}
			good, bad := count(db, "good:", n, now), count(db, "bad:", n, now)
			t.Logf("%s: kept %d good, %d bad of %d each; evicted %d", c.policy, good, bad, n, ev.Evicted())
			if float64(good) < c.keep*n {
				t.Errorf("kept %d good keys, want ≥ %.0f", good, c.keep*n)
			}
			if strings.HasSuffix(c.policy, "random") && (bad > good*3/2 || good > bad*3/2) {
				t.Errorf("random eviction is lopsided: %d good, %d bad", good, bad)
			}
			if c.persist && count(ks.DB(0), "persist:", n/2, now) != n/2 {
				t.Errorf("a volatile policy evicted a key without TTL")
			}
			if got := int64(2*n - good - bad); ev.Evicted() != got {
				t.Errorf("evicted_keys %d, keys gone %d", ev.Evicted(), got)
			}
		})
	}
}

func TestNothingToEvict(t *testing.T) {
	for _, pol := range []string{"noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		ev, ks, cfg := newEvictor(t, 1, pol)
		for i := range 100 {
			setKey(ks.DB(0), "k"+strconv.Itoa(i), 100, 0, t0)
		}
		if err := cfg.Set([][2]string{{"maxmemory", "1000"}}); err != nil {
			t.Fatal(err)
		}
		if oom, _ := ev.BeforeCommand(0, t0, 0); !oom {
			t.Errorf("%s: over the limit with nothing evictable, but no OOM", pol)
		}
		if ks.DB(0).Len() != 100 {
			t.Errorf("%s evicted %d keys", pol, 100-ks.DB(0).Len())
		}
		if _, cur := ev.ExceededTime(); cur < 0 {
			t.Errorf("%s: negative exceeded time", pol)
		}
	}
}

// TestBeforeCommand checks the inline path: room is made for the incoming
// command, and OOM is reported only when over maxmemory itself.
func TestBeforeCommand(t *testing.T) {
	// Unlimited tenacity: the race detector's slowness must not cut eviction short.
	ev, ks, cfg := newEvictor(t, 1, "allkeys-lru", "--maxmemory-eviction-tenacity", "100")
	db := ks.DB(0)
	for i := range 1000 {
		setKey(db, "k"+strconv.Itoa(i), 1000, 0, t0)
	}
	limit := ks.UsedMemory()
	if err := cfg.Set([][2]string{{"maxmemory", strconv.FormatInt(limit, 10)}}); err != nil {
		t.Fatal(err)
	}
	if oom, _ := ev.BeforeCommand(0, t0, 0); oom || db.Len() != 1000 {
		t.Fatalf("evicted at the limit: %d keys", db.Len())
	}
	oom, held := ev.BeforeCommand(50_000, t0, 0)
	if oom || !held {
		t.Fatalf("50 kB command: oom %v, reserved %v", oom, held)
	}
	ev.Release(50_000)
	if used := ks.UsedMemory(); used > limit-50_000 {
		t.Errorf("after making room for 50 kB: used %d, limit %d", used, limit)
	}

	// noeviction: no room is made, and OOM only once over the limit.
	if err := cfg.Set([][2]string{{"maxmemory-policy", "noeviction"}}); err != nil {
		t.Fatal(err)
	}
	n := db.Len()
	if oom, _ := ev.BeforeCommand(1<<20, t0, 0); oom {
		t.Error("noeviction refused a command while under maxmemory")
	}
	ev.Release(1 << 20)
	for ks.UsedMemory() <= limit {
		setKey(db, "more"+strconv.Itoa(db.Len()), 1000, 0, t0)
	}
	if oom, _ := ev.BeforeCommand(0, t0, 0); !oom {
		t.Error("noeviction over maxmemory: no OOM")
	}
	if db.Len() < n {
		t.Error("noeviction evicted")
	}
	// maxmemory 0: never.
	if err := cfg.Set([][2]string{{"maxmemory", "0"}}); err != nil {
		t.Fatal(err)
	}
	if oom, held := ev.BeforeCommand(1<<40, t0, 0); oom || held {
		t.Error("OOM or reservation without a limit")
	}
}

// TestOvershootConcurrent writes from several goroutines through
// BeforeCommand, as connections do, and checks used memory never exceeds
// maxmemory by more than the writes in flight.
func TestOvershootConcurrent(t *testing.T) {
	ev, ks, cfg := newEvictor(t, 1, "allkeys-lru")
	const limit = 4 << 20
	if err := cfg.Set([][2]string{{"maxmemory", strconv.Itoa(limit)}}); err != nil {
		t.Fatal(err)
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() { ev.Run(stop); close(stopped) }()
	var peak atomic.Int64
	var wg sync.WaitGroup
	const writers, perWriter, size = 4, 5000, 1000
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			val := make([]byte, size)
			for i := range perWriter {
				key := []byte(fmt.Sprintf("w%d:%d", w, i))
				if oom, _ := ev.BeforeCommand(int64(len(key)+size), store.NowMs(), 0); oom {
					t.Error("OOM under allkeys-lru")
					return
				}
				ks.DB(0).Update(key, store.NowMs(), func(e *store.Entry) { e.SetStr(val) })
				if u := ks.UsedMemory(); u > peak.Load() {
					peak.Store(u)
				}
			}
		}()
	}
	wg.Wait()
	// Let the background evictor finish the eviction it may be in the
	// middle of, so the counters below are settled.
	close(stop)
	<-stopped
	if over := peak.Load() - limit; over > writers*2*size {
		t.Errorf("used memory peaked %d B above maxmemory", over)
	}
	if ev.Evicted()+int64(ks.DB(0).Len()) != writers*perWriter {
		t.Errorf("evicted %d + kept %d ≠ written %d", ev.Evicted(), ks.DB(0).Len(), writers*perWriter)
	}
}

// TestReservation: large writes running at once make room for each other.
func TestReservation(t *testing.T) {
	ev, ks, cfg := newEvictor(t, 1, "allkeys-lru", "--maxmemory-eviction-tenacity", "100")
	const limit, big = 8 << 20, 1 << 20
	if err := cfg.Set([][2]string{{"maxmemory", strconv.Itoa(limit)}}); err != nil {
		t.Fatal(err)
	}
	val := make([]byte, big)
	var wg sync.WaitGroup
	var peak atomic.Int64
	start := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range 40 {
				oom, held := ev.BeforeCommand(big, store.NowMs(), 0)
				if oom || !held {
					t.Errorf("oom %v held %v", oom, held)
					return
				}
				ks.DB(0).Update([]byte(fmt.Sprint(w, ":", i)), store.NowMs(), func(e *store.Entry) { e.SetStr(val) })
				ev.Release(big)
				if u := ks.UsedMemory(); u > peak.Load() {
					peak.Store(u)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if over := peak.Load() - limit; over > 64<<10 {
		t.Errorf("used memory peaked %d B over maxmemory with 1 MB values", over)
	}
	if ev.reserved.Load() != 0 {
		t.Errorf("%d B still reserved", ev.reserved.Load())
	}
}

// TestBackground checks the background evictor brings memory below the
// headroom after the limit drops, without any command running.
func TestBackground(t *testing.T) {
	ev, ks, cfg := newEvictor(t, 1, "allkeys-random")
	for i := range 20000 {
		setKey(ks.DB(0), "k"+strconv.Itoa(i), 200, 0, t0)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { ev.Run(stop); close(done) }()
	limit := ks.UsedMemory() / 2
	if err := cfg.Set([][2]string{{"maxmemory", strconv.FormatInt(limit, 10)}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ks.UsedMemory() > limit-Headroom(limit) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if u := ks.UsedMemory(); u > limit-Headroom(limit) {
		t.Errorf("background eviction left %d B, want ≤ %d", u, limit-Headroom(limit))
	}
	close(stop)
	<-done
}

func TestTimeLimit(t *testing.T) {
	for _, c := range []struct {
		tenacity int
		want     time.Duration
	}{{0, 0}, {1, 50 * time.Microsecond}, {10, 500 * time.Microsecond}, {11, 575 * time.Microsecond}, {100, time.Duration(1<<63 - 1)}} {
		ev, _, _ := newEvictor(t, 1, "allkeys-lru", "--maxmemory-eviction-tenacity", strconv.Itoa(c.tenacity))
		if got := ev.timeLimit(); got != c.want {
			t.Errorf("tenacity %d: %v, want %v", c.tenacity, got, c.want)
		}
	}
}

// rankPolicy is a test policy whose rank is the key's number, stored in the
// metadata word at insertion, so eviction must go in key order.
type rankPolicy struct {
	inserts, accesses, evicted atomic.Int64
	resized                    atomic.Int64
}

func (p *rankPolicy) Name() string { return "ranktest" }
func (p *rankPolicy) Insert(h uint64, now int64) uint32 {
	p.inserts.Add(1)
	return uint32(rankOf.Load().(map[uint64]int)[h])
}
func (p *rankPolicy) Access(h uint64, meta uint32, now int64) uint32 { p.accesses.Add(1); return meta }
func (p *rankPolicy) Rank(h uint64, meta uint32, now int64) uint64   { return uint64(meta) }
func (p *rankPolicy) Evicted(h uint64, meta uint32, now int64)       { p.evicted.Add(1) }
func (p *rankPolicy) Resize(c int)                                   { p.resized.Store(int64(c)) }

var rankOf atomic.Value

func TestCustomPolicy(t *testing.T) {
	var made *rankPolicy
	Register("ranktest", func() evict.Policy { made = &rankPolicy{}; return made })
	ranks := map[uint64]int{}
	const n = 3000
	for i := range n {
		ranks[store.KeyHash([]byte("k"+strconv.Itoa(i)))] = i
	}
	rankOf.Store(ranks)

	ev, ks, cfg := newEvictor(t, 1, "allkeys-ranktest", "--maxmemory", "1mb")
	if made == nil || made.resized.Load() == 0 {
		t.Fatal("policy not made or not sized")
	}
	if ev.TracksIdle() {
		t.Error("a custom policy's word is not an LRU clock")
	}
	db := ks.DB(0)
	for i := range n {
		setKey(db, "k"+strconv.Itoa(i), 50, 0, t0)
	}
	db.View([]byte("k1"), t0, func(*store.Entry) {})
	if made.inserts.Load() != n || made.accesses.Load() == 0 {
		t.Errorf("inserts %d, accesses %d", made.inserts.Load(), made.accesses.Load())
	}
	target := ks.UsedMemory() / 2
	ev.Evict(target, time.Hour, t0)
	// Sampled eviction is approximate: the low ranks must have gone first.
	low, high := count(db, "k", n/4, t0), 0
	for i := 3 * n / 4; i < n; i++ {
		if exists(db, "k"+strconv.Itoa(i), t0) {
			high++
		}
	}
	if low > n/16 || high < n/4*9/10 {
		t.Errorf("kept %d of the lowest-ranked quarter, %d of the highest", low, high)
	}
	if made.evicted.Load() != ev.Evicted() {
		t.Errorf("policy told of %d evictions, evicted_keys %d", made.evicted.Load(), ev.Evicted())
	}
	// Back to a Redis policy: the store owns the word again.
	if err := cfg.Set([][2]string{{"maxmemory-policy", "allkeys-lru"}}); err != nil {
		t.Fatal(err)
	}
	a := made.accesses.Load()
	db.View([]byte("k2999"), t0, func(*store.Entry) {})
	if made.accesses.Load() != a || !ev.TracksIdle() {
		t.Error("custom policy still called after switching to allkeys-lru")
	}
	if !strings.Contains(strings.Join(Registered(), ","), "ranktest") {
		t.Error("Registered() misses ranktest")
	}
}

func TestCgroupLimit(t *testing.T) {
	files := map[string]string{}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	// cgroup v2, nested: the tightest limit on the way up counts.
	files["/proc/self/cgroup"] = "0::/kubepods/pod1/ctr\n"
	files["/proc/self/mountinfo"] = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
	files["/sys/fs/cgroup/kubepods/pod1/ctr/memory.max"] = "max\n"
	files["/sys/fs/cgroup/kubepods/pod1/memory.max"] = "536870912\n"
	files["/sys/fs/cgroup/kubepods/memory.max"] = "1073741824\n"
	if got := cgroupLimit(read); got != 512<<20 {
		t.Errorf("v2: %d", got)
	}
	// cgroup v1 inside a container: the path is hidden, the root has the limit.
	files = map[string]string{
		"/proc/self/cgroup":                           "4:memory:/docker/abc\n3:cpu:/docker/abc\n",
		"/proc/self/mountinfo":                        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
	}
	if got := cgroupLimit(read); got != 256<<20 {
		t.Errorf("v1 in a container: %d", got)
	}
	// v1, no limit (the kernel's "unlimited").
	files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = "9223372036854771712\n"
	if got := cgroupLimit(read); got != 0 {
		t.Errorf("v1 unlimited: %d", got)
	}
	if got := cgroupLimit(func(string) ([]byte, error) { return nil, errors.New("no /proc") }); got != 0 {
		t.Errorf("no /proc: %d", got)
	}
}

func TestGoMemoryLimit(t *testing.T) {
	if got := GoMemoryLimit(0, 0); got != 1<<63-1 {
		t.Errorf("no limits: %d", got)
	}
	if got := GoMemoryLimit(128<<20, 0); got != 128<<20+32<<20+24<<20 {
		t.Errorf("128 MiB: %d", got)
	}
	if got := GoMemoryLimit(128<<20, 160<<20); got != 144<<20 {
		t.Errorf("under a 160 MiB cgroup: %d", got)
	}
	if got := GoMemoryLimit(0, 1<<30); got != 1<<30/10*9 {
		t.Errorf("cgroup only: %d", got)
	}
}

func TestHeadroom(t *testing.T) {
	for _, c := range [][2]int64{{128 << 20, 1 << 20}, {1 << 20, 8 << 10}, {100_000, 781}, {8 << 20, 64 << 10}, {64 << 30, 16 << 20}} {
		if got := Headroom(c[0]); got != c[1] {
			t.Errorf("Headroom(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

// TestPolicyNames: Redis's eight names and ours are accepted by CONFIG SET;
// the error for an unknown one lists ours after Redis's.
func TestPolicyNames(t *testing.T) {
	ev, _, cfg := newEvictor(t, 1, "noeviction")
	names := []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
		"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}
	for _, n := range Registered() {
		names = append(names, "allkeys-"+n, "volatile-"+n)
	}
	for _, n := range names {
		if err := cfg.Set([][2]string{{"maxmemory-policy", strings.ToUpper(n)}}); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if ev.PolicyName() != n {
			t.Errorf("policy in force %q, want %q", ev.PolicyName(), n)
		}
	}
	err := cfg.Set([][2]string{{"maxmemory-policy", "bogus"}})
	want := "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: " +
		"volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, allkeys-lrfu, volatile-lrfu"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("unknown policy: %v", err)
	}
}

func TestResetStats(t *testing.T) {
	ev, ks, cfg := newEvictor(t, 1, "allkeys-random")
	for i := range 100 {
		setKey(ks.DB(0), "k"+strconv.Itoa(i), 100, 0, t0)
	}
	if err := cfg.Set([][2]string{{"maxmemory", "5000"}}); err != nil {
		t.Fatal(err)
	}
	ev.BeforeCommand(0, t0, 0)
	if ev.Evicted() == 0 {
		t.Fatal("nothing evicted")
	}
	ev.ResetStats()
	if total, _ := ev.ExceededTime(); ev.Evicted() != 0 || total > time.Second {
		t.Errorf("after ResetStats: evicted %d, exceeded %v", ev.Evicted(), total)
	}
}

// Lowering maxmemory evicts before the CONFIG SET returns, as Redis's
// updateMaxmemory does, without the background evictor running: the
// client's next command must not see the keys the new limit pushed out.
// (Tenacity 100 lifts the eviction time limit, which -race can exceed.)
func TestLowerLimitEvictsAtOnce(t *testing.T) {
	ev, ks, cfg := newEvictor(t, 1, "allkeys-random", "--maxmemory-eviction-tenacity", "100")
	_ = ev // its Run (the background evictor) is deliberately not started
	for i := range 200 {
		setKey(ks.DB(0), "k"+strconv.Itoa(i), 200, 0, t0)
	}
	limit := ks.UsedMemory() / 2
	if err := cfg.Set([][2]string{{"maxmemory", strconv.FormatInt(limit, 10)}}); err != nil {
		t.Fatal(err)
	}
	if u := ks.UsedMemory(); u > limit {
		t.Errorf("after CONFIG SET maxmemory %d: used %d B", limit, u)
	}
}

// The latency sink hears of every eviction round and deletion, while
// latency-monitor-threshold is on and only then.
func TestLatencySink(t *testing.T) {
	ev, ks, cfg := newEvictor(t, 1, "allkeys-random")
	counts := map[string]int{}
	ev.SetLatencySink(func(event string, d time.Duration) {
		if d < 0 {
			t.Errorf("%s took %v", event, d)
		}
		counts[event]++
	})
	fill := func() {
		for i := range 100 {
			setKey(ks.DB(0), "k"+strconv.Itoa(i), 100, 0, t0)
		}
	}
	fill()
	if r := ev.Evict(ks.UsedMemory()/2, time.Second, t0); r != OK {
		t.Fatalf("Evict: %v", r)
	}
	if len(counts) != 0 {
		t.Fatalf("timed with the monitor off: %v", counts)
	}
	if err := cfg.Set([][2]string{{"latency-monitor-threshold", "100"}}); err != nil {
		t.Fatal(err)
	}
	fill()
	before := ks.DB(0).Len()
	ev.Evict(ks.UsedMemory()/2, time.Second, t0)
	if counts["eviction-cycle"] != 1 || counts["eviction-del"] < before-ks.DB(0).Len() || counts["eviction-del"] == 0 {
		t.Errorf("events %v for %d keys evicted", counts, before-ks.DB(0).Len())
	}
}
