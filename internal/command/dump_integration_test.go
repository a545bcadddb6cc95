package command_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/testserver"
)

// contents is a key's value in a comparable form, whatever its type.
func contents(t *testing.T, c *redis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		t.Fatalf("TYPE %s: %v", key, err)
	}
	var vals []string
	switch typ {
	case "string":
		v, _ := c.Get(ctx, key).Result()
		vals = []string{v}
	case "list":
		vals, _ = c.LRange(ctx, key, 0, -1).Result()
	case "set":
		vals, _ = c.SMembers(ctx, key).Result()
		slices.Sort(vals)
	case "hash":
		m, _ := c.HGetAll(ctx, key).Result()
		for f, v := range m {
			vals = append(vals, f+"="+v)
		}
		slices.Sort(vals)
	case "zset":
		zs, _ := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		for _, z := range zs {
			vals = append(vals, fmt.Sprintf("%v=%s", z.Member, strconv.FormatFloat(z.Score, 'g', 17, 64)))
		}
	}
	return typ + ":" + strings.Join(vals, "\x00")
}

// Every type and encoding, built the same way in Redis 7.0.15 and here:
// DUMP bytes are equal where both servers hold the same elements in the
// same order, and each server restores the other's payload to the same
// contents (in the encoding its own thresholds choose).
func TestDumpRestoreCrossServer(t *testing.T) {
	ctx := context.Background()
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t))})
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t)})
	t.Cleanup(func() { ours.Close(); theirs.Close() })

	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return string(b)
	}
	many := func(prefix string, n int) []any {
		var out []any
		for i := range n {
			out = append(out, fmt.Sprintf("%s%d", prefix, i))
		}
		return out
	}
	ints := []any{0, 1, 12, 13, 127, 128, -1, 4095, -4096, 4096, -4097, 32767, -32768, 32768,
		8388607, -8388608, 8388608, 2147483647, -2147483648, 2147483648,
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "-0", "+1"}
	var strs []any
	for _, n := range []int{0, 1, 63, 64, 4095, 4096, 20000} {
		strs = append(strs, strings.Repeat("x", n))
	}
	zpairs := func(n int, member func(i int) string) []redis.Z {
		var out []redis.Z
		for i := range n {
			out = append(out, redis.Z{Score: float64(i%7) * 1.5, Member: member(i)})
		}
		return out
	}
	type tc struct {
		key       string
		build     func(c *redis.Client, key string) error
		sameBytes bool // else hashtable order or list nodes may differ
	}
	set := func(v string) func(c *redis.Client, key string) error {
		return func(c *redis.Client, key string) error { return c.Set(ctx, key, v, 0).Err() }
	}
	cases := []tc{
		{"str", set("hello"), true},
		{"empty", set(""), true},
		{"int8", set("-128"), true},
		{"int16", set("32767"), true},
		{"int32", set("-2147483648"), true},
		{"int64", set("9223372036854775807"), true},
		{"notint", set("007"), true},
		{"compressible", set(strings.Repeat("abc", 100)), true},
		{"incompressible", set(random(100)), true},
		{"bigstr", set(strings.Repeat("smallredis ", 100000)), true},
		{"list", func(c *redis.Client, k string) error { return c.RPush(ctx, k, append(ints, "a", "b")...).Err() }, true},
		// Our lists split nodes as Redis 7.2 does (exact entry sizes, own
		// nodes for elements larger than a node), 7.0 on estimates: the
		// nodes, hence the bytes, may differ, the contents never.
		{"liststrs", func(c *redis.Client, k string) error { return c.RPush(ctx, k, strs...).Err() }, false},
		{"listbig", func(c *redis.Client, k string) error { return c.RPush(ctx, k, many("element-", 20000)...).Err() }, true},
		{"listpushed", func(c *redis.Client, k string) error {
			for i := range 3000 {
				if err := c.LPush(ctx, k, fmt.Sprintf("v%d", i*i)).Err(); err != nil {
					return err
				}
			}
			return c.RPush(ctx, k, ints...).Err()
		}, false},
		{"intset", func(c *redis.Client, k string) error { return c.SAdd(ctx, k, 5, 3, -2, 1).Err() }, true},
		{"intset32", func(c *redis.Client, k string) error { return c.SAdd(ctx, k, 5, 100000, -2).Err() }, true},
		{"intset64", func(c *redis.Client, k string) error { return c.SAdd(ctx, k, 5, "5000000000", -2).Err() }, true},
		{"intsetbig", func(c *redis.Client, k string) error { return c.SAdd(ctx, k, many("", 500)...).Err() }, true},
		{"setsmall", func(c *redis.Client, k string) error { return c.SAdd(ctx, k, "a", "b", 12).Err() }, false},
		{"setbig", func(c *redis.Client, k string) error { return c.SAdd(ctx, k, many("m", 1000)...).Err() }, false},
		{"hash", func(c *redis.Client, k string) error {
			return c.HSet(ctx, k, "f", "v", "n", 12, "big", "1234567890123", "neg", -70000, "", "empty").Err()
		}, true},
		{"hashupdated", func(c *redis.Client, k string) error {
			c.HSet(ctx, k, "a", 1, "b", 2, "c", 3)
			c.HDel(ctx, k, "a")
			return c.HSet(ctx, k, "b", "two", "a", "again").Err()
		}, true},
		{"hashlongvalue", func(c *redis.Client, k string) error {
			return c.HSet(ctx, k, "f", strings.Repeat("v", 65), "g", 1).Err()
		}, false},
		{"hashbig", func(c *redis.Client, k string) error { return c.HSet(ctx, k, many("f", 2000)...).Err() }, false},
		{"zset", func(c *redis.Client, k string) error {
			return c.ZAdd(ctx, k, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"},
				redis.Z{Score: -3, Member: "c"}, redis.Z{Score: 1e300, Member: "d"}, redis.Z{Score: 5e18, Member: "e"},
				redis.Z{Score: 0.1, Member: "f"}, redis.Z{Score: -1e-300, Member: "g"}, redis.Z{Score: 12, Member: "13"}).Err()
		}, true},
		{"zsetinf", func(c *redis.Client, k string) error {
			return c.Do(ctx, "zadd", k, "inf", "up", "-inf", "down", "0", "zero").Err()
		}, true},
		{"zsetbig", func(c *redis.Client, k string) error {
			return c.ZAdd(ctx, k, zpairs(300, func(i int) string { return fmt.Sprintf("m%d", i) })...).Err()
		}, true},
		{"zsetlongmember", func(c *redis.Client, k string) error {
			return c.ZAdd(ctx, k, zpairs(5, func(i int) string { return strings.Repeat("m", 60+i) })...).Err()
		}, true},
		{"zsetnegzero", func(c *redis.Client, k string) error {
			c.ZAdd(ctx, k, zpairs(200, func(i int) string { return fmt.Sprintf("m%d", i) })...)
			return c.Do(ctx, "zadd", k, "-0", "negzero").Err()
		}, true},
	}
	for _, c := range cases {
		for _, cl := range []*redis.Client{ours, theirs} {
			if err := c.build(cl, c.key); err != nil {
				t.Fatalf("%s: build: %v", c.key, err)
			}
		}
		want := contents(t, theirs, c.key)
		if got := contents(t, ours, c.key); got != want {
			t.Fatalf("%s: the two servers built different values", c.key)
		}
		od, err1 := ours.Dump(ctx, c.key).Result()
		rd, err2 := theirs.Dump(ctx, c.key).Result()
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: DUMP: %v / %v", c.key, err1, err2)
		}
		if c.sameBytes && od != rd {
			t.Errorf("%s: DUMP bytes differ (ours %d bytes %q…, redis %d bytes %q…)",
				c.key, len(od), od[:min(len(od), 40)], len(rd), rd[:min(len(rd), 40)])
		}
		if err := ours.Restore(ctx, c.key+":redis", 0, rd).Err(); err != nil {
			t.Fatalf("%s: RESTORE of Redis's payload here: %v", c.key, err)
		}
		if err := theirs.Restore(ctx, c.key+":ours", 0, od).Err(); err != nil {
			t.Fatalf("%s: RESTORE of our payload in Redis: %v", c.key, err)
		}
		if got := contents(t, ours, c.key+":redis"); got != want {
			t.Errorf("%s: Redis's payload restored here differs", c.key)
		}
		if got := contents(t, theirs, c.key+":ours"); got != want {
			t.Errorf("%s: our payload restored in Redis differs", c.key)
		}
		// Restored here, the value takes the encoding the commands gave it.
		oe, _ := ours.ObjectEncoding(ctx, c.key).Result()
		re, _ := ours.ObjectEncoding(ctx, c.key+":redis").Result()
		if oe != re {
			t.Errorf("%s: encoding %s after RESTORE, %s as built", c.key, re, oe)
		}
	}
}

// Payloads of the encodings Redis 7.0 no longer writes but still loads
// (ziplists, zipmap, the plain list and string-score sorted set), built
// by hand: Redis and we restore each to the same contents.
func TestRestoreOldEncodings(t *testing.T) {
	ctx := context.Background()
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t))})
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t)})
	t.Cleanup(func() { ours.Close(); theirs.Close() })

	elems := []string{"a", "", "0", "12", "13", "-1", "127", "-129", "32767", "-32769", "8388607",
		"8388608", "2147483647", "-2147483649", "9223372036854775807", strings.Repeat("y", 64),
		strings.Repeat("z", 300), strings.Repeat("w", 17000), "007"}
	pairs := []string{"f1", "v1", "12", "-5", "long", strings.Repeat("q", 260), "x", ""}
	zpairs := []string{"m2", "-3", "m4", "1e-5", "m1", "1.5", "m5", "12", "m3", "inf"} // in order, as Redis wrote them
	rdbStr := func(s string) []byte { return rdb.AppendString(nil, []byte(s), false) }
	payload := func(typ byte, body []byte) string {
		return string(rdb.Seal(append([]byte{typ}, body...)))
	}
	cases := map[string]string{
		"ziplist":    payload(rdb.TypeListZiplist, rdbStr(string(testZiplist(elems)))),
		"zlhash":     payload(rdb.TypeHashZiplist, rdbStr(string(testZiplist(pairs)))),
		"zlzset":     payload(rdb.TypeZSetZiplist, rdbStr(string(testZiplist(zpairs)))),
		"zipmap":     payload(rdb.TypeHashZipmap, rdbStr(string(testZipmap(pairs)))),
		"quicklist":  payload(rdb.TypeListQuicklist, append(rdb.AppendLen(nil, 2), append(rdbStr(string(testZiplist(elems[:5]))), rdbStr(string(testZiplist(elems[5:])))...)...)),
		"plainlist":  payload(rdb.TypeList, testStrings(elems, 1)),
		"plainset":   payload(rdb.TypeSet, testStrings(elems, 1)),
		"plainhash":  payload(rdb.TypeHash, testStrings(pairs, 2)),
		"stringzset": payload(rdb.TypeZSet, testStringZSet(zpairs)),
	}
	for name, p := range cases {
		if err := theirs.Restore(ctx, name, 0, p).Err(); err != nil {
			t.Fatalf("%s: Redis: %v", name, err)
		}
		if err := ours.Restore(ctx, name, 0, p).Err(); err != nil {
			t.Fatalf("%s: ours: %v", name, err)
		}
		if a, b := contents(t, ours, name), contents(t, theirs, name); a != b {
			t.Errorf("%s: restored contents differ:\nours  %q\nredis %q", name, a, b)
		}
	}
}

// testStrings is an RDB length (of items of per strings) and the strings.
func testStrings(ss []string, per int) []byte {
	b := rdb.AppendLen(nil, uint64(len(ss)/per))
	for _, s := range ss {
		b = rdb.AppendString(b, []byte(s), false)
	}
	return b
}

// testStringZSet is RDB_TYPE_ZSET's body: members with scores as strings.
func testStringZSet(pairs []string) []byte {
	b := rdb.AppendLen(nil, uint64(len(pairs)/2))
	for i := 0; i < len(pairs); i += 2 {
		b = rdb.AppendString(b, []byte(pairs[i]), false)
		switch s := pairs[i+1]; s {
		case "inf":
			b = append(b, 254)
		case "-inf":
			b = append(b, 255)
		default:
			b = append(append(b, byte(len(s))), s...)
		}
	}
	return b
}

// testZiplist encodes a ziplist as Redis before 7.0 wrote one (integers in
// the smallest encoding, strings by length).
func testZiplist(elems []string) []byte {
	b := make([]byte, 10)
	prev, tail := 0, 10
	for _, s := range elems {
		tail = len(b)
		start := len(b)
		if prev < 254 {
			b = append(b, byte(prev))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 254), uint32(prev))
		}
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
			switch {
			case v >= 0 && v <= 12:
				b = append(b, 0xF1+byte(v))
			case v >= -128 && v <= 127:
				b = append(b, 0xFE, byte(v))
			case v >= -32768 && v <= 32767:
				b = binary.LittleEndian.AppendUint16(append(b, 0xC0), uint16(v))
			case v >= -1<<23 && v < 1<<23:
				u := uint32(v)
				b = append(b, 0xF0, byte(u), byte(u>>8), byte(u>>16))
			case v >= -1<<31 && v < 1<<31:
				b = binary.LittleEndian.AppendUint32(append(b, 0xD0), uint32(v))
			default:
				b = binary.LittleEndian.AppendUint64(append(b, 0xE0), uint64(v))
			}
		} else {
			switch n := len(s); {
			case n < 64:
				b = append(b, byte(n))
			case n < 16384:
				b = append(b, 0x40|byte(n>>8), byte(n))
			default:
				b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
			}
			b = append(b, s...)
		}
		prev = len(b) - start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(elems)))
	return b
}

// testZipmap encodes field, value pairs as Redis 2.4's zipmap, with a
// free byte after each value.
func testZipmap(pairs []string) []byte {
	b := []byte{byte(len(pairs) / 2)}
	l := func(n int) {
		if n < 254 {
			b = append(b, byte(n))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 254), uint32(n))
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		l(len(pairs[i]))
		b = append(b, pairs[i]...)
		l(len(pairs[i+1]))
		b = append(b, 1)
		b = append(b, pairs[i+1]...)
		b = append(b, 0)
	}
	return append(b, 0xFF)
}

// Our LZF writes liblzf's bytes: strings of every compressibility dump
// exactly as Redis dumps them (compressed or, when that saves too little,
// plain).
func TestDumpLZFMatchesRedis(t *testing.T) {
	ctx := context.Background()
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t))})
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t)})
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 400 {
		n := 21 + rng.IntN(3000)
		if i%10 == 0 {
			n = 21 + rng.IntN(200000)
		}
		b := make([]byte, n)
		alphabet := 1 + rng.IntN(64)
		for j := range b {
			b[j] = 'a' + byte(rng.IntN(alphabet))
		}
		if i%4 == 0 { // long repeats, near and far
			for j := 0; j+40 < n; j += 1 + rng.IntN(100) {
				from := rng.IntN(j + 1)
				copy(b[j:j+1+rng.IntN(40)], b[from:])
			}
		}
		key := fmt.Sprintf("s%d", i)
		ours.Set(ctx, key, b, 0)
		theirs.Set(ctx, key, b, 0)
		od, _ := ours.Dump(ctx, key).Result()
		rd, _ := theirs.Dump(ctx, key).Result()
		if od != rd {
			t.Fatalf("%d bytes (alphabet %d): DUMP differs (ours %d bytes, Redis %d)", n, alphabet, len(od), len(rd))
		}
	}
}

// MIGRATE moves keys between the two servers both ways, with their TTLs;
// its replies and errors are Redis's, given the same target.
func TestMigrateCrossServer(t *testing.T) {
	ctx := context.Background()
	oursAddr, _ := testserver.Start(t)
	theirsAddr := testserver.StartRedis(t)
	targetAddr := testserver.StartRedis(t) // where both migrate to
	ours := redis.NewClient(&redis.Options{Addr: oursAddr})
	theirs := redis.NewClient(&redis.Options{Addr: theirsAddr})
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	host := func(addr string) (string, string) {
		h, p, _ := strings.Cut(addr, ":")
		return h, p
	}
	oh, op := host(oursAddr)
	rh, rp := host(targetAddr)
	do := func(c *redis.Client, args ...any) string {
		v, err := c.Do(ctx, args...).Result()
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprint(v)
	}

	// Ours to Redis: the key goes, with its TTL, into the given database.
	ours.RPush(ctx, "l", "a", "b", 1)
	ours.Expire(ctx, "l", 100*time.Second)
	if got := do(ours, "migrate", rh, rp, "l", 3, 5000); got != "OK" {
		t.Fatalf("MIGRATE: %s", got)
	}
	if ours.Exists(ctx, "l").Val() != 0 {
		t.Fatal("the key stayed")
	}
	r3 := redis.NewClient(&redis.Options{Addr: targetAddr, DB: 3})
	t.Cleanup(func() { r3.Close() })
	if got := r3.LRange(ctx, "l", 0, -1).Val(); fmt.Sprint(got) != "[a b 1]" {
		t.Fatalf("moved list: %v", got)
	}
	if ttl := r3.TTL(ctx, "l").Val(); ttl < 98*time.Second || ttl > 100*time.Second {
		t.Fatalf("moved TTL %v", ttl)
	}
	// COPY keeps ours; an existing target key needs REPLACE: the target's
	// BUSYKEY comes back as Redis words it.
	ours.Set(ctx, "s", "v1", 0)
	ours.Set(ctx, "s2", "w", 0)
	if got := do(ours, "migrate", rh, rp, "", 3, 5000, "copy", "keys", "s", "nokey", "s2"); got != "OK" {
		t.Fatalf("MIGRATE COPY KEYS: %s", got)
	}
	if ours.Exists(ctx, "s", "s2").Val() != 2 || r3.Get(ctx, "s").Val() != "v1" || r3.Get(ctx, "s2").Val() != "w" {
		t.Fatal("COPY KEYS did not copy both keys")
	}
	ours.Set(ctx, "s", "v2", 0)
	// The same commands from Redis and from us give the same replies.
	theirs.Set(ctx, "s", "v2", 0)
	theirs.Set(ctx, "s2", "w", 0)
	for _, args := range [][]any{
		{"migrate", rh, rp, "s", 3, 5000},
		{"migrate", rh, rp, "nokey", 3, 5000},
		{"migrate", rh, rp, "s", 3, 5000, "auth", "pw"},
		{"migrate", rh, rp, "s", 3, 5000, "auth2", "u", "pw"},
		{"migrate", rh, rp, "s", 3, 5000, "auth"},
		{"migrate", rh, rp, "s", 3, 5000, "keys", "s"},
		{"migrate", rh, rp, "s", 3, 5000, "foo"},
		{"migrate", rh, rp, "s", 3, "x"},
		{"migrate", rh, rp, "s", "x", 5000},
		{"migrate", rh, rp, "s", 99, 5000},
		{"migrate", "127.0.0.1", testserver.FreePort(t), "s", 3, 5000},
	} {
		a, b := do(ours, args...), do(theirs, args...)
		if a != b {
			t.Errorf("%v: ours %q, Redis %q", args, a, b)
		}
	}
	if got := do(ours, "migrate", rh, rp, "s", 3, 5000, "replace"); got != "OK" || r3.Get(ctx, "s").Val() != "v2" {
		t.Fatalf("MIGRATE REPLACE: %s", got)
	}
	// Redis to ours: its RESTOREs (and SELECT) land here.
	theirs.HSet(ctx, "h", "f", "v", "n", 12)
	theirs.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "m"})
	if got := do(theirs, "migrate", oh, op, "", 2, 5000, "keys", "h", "z"); got != "OK" {
		t.Fatalf("Redis's MIGRATE to us: %s", got)
	}
	o2 := redis.NewClient(&redis.Options{Addr: oursAddr, DB: 2})
	t.Cleanup(func() { o2.Close() })
	if h := o2.HGetAll(ctx, "h").Val(); h["f"] != "v" || h["n"] != "12" || len(h) != 2 {
		t.Fatalf("hash migrated from Redis: %v", h)
	}
	if s := o2.ZScore(ctx, "z", "m").Val(); s != 1.5 {
		t.Fatalf("zset migrated from Redis: %v", s)
	}
}
