package command_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

func TestListsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		l, d, nope := p+"l", p+"d", p+"nope"
		if n, err := r.RPush(ctx, l, "a", "b", "c").Result(); err != nil || n != 3 {
			t.Fatalf("RPUSH = %d, %v", n, err)
		}
		r.LPush(ctx, l, "z")
		if xs, err := r.LRange(ctx, l, 0, -1).Result(); err != nil || !slices.Equal(xs, []string{"z", "a", "b", "c"}) {
			t.Fatalf("LRANGE = %v, %v", xs, err)
		}
		if v, err := r.LPop(ctx, l).Result(); err != nil || v != "z" {
			t.Fatalf("LPOP = %q, %v", v, err)
		}
		if _, err := r.LPop(ctx, nope).Result(); err != redis.Nil {
			t.Fatalf("LPOP missing: %v", err)
		}
		if _, err := r.LPopCount(ctx, nope, 2).Result(); err != redis.Nil {
			t.Fatalf("LPOP missing with count: %v", err)
		}
		if n, err := r.LPos(ctx, l, "c", redis.LPosArgs{}).Result(); err != nil || n != 2 {
			t.Fatalf("LPOS = %d, %v", n, err)
		}
		if ns, err := r.LPosCount(ctx, l, "a", 0, redis.LPosArgs{}).Result(); err != nil || !slices.Equal(ns, []int64{0}) {
			t.Fatalf("LPOS COUNT = %v, %v", ns, err)
		}
		if n, err := r.LInsertAfter(ctx, l, "a", "a2").Result(); err != nil || n != 4 {
			t.Fatalf("LINSERT = %d, %v", n, err)
		}
		if err := r.LSet(ctx, l, -1, "C").Err(); err != nil {
			t.Fatal(err)
		}
		if err := r.LSet(ctx, l, 10, "x").Err(); err == nil || err.Error() != "ERR index out of range" {
			t.Fatalf("LSET out of range: %v", err)
		}
		if v, err := r.LMove(ctx, l, d, "LEFT", "RIGHT").Result(); err != nil || v != "a" {
			t.Fatalf("LMOVE = %q, %v", v, err)
		}
		if k, vs, err := r.LMPop(ctx, "right", 5, nope, l).Result(); err != nil || k != l || !slices.Equal(vs, []string{"C", "b", "a2"}) {
			t.Fatalf("LMPOP = %q %v, %v", k, vs, err)
		}
		if n, err := r.Exists(ctx, l).Result(); err != nil || n != 0 {
			t.Fatalf("emptied list still exists: %d, %v", n, err)
		}
		r.RPush(ctx, l, 3, 1, 2)
		r.MSet(ctx, p+"w_1", 9, p+"w_2", 8, p+"w_3", 7)
		if xs, err := r.Sort(ctx, l, &redis.Sort{}).Result(); err != nil || !slices.Equal(xs, []string{"1", "2", "3"}) {
			t.Fatalf("SORT = %v, %v", xs, err)
		}
		if xs, err := r.SortRO(ctx, l, &redis.Sort{By: p + "w_*", Get: []string{"#", p + "w_*"}}).Result(); err != nil ||
			!slices.Equal(xs, []string{"3", "7", "2", "8", "1", "9"}) {
			t.Fatalf("SORT_RO BY GET = %v, %v", xs, err)
		}
		if n, err := r.SortStore(ctx, l, d, &redis.Sort{Order: "DESC"}).Result(); err != nil || n != 3 {
			t.Fatalf("SORT STORE = %d, %v", n, err)
		}
		if xs, _ := r.LRange(ctx, d, 0, -1).Result(); !slices.Equal(xs, []string{"3", "2", "1"}) {
			t.Fatalf("stored = %v", xs)
		}
		if n, err := r.LRem(ctx, d, 0, "2").Result(); err != nil || n != 1 {
			t.Fatalf("LREM = %d, %v", n, err)
		}
		if err := r.LTrim(ctx, d, 0, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := r.LIndex(ctx, d, 0).Result(); err != nil || v != "3" {
			t.Fatalf("LINDEX = %q, %v", v, err)
		}
		r.Set(ctx, p+"s", "v", 0)
		if err := r.LPush(ctx, p+"s", "x").Err(); err == nil || err.Error()[:9] != "WRONGTYPE" {
			t.Fatalf("LPUSH on a string: %v", err)
		}
	})
}

// The encodings Redis 7.2 reports, at the thresholds both directives set.
func TestListEncodingsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	ctx := context.Background()
	enc := func(k string) string { return r.ObjectEncoding(ctx, k).Val() }
	r.ConfigSet(ctx, "list-max-listpack-size", "4")
	r.RPush(ctx, "l", 1, 2, 3, 4)
	if e := enc("l"); e != "listpack" {
		t.Fatalf("4 elements under 4: %s", e)
	}
	r.RPush(ctx, "l", 5)
	if e := enc("l"); e != "quicklist" {
		t.Fatalf("5 elements: %s", e)
	}
	r.RPop(ctx, "l")
	r.RPop(ctx, "l")
	if e := enc("l"); e != "quicklist" {
		t.Fatalf("3 elements: %s (converts back at half the limit)", e)
	}
	r.RPop(ctx, "l")
	if e := enc("l"); e != "listpack" {
		t.Fatalf("2 elements: %s", e)
	}
	// Bytes: -2 is 8 KB.
	r.ConfigSet(ctx, "list-max-ziplist-size", "-2")
	big := make([]byte, 4000)
	r.RPush(ctx, "b", big, big)
	if e := enc("b"); e != "listpack" {
		t.Fatalf("8 KB of elements: %s", e)
	}
	r.RPush(ctx, "b", big)
	if e := enc("b"); e != "quicklist" {
		t.Fatalf("12 KB of elements: %s", e)
	}
	r.RPush(ctx, "b", big, big, big)
	if n := r.MemoryUsage(ctx, "b").Val(); n < 6*4000 || n > 6*4000*3/2 {
		t.Fatalf("MEMORY USAGE of 24 KB of elements: %d", n)
	}
	r.ConfigSet(ctx, "list-compress-depth", "2")
	if v := r.ConfigGet(ctx, "list-compress-depth").Val()["list-compress-depth"]; v != "2" {
		t.Fatalf("list-compress-depth = %q", v)
	}
}

// Clients moving elements around a ring of lists at once never lose or
// duplicate one: LMOVE and RPOPLPUSH lock both keys together.
func TestListMovesAreAtomic(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8})
	defer r.Close()
	const lists, elems = 4, 200
	for i := range elems {
		r.RPush(ctx, "ring"+strconv.Itoa(i%lists), i)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				src := "ring" + strconv.Itoa((w+i)%lists)
				dst := "ring" + strconv.Itoa((w+i+1)%lists)
				if i%2 == 0 {
					r.LMove(ctx, src, dst, "LEFT", "RIGHT")
				} else {
					r.RPopLPush(ctx, src, dst)
				}
			}
		}()
	}
	wg.Wait()
	var all []int
	for i := range lists {
		for _, v := range r.LRange(ctx, "ring"+strconv.Itoa(i), 0, -1).Val() {
			n, _ := strconv.Atoi(v)
			all = append(all, n)
		}
	}
	slices.Sort(all)
	if len(all) != elems {
		t.Fatalf("%d elements after the moves, want %d", len(all), elems)
	}
	for i, n := range all {
		if n != i {
			t.Fatalf("element %d missing or duplicated", i)
		}
	}
}

// SORT BY/GET reads keys it only learns from the elements; with writers
// changing those keys meanwhile, every reply is still a permutation of the
// list, each GET value belongs to its element, and the weights it returns
// are the ones it sorted by (ascending): the command saw one snapshot.
func TestSortByUnderConcurrentWrites(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 4})
	defer r.Close()
	const n = 50
	for i := range n {
		r.RPush(ctx, "items", i)
		r.Set(ctx, "w_"+strconv.Itoa(i), i, 0)
		r.HSet(ctx, "h_"+strconv.Itoa(i), "name", "n"+strconv.Itoa(i))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			r.Set(ctx, "w_"+strconv.Itoa(k%n), (k*7919)%1000, 0)
		}
	}()
	for range 100 {
		xs, err := r.Sort(ctx, "items", &redis.Sort{By: "w_*", Get: []string{"#", "h_*->name", "w_*"}}).Result()
		if err != nil || len(xs) != 3*n {
			t.Fatalf("SORT = %d values, %v", len(xs), err)
		}
		seen := map[string]bool{}
		last := -1
		for i := 0; i < len(xs); i += 3 {
			if xs[i+1] != "n"+xs[i] || seen[xs[i]] {
				t.Fatalf("SORT pair %q %q (seen %v)", xs[i], xs[i+1], seen[xs[i]])
			}
			seen[xs[i]] = true
			w, _ := strconv.Atoi(xs[i+2])
			if w < last {
				t.Fatalf("weights out of order: %d after %d", w, last)
			}
			last = w
		}
	}
	close(stop)
	wg.Wait()
}

// DEBUG QUICKLIST-PACKED-THRESHOLD gives every element from that size on
// a plain node of its own; the list behaves the same (replies checked
// against redis-server 7.0.15 with the same commands).
func TestListPlainNodes(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	if err := r.Do(ctx, "debug", "quicklist-packed-threshold", "1b").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Do(ctx, "debug", "quicklist-packed-threshold", "0") })
	r.ConfigSet(ctx, "list-max-listpack-size", "1") // straight to a quicklist
	r.RPush(ctx, "pl", "a", "bb", "ccc")
	r.LPush(ctx, "pl", 1, 22)
	if e := r.ObjectEncoding(ctx, "pl").Val(); e != "quicklist" {
		t.Fatalf("encoding %s", e)
	}
	r.LSet(ctx, "pl", 2, "x")
	r.LInsertBefore(ctx, "pl", "x", "y")
	r.LInsertAfter(ctx, "pl", "ccc", "z")
	r.LRem(ctx, "pl", 1, "bb")
	if xs := r.LRange(ctx, "pl", 0, -1).Val(); !slices.Equal(xs, []string{"22", "1", "y", "x", "ccc", "z"}) {
		t.Fatalf("LRANGE = %v", xs)
	}
	r.LTrim(ctx, "pl", 1, -2)
	if xs := r.LPopCount(ctx, "pl", 2).Val(); !slices.Equal(xs, []string{"1", "y"}) {
		t.Fatalf("LPOP 2 = %v", xs)
	}
	if v := r.RPop(ctx, "pl").Val(); v != "ccc" {
		t.Fatalf("RPOP = %q", v)
	}
	r.ConfigSet(ctx, "list-max-listpack-size", "-2")
	r.Do(ctx, "debug", "quicklist-packed-threshold", "10")
	r.RPush(ctx, "pl2", "short", "muchlongerthanten", "s2", "anotherlongvalue")
	r.LSet(ctx, "pl2", 0, "replacedwithlong")
	r.LSet(ctx, "pl2", 1, "tiny")
	if xs := r.LRange(ctx, "pl2", 0, -1).Val(); !slices.Equal(xs, []string{"replacedwithlong", "tiny", "s2", "anotherlongvalue"}) {
		t.Fatalf("LRANGE = %v", xs)
	}
	for _, bad := range []string{"5gb", "x"} {
		if err := r.Do(ctx, "debug", "quicklist-packed-threshold", bad).Err(); err == nil ||
			err.Error() != "ERR argument must be a memory value bigger than 1 and smaller than 4gb" {
			t.Errorf("threshold %s: %v", bad, err)
		}
	}
}
