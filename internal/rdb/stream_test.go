package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/stream"
)

// streamSummary is a decoded stream in a comparable form: metadata,
// entries, groups with their pending entries and consumers.
func streamSummary(s *stream.Stream) string {
	var b strings.Builder
	fmt.Fprintf(&b, "len %d last %v first %v maxdel %v added %d nodes %d\n",
		s.Len(), s.LastID(), s.FirstID(), s.MaxDeleted(), s.EntriesAdded(), s.Nodes())
	s.Range(stream.ID{}, stream.Max, false, func(id stream.ID, fv [][]byte) bool {
		fmt.Fprintf(&b, "%v %q\n", id, fv)
		return true
	})
	for _, g := range s.Groups() {
		fmt.Fprintf(&b, "group %s last %v read %d\n", g.Name, g.LastID, g.EntriesRead)
		g.PendingRange(stream.ID{}, stream.Max, nil, func(p *stream.Pending) bool {
			fmt.Fprintf(&b, " pending %v %s %d %d\n", p.ID, p.Owner.Name, p.DeliveryTime, p.DeliveryCount)
			return true
		})
		for _, c := range g.Consumers() {
			fmt.Fprintf(&b, " consumer %s seen %d active %d pel %d\n", c.Name, c.SeenTime, c.ActiveTime, c.PendingLen())
		}
	}
	return b.String()
}

func decodeStream(t *testing.T, p []byte) *stream.Stream {
	t.Helper()
	v, ok := Decode(p)
	if !ok || v.Kind != KindStream || v.Stream == nil {
		t.Fatalf("stream payload does not decode: %v %+v", ok, v)
	}
	return v.Stream
}

// Redis's stream payloads decode to what Redis held and encode back to
// Redis's bytes (compression included).
func TestStreamRedisDumps(t *testing.T) {
	for _, name := range []string{"x", "xe", "xbig"} {
		p := []byte(redisDumps[name])
		s := decodeStream(t, p)
		if got := Seal(AppendStream(nil, s, true)); !bytes.Equal(got, p) {
			t.Errorf("%s: our %d bytes differ from Redis's %d\n%q\n%q", name, len(got), len(p), got, p)
		}
	}
	// x: XADD 1-1 f v n 12, 1-2 f w n 13, 2-0 other 1, 3-0 f v n -70000;
	// XGROUP CREATE g1 0 and g2 $; XREADGROUP g1 alice COUNT 2, bob COUNT
	// 1; XGROUP CREATECONSUMER g1 carol; XDEL 1-2.
	got := streamSummary(decodeStream(t, []byte(redisDumps["x"])))
	want := `len 3 last 3-0 first 1-1 maxdel 1-2 added 4 nodes 1
1-1 ["f" "v" "n" "12"]
2-0 ["other" "1"]
3-0 ["f" "v" "n" "-70000"]
group g1 last 2-0 read 3
 pending 1-1 alice 1796578988283 1
 pending 1-2 alice 1796578988283 1
 pending 2-0 bob 1796578988288 1
 consumer alice seen 1796578988283 active 1796578988283 pel 2
 consumer bob seen 1796578988288 active 1796578988288 pel 1
 consumer carol seen 1796578988292 active 1796578988292 pel 0
group g2 last 3-0 read -1
`
	if got != want {
		t.Errorf("x decodes to\n%s\nwant\n%s", got, want)
	}
	if got := streamSummary(decodeStream(t, []byte(redisDumps["xe"]))); got != "len 0 last 0-0 first 0-0 maxdel 0-0 added 0 nodes 0\ngroup grp last 0-0 read -1\n" {
		t.Errorf("xe decodes to\n%s", got)
	}
	if s := decodeStream(t, []byte(redisDumps["xbig"])); s.Len() != 25 || s.Nodes() != 3 || s.LastID() != (stream.ID{Ms: 40, Seq: 1}) {
		t.Errorf("xbig: %s", streamSummary(s))
	}
}

// forgeStream writes a stream payload of type t from s's nodes and
// metadata, with groups as given, in the layout of Redis's type t (15,
// 19 or 21), for payloads no Redis 7.0 writes.
type forgedGroup struct {
	name      string
	last      stream.ID
	read      int64
	pel       []stream.ID // delivery time 1000+i, count i+1
	consumers []forgedConsumer
}

type forgedConsumer struct {
	name         string
	seen, active int64
	pel          []stream.ID
}

func forgeStream(t byte, s *stream.Stream, length int, last stream.ID, groups []forgedGroup) []byte {
	b := AppendLen([]byte{t}, uint64(s.Nodes()))
	s.EachNode(func(master stream.ID, lp []byte) {
		b = AppendString(b, appendRawID(nil, master), false)
		b = AppendString(b, lp, false)
	})
	b = appendIDLens(AppendLen(b, uint64(length)), last)
	if t != TypeStreamListpacks {
		b = appendIDLens(b, s.FirstID())
		b = appendIDLens(b, s.MaxDeleted())
		b = AppendLen(b, uint64(s.EntriesAdded()))
	}
	b = AppendLen(b, uint64(len(groups)))
	for _, g := range groups {
		b = appendIDLens(AppendString(b, []byte(g.name), false), g.last)
		if t != TypeStreamListpacks {
			b = AppendLen(b, uint64(g.read))
		}
		b = AppendLen(b, uint64(len(g.pel)))
		for i, id := range g.pel {
			b = binary.LittleEndian.AppendUint64(appendRawID(b, id), uint64(1000+i))
			b = AppendLen(b, uint64(i+1))
		}
		b = AppendLen(b, uint64(len(g.consumers)))
		for _, c := range g.consumers {
			b = binary.LittleEndian.AppendUint64(AppendString(b, []byte(c.name), false), uint64(c.seen))
			if t == TypeStreamListpack3 {
				b = binary.LittleEndian.AppendUint64(b, uint64(c.active))
			}
			b = AppendLen(b, uint64(len(c.pel)))
			for _, id := range c.pel {
				b = appendRawID(b, id)
			}
		}
	}
	return Seal(b)
}

func id(ms, seq uint64) stream.ID { return stream.ID{Ms: ms, Seq: seq} }

// The older type (Redis 5 and 6) loads as Redis 7.0 migrates it; Redis
// 7.2's type loads from files only, with the consumers' active times.
func TestStreamOtherTypes(t *testing.T) {
	x := decodeStream(t, []byte(redisDumps["x"]))
	groups := []forgedGroup{
		{name: "g1", last: id(2, 0), read: 3, pel: []stream.ID{id(1, 1), id(2, 0)}, consumers: []forgedConsumer{
			{name: "a", seen: 50, active: 40, pel: []stream.ID{id(1, 1), id(2, 0)}}, {name: "b", seen: 60, active: 55}}},
		{name: "g2", last: id(3, 0), read: 3},
	}
	s := decodeStream(t, forgeStream(TypeStreamListpacks, x, 3, id(3, 0), groups))
	want := `len 3 last 3-0 first 1-1 maxdel 0-0 added 3 nodes 1
1-1 ["f" "v" "n" "12"]
2-0 ["other" "1"]
3-0 ["f" "v" "n" "-70000"]
group g1 last 2-0 read -1
 pending 1-1 a 1000 1
 pending 2-0 a 1001 2
 consumer a seen 50 active 50 pel 2
 consumer b seen 60 active 60 pel 0
group g2 last 3-0 read 3
`
	if got := streamSummary(s); got != want {
		t.Errorf("type 15 decodes to\n%s\nwant\n%s", got, want)
	}
	// An empty one: Redis 7.0 records its first ID as the largest.
	empty := decodeStream(t, forgeStream(TypeStreamListpacks, stream.New(), 0, id(5, 5), nil))
	if empty.FirstID() != stream.Max || empty.EntriesAdded() != 0 || empty.LastID() != id(5, 5) {
		t.Errorf("empty type 15: %s", streamSummary(empty))
	}

	p21 := forgeStream(TypeStreamListpack3, x, 3, id(3, 0), groups)
	if _, ok := Decode(p21); ok {
		t.Error("a DUMP payload of type 21 decodes (Redis 7.0's RESTORE does not know it)")
	}
	v, rest, ok := decodeFileObject(p21[0], p21[1:])
	if !ok || v.Kind != KindStream || len(rest) != 10 {
		t.Fatalf("type 21 in a file: %v %v %d", ok, v, len(rest))
	}
	if got := streamSummary(v.Stream); !strings.Contains(got, " consumer a seen 50 active 40 pel 2\n consumer b seen 60 active 55 pel 0\n") ||
		!strings.Contains(got, "group g1 last 2-0 read 3\n") {
		t.Errorf("type 21 decodes to\n%s", got)
	}
	// Written back as Redis 7.0 writes it, it reads the same.
	again := decodeStream(t, Seal(AppendStream(nil, v.Stream, false)))
	if a, b := streamSummary(again), strings.ReplaceAll(streamSummary(v.Stream), "active 40", "active 50"); a != strings.ReplaceAll(b, "active 55", "active 60") {
		t.Errorf("type 21 dumped and read again:\n%s\nwas\n%s", a, b)
	}
}

// Payloads Redis would not write, or that would leave a value our
// commands trip on, fail; damaged ones never panic.
func TestStreamBadPayloads(t *testing.T) {
	x := decodeStream(t, []byte(redisDumps["x"]))
	pel := []stream.ID{id(1, 1), id(2, 0)}
	ok := forgedGroup{name: "g", pel: pel, consumers: []forgedConsumer{{name: "c", pel: pel}}}
	if _, good := Decode(forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{ok})); !good {
		t.Fatal("the well-formed forgery does not decode")
	}
	bad := map[string][]byte{
		"length":          forgeStream(TypeStreamListpack2, x, 4, id(3, 0), nil),
		"last below top":  forgeStream(TypeStreamListpack2, x, 3, id(2, 9), nil),
		"same group":      forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g"}, {name: "g"}}),
		"groups unsorted": forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "h"}, {name: "g"}}),
		"pel unsorted":    forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g", pel: []stream.ID{id(2, 0), id(1, 1)}}}),
		"pel twice":       forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g", pel: []stream.ID{id(1, 1), id(1, 1)}}}),
		"orphan pending": forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g", pel: pel,
			consumers: []forgedConsumer{{name: "c", pel: pel[:1]}}}}),
		"not in group pel": forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g", pel: pel,
			consumers: []forgedConsumer{{name: "c", pel: append(pel, id(3, 0))}}}}),
		"two owners": forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g", pel: pel,
			consumers: []forgedConsumer{{name: "c", pel: pel}, {name: "d", pel: pel[1:]}}}}),
		"same consumer": forgeStream(TypeStreamListpack2, x, 3, id(3, 0), []forgedGroup{{name: "g",
			consumers: []forgedConsumer{{name: "c"}, {name: "c"}}}}),
	}
	for name, p := range bad {
		if _, ok := Decode(p); ok {
			t.Errorf("%s: decodes", name)
		}
	}
	// A node key that is not 16 bytes, an empty listpack, a node twice.
	var lp []byte
	x.EachNode(func(_ stream.ID, b []byte) { lp = b })
	for name, body := range map[string][]byte{
		"short key":  AppendString(AppendString(AppendLen([]byte{TypeStreamListpack2}, 1), make([]byte, 15), false), lp, false),
		"empty lp":   AppendString(AppendString(AppendLen([]byte{TypeStreamListpack2}, 1), appendRawID(nil, id(1, 1)), false), []byte("\x07\x00\x00\x00\x00\x00\xff"), false),
		"node twice": AppendString(AppendString(AppendString(AppendString(AppendLen([]byte{TypeStreamListpack2}, 2), appendRawID(nil, id(1, 1)), false), lp, false), appendRawID(nil, id(1, 1)), false), lp, false),
	} {
		tail := AppendLen(appendIDLens(AppendLen(nil, 3), id(3, 0)), 0) // length, last ID, no groups
		if _, ok := Decode(Seal(append(body, tail...))); ok {
			t.Errorf("%s: decodes", name)
		}
	}
	// Every truncation fails; every flipped byte fails or decodes to a
	// stream that dumps and decodes back the same.
	for _, name := range []string{"x", "xe", "xbig"} {
		p := []byte(redisDumps[name])
		body := p[:len(p)-10]
		for i := range body {
			if _, ok := Decode(body[:i]); ok {
				t.Fatalf("%s truncated to %d bytes decodes", name, i)
			}
			for _, mask := range []byte{0x01, 0x10, 0x80, 0xFF} {
				d := bytes.Clone(p)
				d[i] ^= mask
				checkStreamStable(t, d)
			}
		}
	}
}

// checkStreamStable: a payload that decodes to a stream dumps and decodes
// back to the same stream and bytes.
func checkStreamStable(t *testing.T, p []byte) {
	t.Helper()
	v, ok := Decode(p)
	if !ok || v.Kind != KindStream {
		return
	}
	d1 := AppendStream(nil, v.Stream, false)
	v2, ok := Decode(Seal(d1))
	if !ok || v2.Kind != KindStream {
		t.Fatalf("our dump of a decoded stream does not decode: %q", p)
	}
	if d2 := AppendStream(nil, v2.Stream, false); !bytes.Equal(d1, d2) {
		t.Fatalf("a decoded stream dumps differently the second time: %q", p)
	}
	if a, b := streamSummary(v.Stream), streamSummary(v2.Stream); a != b {
		t.Fatalf("a decoded stream reads back differently:\n%s\n%s", a, b)
	}
}
