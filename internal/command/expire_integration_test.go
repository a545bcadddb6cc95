package command_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

func TestExpireOptionsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		k := p + "k"
		r.Set(ctx, k, "v", 0)
		check := func(what string, cmd *redis.BoolCmd, want bool) {
			t.Helper()
			if got, err := cmd.Result(); err != nil || got != want {
				t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
			}
		}
		check("EXPIRE XX without TTL", r.ExpireXX(ctx, k, time.Minute), false)
		check("EXPIRE GT without TTL", r.ExpireGT(ctx, k, time.Minute), false)
		check("EXPIRE LT without TTL", r.ExpireLT(ctx, k, time.Minute), true)
		check("EXPIRE NX with TTL", r.ExpireNX(ctx, k, 2*time.Minute), false)
		check("EXPIRE GT smaller", r.ExpireGT(ctx, k, 30*time.Second), false)
		check("EXPIRE GT larger", r.ExpireGT(ctx, k, 2*time.Minute), true)
		check("EXPIRE LT smaller", r.ExpireLT(ctx, k, 90*time.Second), true)
		if d, err := r.TTL(ctx, k).Result(); err != nil || d < 89*time.Second || d > 90*time.Second {
			t.Fatalf("TTL = %v, %v", d, err)
		}
		at := time.Unix(4_000_000_000, 123_000_000)
		check("PEXPIREAT", r.PExpireAt(ctx, k, at), true)
		if got, err := r.PExpireTime(ctx, k).Result(); err != nil || got != 4_000_000_000_123*time.Millisecond {
			t.Fatalf("PEXPIRETIME = %v, %v", got, err)
		}
		if got, err := r.ExpireTime(ctx, k).Result(); err != nil || got != 4_000_000_000*time.Second {
			t.Fatalf("EXPIRETIME = %v, %v", got, err)
		}
		check("EXPIREAT", r.ExpireAt(ctx, k, time.Unix(4_000_000_001, 0)), true)
		check("PERSIST", r.Persist(ctx, k), true)
		check("PERSIST again", r.Persist(ctx, k), false)
		if got, err := r.ExpireTime(ctx, k).Result(); err != nil || got != -1 {
			t.Fatalf("EXPIRETIME without TTL = %v, %v", got, err)
		}

		err := r.Do(ctx, "EXPIRE", k, 10, "NX", "XX").Err()
		if err == nil || err.Error() != "ERR NX and XX, GT or LT options at the same time are not compatible" {
			t.Fatalf("EXPIRE NX XX: %v", err)
		}
		err = r.Do(ctx, "EXPIRE", k, 10, "GT", "LT").Err()
		if err == nil || err.Error() != "ERR GT and LT options at the same time are not compatible" {
			t.Fatalf("EXPIRE GT LT: %v", err)
		}
		err = r.Do(ctx, "PEXPIRE", k, "9223372036854775807").Err()
		if err == nil || err.Error() != "ERR invalid expire time in 'pexpire' command" {
			t.Fatalf("PEXPIRE overflow: %v", err)
		}

		// A time in the past deletes the key and still replies 1.
		check("EXPIRE -1", r.Expire(ctx, k, -time.Second), true)
		if n, err := r.Exists(ctx, k).Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after EXPIRE -1 = %d, %v", n, err)
		}

		// Millisecond precision: a 100 ms key is there at 50 ms and gone
		// at 150 ms, whichever way it is looked at.
		r.Set(ctx, k, "v", 0)
		check("PEXPIRE 100", r.PExpire(ctx, k, 100*time.Millisecond), true)
		time.Sleep(50 * time.Millisecond)
		if n, _ := r.Exists(ctx, k).Result(); n != 1 {
			t.Fatal("a 100 ms key is gone after 50 ms")
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := r.Get(ctx, k).Result(); err != redis.Nil {
			t.Fatalf("GET after expiry: %v", err)
		}
		if d, _ := r.PTTL(ctx, k).Result(); d != -2 {
			t.Fatalf("PTTL after expiry = %v", d)
		}
	})
}

// A time in the past deletes the key as DEL would: Redis 7.0.15 does not
// count it in expired_keys. A key that really expires is counted.
func TestPastExpireIsNotCountedAsExpired(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	for _, cmd := range [][]any{
		{"set", "a", "v"}, {"expire", "a", -1},
		{"set", "b", "v"}, {"pexpireat", "b", 0},
		{"set", "c", "v"}, {"expireat", "c", 1},
		{"set", "d", "v"}, {"pexpire", "d", 1},
	} {
		if err := r.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	if n, err := r.Exists(ctx, "a", "b", "c").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after past expiry = %d, %v", n, err)
	}
	expired := func() string {
		for _, line := range strings.Split(r.Info(ctx, "stats").Val(), "\r\n") {
			if strings.HasPrefix(line, "expired_keys:") {
				return line
			}
		}
		return "no expired_keys line"
	}
	// d expires 1 ms after being set; active expiry removes it within a
	// few cron ticks.
	deadline := time.Now().Add(3 * time.Second)
	for expired() != "expired_keys:1" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := expired(); got != "expired_keys:1" {
		t.Fatalf("%s, want expired_keys:1 (only d really expired)", got)
	}
}

// With active expiry off, an expired key is still in memory, yet no
// command may see it.
func TestExpiredKeysInvisible(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	if err := r.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	defer r.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	const n = 100
	pipe := r.Pipeline()
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("short:%d", i)
		pipe.Set(ctx, k, "v", 0)
		pipe.PExpire(ctx, k, 30*time.Millisecond)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	r.Set(ctx, "keep", "v", 0)
	time.Sleep(60 * time.Millisecond)

	for i := 0; i < n; i += 10 {
		k := fmt.Sprintf("short:%d", i)
		if c, _ := r.Exists(ctx, k).Result(); c != 0 {
			t.Errorf("EXISTS %s = %d", k, c)
		}
		if d, _ := r.TTL(ctx, k).Result(); d != -2 {
			t.Errorf("TTL %s = %v, want -2", k, d)
		}
		if d, _ := r.PTTL(ctx, k).Result(); d != -2 {
			t.Errorf("PTTL %s = %v, want -2", k, d)
		}
		if typ, _ := r.Type(ctx, k).Result(); typ != "none" {
			t.Errorf("TYPE %s = %q", k, typ)
		}
	}
	if keys, err := r.Keys(ctx, "*").Result(); err != nil || len(keys) != 1 || keys[0] != "keep" {
		t.Errorf("KEYS * = %v, %v", keys, err)
	}
	var scanned []string
	it := r.Scan(ctx, 0, "", 7).Iterator()
	for it.Next(ctx) {
		scanned = append(scanned, it.Val())
	}
	if len(scanned) != 1 || scanned[0] != "keep" {
		t.Errorf("SCAN = %v, %v", scanned, it.Err())
	}
	for i := 0; i < 50; i++ {
		if k, err := r.RandomKey(ctx).Result(); err != nil || k != "keep" {
			t.Fatalf("RANDOMKEY = %q, %v", k, err)
		}
	}
	if n, err := r.Exists(ctx, "short:1", "short:2", "keep").Result(); err != nil || n != 1 {
		t.Errorf("EXISTS = %d, %v", n, err)
	}
	r.Del(ctx, "keep")
	if _, err := r.RandomKey(ctx).Result(); err != redis.Nil {
		t.Errorf("RANDOMKEY with only expired keys: %v, want redis.Nil", err)
	}
}

// A million keys expiring at once are purged by the background cycle
// alone, within 10 s, while other clients see no latency spike. Active
// expiry is off while the keys load, so that the whole purge happens while
// latency is measured.
func TestActiveExpireMillionKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a million keys")
	}
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	const (
		loaders = 8
		batch   = 10_000
	)
	total := 1_000_000
	if testserver.RaceEnabled() {
		// The race detector slows the server about tenfold; a quarter of
		// the keys keeps the test's run time in bounds.
		total /= 4
	}
	admin := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer admin.Close()
	if err := admin.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", 0).Err(); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, loaders)
	for g := 0; g < loaders; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, ReadTimeout: 30 * time.Second, MaxRetries: -1})
			defer r.Close()
			hi := (g + 1) * total / loaders
			for lo := g * total / loaders; lo < hi; lo += batch {
				pipe := r.Pipeline()
				for i := lo; i < min(lo+batch, hi); i++ {
					pipe.Set(ctx, fmt.Sprintf("exp:%d", i), "v", time.Second)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	loaded := time.Now()
	// The store's compaction may reclaim expired records it meets while
	// loading goes on, but most keys must be left for the purge.
	n, err := admin.DBSize(ctx).Result()
	if err != nil || n < int64(total)/2 {
		t.Fatalf("DBSIZE after loading = %d, %v; want most of %d", n, err, total)
	}
	t.Logf("loaded %d keys in %v, %d still there", total, loaded.Sub(start).Round(time.Millisecond), n)

	// One client pings every 2 ms; another only watches DBSIZE. Neither
	// touches the keys, so only active expiry can remove them.
	pinger := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer pinger.Close()
	stop := make(chan struct{})
	var lat []time.Duration
	pingDone := make(chan error, 1)
	go func() {
		defer close(pingDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			t0 := time.Now()
			if err := pinger.Ping(ctx).Err(); err != nil {
				pingDone <- err
				return
			}
			lat = append(lat, time.Since(t0))
		}
	}()

	// Every key has expired one second after the last was set.
	time.Sleep(time.Until(loaded.Add(time.Second)))
	if err := admin.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", 1).Err(); err != nil {
		t.Fatal(err)
	}
	enabled := time.Now()
	var size int64
	for {
		if size, err = admin.DBSize(ctx).Result(); err != nil {
			t.Fatal(err)
		}
		if size == 0 || time.Since(enabled) > 10*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	purge := time.Since(enabled)
	close(stop)
	if err := <-pingDone; err != nil {
		t.Fatal(err)
	}
	if size != 0 {
		t.Fatalf("DBSIZE still %d after %v of active expiry (limit 10 s)", size, purge)
	}
	if len(lat) < 50 {
		t.Fatalf("only %d PINGs measured", len(lat))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[len(lat)*99/100]
	t.Logf("purged %d keys in %v; %d PINGs: p50 %v, p99 %v, max %v",
		n, purge.Round(time.Millisecond), len(lat), lat[len(lat)/2], p99, lat[len(lat)-1])
	// Asserted without the race detector only (make test's load step runs
	// this test at full size so): -race slows every record access of the
	// purge tenfold, which says nothing of the server's latency.
	if !testserver.RaceEnabled() && p99 >= 10*time.Millisecond {
		t.Errorf("PING p99 %v during the purge, want < 10 ms", p99)
	}
	info, err := admin.Info(ctx, "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var expired int64
	for _, line := range strings.Split(info, "\r\n") {
		if _, err := fmt.Sscanf(line, "expired_keys:%d", &expired); err == nil {
			break
		}
	}
	if expired != int64(total) {
		t.Errorf("expired_keys = %d, want %d", expired, total)
	}
}

// percentile is the p-th percentile of d (100: the maximum); it sorts d.
func percentile(d []time.Duration, p int) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, len(d)*p/100)]
}
