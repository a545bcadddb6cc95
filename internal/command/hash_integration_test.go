package command_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

func TestHashGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		k := p + "h"
		if n, err := r.HSet(ctx, k, map[string]any{"a": "1", "b": "2"}).Result(); err != nil || n != 2 {
			t.Fatalf("HSET = %d, %v", n, err)
		}
		if v, err := r.HGet(ctx, k, "a").Result(); err != nil || v != "1" {
			t.Fatalf("HGET = %q, %v", v, err)
		}
		if _, err := r.HGet(ctx, k, "nope").Result(); err != redis.Nil {
			t.Fatalf("HGET missing field: %v", err)
		}
		all, err := r.HGetAll(ctx, k).Result()
		if err != nil || len(all) != 2 || all["a"] != "1" || all["b"] != "2" {
			t.Fatalf("HGETALL = %v, %v", all, err)
		}
		vals, err := r.HMGet(ctx, k, "a", "nope", "b").Result()
		if err != nil || vals[0] != "1" || vals[1] != nil || vals[2] != "2" {
			t.Fatalf("HMGET = %v, %v", vals, err)
		}
		if n, err := r.HIncrBy(ctx, k, "n", 5).Result(); err != nil || n != 5 {
			t.Fatalf("HINCRBY = %d, %v", n, err)
		}
		if f, err := r.HIncrByFloat(ctx, k, "f", 2.5).Result(); err != nil || f != 2.5 {
			t.Fatalf("HINCRBYFLOAT = %v, %v", f, err)
		}
		kv, err := r.HRandFieldWithValues(ctx, k, 10).Result()
		if err != nil || len(kv) != 4 {
			t.Fatalf("HRANDFIELD 10 WITHVALUES = %v, %v", kv, err)
		}
		for _, e := range kv {
			if all2, _ := r.HGet(ctx, k, e.Key).Result(); all2 != e.Value {
				t.Fatalf("HRANDFIELD pair %v does not match HGET %q", e, all2)
			}
		}
		if fs, err := r.HRandField(ctx, k, -7).Result(); err != nil || len(fs) != 7 {
			t.Fatalf("HRANDFIELD -7 = %v, %v", fs, err)
		}
		keys, cur, err := r.HScan(ctx, k, 0, "", 0).Result()
		if err != nil || cur != 0 || len(keys) != 8 {
			t.Fatalf("HSCAN = %v %d %v", keys, cur, err)
		}
		keys, cur, err = r.HScanNoValues(ctx, k, 0, "[ab]", 0).Result()
		if err != nil || cur != 0 || sortedJoin(keys) != "a,b" {
			t.Fatalf("HSCAN NOVALUES = %v %d %v", keys, cur, err)
		}
		if typ, _ := r.Type(ctx, k).Result(); typ != "hash" {
			t.Fatalf("TYPE = %q", typ)
		}
		if n, err := r.HDel(ctx, k, "a", "b", "n", "f", "zz").Result(); err != nil || n != 4 {
			t.Fatalf("HDEL = %d, %v", n, err)
		}
		if n, _ := r.Exists(ctx, k).Result(); n != 0 {
			t.Fatal("emptied hash still exists")
		}
		r.Set(ctx, k, "str", 0)
		if err := r.HGet(ctx, k, "a").Err(); err == nil || err.Error() != "WRONGTYPE Operation against a key holding the wrong kind of value" {
			t.Fatalf("HGET on a string: %v", err)
		}
	})
}

func TestHashFieldExpiryGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		k := p + "hfe"
		r.HSet(ctx, k, "keep", "1", "short", "2", "long", "3")
		if res, err := r.HPExpire(ctx, k, 100*time.Millisecond, "short", "nope").Result(); err != nil || fmt.Sprint(res) != "[1 -2]" {
			t.Fatalf("HPEXPIRE = %v, %v", res, err)
		}
		if res, err := r.HExpire(ctx, k, time.Hour, "long").Result(); err != nil || fmt.Sprint(res) != "[1]" {
			t.Fatalf("HEXPIRE = %v, %v", res, err)
		}
		if enc, _ := r.ObjectEncoding(ctx, k).Result(); enc != "listpackex" {
			t.Fatalf("OBJECT ENCODING = %q", enc)
		}
		ttl, err := r.HTTL(ctx, k, "keep", "long", "nope").Result()
		if err != nil || ttl[0] != -1 || ttl[1] != 3600 || ttl[2] != -2 {
			t.Fatalf("HTTL = %v, %v", ttl, err)
		}
		if pt, _ := r.HPTTL(ctx, k, "short").Result(); pt[0] <= 0 || pt[0] > 100 {
			t.Fatalf("HPTTL = %v", pt)
		}
		et, _ := r.HExpireTime(ctx, k, "long").Result()
		if d := et[0] - time.Now().Add(time.Hour).Unix(); d < -2 || d > 2 {
			t.Fatalf("HEXPIRETIME = %v", et)
		}
		time.Sleep(150 * time.Millisecond)
		// Expired fields are never visible, to any command.
		if _, err := r.HGet(ctx, k, "short").Result(); err != redis.Nil {
			t.Fatalf("HGET expired field: %v", err)
		}
		if n, _ := r.HLen(ctx, k).Result(); n != 2 {
			t.Fatalf("HLEN = %d, want 2", n)
		}
		if ok, _ := r.HExists(ctx, k, "short").Result(); ok {
			t.Fatal("HEXISTS sees an expired field")
		}
		if n, _ := r.HStrLen(ctx, k, "short").Result(); n != 0 {
			t.Fatalf("HSTRLEN = %d", n)
		}
		if all, _ := r.HGetAll(ctx, k).Result(); len(all) != 2 || all["short"] != "" {
			t.Fatalf("HGETALL = %v", all)
		}
		keys, _, _ := r.HScanNoValues(ctx, k, 0, "", 100).Result()
		if sortedJoin(keys) != "keep,long" {
			t.Fatalf("HSCAN = %v", keys)
		}
		if fs, _ := r.HRandField(ctx, k, 10).Result(); sortedJoin(fs) != "keep,long" {
			t.Fatalf("HRANDFIELD = %v", fs)
		}
		// HPERSIST, and key-level TTLs stay independent of field TTLs.
		if res, _ := r.HPersist(ctx, k, "long", "keep", "nope").Result(); fmt.Sprint(res) != "[1 -1 -2]" {
			t.Fatalf("HPERSIST = %v", res)
		}
		r.Expire(ctx, k, time.Hour)
		r.HExpire(ctx, k, time.Hour, "keep")
		if d, _ := r.TTL(ctx, k).Result(); d < 3590*time.Second {
			t.Fatalf("TTL of the key = %v", d)
		}
		r.Persist(ctx, k)
		if ttl, _ := r.HTTL(ctx, k, "keep").Result(); ttl[0] < 3590 {
			t.Fatalf("PERSIST of the key changed a field TTL: %v", ttl)
		}
		// A hash whose last field expires is deleted, without anyone
		// reading it: DBSIZE does not touch the key.
		k2 := p + "gone"
		r.HSet(ctx, k2, "a", "1", "b", "2")
		r.HPExpire(ctx, k2, 30*time.Millisecond, "a", "b")
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, _ := r.Keys(ctx, k2).Result()
			if len(n) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the active cycle did not delete a hash whose fields all expired")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// Field TTLs follow the hash through RENAME and MOVE, and COPY copies them:
// changing the copy leaves the original alone.
func TestHashFieldExpiryKeyCommands(t *testing.T) {
	addr, _ := testserver.Start(t)
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	ctx := context.Background()
	for _, entries := range []string{"512", "0"} { // listpackex, then hashtable
		r.ConfigSet(ctx, "hash-max-listpack-entries", entries)
		r.FlushAll(ctx)
		r.HSet(ctx, "src", "a", "1", "b", "2")
		r.HExpire(ctx, "src", time.Hour, "a")
		if err := r.Copy(ctx, "src", "cp", 0, false).Err(); err != nil {
			t.Fatal(err)
		}
		r.HPersist(ctx, "cp", "a")
		r.HSet(ctx, "cp", "b", "changed")
		r.HExpire(ctx, "cp", time.Minute, "b")
		if ttl, _ := r.HTTL(ctx, "src", "a", "b").Result(); ttl[0] < 3590 || ttl[1] != -1 {
			t.Fatalf("%s: original's TTLs after changing the copy: %v", entries, ttl)
		}
		if v, _ := r.HGet(ctx, "src", "b").Result(); v != "2" {
			t.Fatalf("%s: original changed: %q", entries, v)
		}
		if ttl, _ := r.HTTL(ctx, "cp", "a", "b").Result(); ttl[0] != -1 || ttl[1] > 60 {
			t.Fatalf("%s: copy's TTLs: %v", entries, ttl)
		}
		r.Rename(ctx, "src", "renamed")
		if ttl, _ := r.HTTL(ctx, "renamed", "a").Result(); ttl[0] < 3590 {
			t.Fatalf("%s: TTL after RENAME: %v", entries, ttl)
		}
		r.Move(ctx, "renamed", 1)
		r1 := redis.NewClient(&redis.Options{Addr: addr, DB: 1})
		if ttl, _ := r1.HTTL(ctx, "renamed", "a").Result(); len(ttl) != 1 || ttl[0] < 3590 {
			t.Fatalf("%s: TTL after MOVE: %v", entries, ttl)
		}
		// The moved hash still expires actively in its new database.
		r1.HPExpire(ctx, "renamed", 20*time.Millisecond, "a", "b")
		deadline := time.Now().Add(5 * time.Second)
		for r1.DBSize(ctx).Val() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: moved hash not reclaimed", entries)
			}
			time.Sleep(20 * time.Millisecond)
		}
		r1.Close()
	}
	r.ConfigSet(ctx, "hash-max-listpack-entries", "512")
}

// HSCAN's guarantee while writers change the hash: every field present for
// the whole iteration is returned at least once, as the hash grows past the
// listpack threshold, shrinks and grows again.
func TestHScanWithConcurrentWriters(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	r.ConfigSet(ctx, "hash-max-listpack-entries", "64")
	defer r.ConfigSet(ctx, "hash-max-listpack-entries", "512")
	for round := range 6 {
		key := fmt.Sprint("scan", round)
		stable := map[string]bool{}
		for i := range 40 {
			f := fmt.Sprint("s", i)
			stable[f] = true
			r.HSet(ctx, key, f, "v")
		}
		if round%2 == 1 { // start from a hashtable
			for i := range 100 {
				r.HSet(ctx, key, fmt.Sprint("x", i), "v")
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wr := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
				defer wr.Close()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					// Waves of growth and shrinking over transient fields.
					f := fmt.Sprint("t", w, "-", rng.IntN(2000))
					if (i/500)%2 == 0 {
						wr.HSet(ctx, key, f, "v")
					} else {
						wr.HDel(ctx, key, f)
					}
				}
			}()
		}
		seen := map[string]bool{}
		var cursor uint64
		calls := 0
		for {
			keys, next, err := r.HScanNoValues(ctx, key, cursor, "", 5).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k] = true
			}
			calls++
			cursor = next
			if cursor == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		close(stop)
		wg.Wait()
		for f := range stable {
			if !seen[f] {
				t.Fatalf("round %d: field %s present throughout was never returned (%d calls)", round, f, calls)
			}
		}
		t.Logf("round %d: %d HSCAN calls, %d fields seen", round, calls, len(seen))
	}
}

// Deleting a hash of a million fields must not stall other clients: the
// value is dropped, not walked, under the shard lock.
func TestDeleteHugeHashDoesNotStall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million-field hash")
	}
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	fields := 1_000_000
	if testserver.RaceEnabled() {
		fields /= 4
	}
	loader := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, ReadTimeout: 30 * time.Second})
	defer loader.Close()
	for lo := 0; lo < fields; lo += 50_000 {
		pipe := loader.Pipeline()
		for i := lo; i < min(lo+50_000, fields); i += 1000 {
			args := make([]any, 0, 2000)
			for j := i; j < min(i+1000, fields); j++ {
				args = append(args, strconv.Itoa(j), "value")
			}
			pipe.HSet(ctx, "huge", args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := loader.HLen(ctx, "huge").Result(); n != int64(fields) {
		t.Fatalf("HLEN = %d", n)
	}

	pinger := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer pinger.Close()
	stop := make(chan struct{})
	var lat []time.Duration
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			t0 := time.Now()
			if err := pinger.Ping(ctx).Err(); err != nil {
				done <- err
				return
			}
			lat = append(lat, time.Since(t0))
		}
	}()
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	if n, err := loader.Del(ctx, "huge").Result(); err != nil || n != 1 {
		t.Fatalf("DEL = %d, %v", n, err)
	}
	del := time.Since(t0)
	// Keep pinging while the garbage collector frees the hash.
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) < 100 {
		t.Fatalf("only %d PINGs", len(lat))
	}
	p99 := lat[len(lat)*99/100]
	t.Logf("DEL of %d fields took %v; %d PINGs: p50 %v, p99 %v, max %v", fields, del, len(lat), lat[len(lat)/2], p99, lat[len(lat)-1])
	if p99 >= 10*time.Millisecond {
		t.Errorf("PING p99 %v around the DEL, want < 10 ms", p99)
	}
	if used, _ := loader.Info(ctx, "memory").Result(); used == "" {
		t.Fatal("no INFO memory")
	}
}

// Hashes are charged to used_memory as they grow and shrink, so maxmemory
// eviction sees them.
func TestHashMemoryAccounting(t *testing.T) {
	addr, _ := testserver.Start(t, "--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru")
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	base := infoInt(t, r, "memory", "used_memory")
	val := strings.Repeat("v", 100)
	for i := range 2000 { // one hashtable hash of 2000 × ~110 bytes
		r.HSet(ctx, "grow", fmt.Sprint("field", i), val)
	}
	grown := infoInt(t, r, "memory", "used_memory")
	if grown-base < 2000*100 {
		t.Fatalf("used_memory grew %d for 200 KB of fields", grown-base)
	}
	if u, _ := r.MemoryUsage(ctx, "grow").Result(); u < 2000*100 || u > 4*2000*110 {
		t.Fatalf("MEMORY USAGE = %d", u)
	}
	r.Del(ctx, "grow")
	if after := infoInt(t, r, "memory", "used_memory"); after-base > 10_000 {
		t.Fatalf("used_memory %d above the start after DEL (%d)", after, base)
	}
	// 20 MB of small hashes into 8 MB: eviction keeps used_memory near the limit.
	for i := range 2000 {
		args := make([]any, 0, 200)
		for j := range 100 {
			args = append(args, fmt.Sprint("f", j), val)
		}
		if err := r.HSet(ctx, fmt.Sprint("h", i), args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	used := infoInt(t, r, "memory", "used_memory")
	evicted := infoInt(t, r, "stats", "evicted_keys")
	t.Logf("used_memory %d, evicted %d hashes", used, evicted)
	if evicted == 0 || used > 9<<20 {
		t.Fatalf("used_memory %d with maxmemory 8 MB, evicted %d", used, evicted)
	}
}

// Active expiry of a large hash's fields proceeds in bounded slices: other
// clients keep being served while tens of thousands of fields go.
func TestHashFieldActiveExpiryLarge(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	n := 100_000
	if testserver.RaceEnabled() {
		n /= 4
	}
	// The same client's PINGs before the load are the baseline: on a
	// machine other work loads, the expiry is to blame only for latency
	// above it.
	var base []time.Duration
	for range 100 {
		t0 := time.Now()
		if err := r.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		base = append(base, time.Since(t0))
		time.Sleep(time.Millisecond)
	}
	for lo := 0; lo < n; lo += 1000 {
		args := make([]any, 0, 2000)
		fs := make([]string, 0, 1000)
		for j := lo; j < lo+1000; j++ {
			args = append(args, strconv.Itoa(j), "v")
			fs = append(fs, strconv.Itoa(j))
		}
		r.HSet(ctx, "big", args...)
		r.HPExpire(ctx, "big", 300*time.Millisecond, fs...)
	}
	r.HSet(ctx, "big", "stays", "v")
	allDue := time.Now().Add(300 * time.Millisecond)
	var lat []time.Duration
	deadline := time.Now().Add(20 * time.Second)
	for {
		t0 := time.Now()
		if err := r.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		// Watch from outside: any access to "big" would reclaim what is
		// due itself.
		if time.Now().After(deadline) {
			t.Fatalf("used_memory still %d: the fields were not reclaimed actively", infoInt(t, r, "memory", "used_memory"))
		}
		if len(lat)%50 == 0 && time.Now().After(allDue) && infoInt(t, r, "memory", "used_memory") < 1<<20 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if l, _ := r.HLen(ctx, "big").Result(); l != 1 {
		t.Fatalf("HLEN = %d after the fields expired", l)
	}
	p99, baseP99 := percentile(lat, 99), percentile(base, 99)
	t.Logf("%d PINGs while %d fields expired: p50 %v p99 %v max %v (before: p99 %v)",
		len(lat), n, percentile(lat, 50), p99, percentile(lat, 100), baseP99)
	if p99 >= 10*time.Millisecond && p99 >= 3*baseP99 {
		t.Errorf("PING p99 %v (%v before the fields expired), want < 10 ms", p99, baseP99)
	}
}

// HRANDFIELD's distribution rules, in both encodings: a positive count
// returns distinct fields (at most the hash), a negative one exactly
// -count picks with repeats, every field about equally often.
func TestHRandFieldDistribution(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	for _, size := range []int{10, 1000} { // listpack, hashtable
		key := fmt.Sprint("rf", size)
		for i := range size {
			r.HSet(ctx, key, fmt.Sprint("f", i), i)
		}
		for _, n := range []int{1, size / 3, size / 2, size - 1, size, size + 5} {
			fs, err := r.HRandField(ctx, key, n).Result()
			if err != nil || len(fs) != min(n, size) {
				t.Fatalf("size %d: HRANDFIELD %d returned %d, %v", size, n, len(fs), err)
			}
			seen := map[string]bool{}
			for _, f := range fs {
				if seen[f] {
					t.Fatalf("size %d: HRANDFIELD %d repeated %s", size, n, f)
				}
				seen[f] = true
			}
		}
		picks := 200 * size
		fs, err := r.HRandField(ctx, key, -picks).Result()
		if err != nil || len(fs) != picks {
			t.Fatalf("HRANDFIELD -%d returned %d, %v", picks, len(fs), err)
		}
		counts := map[string]int{}
		for _, f := range fs {
			counts[f]++
		}
		if len(counts) != size {
			t.Fatalf("size %d: %d distinct fields in %d picks", size, len(counts), picks)
		}
		for f, c := range counts {
			if c < 100 || c > 300 { // expected 200; far beyond 6 sigma
				t.Fatalf("size %d: %s picked %d times of %d, expected about 200", size, f, c, picks)
			}
		}
		// Positive counts are uniform too: each field's share over many draws.
		counts = map[string]int{}
		for range 2000 {
			fs, _ := r.HRandField(ctx, key, 3).Result()
			for _, f := range fs {
				counts[f]++
			}
		}
		want := 2000 * 3 / size
		for f, c := range counts {
			if size == 10 && (c < want/2 || c > want*3/2) {
				t.Fatalf("size %d: %s drawn %d times, expected about %d", size, f, c, want)
			}
		}
	}
}
