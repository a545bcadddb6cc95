package command_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// ttlWithin fails unless key's TTL lies in [lo, hi].
func ttlWithin(t *testing.T, r *redis.Client, key string, lo, hi time.Duration) {
	t.Helper()
	ttl, err := r.PTTL(context.Background(), key).Result()
	if err != nil || ttl < lo || ttl > hi {
		t.Fatalf("PTTL %s = %v, %v; want within [%v, %v]", key, ttl, err, lo, hi)
	}
}

func wantStr(t *testing.T, r *redis.Client, key, want string) {
	t.Helper()
	got, err := r.Get(context.Background(), key).Result()
	if err != nil || got != want {
		t.Fatalf("GET %q = %q, %v; want %q", key, got, err, want)
	}
}

// Mirrors the client harness's go-redis checks set-get,
// set-expiration-ex-px-keepttl and setnx-setxx.
func TestSetGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		k := p + "sg"
		if err := r.Set(ctx, k, "hello", 0).Err(); err != nil {
			t.Fatal(err)
		}
		wantStr(t, r, k, "hello")
		if old, err := r.SetArgs(ctx, k, "world", redis.SetArgs{Get: true}).Result(); err != nil || old != "hello" {
			t.Fatalf("SET GET = %q, %v", old, err)
		}
		wantStr(t, r, k, "world")
		if _, err := r.SetArgs(ctx, p+"sg-missing", "v", redis.SetArgs{Get: true}).Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("SET GET on a missing key: %v; want redis.Nil", err)
		}
		if _, err := r.Get(ctx, p+"nokey").Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET missing: %v", err)
		}

		ex := p + "ex"
		r.Set(ctx, ex, "v", 100*time.Second)
		ttlWithin(t, r, ex, 98*time.Second, 100*time.Second)
		r.Set(ctx, p+"px", "v", 1500*time.Millisecond)
		ttlWithin(t, r, p+"px", time.Second, 1500*time.Millisecond)
		if err := r.Set(ctx, ex, "v2", redis.KeepTTL).Err(); err != nil {
			t.Fatal(err)
		}
		ttlWithin(t, r, ex, 98*time.Second, 100*time.Second)
		wantStr(t, r, ex, "v2")
		if err := r.SetArgs(ctx, p+"exat", "v", redis.SetArgs{ExpireAt: time.Now().Add(50 * time.Second)}).Err(); err != nil {
			t.Fatal(err)
		}
		ttlWithin(t, r, p+"exat", 45*time.Second, 51*time.Second)
		r.Set(ctx, ex, "v3", 0)
		if ttl, err := r.TTL(ctx, ex).Result(); err != nil || ttl != -1 {
			t.Fatalf("TTL after plain SET = %v, %v; want -1", ttl, err)
		}
		r.Set(ctx, p+"short", "v", 100*time.Millisecond)
		time.Sleep(250 * time.Millisecond)
		if _, err := r.Get(ctx, p+"short").Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET after expiry: %v", err)
		}
		if n, _ := r.Exists(ctx, p+"short").Result(); n != 0 {
			t.Fatal("expired key exists")
		}
		err := r.Do(ctx, "SET", p+"bad", "v", "EX", "0").Err()
		if err == nil || err.Error() != "ERR invalid expire time in 'set' command" {
			t.Fatalf("SET EX 0: %v", err)
		}
		if err := r.Do(ctx, "SET", p+"bad", "v", "NX", "XX").Err(); err == nil || err.Error() != "ERR syntax error" {
			t.Fatalf("SET NX XX: %v", err)
		}

		nx := p + "nx"
		if ok, err := r.SetNX(ctx, nx, "1", 0).Result(); err != nil || !ok {
			t.Fatalf("first SETNX = %v, %v", ok, err)
		}
		if ok, err := r.SetNX(ctx, nx, "2", 0).Result(); err != nil || ok {
			t.Fatalf("second SETNX = %v, %v", ok, err)
		}
		wantStr(t, r, nx, "1")
		if ok, err := r.SetNX(ctx, p+"nxttl", "1", 30*time.Second).Result(); err != nil || !ok {
			t.Fatalf("SETNX with TTL = %v, %v", ok, err)
		}
		ttlWithin(t, r, p+"nxttl", 28*time.Second, 30*time.Second)
		if ok, err := r.SetXX(ctx, p+"xx", "1", 0).Result(); err != nil || ok {
			t.Fatalf("SETXX on missing = %v, %v", ok, err)
		}
		r.Set(ctx, p+"xx", "a", 0)
		if ok, err := r.SetXX(ctx, p+"xx", "b", 0).Result(); err != nil || !ok {
			t.Fatalf("SETXX on existing = %v, %v", ok, err)
		}
		wantStr(t, r, p+"xx", "b")
		if err := r.SetEx(ctx, p+"setex", "v", 10*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
		ttlWithin(t, r, p+"setex", 9*time.Second, 10*time.Second)
	})
}

// Mirrors getset-getdel-getex and mset-mget.
func TestGetExMSetGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		gs := p + "gs"
		if _, err := r.GetSet(ctx, gs, "a").Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GETSET on missing: %v", err)
		}
		if old, err := r.GetSet(ctx, gs, "b").Result(); err != nil || old != "a" {
			t.Fatalf("GETSET = %q, %v", old, err)
		}
		if v, err := r.GetDel(ctx, gs).Result(); err != nil || v != "b" {
			t.Fatalf("GETDEL = %q, %v", v, err)
		}
		if _, err := r.GetDel(ctx, gs).Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GETDEL on missing: %v", err)
		}
		gex := p + "gex"
		r.Set(ctx, gex, "x", 0)
		if v, err := r.GetEx(ctx, gex, 40*time.Second).Result(); err != nil || v != "x" {
			t.Fatalf("GETEX EX = %q, %v", v, err)
		}
		ttlWithin(t, r, gex, 38*time.Second, 40*time.Second)
		if v, err := r.GetEx(ctx, gex, 2500*time.Millisecond).Result(); err != nil || v != "x" {
			t.Fatalf("GETEX PX = %q, %v", v, err)
		}
		ttlWithin(t, r, gex, 2*time.Second, 2500*time.Millisecond)
		if _, err := r.GetEx(ctx, gex, 0).Result(); err != nil { // PERSIST
			t.Fatal(err)
		}
		if ttl, _ := r.TTL(ctx, gex).Result(); ttl != -1 {
			t.Fatalf("TTL after GETEX PERSIST = %v", ttl)
		}

		if err := r.MSet(ctx, p+"m1", "one", p+"m2", "two").Err(); err != nil {
			t.Fatal(err)
		}
		if err := r.MSet(ctx, map[string]any{p + "m4": "four"}).Err(); err != nil {
			t.Fatal(err)
		}
		vals, err := r.MGet(ctx, p+"m1", p+"m2", p+"m3", p+"m4").Result()
		if err != nil || len(vals) != 4 || vals[0] != "one" || vals[1] != "two" || vals[2] != nil || vals[3] != "four" {
			t.Fatalf("MGET = %#v, %v", vals, err)
		}
		if ok, err := r.MSetNX(ctx, p+"m1", "x", p+"m3", "y").Result(); err != nil || ok {
			t.Fatalf("MSETNX with an existing key = %v, %v", ok, err)
		}
		if n, _ := r.Exists(ctx, p+"m3").Result(); n != 0 {
			t.Fatal("MSETNX wrote a key although it failed")
		}
		if ok, err := r.MSetNX(ctx, p+"m5", "x", p+"m6", "y").Result(); err != nil || !ok {
			t.Fatalf("MSETNX = %v, %v", ok, err)
		}
		if err := r.Do(ctx, "MSET", p+"a", "1", p+"b").Err(); err == nil ||
			err.Error() != "ERR wrong number of arguments for 'mset' command" {
			t.Fatalf("MSET odd: %v", err)
		}
	})
}

// Mirrors incr-incrby-incrbyfloat-decr.
func TestIncrGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		c := p + "ctr"
		for _, step := range []struct {
			cmd  *redis.IntCmd
			want int64
		}{
			{r.Incr(ctx, c), 1}, {r.IncrBy(ctx, c, 41), 42}, {r.Decr(ctx, c), 41}, {r.DecrBy(ctx, c, 50), -9},
		} {
			if n, err := step.cmd.Result(); err != nil || n != step.want {
				t.Fatalf("%v = %d, %v; want %d", step.cmd.Args(), n, err, step.want)
			}
		}
		f := p + "f"
		r.Set(ctx, f, "10.5", 0)
		if v, err := r.IncrByFloat(ctx, f, 0.1).Result(); err != nil || v != 10.6 {
			t.Fatalf("INCRBYFLOAT = %v, %v", v, err)
		}
		wantStr(t, r, f, "10.6")
		if v, err := r.IncrByFloat(ctx, f, -0.6).Result(); err != nil || v != 10 {
			t.Fatalf("INCRBYFLOAT -0.6 = %v, %v", v, err)
		}
		wantStr(t, r, f, "10")
		r.Set(ctx, c, "abc", 0)
		if _, err := r.Incr(ctx, c).Result(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
			t.Fatalf("INCR non-integer: %v", err)
		}
		r.Set(ctx, c, "9223372036854775807", 0)
		if _, err := r.Incr(ctx, c).Result(); err == nil || err.Error() != "ERR increment or decrement would overflow" {
			t.Fatalf("INCR overflow: %v", err)
		}
		if _, err := r.IncrByFloat(ctx, p+"inf", 1e308).Result(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Do(ctx, "INCRBYFLOAT", p+"inf", "inf").Result(); err == nil ||
			err.Error() != "ERR increment would produce NaN or Infinity" {
			t.Fatalf("INCRBYFLOAT inf: %v", err)
		}
		// INCR keeps the TTL.
		r.Set(ctx, p+"ttl", "5", time.Minute)
		r.Incr(ctx, p+"ttl")
		ttlWithin(t, r, p+"ttl", 58*time.Second, time.Minute)
	})
}

// Mirrors append-strlen-getrange-setrange, plus LCS.
func TestStringRangesGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		s := p + "str"
		if n, err := r.Append(ctx, s, "Hello").Result(); err != nil || n != 5 {
			t.Fatalf("APPEND to missing = %d, %v", n, err)
		}
		if n, err := r.Append(ctx, s, " World").Result(); err != nil || n != 11 {
			t.Fatalf("APPEND = %d, %v", n, err)
		}
		if n, err := r.StrLen(ctx, s).Result(); err != nil || n != 11 {
			t.Fatalf("STRLEN = %d, %v", n, err)
		}
		for _, tt := range []struct {
			start, end int64
			want       string
		}{{0, 4, "Hello"}, {-5, -1, "World"}, {100, 200, ""}, {-100, 2, "Hel"}} {
			if v, err := r.GetRange(ctx, s, tt.start, tt.end).Result(); err != nil || v != tt.want {
				t.Fatalf("GETRANGE %d %d = %q, %v; want %q", tt.start, tt.end, v, err, tt.want)
			}
		}
		if n, err := r.SetRange(ctx, s, 6, "Redis").Result(); err != nil || n != 11 {
			t.Fatalf("SETRANGE = %d, %v", n, err)
		}
		wantStr(t, r, s, "Hello Redis")
		if n, err := r.SetRange(ctx, p+"pad", 3, "x").Result(); err != nil || n != 4 {
			t.Fatalf("SETRANGE padding = %d, %v", n, err)
		}
		wantStr(t, r, p+"pad", "\x00\x00\x00x")
		if n, err := r.SetRange(ctx, p+"none", 3, "").Result(); err != nil || n != 0 {
			t.Fatalf("SETRANGE empty on missing = %d, %v", n, err)
		}
		if n, _ := r.Exists(ctx, p+"none").Result(); n != 0 {
			t.Fatal("SETRANGE with an empty value created the key")
		}

		r.MSet(ctx, p+"l1", "ohmytext", p+"l2", "mynewtext")
		if v, err := r.LCS(ctx, &redis.LCSQuery{Key1: p + "l1", Key2: p + "l2"}).Result(); err != nil || v.MatchString != "mytext" {
			t.Fatalf("LCS = %+v, %v", v, err)
		}
		if v, err := r.LCS(ctx, &redis.LCSQuery{Key1: p + "l1", Key2: p + "l2", Len: true}).Result(); err != nil || v.Len != 6 {
			t.Fatalf("LCS LEN = %+v, %v", v, err)
		}
		v, err := r.LCS(ctx, &redis.LCSQuery{Key1: p + "l1", Key2: p + "l2", Idx: true, MinMatchLen: 4, WithMatchLen: true}).Result()
		if err != nil || v.Len != 6 || len(v.Matches) != 1 || v.Matches[0].Key1 != (redis.LCSPosition{Start: 4, End: 7}) ||
			v.Matches[0].Key2 != (redis.LCSPosition{Start: 5, End: 8}) || v.Matches[0].MatchLen != 4 {
			t.Fatalf("LCS IDX = %+v, %v", v, err)
		}
	})
}

func TestBitmapGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		b := p + "bits"
		if old, err := r.SetBit(ctx, b, 7, 1).Result(); err != nil || old != 0 {
			t.Fatalf("SETBIT = %d, %v", old, err)
		}
		if old, err := r.SetBit(ctx, b, 7, 0).Result(); err != nil || old != 1 {
			t.Fatalf("SETBIT again = %d, %v", old, err)
		}
		r.SetBit(ctx, b, 100, 1)
		if n, _ := r.StrLen(ctx, b).Result(); n != 13 {
			t.Fatalf("STRLEN after SETBIT 100 = %d", n)
		}
		if v, _ := r.GetBit(ctx, b, 100).Result(); v != 1 {
			t.Fatalf("GETBIT = %d", v)
		}
		r.Set(ctx, p+"fb", "foobar", 0)
		for _, tt := range []struct {
			q    *redis.BitCount
			want int64
		}{
			{nil, 26}, {&redis.BitCount{Start: 1, End: 1}, 6}, {&redis.BitCount{Start: 5, End: 30, Unit: redis.BitCountIndexBit}, 17},
		} {
			if n, err := r.BitCount(ctx, p+"fb", tt.q).Result(); err != nil || n != tt.want {
				t.Fatalf("BITCOUNT %+v = %d, %v; want %d", tt.q, n, err, tt.want)
			}
		}
		r.Set(ctx, p+"bp", "\xff\xf0\x00", 0)
		if n, _ := r.BitPos(ctx, p+"bp", 0).Result(); n != 12 {
			t.Fatalf("BITPOS 0 = %d", n)
		}
		if n, _ := r.BitPosSpan(ctx, p+"bp", 1, 2, -1, "byte").Result(); n != -1 {
			t.Fatalf("BITPOS 1 2 -1 = %d", n)
		}
		r.Set(ctx, p+"o1", "\xf0", 0)
		if n, err := r.BitOpNot(ctx, p+"o2", p+"o1").Result(); err != nil || n != 1 {
			t.Fatalf("BITOP NOT = %d, %v", n, err)
		}
		wantStr(t, r, p+"o2", "\x0f")
		if n, _ := r.BitOpAnd(ctx, p+"o3", p+"nokey1", p+"nokey2").Result(); n != 0 {
			t.Fatalf("BITOP AND of missing keys = %d", n)
		}

		bf := p + "bf"
		got, err := r.BitField(ctx, bf, "SET", "u8", 0, 255, "GET", "u8", 0, "INCRBY", "u8", 0, 10,
			"OVERFLOW", "SAT", "INCRBY", "u8", 0, 300, "OVERFLOW", "FAIL", "INCRBY", "i8", "#1", 200).Result()
		if err != nil || len(got) != 5 || got[0] != 0 || got[1] != 255 || got[2] != 9 || got[3] != 255 || got[4] != 0 {
			// The FAIL overflow is a nil reply, which go-redis reports as 0.
			t.Fatalf("BITFIELD = %v, %v", got, err)
		}
		raw, err := r.Do(ctx, "BITFIELD", bf, "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 1000).Slice()
		if err != nil || len(raw) != 1 || raw[0] != nil {
			t.Fatalf("BITFIELD FAIL overflow = %#v, %v; want [nil]", raw, err)
		}
		if got, err := r.BitFieldRO(ctx, bf, "u8", "0", "i8", "8").Result(); err != nil || len(got) != 2 || got[0] != 255 || got[1] != 0 {
			t.Fatalf("BITFIELD_RO = %v, %v", got, err)
		}
		err = r.Do(ctx, "BITFIELD", bf, "GET", "u64", "0").Err()
		if err == nil || err.Error() != "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is." {
			t.Fatalf("BITFIELD u64: %v", err)
		}
		if err := r.SetBit(ctx, b, 1<<32, 1).Err(); err == nil || err.Error() != "ERR bit offset is not an integer or out of range" {
			t.Fatalf("SETBIT 2^32: %v", err)
		}
	})
}

// Mirrors large-value-10mb, binary-safe-256-bytes, empty-string-values
// and unicode-keys for the string commands.
func TestStringValuesGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		big := make([]byte, 10<<20)
		rand.Read(big)
		if err := r.Set(ctx, p+"big", big, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Get(ctx, p+"big").Bytes(); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("10 MB round trip: len %d, %v", len(got), err)
		}
		if n, _ := r.StrLen(ctx, p+"big").Result(); n != 10<<20 {
			t.Fatalf("STRLEN 10 MB = %d", n)
		}
		// APPEND to a big value grows it in place.
		if n, err := r.Append(ctx, p+"big", "tail").Result(); err != nil || n != 10<<20+4 {
			t.Fatalf("APPEND to 10 MB = %d, %v", n, err)
		}
		if v, _ := r.GetRange(ctx, p+"big", -4, -1).Result(); v != "tail" {
			t.Fatalf("GETRANGE tail = %q", v)
		}

		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		val := append(append([]byte("\r\n$5\r\n"), all...), all...)
		r.Set(ctx, p+"bin", val, 0)
		if got, err := r.Get(ctx, p+"bin").Bytes(); err != nil || !bytes.Equal(got, val) {
			t.Fatalf("binary value: len %d, %v", len(got), err)
		}
		key := p + string(all)
		r.Set(ctx, key, "binkey", 0)
		wantStr(t, r, key, "binkey")
		if vals, err := r.MGet(ctx, key, p+"bin").Result(); err != nil || vals[0] != "binkey" || vals[1] != string(val) {
			t.Fatalf("MGET binary: %v", err)
		}

		r.Set(ctx, p+"empty", "", 0)
		if v, err := r.Get(ctx, p+"empty").Result(); err != nil || v != "" {
			t.Fatalf("GET empty = %q, %v", v, err)
		}
		if vals, _ := r.MGet(ctx, p+"empty", p+"nothing").Result(); vals[0] != "" || vals[1] != nil {
			t.Fatalf("MGET empty/missing = %#v", vals)
		}

		for _, k := range []string{"ключ", "日本語", "🔑emoji", "ünïcödé"} {
			r.Set(ctx, p+k, "значение-"+k, 0)
			wantStr(t, r, p+k, "значение-"+k)
			if n, _ := r.StrLen(ctx, p+k).Result(); n != int64(len("значение-"+k)) {
				t.Fatalf("STRLEN counts bytes: %d", n)
			}
		}
	})
}

// RESP3 replies where the shape differs from RESP2: LCS IDX is a map and
// a failed BITFIELD overflow a RESP3 null.
func TestStringsRESP3Shapes(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 3})
	defer r.Close()
	r.MSet(ctx, "a", "ohmytext", "b", "mynewtext")
	v, err := r.Do(ctx, "LCS", "a", "b", "IDX").Result()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(map[any]any)
	if !ok || m["len"] != int64(6) || len(m["matches"].([]any)) != 2 {
		t.Fatalf("LCS IDX over RESP3 = %#v; want a map", v)
	}
	r2 := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r2.Close()
	v, err = r2.Do(ctx, "LCS", "a", "b", "IDX").Result()
	if arr, ok := v.([]any); err != nil || !ok || len(arr) != 4 || arr[0] != "matches" {
		t.Fatalf("LCS IDX over RESP2 = %#v, %v; want a flat array", v, err)
	}
}

// MSET is atomic: a concurrent MGET sees all of its keys or none.
func TestMSetAtomicGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	w := redis.NewClient(&redis.Options{Addr: addr})
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer w.Close()
	defer r.Close()
	// Enough keys to span several shards.
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = "atomic:" + string(rune('a'+i))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			pairs := make([]any, 0, 2*len(keys))
			for _, k := range keys {
				pairs = append(pairs, k, i)
			}
			if err := w.MSet(ctx, pairs...).Err(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		vals, err := r.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals[1:] {
			if v != vals[0] {
				t.Fatalf("MGET saw a partial MSET: %v", vals)
			}
		}
	}
}
