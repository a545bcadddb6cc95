package command_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// bothProtocols runs fn once with a RESP3 go-redis client (the default)
// and once with Protocol: 2, each on its own key prefix.
func bothProtocols(t *testing.T, addr string, fn func(t *testing.T, r *redis.Client, p string)) {
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			r := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto})
			t.Cleanup(func() { r.Close() })
			fn(t, r, fmt.Sprintf("p%d:", proto))
		})
	}
}

func sortedJoin(keys []string) string {
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// Mirrors the client harness's go-redis check
// keyspace-del-exists-expire-ttl-persist-type-rename-keys (without the list
// key: lists belong to another family).
func TestKeyspaceGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		a, b, nope := p+"ks:a", p+"ks:b", p+"ks:nope"
		r.Set(ctx, a, "1", 0)
		r.Set(ctx, b, "2", 0)
		if n, err := r.Exists(ctx, a, b, nope).Result(); err != nil || n != 2 {
			t.Fatalf("EXISTS = %d, %v; want 2", n, err)
		}
		if n, err := r.Exists(ctx, a, a, a).Result(); err != nil || n != 3 {
			t.Fatalf("EXISTS repeated = %d, %v; want 3", n, err)
		}
		keys, err := r.Keys(ctx, p+"ks:*").Result()
		if err != nil || sortedJoin(keys) != a+","+b {
			t.Fatalf("KEYS * = %v, %v", keys, err)
		}
		keys, err = r.Keys(ctx, p+"ks:[ab]").Result()
		if err != nil || sortedJoin(keys) != a+","+b {
			t.Fatalf("KEYS [ab] = %v, %v", keys, err)
		}
		if typ, err := r.Type(ctx, a).Result(); err != nil || typ != "string" {
			t.Fatalf("TYPE = %q, %v", typ, err)
		}
		if typ, err := r.Type(ctx, nope).Result(); err != nil || typ != "none" {
			t.Fatalf("TYPE missing = %q, %v", typ, err)
		}
		if d, err := r.TTL(ctx, nope).Result(); err != nil || d != -2 {
			t.Fatalf("TTL missing = %v, %v", d, err)
		}
		if d, err := r.TTL(ctx, a).Result(); err != nil || d != -1 {
			t.Fatalf("TTL persistent = %v, %v", d, err)
		}
		if ok, err := r.Expire(ctx, a, time.Minute).Result(); err != nil || !ok {
			t.Fatalf("EXPIRE = %v, %v", ok, err)
		}
		if ok, err := r.Expire(ctx, nope, time.Minute).Result(); err != nil || ok {
			t.Fatalf("EXPIRE missing = %v, %v", ok, err)
		}
		if d, err := r.TTL(ctx, a).Result(); err != nil || d < 59*time.Second || d > time.Minute {
			t.Fatalf("TTL = %v, %v", d, err)
		}
		if ok, err := r.PExpire(ctx, b, 5*time.Second).Result(); err != nil || !ok {
			t.Fatalf("PEXPIRE = %v, %v", ok, err)
		}
		if d, err := r.PTTL(ctx, b).Result(); err != nil || d < 4*time.Second || d > 5*time.Second {
			t.Fatalf("PTTL = %v, %v", d, err)
		}
		if ok, err := r.Persist(ctx, a).Result(); err != nil || !ok {
			t.Fatalf("PERSIST = %v, %v", ok, err)
		}
		if d, err := r.TTL(ctx, a).Result(); err != nil || d != -1 {
			t.Fatalf("TTL after PERSIST = %v, %v", d, err)
		}
		renamed := p + "ks:renamed"
		if err := r.Rename(ctx, b, renamed).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := r.Get(ctx, renamed).Result(); err != nil || v != "2" {
			t.Fatalf("GET renamed = %q, %v", v, err)
		}
		if d, err := r.PTTL(ctx, renamed).Result(); err != nil || d <= 0 || d > 5*time.Second {
			t.Fatalf("RENAME lost the TTL: PTTL = %v, %v", d, err)
		}
		if err := r.Rename(ctx, nope, p+"x").Err(); err == nil || err.Error() != "ERR no such key" {
			t.Fatalf("RENAME missing: %v", err)
		}
		if ok, err := r.RenameNX(ctx, renamed, a).Result(); err != nil || ok {
			t.Fatalf("RENAMENX onto an existing key = %v, %v", ok, err)
		}
		if n, err := r.Del(ctx, a, renamed, nope, a).Result(); err != nil || n != 2 {
			t.Fatalf("DEL = %d, %v; want 2", n, err)
		}
		r.Set(ctx, a, "x", 0)
		if n, err := r.Unlink(ctx, a, a).Result(); err != nil || n != 1 {
			t.Fatalf("UNLINK = %d, %v; want 1", n, err)
		}
	})
}

func TestCopyMoveSwapDBGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		src := p + "src"
		r.Set(ctx, src, "v", time.Hour)
		if n, err := r.Copy(ctx, src, p+"dst", 0, false).Result(); err != nil || n != 1 {
			t.Fatalf("COPY = %d, %v", n, err)
		}
		if n, err := r.Copy(ctx, src, p+"dst", 0, false).Result(); err != nil || n != 0 {
			t.Fatalf("COPY onto existing = %d, %v", n, err)
		}
		if n, err := r.Copy(ctx, src, p+"dst", 0, true).Result(); err != nil || n != 1 {
			t.Fatalf("COPY REPLACE = %d, %v", n, err)
		}
		if d, err := r.TTL(ctx, p+"dst").Result(); err != nil || d < 59*time.Minute {
			t.Fatalf("COPY lost the TTL: %v, %v", d, err)
		}
		if err := r.Copy(ctx, src, src, 0, false).Err(); err == nil || err.Error() != "ERR source and destination objects are the same" {
			t.Fatalf("COPY onto itself: %v", err)
		}
		if n, err := r.Copy(ctx, src, src, 7, false).Result(); err != nil || n != 1 {
			t.Fatalf("COPY DB 7 = %d, %v", n, err)
		}
		if n, err := r.Move(ctx, p+"dst", 8).Result(); err != nil || !n {
			t.Fatalf("MOVE = %v, %v", n, err)
		}
		if n, err := r.Exists(ctx, p+"dst").Result(); err != nil || n != 0 {
			t.Fatalf("MOVE left the key: %d, %v", n, err)
		}
		if err := r.Move(ctx, src, 16).Err(); err == nil || err.Error() != "ERR DB index is out of range" {
			t.Fatalf("MOVE 16: %v", err)
		}

		// Look at databases 7 and 8 from a client that selects them.
		other := redis.NewClient(&redis.Options{Addr: addr, DB: 7, Protocol: r.Options().Protocol})
		defer other.Close()
		if v, err := other.Get(ctx, src).Result(); err != nil || v != "v" {
			t.Fatalf("GET in db 7 = %q, %v", v, err)
		}
		if err := r.Do(ctx, "SWAPDB", 7, 8).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := other.Get(ctx, p+"dst").Result(); err != nil || v != "v" {
			t.Fatalf("after SWAPDB 7 8, db 7 GET dst = %q, %v", v, err)
		}
		if d, err := other.TTL(ctx, p+"dst").Result(); err != nil || d < 59*time.Minute {
			t.Fatalf("MOVE and SWAPDB lost the TTL: %v, %v", d, err)
		}
		if err := r.Do(ctx, "SWAPDB", 7, 8).Err(); err != nil {
			t.Fatal(err)
		}
		if err := r.Do(ctx, "SWAPDB", "x", 0).Err(); err == nil || err.Error() != "ERR invalid first DB index" {
			t.Fatalf("SWAPDB x 0: %v", err)
		}
	})
}

func TestObjectRandomKeyTouchGoRedis(t *testing.T) {
	// OBJECT IDLETIME needs an LRU-style policy; the default (allkeys-lrfu)
	// keeps its own per-key data, and then IDLETIME errors as under LFU.
	addr, _ := testserver.Start(t, "--maxmemory-policy", "allkeys-lru")
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		r.FlushDB(ctx)
		if _, err := r.RandomKey(ctx).Result(); err != redis.Nil {
			t.Fatalf("RANDOMKEY on an empty db: %v, want redis.Nil", err)
		}
		r.Set(ctx, p+"n", "5", 0)
		r.Set(ctx, p+"s", "hello", 0)
		r.Set(ctx, p+"l", strings.Repeat("x", 45), 0)
		for key, want := range map[string]string{"n": "int", "s": "embstr", "l": "raw"} {
			if enc, err := r.ObjectEncoding(ctx, p+key).Result(); err != nil || enc != want {
				t.Errorf("OBJECT ENCODING %s = %q, %v; want %q", key, enc, err, want)
			}
		}
		if _, err := r.ObjectEncoding(ctx, p+"nope").Result(); err != redis.Nil {
			t.Errorf("OBJECT ENCODING missing: %v, want redis.Nil", err)
		}
		if n, err := r.ObjectRefCount(ctx, p+"n").Result(); err != nil || n != 2147483647 {
			t.Errorf("OBJECT REFCOUNT of a shared integer = %d, %v", n, err)
		}
		if n, err := r.ObjectRefCount(ctx, p+"s").Result(); err != nil || n != 1 {
			t.Errorf("OBJECT REFCOUNT = %d, %v", n, err)
		}
		if d, err := r.ObjectIdleTime(ctx, p+"s").Result(); err != nil || d > 2*time.Second {
			t.Errorf("OBJECT IDLETIME = %v, %v", d, err)
		}
		if err := r.ObjectFreq(ctx, p+"s").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR An LFU maxmemory policy is not selected") {
			t.Errorf("OBJECT FREQ under an LRU policy: %v", err)
		}
		if n, err := r.Touch(ctx, p+"n", p+"n", p+"nope").Result(); err != nil || n != 2 {
			t.Errorf("TOUCH = %d, %v; want 2", n, err)
		}
		seen := map[string]bool{}
		for i := 0; i < 200 && len(seen) < 3; i++ {
			k, err := r.RandomKey(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			seen[k] = true
		}
		if len(seen) != 3 {
			t.Errorf("RANDOMKEY saw %v in 200 calls, want all 3 keys", seen)
		}
	})
}

// Mirrors the client harness's go-redis check scan-iterate-all (its TYPE
// part with strings, lists being another family's).
func TestScanIterateAll(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		const n = 1000
		pipe := r.Pipeline()
		for i := 0; i < n; i++ {
			pipe.Set(ctx, fmt.Sprintf("%sscan:%d", p, i), i, 0)
		}
		pipe.Set(ctx, p+"other", "x", 0)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var cursor uint64
		for iter := 0; ; iter++ {
			keys, next, err := r.Scan(ctx, cursor, p+"scan:*", 100).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if !strings.HasPrefix(k, p+"scan:") {
					t.Fatalf("SCAN MATCH returned %q", k)
				}
				seen[k] = true
			}
			if cursor = next; cursor == 0 {
				break
			}
			if iter > 100000 {
				t.Fatal("SCAN did not terminate")
			}
		}
		if len(seen) != n {
			t.Fatalf("SCAN saw %d keys, want %d", len(seen), n)
		}
		seen = map[string]bool{}
		it := r.Scan(ctx, 0, p+"scan:1*", 0).Iterator()
		for it.Next(ctx) {
			seen[it.Val()] = true
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 111 { // 1, 10-19, 100-199
			t.Fatalf("SCAN iterator saw %d keys, want 111", len(seen))
		}
		for _, tt := range []struct {
			typ  string
			want int
		}{{"string", n + 1}, {"STRING", n + 1}, {"list", 0}, {"nosuchtype", 0}} {
			seen = map[string]bool{}
			it := r.ScanType(ctx, 0, p+"*", 50, tt.typ).Iterator()
			for it.Next(ctx) {
				seen[it.Val()] = true
			}
			if err := it.Err(); err != nil || len(seen) != tt.want {
				t.Errorf("SCAN TYPE %s saw %d keys (%v), want %d", tt.typ, len(seen), err, tt.want)
			}
		}
		if err := r.Do(ctx, "SCAN", "x").Err(); err == nil || err.Error() != "ERR invalid cursor" {
			t.Errorf("SCAN x: %v", err)
		}
		if err := r.Do(ctx, "SCAN", 0, "COUNT", 0).Err(); err == nil || err.Error() != "ERR syntax error" {
			t.Errorf("SCAN COUNT 0: %v", err)
		}
	})
}

// SCAN's guarantee: a key present for the whole iteration is returned,
// however much the keyspace grows and shrinks meanwhile.
func TestScanUnderConcurrentWrites(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 16})
	defer r.Close()
	const (
		stable = 5000
		churn  = 2000 // keys each writer adds and deletes again, per round
	)
	pipe := r.Pipeline()
	for i := 0; i < stable; i++ {
		pipe.Set(ctx, fmt.Sprintf("stable:%d", i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Grow by a few thousand keys, then delete them again, so
				// the tables resize in both directions under the scan. Small
				// pipelines keep the scanning client's wait short.
				for _, del := range []bool{false, true} {
					for lo := 0; lo < churn; lo += 100 {
						pipe := r.Pipeline()
						for i := lo; i < lo+100; i++ {
							k := fmt.Sprintf("churn:%d:%d", g, i)
							if del {
								pipe.Del(ctx, k)
							} else {
								pipe.Set(ctx, k, "x", 0)
							}
						}
						if _, err := pipe.Exec(ctx); err != nil {
							t.Error(err)
							return
						}
						writes.Add(100)
					}
				}
			}
		}(g)
	}

	for pass := 0; pass < 2; pass++ {
		seen := make(map[string]bool, stable)
		var cursor uint64
		calls := 0
		for {
			keys, next, err := r.Scan(ctx, cursor, "", 20).Result()
			if err != nil {
				t.Fatal(err)
			}
			calls++
			for _, k := range keys {
				if strings.HasPrefix(k, "stable:") {
					seen[k] = true
				}
			}
			if cursor = next; cursor == 0 {
				break
			}
			if calls > 1_000_000 {
				t.Fatal("SCAN did not terminate")
			}
		}
		if len(seen) != stable {
			for i := 0; i < stable; i++ {
				if k := fmt.Sprintf("stable:%d", i); !seen[k] {
					t.Errorf("pass %d: SCAN missed %s", pass, k)
					break
				}
			}
			t.Fatalf("pass %d: SCAN returned %d of %d stable keys", pass, len(seen), stable)
		}
		t.Logf("pass %d: %d SCAN calls, %d concurrent writes so far", pass, calls, writes.Load())
	}
	close(stop)
	wg.Wait()
	if writes.Load() == 0 {
		t.Fatal("no concurrent writes happened during the scans")
	}
}

// INFO keyspace has one line per non-empty database in Redis's format.
func TestInfoKeyspace(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	r.Set(ctx, "a", "1", 0)
	r.Set(ctx, "b", "2", time.Hour)
	r.Set(ctx, "c", "3", 0)
	r3 := redis.NewClient(&redis.Options{Addr: addr, DB: 3})
	defer r3.Close()
	r3.Set(ctx, "x", "1", time.Minute)
	r3.Set(ctx, "y", "1", time.Minute)
	info, err := r.Info(ctx, "keyspace").Result()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(info), "\r\n")
	if len(lines) != 3 || lines[0] != "# Keyspace" {
		t.Fatalf("INFO keyspace = %q", info)
	}
	for i, want := range []string{`^db0:keys=3,expires=1,avg_ttl=\d+$`, `^db3:keys=2,expires=2,avg_ttl=\d+$`} {
		if !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("INFO keyspace line %q does not match %s", lines[i+1], want)
		}
	}
	r.FlushAll(ctx)
	info, _ = r.Info(ctx, "keyspace").Result()
	if strings.TrimSpace(info) != "# Keyspace" {
		t.Errorf("INFO keyspace after FLUSHALL = %q", info)
	}
}

// keyspace_hits and keyspace_misses count the lookups Redis 7.0 counts:
// reads of a key (EXISTS, TYPE, TTL family, OBJECT, TOUCH, COPY's source,
// SCAN … TYPE's candidates), not deletes, renames or expiry changes. The
// sequence and its totals were run against redis-server 7.0.15.
func TestKeyspaceHitsMisses(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer r.Close()
	r.Set(ctx, "k", "v", 0)
	r.ConfigResetStat(ctx)
	for _, cmd := range [][]any{
		{"exists", "k", "nokey"},
		{"type", "k"},
		{"ttl", "nokey"},
		{"pttl", "k"},
		{"expiretime", "k"},
		{"object", "encoding", "k"},
		{"touch", "k", "nokey"},
		{"del", "nokey"},
		{"rename", "k", "k2"},
		{"rename", "k2", "k"},
		{"expire", "k", 100},
		{"persist", "k"},
		{"copy", "k", "k3"},
		{"move", "k3", 1},
		{"randomkey"},
		{"keys", "*"},
		{"scan", 0},
		{"scan", 0, "type", "string"},
		{"renamenx", "k", "k4"},
	} {
		if err := r.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	info, err := r.Info(ctx, "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"keyspace_hits:8\r\n", "keyspace_misses:3\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO stats lacks %q", strings.TrimSpace(want))
		}
	}
}
