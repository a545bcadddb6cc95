package command_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// A HyperLogLog is a string in Redis's own layout: the bytes we store equal
// Redis's for the same adds, a value written by either server counts the
// same in the other, and merging values from both works.
func TestHLLCrossServer(t *testing.T) {
	ctx := context.Background()
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t))})
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t)})
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 10, 100, 500, 1000, 3000, 20000} {
		key := fmt.Sprintf("h%d", n)
		var eles []any
		for range n {
			eles = append(eles, fmt.Sprintf("e%d", rng.Uint64()))
		}
		for i := 0; i < len(eles) || i == 0; i += 1000 {
			batch := eles[i:min(i+1000, len(eles))]
			a, err1 := ours.PFAdd(ctx, key, batch...).Result()
			b, err2 := theirs.PFAdd(ctx, key, batch...).Result()
			if err1 != nil || err2 != nil || a != b {
				t.Fatalf("%s: PFADD ours %d %v, redis %d %v", key, a, err1, b, err2)
			}
		}
		ov, _ := ours.Get(ctx, key).Result()
		rv, _ := theirs.Get(ctx, key).Result()
		if ov != rv {
			t.Fatalf("%s: stored bytes differ (ours %d bytes, redis %d)", key, len(ov), len(rv))
		}
		// Ours into Redis and Redis's into ours, cache invalidated by the
		// adds: both count the other's value.
		theirs.Set(ctx, key+":ours", ov, 0)
		ours.Set(ctx, key+":redis", rv, 0)
		a, _ := ours.PFCount(ctx, key+":redis").Result()
		b, _ := theirs.PFCount(ctx, key+":ours").Result()
		c, _ := theirs.PFCount(ctx, key).Result()
		d, _ := ours.PFCount(ctx, key).Result()
		if a != c || b != c || d != c {
			t.Fatalf("%s: PFCOUNT ours %d, of Redis's value here %d, of ours in Redis %d, Redis %d", key, d, a, b, c)
		}
		// The cached cardinality PFCOUNT wrote is part of the bytes too.
		ov, _ = ours.Get(ctx, key+":redis").Result()
		rv, _ = theirs.Get(ctx, key+":ours").Result()
		if ov != rv {
			t.Fatalf("%s: bytes after PFCOUNT differ", key)
		}
	}
	// Into a new key from sparse and dense sources, from sparse ones whose
	// union no longer fits sparse, and into an existing sparse key.
	for _, m := range [][]string{{"m1", "h10", "h1000", "h20000"}, {"m2", "h100", "h500", "h1000"}, {"h100", "h10", "h500"}} {
		for _, c := range []*redis.Client{ours, theirs} {
			if err := c.PFMerge(ctx, m[0], m[1:]...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		ov, _ := ours.Get(ctx, m[0]).Result()
		rv, _ := theirs.Get(ctx, m[0]).Result()
		if ov != rv {
			t.Fatalf("PFMERGE %v: results differ", m)
		}
	}
}

// A geo set dumped from smallredis with ZRANGE … WITHSCORES and loaded into
// Redis with ZADD answers every search the same there.
func TestGeoCrossServer(t *testing.T) {
	ctx := context.Background()
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t))})
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t)})
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	rng := rand.New(rand.NewPCG(3, 4))
	args := []any{"GEOADD", "pts"}
	for i := range 500 {
		lon, lat := -180+rng.Float64()*360, -85+rng.Float64()*170
		if i%2 == 0 { // half of them in one region, for dense searches
			lon, lat = 2+rng.Float64()*3, 48+rng.Float64()*2
		}
		args = append(args, lon, lat, fmt.Sprintf("m%d", i))
	}
	if n, err := ours.Do(ctx, args...).Int(); err != nil || n != 500 {
		t.Fatalf("GEOADD = %d, %v", n, err)
	}
	dump, err := ours.ZRangeWithScores(ctx, "pts", 0, -1).Result()
	if err != nil || len(dump) != 500 {
		t.Fatalf("ZRANGE WITHSCORES: %d entries, %v", len(dump), err)
	}
	zadd := []any{"ZADD", "pts"}
	for _, z := range dump {
		zadd = append(zadd, z.Score, z.Member)
	}
	if err := theirs.Do(ctx, zadd...).Err(); err != nil {
		t.Fatal(err)
	}
	queries := [][]any{
		{"GEOSEARCH", "pts", "FROMLONLAT", 3, 49, "BYRADIUS", 50, "km", "WITHDIST", "WITHCOORD", "WITHHASH", "ASC"},
		{"GEOSEARCH", "pts", "FROMLONLAT", 3, 49, "BYBOX", 80, 40, "mi", "WITHDIST", "DESC"},
		{"GEOSEARCH", "pts", "FROMMEMBER", "m0", "BYRADIUS", 100, "km", "WITHDIST", "ASC", "COUNT", 10},
		{"GEOSEARCH", "pts", "FROMLONLAT", -100, 30, "BYRADIUS", 3000, "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "pts", "FROMLONLAT", 170, -70, "BYBOX", 5000, 2000, "km", "WITHCOORD", "ASC"},
		{"GEOSEARCH", "pts", "FROMLONLAT", 3.5, 48.5, "BYRADIUS", 20000, "m"},
		{"GEORADIUS", "pts", 4, 49, 30, "km", "WITHDIST", "WITHHASH"},
		{"GEORADIUSBYMEMBER", "pts", "m2", 500000, "ft", "WITHDIST", "COUNT", 5, "DESC"},
		{"GEOPOS", "pts", "m0", "m1", "m2", "m3", "m499"},
		{"GEOHASH", "pts", "m0", "m1", "m2", "m3", "m499"},
		{"GEODIST", "pts", "m0", "m1", "km"},
	}
	// Random searches over the whole set: centres anywhere and in the dense
	// region, every unit, both shapes, orders and limits.
	fixed := len(queries)
	units := []string{"m", "km", "mi", "ft"}
	per := map[string]float64{"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}
	for range 300 {
		u := units[rng.IntN(len(units))]
		lon, lat := -180+rng.Float64()*360, -85+rng.Float64()*170
		if rng.IntN(2) == 0 {
			lon, lat = 2+rng.Float64()*3, 48+rng.Float64()*2
		}
		size := math.Pow(10, 2+rng.Float64()*5) / per[u] // 100 m … 10,000 km
		q := []any{"GEOSEARCH", "pts", "FROMLONLAT", lon, lat}
		if rng.IntN(2) == 0 {
			q = append(q, "BYRADIUS", size, u)
		} else {
			q = append(q, "BYBOX", size, size*(0.2+rng.Float64()*2), u)
		}
		q = append(q, "WITHDIST", "WITHCOORD", "WITHHASH")
		switch rng.IntN(4) {
		case 1:
			q = append(q, "ASC")
		case 2:
			q = append(q, "DESC", "COUNT", 1+rng.IntN(20))
		case 3:
			q = append(q, "COUNT", 1+rng.IntN(5), "ANY")
		}
		queries = append(queries, q)
	}
	nonEmpty := 0
	for i, q := range queries {
		a, err1 := ours.Do(ctx, q...).Result()
		b, err2 := theirs.Do(ctx, q...).Result()
		if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%v:\n\tours  %v %v\n\tredis %v %v", q, a, err1, b, err2)
		}
		if s, ok := a.([]any); !ok || len(s) > 0 {
			nonEmpty++
		} else if i < fixed {
			t.Errorf("%v: no results, a query that tests nothing", q)
		}
	}
	if nonEmpty < len(queries)/3 {
		t.Errorf("only %d of %d queries found anything", nonEmpty, len(queries))
	}
}

func addrOf(addr string, _ any) string { return addr }
