package command_test

import (
	"context"
	"fmt"
	"math"
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

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

func TestSetsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		a, b, c, d, nope := p+"a", p+"b", p+"c", p+"d", p+"nope"
		if n, err := r.SAdd(ctx, a, "x", "y", "z", "x").Result(); err != nil || n != 3 {
			t.Fatalf("SADD = %d, %v", n, err)
		}
		r.SAdd(ctx, b, "y", "z", "w")
		if ms, err := r.SMembers(ctx, a).Result(); err != nil || !slices.Equal(sorted(ms), []string{"x", "y", "z"}) {
			t.Fatalf("SMEMBERS = %v, %v", ms, err)
		}
		if ms, err := r.SMembersMap(ctx, a).Result(); err != nil || len(ms) != 3 {
			t.Fatalf("SMEMBERS map = %v, %v", ms, err)
		}
		if ok, err := r.SIsMember(ctx, a, "x").Result(); err != nil || !ok {
			t.Fatalf("SISMEMBER = %v, %v", ok, err)
		}
		if bs, err := r.SMIsMember(ctx, a, "x", "q").Result(); err != nil || !slices.Equal(bs, []bool{true, false}) {
			t.Fatalf("SMISMEMBER = %v, %v", bs, err)
		}
		if n, err := r.SCard(ctx, nope).Result(); err != nil || n != 0 {
			t.Fatalf("SCARD missing = %d, %v", n, err)
		}
		if ms, err := r.SInter(ctx, a, b).Result(); err != nil || !slices.Equal(sorted(ms), []string{"y", "z"}) {
			t.Fatalf("SINTER = %v, %v", ms, err)
		}
		if n, err := r.SInterCard(ctx, 1, a, b).Result(); err != nil || n != 1 {
			t.Fatalf("SINTERCARD LIMIT 1 = %d, %v", n, err)
		}
		if ms, err := r.SUnion(ctx, a, b, nope).Result(); err != nil || !slices.Equal(sorted(ms), []string{"w", "x", "y", "z"}) {
			t.Fatalf("SUNION = %v, %v", ms, err)
		}
		if ms, err := r.SDiff(ctx, a, b).Result(); err != nil || !slices.Equal(ms, []string{"x"}) {
			t.Fatalf("SDIFF = %v, %v", ms, err)
		}
		if n, err := r.SInterStore(ctx, c, a, b).Result(); err != nil || n != 2 {
			t.Fatalf("SINTERSTORE = %d, %v", n, err)
		}
		if n, err := r.SUnionStore(ctx, c, a, b).Result(); err != nil || n != 4 {
			t.Fatalf("SUNIONSTORE = %d, %v", n, err)
		}
		if n, err := r.SDiffStore(ctx, c, a, a).Result(); err != nil || n != 0 || r.Exists(ctx, c).Val() != 0 {
			t.Fatalf("SDIFFSTORE empty = %d, %v; the destination must go", n, err)
		}
		if ok, err := r.SMove(ctx, a, d, "x").Result(); err != nil || !ok {
			t.Fatalf("SMOVE = %v, %v", ok, err)
		}
		if ok, err := r.SMove(ctx, a, d, "x").Result(); err != nil || ok {
			t.Fatalf("SMOVE again = %v, %v", ok, err)
		}
		if m, err := r.SRandMember(ctx, d).Result(); err != nil || m != "x" {
			t.Fatalf("SRANDMEMBER = %q, %v", m, err)
		}
		if _, err := r.SRandMember(ctx, nope).Result(); err != redis.Nil {
			t.Fatalf("SRANDMEMBER missing: %v, want nil", err)
		}
		if ms, err := r.SRandMemberN(ctx, a, -5).Result(); err != nil || len(ms) != 5 {
			t.Fatalf("SRANDMEMBER -5 = %v, %v", ms, err)
		}
		if ms, err := r.SRandMemberN(ctx, a, 5).Result(); err != nil || !slices.Equal(sorted(ms), []string{"y", "z"}) {
			t.Fatalf("SRANDMEMBER 5 = %v, %v", ms, err)
		}
		if ms, err := r.SPopN(ctx, b, 2).Result(); err != nil || len(ms) != 2 || ms[0] == ms[1] {
			t.Fatalf("SPOP 2 = %v, %v", ms, err)
		}
		if m, err := r.SPop(ctx, b).Result(); err != nil || m == "" {
			t.Fatalf("SPOP = %q, %v", m, err)
		}
		if r.Exists(ctx, b).Val() != 0 {
			t.Fatal("SPOP of the last member must delete the key")
		}
		if n, err := r.SRem(ctx, a, "y", "z", "q").Result(); err != nil || n != 2 || r.Exists(ctx, a).Val() != 0 {
			t.Fatalf("SREM = %d, %v; the key must go with its last member", n, err)
		}
		r.Set(ctx, p+"str", "v", 0)
		if err := r.SAdd(ctx, p+"str", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
			t.Fatalf("SADD on a string: %v", err)
		}
		if err := r.SPopN(ctx, d, -1).Err(); err == nil || err.Error() != "ERR value is out of range, must be positive" {
			t.Fatalf("SPOP -1: %v", err)
		}
		// SSCAN over a hashtable-sized set returns every member.
		var args []any
		for i := range 300 {
			args = append(args, "m"+strconv.Itoa(i))
		}
		r.SAdd(ctx, c, args...)
		seen := map[string]bool{}
		iter := r.SScan(ctx, c, 0, "m1*", 7).Iterator()
		for iter.Next(ctx) {
			seen[iter.Val()] = true
		}
		if err := iter.Err(); err != nil || len(seen) != 111 { // m1, m10-m19, m100-m199
			t.Fatalf("SSCAN MATCH m1* saw %d, %v", len(seen), err)
		}
	})
}

// TYPE, SCAN TYPE, RENAME, MOVE, COPY (a deep copy), OBJECT ENCODING,
// MEMORY USAGE and DEL on sets; used_memory counts them.
func TestSetKeyCommands(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	// The data's share of used_memory: client buffers count in it too, and
	// change with every reply.
	usedMemory := func() int64 {
		info := r.Info(ctx, "memory").Val()
		var used, clients int64 = -1, 0
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				used, _ = strconv.ParseInt(v, 10, 64)
			}
			if v, ok := strings.CutPrefix(line, "mem_clients_normal:"); ok {
				clients, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if used < 0 {
			t.Fatal("no used_memory")
		}
		return used - clients
	}
	before := usedMemory()
	var args []any
	for i := range 20000 {
		args = append(args, fmt.Sprintf("member:%06d", i))
	}
	r.SAdd(ctx, "big", args...)
	grown := usedMemory()
	if grown-before < 20000*11 {
		t.Errorf("used_memory grew by %d for 20000 members", grown-before)
	}
	if u := r.MemoryUsage(ctx, "big").Val(); u < 20000*11 || u > grown-before+1000 {
		t.Errorf("MEMORY USAGE big = %d (used_memory grew %d)", u, grown-before)
	}
	small := r.MemoryUsage(ctx, "big").Val()
	r.SAdd(ctx, "small", "a")
	if u := r.MemoryUsage(ctx, "small").Val(); u <= 0 || u >= small {
		t.Errorf("MEMORY USAGE small = %d", u)
	}
	if typ := r.Type(ctx, "big").Val(); typ != "set" {
		t.Errorf("TYPE = %q", typ)
	}
	if enc := r.ObjectEncoding(ctx, "big").Val(); enc != "hashtable" {
		t.Errorf("OBJECT ENCODING = %q", enc)
	}
	r.Set(ctx, "str", "x", 0)
	keys, _, err := r.ScanType(ctx, 0, "*", 1000, "set").Result()
	if err != nil || !slices.Equal(sorted(keys), []string{"big", "small"}) {
		t.Errorf("SCAN TYPE set = %v, %v", keys, err)
	}
	if err := r.Copy(ctx, "small", "copy", 0, false).Err(); err != nil {
		t.Fatal(err)
	}
	r.SAdd(ctx, "copy", "b")
	if n := r.SCard(ctx, "small").Val(); n != 1 {
		t.Errorf("COPY shares the set: SCARD small = %d after adding to the copy", n)
	}
	if err := r.Rename(ctx, "copy", "renamed").Err(); err != nil || r.SCard(ctx, "renamed").Val() != 2 {
		t.Errorf("RENAME: %v", err)
	}
	if ok := r.Move(ctx, "renamed", 3).Val(); !ok {
		t.Error("MOVE failed")
	}
	r3 := redis.NewClient(&redis.Options{Addr: addr, DB: 3})
	defer r3.Close()
	if ms := r3.SMembers(ctx, "renamed").Val(); !slices.Equal(sorted(ms), []string{"a", "b"}) {
		t.Errorf("after MOVE: %v", ms)
	}
	r.Del(ctx, "big")
	if after := usedMemory(); after > before+2000 {
		t.Errorf("used_memory %d after DEL, %d before the set", after, before)
	}
	r.Unlink(ctx, "small")
	if r.Exists(ctx, "small").Val() != 0 {
		t.Error("UNLINK left the set")
	}
}

// A member present for a whole SSCAN iteration is returned at least once,
// while other clients make the set grow (listpack to hashtable), shrink
// and grow again.
func TestSscanWithConcurrentWriters(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	const stable = 60
	var args []any
	for i := range stable {
		args = append(args, "stable:"+strconv.Itoa(i))
	}
	r.SAdd(ctx, "s", args...)
	if enc := r.ObjectEncoding(ctx, "s").Val(); enc != "listpack" {
		t.Fatalf("start as a listpack, got %s", enc)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var converted atomic.Bool
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := redis.NewClient(&redis.Options{Addr: addr})
			defer wr.Close()
			for round := 0; !stop.Load(); round++ {
				batch := make([]any, 0, 50)
				for i := range 2000 {
					batch = append(batch, fmt.Sprintf("t%d:%d:%d", w, round, i))
					if len(batch) == cap(batch) {
						wr.SAdd(ctx, "s", batch...)
						batch = batch[:0]
					}
				}
				if wr.ObjectEncoding(ctx, "s").Val() == "hashtable" {
					converted.Store(true)
				}
				for i := 0; i < 2000 && !stop.Load(); i += 50 {
					batch = batch[:0]
					for j := i; j < i+50; j++ {
						batch = append(batch, fmt.Sprintf("t%d:%d:%d", w, round, j))
					}
					wr.SRem(ctx, "s", batch...)
				}
			}
		}()
	}
	deadline := time.Now().Add(3 * time.Second)
	scans := 0
	for scans < 5 || time.Now().Before(deadline) && scans < 200 {
		seen := map[string]bool{}
		var cursor uint64
		for {
			keys, next, err := r.SScan(ctx, "s", cursor, "", 20).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k] = true
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
	if !converted.Load() {
		t.Error("the set never became a hashtable during the test")
	}
	t.Logf("%d full scans", scans)
}

// SRANDMEMBER and SPOP through the server: counts, distinctness, and every
// member drawn about equally often.
func TestSrandmemberSpopDistribution(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	for _, kind := range []struct{ name, prefix string }{{"intset", ""}, {"listpack", "m"}} {
		const n = 20
		key := "d:" + kind.name
		for i := range n {
			r.SAdd(ctx, key, kind.prefix+strconv.Itoa(i))
		}
		if enc := r.ObjectEncoding(ctx, key).Val(); enc != kind.name {
			t.Fatalf("%s: encoding %s", key, enc)
		}
		ms := r.SRandMemberN(ctx, key, -20000).Val()
		if len(ms) != 20000 {
			t.Fatalf("SRANDMEMBER -20000 gave %d", len(ms))
		}
		counts := map[string]int{}
		for _, m := range ms {
			counts[m]++
		}
		checkCounts(t, kind.name+" SRANDMEMBER negative", counts, n, 20000)
		counts = map[string]int{}
		for range 2000 {
			ms := r.SRandMemberN(ctx, key, 5).Val()
			if len(ms) != 5 || len(sorted(slices.Compact(sorted(ms)))) != 5 {
				t.Fatalf("SRANDMEMBER 5 = %v", ms)
			}
			for _, m := range ms {
				counts[m]++
			}
		}
		checkCounts(t, kind.name+" SRANDMEMBER 5", counts, n, 10000)
		counts = map[string]int{}
		tmp := "d:tmp"
		for range 1000 {
			r.Copy(ctx, key, tmp, 0, true)
			ms := r.SPopN(ctx, tmp, 6).Val()
			if len(ms) != 6 || len(slices.Compact(sorted(ms))) != 6 || r.SCard(ctx, tmp).Val() != n-6 {
				t.Fatalf("SPOP 6 = %v", ms)
			}
			for _, m := range ms {
				counts[m]++
			}
		}
		checkCounts(t, kind.name+" SPOP 6", counts, n, 6000)
	}
}

func checkCounts(t *testing.T, what string, counts map[string]int, n, total int) {
	t.Helper()
	if len(counts) != n {
		t.Errorf("%s: %d distinct members, want %d", what, len(counts), n)
	}
	mean := float64(total) / float64(n)
	for m, c := range counts {
		if math.Abs(float64(c)-mean) > 5*math.Sqrt(mean) {
			t.Errorf("%s: %q drawn %d times, mean %.0f", what, m, c, mean)
		}
	}
}

// SMOVE changes two keys at once and SUNION reads them at once, though
// "left" and "right" hash to different shards: a reader never sees a member in
// both sets or in neither.
func TestSmoveIsAtomic(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	const n = 50
	var args []any
	for i := range n {
		args = append(args, "m"+strconv.Itoa(i))
	}
	keys := []string{"left", "right"}
	r.SAdd(ctx, keys[0], args...)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr})
			defer c.Close()
			for i := 0; !stop.Load(); i++ {
				m := "m" + strconv.Itoa((i*7+w)%n)
				if err := c.SMove(ctx, keys[i%2], keys[1-i%2], m).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 300 {
		u, err := r.SUnion(ctx, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		card, err := r.SInterCard(ctx, 0, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(u) != n || card != 0 {
			t.Fatalf("SUNION has %d members (want %d), SINTERCARD %d (want 0)", len(u), n, card)
		}
		if n2, err := r.SUnionStore(ctx, "snapshot", keys...).Result(); err != nil || n2 != n {
			t.Fatalf("SUNIONSTORE = %d, %v", n2, err)
		}
	}
	stop.Store(true)
	wg.Wait()
}
