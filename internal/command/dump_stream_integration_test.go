package command_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/stream"
	"github.com/smallredis/smallredis/internal/testserver"
)

// buildRedisStreams writes streams of every shape into Redis 7.0 with its
// own commands (ours may not have them): several nodes, SAMEFIELDS and
// not, tombstones, trimmed nodes, LZF-compressible nodes and names,
// groups with pending entries, claimed, acknowledged and consumer-less,
// an empty stream with a group, XSETID's metadata. It returns the keys.
func buildRedisStreams(t *testing.T, ctx context.Context, r *redis.Client) []string {
	t.Helper()
	do := func(args ...any) {
		t.Helper()
		if err := r.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	do("config", "set", "stream-node-max-entries", "10")
	for i := 1; i <= 60; i++ {
		if i%7 == 0 {
			do("xadd", "s:big", fmt.Sprintf("%d-%d", 1000+i, i%3), "other", i, "more", strings.Repeat("z", i))
			continue
		}
		do("xadd", "s:big", fmt.Sprintf("%d-%d", 1000+i, i%3), "field-name-that-is-long", "value-"+strings.Repeat("a", 40), "n", i, "neg", -i*1000)
	}
	do("xdel", "s:big", "1001-1", "1002-2", "1003-0", "1030-0", "1060-0")
	do("xgroup", "create", "s:big", "a-consumer-group-with-a-long-name-000000000", "0")
	do("xgroup", "create", "s:big", "g2", "1040-0", "entriesread", "33")
	do("xreadgroup", "group", "a-consumer-group-with-a-long-name-000000000", "a-consumer-with-a-long-name-00000000000", "count", "8", "streams", "s:big", ">")
	do("xreadgroup", "group", "a-consumer-group-with-a-long-name-000000000", "12345", "count", "5", "streams", "s:big", ">")
	do("xreadgroup", "group", "g2", "c", "count", "3", "streams", "s:big", ">")
	do("xack", "s:big", "a-consumer-group-with-a-long-name-000000000", "1005-2")
	do("xclaim", "s:big", "a-consumer-group-with-a-long-name-000000000", "12345", "0", "1006-0", "1007-1", "retrycount", "7")
	do("xgroup", "createconsumer", "s:big", "g2", "idle")
	do("xdel", "s:big", "1008-2", "1009-0") // pending, then deleted

	do("xadd", "s:small", "1-1", "f", "v", "n", "12")
	do("xadd", "s:small", "1-2", "f", "w", "n", "13")
	do("xadd", "s:small", "2-0", "other", "1")
	do("xadd", "s:small", "3-0", "f", "v", "n", "-70000")
	do("xgroup", "create", "s:small", "g1", "0")
	do("xgroup", "create", "s:small", "g2", "$")
	do("xreadgroup", "group", "g1", "alice", "count", "2", "streams", "s:small", ">")
	do("xreadgroup", "group", "g1", "bob", "count", "1", "streams", "s:small", ">")
	do("xdel", "s:small", "1-2")

	do("xgroup", "create", "s:empty", "grp", "$", "mkstream")
	do("xadd", "s:emptied", "5-5", "a", "b")
	do("xdel", "s:emptied", "5-5")
	do("xadd", "s:trimmed", "maxlen", "0", "*", "a", "b")
	do("xadd", "s:setid", "7-1", "a", "1")
	do("xsetid", "s:setid", "9-9", "entriesadded", "40", "maxdeletedid", "8-0")
	for i := range 30 {
		do("xadd", "s:trimmed2", "*", "k", i)
	}
	do("xtrim", "s:trimmed2", "maxlen", "7")
	do("xadd", "s:ttl", "1-0", "x", "y")
	do("pexpire", "s:ttl", "100000000")
	do("xadd", "s:ints", "1-0", "-1", "9223372036854775807", "-9223372036854775808", "007", "0", "")
	return []string{"s:big", "s:small", "s:empty", "s:emptied", "s:trimmed", "s:setid", "s:trimmed2", "s:ttl", "s:ints"}
}

func digestValue(t *testing.T, ctx context.Context, c *redis.Client, key string) string {
	t.Helper()
	d, err := c.Do(ctx, "debug", "digest-value", key).StringSlice()
	if err != nil || len(d) != 1 {
		t.Fatalf("DEBUG DIGEST-VALUE %s: %v %v", key, d, err)
	}
	return d[0]
}

var serializedLength = regexp.MustCompile(`serializedlength:\d+`)

// Streams Redis 7.0 built restore here and dump to Redis's bytes; the
// digest, OBJECT ENCODING and DEBUG OBJECT's serialized length are
// Redis's; COPY and DEBUG RELOAD keep the value; Redis restores our dump;
// the older stream type (Redis 5 and 6) restores in both to the same
// value.
func TestStreamDumpRestoreCrossServer(t *testing.T) {
	ctx := context.Background()
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t))})
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t)})
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	keys := buildRedisStreams(t, ctx, theirs)
	for _, k := range keys {
		rd, err := theirs.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("%s: DUMP in Redis: %v", k, err)
		}
		ttl, _ := theirs.PTTL(ctx, k).Result()
		if ttl < 0 {
			ttl = 0
		}
		if err := ours.Restore(ctx, k, ttl, rd).Err(); err != nil {
			t.Fatalf("%s: RESTORE of Redis's payload here: %v", k, err)
		}
		od, err := ours.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("%s: DUMP here: %v", k, err)
		}
		if od != rd {
			t.Errorf("%s: our DUMP differs from Redis's:\nours  %q\nredis %q", k, od, rd)
		}
		if a, b := digestValue(t, ctx, ours, k), digestValue(t, ctx, theirs, k); a != b {
			t.Errorf("%s: DEBUG DIGEST-VALUE %s here, %s in Redis", k, a, b)
		}
		if enc, _ := ours.ObjectEncoding(ctx, k).Result(); enc != "stream" {
			t.Errorf("%s: OBJECT ENCODING %q", k, enc)
		}
		oo, _ := ours.Do(ctx, "debug", "object", k).Text()
		ro, _ := theirs.Do(ctx, "debug", "object", k).Text()
		if a, b := serializedLength.FindString(oo), serializedLength.FindString(ro); a == "" || a != b {
			t.Errorf("%s: DEBUG OBJECT %s here, %s in Redis", k, a, b)
		}
		if err := ours.Copy(ctx, k, k+":copy", 0, false).Err(); err != nil {
			t.Fatalf("%s: COPY: %v", k, err)
		}
		if cd, _ := ours.Dump(ctx, k+":copy").Result(); cd != rd {
			t.Errorf("%s: the COPY dumps differently", k)
		}
		if err := theirs.Restore(ctx, k+":ours", 0, od).Err(); err != nil {
			t.Fatalf("%s: RESTORE of our payload in Redis: %v", k, err)
		}
		if back, _ := theirs.Dump(ctx, k+":ours").Result(); back != rd {
			t.Errorf("%s: our payload restored in Redis dumps differently", k)
		}

		// The same stream as Redis 5 and 6 wrote it.
		old := streamAsType15(t, rd)
		if err := theirs.Restore(ctx, k+":15", 0, old).Err(); err != nil {
			t.Fatalf("%s: type 15 in Redis: %v", k, err)
		}
		if err := ours.Restore(ctx, k+":15", 0, old).Err(); err != nil {
			t.Fatalf("%s: type 15 here: %v", k, err)
		}
		od15, _ := ours.Dump(ctx, k+":15").Result()
		rd15, _ := theirs.Dump(ctx, k+":15").Result()
		if od15 != rd15 {
			t.Errorf("%s: the type 15 payload dumps differently:\nours  %q\nredis %q", k, od15, rd15)
		}
		if a, b := digestValue(t, ctx, ours, k+":15"), digestValue(t, ctx, theirs, k+":15"); a != b {
			t.Errorf("%s: type 15 digests %s here, %s in Redis", k, a, b)
		}
	}
	// Redis's whole dataset digest covers streams.
	for _, k := range keys {
		ours.Del(ctx, k+":copy", k+":15")
		theirs.Del(ctx, k+":ours", k+":15")
	}
	if a, b := digest(t, ctx, ours), digest(t, ctx, theirs); a != b {
		t.Errorf("DEBUG DIGEST %s here, %s in Redis", a, b)
	}
	if err := ours.Do(ctx, "debug", "reload").Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		od, _ := ours.Dump(ctx, k).Result()
		rd, _ := theirs.Dump(ctx, k).Result()
		if od != rd {
			t.Errorf("%s: dumps differently after DEBUG RELOAD", k)
		}
	}
	// A damaged payload is "Bad data format", never a crash.
	rd, _ := theirs.Dump(ctx, "s:small").Result()
	body := []byte(rd[:len(rd)-10])
	for i := range body {
		for _, mask := range []byte{0x01, 0x80} {
			d := append([]byte(nil), body...)
			d[i] ^= mask
			err := ours.Restore(ctx, "bad", 0, string(rdb.Seal(d))).Err()
			if err != nil && err.Error() != "ERR Bad data format" {
				t.Fatalf("byte %d ^%#x: %v", i, mask, err)
			}
			ours.Del(ctx, "bad")
		}
	}
}

// streamAsType15 rewrites a Redis 7.0 stream payload as
// RDB_TYPE_STREAM_LISTPACKS, without the first and deleted IDs, the
// entries-added and entries-read counters.
func streamAsType15(t *testing.T, payload string) string {
	t.Helper()
	v, ok := rdb.Decode([]byte(payload))
	if !ok || v.Kind != rdb.KindStream {
		t.Fatalf("not a stream payload: %q", payload)
	}
	s := v.Stream
	raw := func(b []byte, id stream.ID) []byte {
		return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, id.Ms), id.Seq)
	}
	lens := func(b []byte, id stream.ID) []byte { return rdb.AppendLen(rdb.AppendLen(b, id.Ms), id.Seq) }
	b := rdb.AppendLen([]byte{rdb.TypeStreamListpacks}, uint64(s.Nodes()))
	s.EachNode(func(master stream.ID, lp []byte) {
		b = rdb.AppendString(b, raw(nil, master), false)
		b = rdb.AppendString(b, lp, false)
	})
	b = lens(rdb.AppendLen(b, uint64(s.Len())), s.LastID())
	b = rdb.AppendLen(b, uint64(len(s.Groups())))
	for _, g := range s.Groups() {
		b = lens(rdb.AppendString(b, g.Name, false), g.LastID)
		b = rdb.AppendLen(b, uint64(g.PendingLen()))
		g.PendingRange(stream.ID{}, stream.Max, nil, func(p *stream.Pending) bool {
			b = binary.LittleEndian.AppendUint64(raw(b, p.ID), uint64(p.DeliveryTime))
			b = rdb.AppendLen(b, uint64(p.DeliveryCount))
			return true
		})
		b = rdb.AppendLen(b, uint64(len(g.Consumers())))
		for _, c := range g.Consumers() {
			b = binary.LittleEndian.AppendUint64(rdb.AppendString(b, c.Name, false), uint64(c.SeenTime))
			b = rdb.AppendLen(b, uint64(c.PendingLen()))
			g.PendingRange(stream.ID{}, stream.Max, c, func(p *stream.Pending) bool {
				b = raw(b, p.ID)
				return true
			})
		}
	}
	return string(rdb.Seal(b))
}

// A file Redis saved with streams loads here to the same dataset and the
// same DUMP bytes; our SAVE of it loads in Redis the same way.
func TestStreamSaveLoadWithRedis(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	theirs := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t, "--dir", dir)})
	defer theirs.Close()
	keys := buildRedisStreams(t, ctx, theirs)
	theirs.Set(ctx, "plain", "string", 0)
	want := digest(t, ctx, theirs)
	dumps := map[string]string{}
	for _, k := range keys {
		dumps[k], _ = theirs.Dump(ctx, k).Result()
	}
	if err := theirs.Do(ctx, "save").Err(); err != nil {
		t.Fatal(err)
	}
	ours := redis.NewClient(&redis.Options{Addr: addrOf(testserver.Start(t, "--dir", dir))})
	defer ours.Close()
	if got := digest(t, ctx, ours); got != want {
		t.Fatalf("Redis's file loaded here: digest %s, want %s", got, want)
	}
	for _, k := range keys {
		if od, _ := ours.Dump(ctx, k).Result(); od != dumps[k] {
			t.Errorf("%s: loaded from Redis's file, dumps differently", k)
		}
	}
	// Our SAVE replaces Redis's file (that Redis saves no more).
	if err := ours.Do(ctx, "save").Err(); err != nil {
		t.Fatal(err)
	}
	again := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t, "--dir", dir)})
	defer again.Close()
	if got := digest(t, ctx, again); got != want {
		t.Fatalf("our file loaded in Redis: digest %s, want %s", got, want)
	}
	for _, k := range keys {
		if rd, _ := again.Dump(ctx, k).Result(); rd != dumps[k] {
			t.Errorf("%s: our file loaded in Redis dumps differently", k)
		}
	}
}
