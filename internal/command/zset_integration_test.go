package command_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// The go-redis sorted set API in both protocols, including what the
// differential scripts cannot show against Redis 7.0 (ZRANK … WITHSCORE).
func TestZSetsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		z, z2, dst, nope := p+"z", p+"z2", p+"dst", p+"nope"
		if n, err := r.ZAdd(ctx, z, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "c"}).Result(); err != nil || n != 3 {
			t.Fatalf("ZADD = %d, %v", n, err)
		}
		if s, err := r.ZScore(ctx, z, "b").Result(); err != nil || s != 2 {
			t.Fatalf("ZSCORE = %v, %v", s, err)
		}
		if _, err := r.ZScore(ctx, z, "q").Result(); err != redis.Nil {
			t.Fatalf("ZSCORE missing member: %v", err)
		}
		if s, err := r.ZIncrBy(ctx, z, 0.5, "a").Result(); err != nil || s != 1.5 {
			t.Fatalf("ZINCRBY = %v, %v", s, err)
		}
		if zs, err := r.ZRangeWithScores(ctx, z, 0, -1).Result(); err != nil || len(zs) != 3 || zs[0].Member != "a" || zs[0].Score != 1.5 || zs[2].Member != "c" {
			t.Fatalf("ZRANGE WITHSCORES = %v, %v", zs, err)
		}
		if rk, err := r.ZRankWithScore(ctx, z, "b").Result(); err != nil || rk.Rank != 1 || rk.Score != 2 {
			t.Fatalf("ZRANK WITHSCORE = %+v, %v", rk, err)
		}
		if rk, err := r.ZRevRankWithScore(ctx, z, "a").Result(); err != nil || rk.Rank != 2 || rk.Score != 1.5 {
			t.Fatalf("ZREVRANK WITHSCORE = %+v, %v", rk, err)
		}
		if _, err := r.ZRankWithScore(ctx, z, "q").Result(); err != redis.Nil {
			t.Fatalf("ZRANK WITHSCORE missing: %v", err)
		}
		if _, err := r.Do(ctx, "zrank", z, "a", "withscores").Result(); err == nil || err.Error() != "ERR syntax error" {
			t.Fatalf("ZRANK bad option: %v", err)
		}
		if ms, err := r.ZRangeArgs(ctx, redis.ZRangeArgs{Key: z, Start: "(1.5", Stop: "+inf", ByScore: true, Rev: false}).Result(); err != nil || !slices.Equal(ms, []string{"b", "c"}) {
			t.Fatalf("ZRANGE BYSCORE = %v, %v", ms, err)
		}
		if ms, err := r.ZRangeArgs(ctx, redis.ZRangeArgs{Key: z, Start: "+inf", Stop: "-inf", ByScore: true, Rev: true, Offset: 1, Count: 1}).Result(); err != nil || !slices.Equal(ms, []string{"b"}) {
			t.Fatalf("ZRANGE BYSCORE REV LIMIT = %v, %v", ms, err)
		}
		if n, err := r.ZRangeStore(ctx, dst, redis.ZRangeArgs{Key: z, Start: 0, Stop: 1}).Result(); err != nil || n != 2 {
			t.Fatalf("ZRANGESTORE = %d, %v", n, err)
		}
		if n, err := r.ZCount(ctx, z, "-inf", "(3").Result(); err != nil || n != 2 {
			t.Fatalf("ZCOUNT = %d, %v", n, err)
		}
		if ss, err := r.ZMScore(ctx, z, "a", "q", "c").Result(); err != nil || len(ss) != 3 || ss[0] != 1.5 || ss[1] != 0 || ss[2] != 3 {
			t.Fatalf("ZMSCORE = %v, %v", ss, err)
		}
		r.ZAdd(ctx, z2, redis.Z{Score: 10, Member: "b"}, redis.Z{Score: 20, Member: "x"})
		if zs, err := r.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{z, z2}, Aggregate: "MAX"}).Result(); err != nil || len(zs) != 4 || zs[3].Member != "x" || zs[2].Score != 10 {
			t.Fatalf("ZUNION = %v, %v", zs, err)
		}
		if zs, err := r.ZInterWithScores(ctx, &redis.ZStore{Keys: []string{z, z2}, Weights: []float64{2, 1}}).Result(); err != nil || len(zs) != 1 || zs[0].Score != 14 {
			t.Fatalf("ZINTER = %v, %v", zs, err)
		}
		if n, err := r.ZInterCard(ctx, 0, z, z2).Result(); err != nil || n != 1 {
			t.Fatalf("ZINTERCARD = %d, %v", n, err)
		}
		if ms, err := r.ZDiff(ctx, z, z2).Result(); err != nil || !slices.Equal(ms, []string{"a", "c"}) {
			t.Fatalf("ZDIFF = %v, %v", ms, err)
		}
		if zs, err := r.ZPopMin(ctx, z2, 1).Result(); err != nil || len(zs) != 1 || zs[0].Member != "b" {
			t.Fatalf("ZPOPMIN = %v, %v", zs, err)
		}
		if k, zs, err := r.ZMPop(ctx, "max", 2, nope, z2).Result(); err != nil || k != z2 || len(zs) != 1 || zs[0].Member != "x" {
			t.Fatalf("ZMPOP = %s %v, %v", k, zs, err)
		}
		if n := r.Exists(ctx, z2).Val(); n != 0 {
			t.Fatalf("popped-empty key still exists")
		}
		if zk, err := r.BZPopMax(ctx, time.Second, nope, z).Result(); err != nil || zk.Key != z || zk.Member != "c" || zk.Score != 3 {
			t.Fatalf("BZPOPMAX = %+v, %v", zk, err)
		}
		if _, err := r.BZPopMin(ctx, time.Second, nope).Result(); err != redis.Nil {
			t.Fatalf("BZPOPMIN timeout: %v", err)
		}
		if k, zs, err := r.BZMPop(ctx, time.Second, "min", 5, z).Result(); err != nil || k != z || len(zs) != 2 {
			t.Fatalf("BZMPOP = %s %v, %v", k, zs, err)
		}
		if got := r.Type(ctx, dst).Val(); got != "zset" {
			t.Fatalf("TYPE = %s", got)
		}
	})
}

// A blocked BZPOPMIN is woken by a ZADD on another connection.
func TestBZPopMinWokenByZAdd(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	w := redis.NewClient(&redis.Options{Addr: addr})
	defer w.Close()
	got := make(chan *redis.ZWithKey, 1)
	go func() {
		zk, err := r.BZPopMin(ctx, 5*time.Second, "q1", "q2").Result()
		if err != nil {
			t.Error(err)
		}
		got <- zk
	}()
	for !strings.Contains(w.ClientList(ctx).Val(), "cmd=bzpopmin") {
		time.Sleep(5 * time.Millisecond)
	}
	w.ZAdd(ctx, "q2", redis.Z{Score: 7, Member: "job"})
	zk := <-got
	if zk == nil || zk.Key != "q2" || zk.Member != "job" || zk.Score != 7 {
		t.Fatalf("BZPOPMIN = %+v", zk)
	}
	if w.Exists(ctx, "q2").Val() != 0 {
		t.Fatal("the popped key is still there")
	}
}

// Encodings: listpack up to the limits (both directives, CONFIG SET
// applying to the next write), skiplist beyond, never back except for the
// store commands' results; memory follows; COPY is deep.
func TestZSetEncodings(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	for i := range 128 {
		r.ZAdd(ctx, "e", redis.Z{Score: float64(i), Member: "m" + strconv.Itoa(i)})
	}
	if enc := r.ObjectEncoding(ctx, "e").Val(); enc != "listpack" {
		t.Fatalf("128 members: %s", enc)
	}
	small := r.MemoryUsage(ctx, "e").Val()
	r.ZAdd(ctx, "e", redis.Z{Score: 1000, Member: "m128"})
	if enc := r.ObjectEncoding(ctx, "e").Val(); enc != "skiplist" {
		t.Fatalf("129 members: %s", enc)
	}
	for i := range 100 {
		r.ZRem(ctx, "e", "m"+strconv.Itoa(i))
	}
	if enc := r.ObjectEncoding(ctx, "e").Val(); enc != "skiplist" {
		t.Fatalf("shrunk: %s, want skiplist (no conversion back)", enc)
	}
	if n, err := r.ZUnionStore(ctx, "u", &redis.ZStore{Keys: []string{"e"}}).Result(); err != nil || n != 29 {
		t.Fatalf("ZUNIONSTORE = %d, %v", n, err)
	}
	if enc := r.ObjectEncoding(ctx, "u").Val(); enc != "listpack" {
		t.Fatalf("ZUNIONSTORE of 29: %s", enc)
	}
	for i := range 5000 {
		r.ZAdd(ctx, "big", redis.Z{Score: float64(i % 97), Member: fmt.Sprintf("member:%06d", i)})
	}
	big := r.MemoryUsage(ctx, "big").Val()
	if big < 5000*20 || big > 5000*80 {
		t.Fatalf("MEMORY USAGE of 5000 members = %d", big)
	}
	if small < 128*5 || small > 128*40 {
		t.Fatalf("MEMORY USAGE of a 128-member listpack = %d", small)
	}
	r.Copy(ctx, "big", "big2", 0, false)
	r.ZAdd(ctx, "big2", redis.Z{Score: -1, Member: "member:000001"})
	if s := r.ZScore(ctx, "big", "member:000001").Val(); s != 1 {
		t.Fatalf("COPY shares: source score %v", s)
	}
	if enc := r.ObjectEncoding(ctx, "big2").Val(); enc != "skiplist" {
		t.Fatalf("COPY encoding %s", enc)
	}
	r.ConfigSet(ctx, "zset-max-ziplist-entries", "2")
	r.ZAdd(ctx, "c", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"})
	if enc := r.ObjectEncoding(ctx, "c").Val(); enc != "listpack" {
		t.Fatalf("2 of 2: %s", enc)
	}
	r.ZAdd(ctx, "c", redis.Z{Score: 3, Member: "c"})
	if enc := r.ObjectEncoding(ctx, "c").Val(); enc != "skiplist" {
		t.Fatalf("3 of 2: %s", enc)
	}
	r.ConfigSet(ctx, "zset-max-listpack-entries", "128")
	r.ConfigSet(ctx, "zset-max-listpack-value", "3")
	r.ZAdd(ctx, "v", redis.Z{Score: 1, Member: "abcd"})
	if enc := r.ObjectEncoding(ctx, "v").Val(); enc != "skiplist" {
		t.Fatalf("4-byte member over a 3-byte limit: %s", enc)
	}
}

// ZRANDMEMBER: counts, distinctness, and every member drawn about equally
// often, in both encodings.
func TestZRandMemberDistribution(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	for _, kind := range []struct {
		name string
		n    int
	}{{"listpack", 20}, {"skiplist", 200}} {
		key := "d:" + kind.name
		for i := range kind.n {
			r.ZAdd(ctx, key, redis.Z{Score: float64(i % 3), Member: "m" + strconv.Itoa(i)})
		}
		if enc := r.ObjectEncoding(ctx, key).Val(); enc != kind.name {
			t.Fatalf("%s: encoding %s", key, enc)
		}
		draws := 100 * kind.n
		ms := r.ZRandMemberWithScores(ctx, key, -draws).Val()
		if len(ms) != draws {
			t.Fatalf("ZRANDMEMBER -%d gave %d", draws, len(ms))
		}
		counts := map[string]int{}
		for _, m := range ms {
			counts[m.Member.(string)]++
			if want := float64(must(strconv.Atoi(m.Member.(string)[1:])) % 3); m.Score != want {
				t.Fatalf("%v: score %v, want %v", m.Member, m.Score, want)
			}
		}
		checkCounts(t, kind.name+" ZRANDMEMBER negative", counts, kind.n, draws)
		for _, count := range []int{5, kind.n / 2} {
			counts = map[string]int{}
			rounds := 20 * kind.n / count * 10
			for range rounds {
				ms := r.ZRandMember(ctx, key, count).Val()
				if len(ms) != count || len(slices.Compact(sorted(ms))) != count {
					t.Fatalf("ZRANDMEMBER %d = %v", count, ms)
				}
				for _, m := range ms {
					counts[m]++
				}
			}
			checkCounts(t, fmt.Sprintf("%s ZRANDMEMBER %d", kind.name, count), counts, kind.n, rounds*count)
		}
		counts = map[string]int{}
		for range 20 * kind.n {
			counts[r.ZRandMember(ctx, key, 1).Val()[0]]++
		}
		checkCounts(t, kind.name+" ZRANDMEMBER 1", counts, kind.n, 20*kind.n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// ZSCAN's guarantee on a big sorted set: a member present for the whole
// scan is returned, while other clients add and remove members (growing
// and shrinking the index) between the calls.
func TestZScanUnderChanges(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	const stable = 300
	var zs []redis.Z
	for i := range stable {
		zs = append(zs, redis.Z{Score: float64(i % 7), Member: "stable:" + strconv.Itoa(i)})
	}
	r.ZAdd(ctx, "s", zs...)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := redis.NewClient(&redis.Options{Addr: addr})
			defer wr.Close()
			for round := 0; !stop.Load(); round++ {
				var batch []redis.Z
				for i := range 3000 {
					batch = append(batch, redis.Z{Score: float64(i % 5), Member: fmt.Sprintf("t%d:%d:%d", w, round, i)})
					if len(batch) == 100 {
						wr.ZAdd(ctx, "s", batch...)
						batch = batch[:0]
					}
				}
				for i := 0; i < 3000 && !stop.Load(); i += 100 {
					var ms []any
					for j := i; j < i+100; j++ {
						ms = append(ms, fmt.Sprintf("t%d:%d:%d", w, round, j))
					}
					wr.ZRem(ctx, "s", ms...)
				}
			}
		}()
	}
	deadline := time.Now().Add(3 * time.Second)
	scans := 0
	for scans < 5 || time.Now().Before(deadline) && scans < 100 {
		seen := map[string]bool{}
		var cursor uint64
		for {
			kv, next, err := r.ZScan(ctx, "s", cursor, "", 50).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(kv)%2 != 0 {
				t.Fatalf("odd ZSCAN reply %d", len(kv))
			}
			for i := 0; i < len(kv); i += 2 {
				seen[kv[i]] = true
				if _, err := strconv.ParseFloat(kv[i+1], 64); err != nil {
					t.Fatalf("score %q", kv[i+1])
				}
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		for i := range stable {
			if m := "stable:" + strconv.Itoa(i); !seen[m] {
				t.Fatalf("scan %d missed %s", scans, m)
			}
		}
		scans++
	}
	stop.Store(true)
	wg.Wait()
}
