package command_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

const oomText = "OOM command not allowed when used memory > 'maxmemory'."

func infoField(t *testing.T, r *redis.Client, section, field string) string {
	t.Helper()
	s, err := r.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

func infoInt(t *testing.T, r *redis.Client, section, field string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(infoField(t, r, section, field), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMemoryCommandsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		big := strings.Repeat("a", 1000)
		r.Set(ctx, p+"s", big, 0)
		r.Set(ctx, p+"huge", strings.Repeat("b", 100_000), 0)
		for key, size := range map[string]int64{p + "s": 1000, p + "huge": 100_000} {
			n, err := r.MemoryUsage(ctx, key).Result()
			if err != nil || n < size || n > size+200 {
				t.Errorf("MEMORY USAGE %s = %d, %v; want %d..%d", key, n, err, size, size+200)
			}
		}
		if n, err := r.MemoryUsage(ctx, p+"s", 0).Result(); err != nil || n < 1000 {
			t.Errorf("MEMORY USAGE SAMPLES 0 = %d, %v", n, err)
		}
		if _, err := r.MemoryUsage(ctx, p+"nokey").Result(); err != redis.Nil {
			t.Errorf("MEMORY USAGE of a missing key: %v, want nil", err)
		}
		for args, want := range map[string]string{
			"samples -1": "ERR syntax error",
			"samples x":  "ERR value is not an integer or out of range",
			"samples":    "ERR syntax error",
			"foo 1":      "ERR syntax error",
		} {
			cmd := append([]any{"memory", "usage", p + "s"}, toAny(strings.Fields(args))...)
			if err := r.Do(ctx, cmd...).Err(); err == nil || err.Error() != want {
				t.Errorf("MEMORY USAGE k %s: %v, want %s", args, err, want)
			}
		}

		stats, err := r.Do(ctx, "memory", "stats").Result()
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]any{}
		switch v := stats.(type) {
		case map[any]any: // RESP3
			for k, x := range v {
				fields[k.(string)] = x
			}
		case []any: // RESP2: flat
			for i := 0; i+1 < len(v); i += 2 {
				fields[v[i].(string)] = v[i+1]
			}
		}
		for _, k := range []string{"peak.allocated", "total.allocated", "keys.count", "dataset.bytes", "db.0", "fragmentation"} {
			if _, ok := fields[k]; !ok {
				t.Errorf("MEMORY STATS lacks %s: %v", k, stats)
			}
		}
		if n, _ := fields["keys.count"].(int64); n < 2 {
			t.Errorf("MEMORY STATS keys.count = %v", fields["keys.count"])
		}

		if s, err := r.Do(ctx, "memory", "doctor").Text(); err != nil || !strings.HasPrefix(s, "Hi Sam, this instance is empty") {
			t.Errorf("MEMORY DOCTOR = %q, %v", s, err)
		}
		if s, err := r.Do(ctx, "memory", "purge").Text(); err != nil || s != "OK" {
			t.Errorf("MEMORY PURGE = %q, %v", s, err)
		}
		if s, err := r.Do(ctx, "memory", "malloc-stats").Text(); err != nil || !strings.Contains(s, "HeapAlloc") {
			t.Errorf("MEMORY MALLOC-STATS = %q, %v", s, err)
		}
		help, err := r.Do(ctx, "memory", "help").StringSlice()
		if err != nil || len(help) != 14 || !strings.HasPrefix(help[0], "MEMORY <subcommand>") {
			t.Errorf("MEMORY HELP = %q, %v", help, err)
		}
		for _, f := range []string{"used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak",
			"used_memory_peak_human", "used_memory_dataset", "maxmemory", "maxmemory_human", "maxmemory_policy",
			"mem_fragmentation_ratio"} {
			infoField(t, r, "memory", f)
		}
		if used := infoInt(t, r, "memory", "used_memory"); used < 101_000 {
			t.Errorf("used_memory %d below the data stored", used)
		}
	})
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// fill writes distinct 1 KB values through a pipeline until n were sent or
// one was refused, and returns how many succeeded and the first error.
func fill(ctx context.Context, r *redis.Client, prefix string, n int) (int, error) {
	val := strings.Repeat("v", 1000)
	ok := 0
	for i := 0; i < n; i += 100 {
		cmds, _ := r.Pipelined(ctx, func(pl redis.Pipeliner) error {
			for j := i; j < min(n, i+100); j++ {
				pl.Set(ctx, prefix+strconv.Itoa(j), val, 0)
			}
			return nil
		})
		for _, c := range cmds {
			if c.Err() != nil {
				return ok, c.Err()
			}
			ok++
		}
	}
	return ok, nil
}

// TestNoEviction: with noeviction a full server refuses writes with Redis's
// OOM error while reads and deletes work, and accepts writes again once
// deletes made room.
func TestNoEviction(t *testing.T) {
	addr, _ := testserver.Start(t, "--maxmemory", "8mb", "--maxmemory-policy", "noeviction")
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		r.FlushAll(ctx)
		r.ConfigResetStat(ctx)
		stored, err := fill(ctx, r, p+"k", 20_000)
		if err == nil || err.Error() != oomText {
			t.Fatalf("after %d SETs: %v, want %q", stored, err, oomText)
		}
		if stored < 6000 {
			t.Errorf("only %d 1 KB values fit in 8 MB", stored)
		}
		if used, limit := infoInt(t, r, "memory", "used_memory"), int64(8<<20); used <= limit || used > limit+64<<10 {
			t.Errorf("used_memory %d at OOM, maxmemory %d", used, limit)
		}
		if err := r.Set(ctx, p+"more", "x", 0).Err(); err == nil || err.Error() != oomText {
			t.Errorf("SET when full: %v", err)
		}
		if err := r.Incr(ctx, p+"counter").Err(); err == nil || err.Error() != oomText {
			t.Errorf("INCR (denyoom) when full: %v", err)
		}
		if v, err := r.Get(ctx, p+"k0").Result(); err != nil || len(v) != 1000 {
			t.Errorf("GET when full: %d bytes, %v", len(v), err)
		}
		if n, err := r.Exists(ctx, p+"k1").Result(); err != nil || n != 1 {
			t.Errorf("EXISTS when full: %d, %v", n, err)
		}
		keys := make([]string, 100)
		for i := range keys {
			keys[i] = p + "k" + strconv.Itoa(i)
		}
		if n, err := r.Del(ctx, keys...).Result(); err != nil || n != 100 {
			t.Errorf("DEL when full: %d, %v", n, err)
		}
		if err := r.Set(ctx, p+"after", "x", 0).Err(); err != nil {
			t.Errorf("SET after DEL made room: %v", err)
		}
		if n := infoInt(t, r, "stats", "evicted_keys"); n != 0 {
			t.Errorf("noeviction evicted %d keys", n)
		}
		if s := infoField(t, r, "errorstats", "errorstat_OOM"); !strings.HasPrefix(s, "count=") || s == "count=0" {
			t.Errorf("errorstat_OOM %q", s)
		}
		if s := infoField(t, r, "commandstats", "cmdstat_set"); !strings.Contains(s, "failed_calls=0") || strings.Contains(s, "rejected_calls=0") {
			t.Errorf("OOM must count as rejected, not failed: %s", s)
		}
	})
}

// TestAllKeysLRULimit floods a server at maxmemory 8mb from several
// connections while sampling INFO: no error, used_memory never more than
// 64 KB over, and evicted_keys accounts for every key missing.
func TestAllKeysLRULimit(t *testing.T) {
	addr, _ := testserver.Start(t, "--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru")
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: addr})
	defer ctl.Close()
	const writers, perWriter = 4, 8000 // 32 MB of values through 8 MB
	stop := make(chan struct{})
	var peak int64
	var samples int
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			s, err := ctl.Info(ctx, "memory").Result()
			if err != nil {
				return
			}
			for _, line := range strings.Split(s, "\r\n") {
				if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
					n, _ := strconv.ParseInt(v, 10, 64)
					peak = max(peak, n)
					samples++
				}
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2 + w%2})
			defer r.Close()
			if n, err := fill(ctx, r, fmt.Sprintf("w%d:", w), perWriter); err != nil {
				errs <- fmt.Errorf("writer %d after %d: %w", w, n, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if over := peak - 8<<20; over > 64<<10 {
		t.Errorf("used_memory peaked %d B over maxmemory in %d samples", over, samples)
	}
	// The background evictor may still be making headroom: read the two
	// counters when they hold still.
	var dbsize, evicted int64
	for range 100 {
		evicted = infoInt(t, ctl, "stats", "evicted_keys")
		dbsize = ctl.DBSize(ctx).Val()
		if infoInt(t, ctl, "stats", "evicted_keys") == evicted {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if evicted+dbsize != writers*perWriter {
		t.Errorf("evicted_keys %d + dbsize %d ≠ %d keys written", evicted, dbsize, writers*perWriter)
	}
	if dbsize < 6000 {
		t.Errorf("only %d keys kept in 8 MB", dbsize)
	}
}

// TestConfigSetMaxmemory lowers maxmemory at run time: the background
// evictor brings memory down without any command, and raising the limit to
// 0 stops eviction.
func TestConfigSetMaxmemory(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	if _, err := fill(ctx, r, "k", 4000); err != nil {
		t.Fatal(err)
	}
	if err := r.ConfigSet(ctx, "maxmemory", "2mb").Err(); err != nil {
		t.Fatal(err)
	}
	if v := infoField(t, r, "memory", "maxmemory_human"); v != "2.00M" {
		t.Errorf("maxmemory_human %q", v)
	}
	deadline := time.Now().Add(5 * time.Second)
	for infoInt(t, r, "memory", "used_memory") > 2<<20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if used := infoInt(t, r, "memory", "used_memory"); used > 2<<20 {
		t.Fatalf("used_memory %d a while after CONFIG SET maxmemory 2mb", used)
	}
	if err := r.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // an eviction already under way may finish
	n := r.DBSize(ctx).Val()
	if _, err := fill(ctx, r, "more", 3000); err != nil {
		t.Fatal(err)
	}
	if got := r.DBSize(ctx).Val(); got != n+3000 {
		t.Errorf("maxmemory 0 still evicts: %d keys, want %d", got, n+3000)
	}
}

// TestObjectFreqIdleTime: OBJECT FREQ follows LFU with lfu-log-factor, and
// CLIENT NO-TOUCH keeps reads and writes from counting.
func TestObjectFreqIdleTime(t *testing.T) {
	addr, _ := testserver.Start(t, "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0")
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		k := p + "f"
		r.Set(ctx, k, "1", 0)
		freq := func() int64 { return r.ObjectFreq(ctx, k).Val() }
		if f := freq(); f != 5 {
			t.Fatalf("new key's OBJECT FREQ = %d, want 5", f)
		}
		for range 3 {
			r.Get(ctx, k)
		}
		if f := freq(); f != 8 {
			t.Fatalf("after 3 GETs with lfu-log-factor 0: %d, want 8", f)
		}
		r.Incr(ctx, k) // a write touches too
		if f := freq(); f != 9 {
			t.Fatalf("after INCR: %d, want 9", f)
		}
		// A NO-TOUCH client: neither reads nor writes count, TOUCH does.
		nt := redis.NewClient(&redis.Options{Addr: addr, Protocol: r.Options().Protocol,
			OnConnect: func(ctx context.Context, cn *redis.Conn) error { return cn.Do(ctx, "client", "no-touch", "on").Err() }})
		defer nt.Close()
		nt.Get(ctx, k)
		nt.Incr(ctx, k)
		nt.Set(ctx, k, "5", 0)
		nt.MGet(ctx, k, k)
		if f := freq(); f != 9 {
			t.Errorf("NO-TOUCH client changed the frequency to %d", f)
		}
		nt.Touch(ctx, k)
		if f := freq(); f != 10 {
			t.Errorf("TOUCH from a NO-TOUCH client: %d, want 10", f)
		}
		if err := r.ObjectIdleTime(ctx, k).Err(); err == nil || !strings.Contains(err.Error(), "An LFU maxmemory policy is selected") {
			t.Errorf("OBJECT IDLETIME under LFU: %v", err)
		}
	})
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	ctx := context.Background()
	r.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru")
	r.Set(ctx, "i", "1", 0)
	if d, err := r.ObjectIdleTime(ctx, "i").Result(); err != nil || d > time.Second {
		t.Errorf("OBJECT IDLETIME of a fresh key: %v, %v", d, err)
	}
	if err := r.ObjectFreq(ctx, "i").Err(); err == nil || !strings.Contains(err.Error(), "An LFU maxmemory policy is not selected") {
		t.Errorf("OBJECT FREQ under LRU: %v", err)
	}
}

// TestKeyspaceStatsMatchRedis runs the same commands against redis-server
// and smallredis and compares keyspace_hits and keyspace_misses after each.
func TestKeyspaceStatsMatchRedis(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	oursAddr, _ := testserver.Start(t)
	ctx := context.Background()
	cmds := [][]any{
		{"set", "a", "1"}, {"get", "a"}, {"get", "nope"}, {"mget", "a", "nope", "a"},
		{"exists", "a", "nope"}, {"type", "a"}, {"type", "nope"}, {"strlen", "a"}, {"strlen", "nope"},
		{"getrange", "a", "0", "-1"}, {"incr", "a"}, {"append", "a", "x"}, {"ttl", "a"}, {"pttl", "nope"},
		{"object", "encoding", "a"}, {"object", "encoding", "nope"}, {"object", "refcount", "a"},
		{"memory", "usage", "a"}, {"memory", "usage", "nope"}, {"setnx", "a", "2"}, {"set", "b", "2", "get"},
		{"getset", "b", "3"}, {"getex", "b"}, {"getex", "nope"}, {"getdel", "b"}, {"getdel", "nope"},
		{"expire", "a", "100"}, {"persist", "a"}, {"touch", "a", "nope"}, {"randomkey"}, {"dbsize"},
		{"keys", "*"}, {"scan", "0"}, {"rename", "a", "c"}, {"copy", "c", "d"}, {"dump", "c"},
		{"incrbyfloat", "e", "1.5"}, {"setrange", "c", "1", "x"}, {"bitcount", "c"}, {"getbit", "c", "1"},
		{"bitpos", "nope", "1"}, {"lcs", "c", "d"}, {"del", "c", "d", "nope"},
	}
	stats := func(r *redis.Client) (int64, int64) {
		return infoInt(t, r, "stats", "keyspace_hits"), infoInt(t, r, "stats", "keyspace_misses")
	}
	rr := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: 2})
	ours := redis.NewClient(&redis.Options{Addr: oursAddr, Protocol: 2})
	defer rr.Close()
	defer ours.Close()
	for _, c := range []*redis.Client{rr, ours} {
		c.FlushAll(ctx)
		c.ConfigResetStat(ctx)
	}
	for _, cmd := range cmds {
		_, rerr := rr.Do(ctx, cmd...).Result()
		_, oerr := ours.Do(ctx, cmd...).Result()
		if rerr != nil && !errors.Is(rerr, redis.Nil) && strings.HasPrefix(rerr.Error(), "ERR unknown command") {
			continue
		}
		if oerr != nil && strings.HasPrefix(oerr.Error(), "ERR unknown command") {
			t.Logf("%v: not implemented here yet", cmd)
			for _, c := range []*redis.Client{rr, ours} {
				c.ConfigResetStat(ctx)
			}
			continue
		}
		rh, rm := stats(rr)
		oh, om := stats(ours)
		if rh != oh || rm != om {
			t.Errorf("after %v: redis hits/misses %d/%d, ours %d/%d", cmd, rh, rm, oh, om)
			for _, c := range []*redis.Client{rr, ours} {
				c.ConfigResetStat(ctx)
			}
		}
	}
}

// TestSmallLimitFillsUp is Redis's "is the memory limit honoured?" test: at
// a limit 100 KB over what an empty server uses, SETEX of random keys
// brings used_memory within 4 KB of it (the background evictor's headroom
// had a 64 KiB floor, which kept a 100 KB cache a quarter empty and that
// loop of Redis's test running forever), and as many keys again stay under
// it plus 4 KB.
func TestSmallLimitFillsUp(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer r.Close()
	for _, policy := range []string{"allkeys-random", "allkeys-lru", "volatile-ttl", "allkeys-lrfu"} {
		r.FlushAll(ctx)
		limit := infoInt(t, r, "memory", "used_memory") + 100<<10
		r.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10))
		r.ConfigSet(ctx, "maxmemory-policy", policy)
		n := 0
		for ; infoInt(t, r, "memory", "used_memory")+4096 <= limit; n++ {
			if n == 20_000 {
				t.Fatalf("%s: used_memory %d after %d keys, limit %d", policy, infoInt(t, r, "memory", "used_memory"), n, limit)
			}
			if err := r.SetEx(ctx, "k"+strconv.Itoa(rand.IntN(1<<30)), "x", time.Hour).Err(); err != nil {
				t.Fatalf("%s: %v", policy, err)
			}
		}
		for range n {
			if err := r.SetEx(ctx, "k"+strconv.Itoa(rand.IntN(1<<30)), "x", time.Hour).Err(); err != nil {
				t.Fatalf("%s: %v", policy, err)
			}
		}
		if used := infoInt(t, r, "memory", "used_memory"); used >= limit+4096 {
			t.Errorf("%s: used_memory %d, limit %d", policy, used, limit)
		}
		r.ConfigSet(ctx, "maxmemory", "0")
	}
}
