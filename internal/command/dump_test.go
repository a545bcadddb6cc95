package command

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/stream"
)

func TestDumpSpecsMatchRedis(t *testing.T) {
	tab := DefaultTable()
	for _, c := range []struct {
		name, flags, acl string
		arity            int
	}{
		{"dump", "readonly", "keyspace read slow", 2},
		{"restore", "write denyoom", "keyspace write slow dangerous", -4},
	} {
		s := tab.Lookup([]byte(c.name))
		if s == nil {
			t.Fatalf("%s missing", c.name)
		}
		if got := strings.Join(s.Flags.Names(), " "); got != c.flags || s.Arity != c.arity ||
			strings.Join(s.ACL, " ") != c.acl || s.FirstKey != 1 || s.LastKey != 1 || s.Step != 1 {
			t.Errorf("%s: flags %q arity %d acl %v keys %d %d %d", c.name, got, s.Arity, s.ACL, s.FirstKey, s.LastKey, s.Step)
		}
	}
}

// bulkOf is the payload of a bulk reply.
func bulkOf(t testing.TB, reply string) string {
	t.Helper()
	hdr, rest, ok := strings.Cut(reply, "\r\n")
	n, err := strconv.Atoi(strings.TrimPrefix(hdr, "$"))
	if !ok || hdr[0] != '$' || err != nil || n < 0 || len(rest) != n+2 {
		t.Fatalf("not a bulk reply: %q", reply)
	}
	return rest[:n]
}

// canonical is a decoded value's contents in a comparable form.
func canonical(v *rdb.Value) string {
	var items []string
	switch v.Kind {
	case rdb.KindString:
		return "string " + string(v.Str)
	case rdb.KindStream: // nodes, metadata and groups are kept as loaded
		return fmt.Sprintf("stream %q", rdb.AppendStream(nil, v.Stream, false))
	case rdb.KindHash:
		for i := 0; i < len(v.Elems); i += 2 {
			items = append(items, string(v.Elems[i])+"="+string(v.Elems[i+1]))
		}
		slices.Sort(items)
	case rdb.KindZSet:
		for i, m := range v.Elems {
			items = append(items, string(m)+"="+strconv.FormatFloat(v.Scores[i]+0, 'g', -1, 64)) // -0 is 0 in a listpack
		}
		slices.Sort(items)
	default:
		for _, e := range v.Elems {
			items = append(items, string(e))
		}
		if v.Kind == rdb.KindSet {
			slices.Sort(items)
		}
	}
	return fmt.Sprint(v.Kind, items)
}

// Any body in a valid footer either fails as "Bad data format" or restores
// a value that dumps, restores and dumps again to the same contents;
// nothing panics (a recovered panic would answer another error).
func FuzzRestore(f *testing.F) {
	s := newStrServer(f)
	seed := func(args ...string) {
		s.do(args...)
		p := bulkOf(f, s.do("dump", args[1]))
		f.Add([]byte(p[:len(p)-10]))
	}
	seed("set", "s", "hello")
	seed("set", "n", "-70000")
	seed("rpush", "l", "a", "1", "300", strings.Repeat("x", 100))
	seed("sadd", "si", "1", "2", "-3")
	seed("sadd", "ss", "a", "b")
	seed("hset", "h", "f", "v", "n", "1")
	seed("zadd", "z", "1", "a", "2.5", "b", "-inf", "c")
	f.Add([]byte("\x01\x02\x01a\xc0\x07"))
	f.Add([]byte("\x03\x01\x01a\x031.5"))
	f.Add(testStreamBody())
	f.Fuzz(func(t *testing.T, body []byte) {
		got := s.do("restore", "k", "0", string(rdb.Seal(body)), "replace")
		switch got {
		case "-ERR Bad data format\r\n":
			return
		case "+OK\r\n":
		default:
			t.Fatalf("RESTORE answered %q", got)
		}
		d1 := bulkOf(t, s.do("dump", "k"))
		if got := s.do("restore", "k2", "0", d1, "replace"); got != "+OK\r\n" {
			t.Fatalf("our own DUMP does not restore: %q", got)
		}
		d2 := bulkOf(t, s.do("dump", "k2"))
		v1, ok1 := rdb.Decode([]byte(d1))
		v2, ok2 := rdb.Decode([]byte(d2))
		if !ok1 || !ok2 {
			t.Fatalf("our DUMP does not decode")
		}
		if a, b := canonical(v1), canonical(v2); a != b {
			t.Fatalf("contents changed in a round trip:\n%s\n%s", a, b)
		}
		if v0, ok := rdb.Decode(rdb.Seal(body)); ok && !bytes.Equal([]byte(canonical(v0)), []byte(canonical(v1))) {
			t.Fatalf("restored contents differ from the payload's:\n%s\n%s", canonical(v0), canonical(v1))
		}
	})
}

// testStreamBody is a stream's DUMP body: two nodes, a tombstone, a group
// with pending entries of two consumers and one without.
func testStreamBody() []byte {
	s := stream.New()
	lim := stream.Limits{NodeMaxEntries: 3}
	for i := range 5 {
		s.Add(stream.ID{Ms: uint64(10 + i), Seq: 1}, [][]byte{[]byte("f"), []byte(strconv.Itoa(i * 1000))}, lim)
	}
	s.Add(stream.ID{Ms: 20}, [][]byte{[]byte("other"), []byte("x"), []byte("y"), []byte("")}, lim)
	s.Delete(stream.ID{Ms: 11, Seq: 1})
	g := s.CreateGroup([]byte("g"), stream.ID{Ms: 13, Seq: 1}, 4)
	a, b := g.CreateConsumer([]byte("a"), 100), g.CreateConsumer([]byte("b"), 200)
	g.Deliver(stream.ID{Ms: 10, Seq: 1}, a, 150)
	g.Deliver(stream.ID{Ms: 12, Seq: 1}, b, 250)
	s.CreateGroup([]byte("empty"), stream.ID{}, stream.InvalidEntriesRead)
	return rdb.AppendStream(nil, s, false)
}

// Field TTLs (Redis 7.4) cannot be written in RDB 10: the fields dump
// without them and restore as fields that do not expire.
func TestDumpHashFieldTTLs(t *testing.T) {
	s := newStrServer(t)
	s.do("hset", "h", "f", "v", "g", "w")
	s.do("hexpire", "h", "100", "fields", "1", "f")
	if got := s.do("object", "encoding", "h"); got != "$10\r\nlistpackex\r\n" {
		t.Fatalf("encoding %q", got)
	}
	p := bulkOf(t, s.do("dump", "h"))
	if p[0] != rdb.TypeHashListpack {
		t.Fatalf("type byte %d", p[0])
	}
	if got := s.do("restore", "h2", "0", p); got != "+OK\r\n" {
		t.Fatalf("RESTORE: %q", got)
	}
	if got := s.do("httl", "h2", "fields", "2", "f", "g"); got != "*2\r\n:-1\r\n:-1\r\n" {
		t.Fatalf("HTTL after RESTORE: %q", got)
	}
	if got := s.do("hgetall", "h2"); got != s.do("hgetall", "h") {
		t.Fatalf("HGETALL %q, want %q", got, s.do("hgetall", "h"))
	}
	if got := s.do("object", "encoding", "h2"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("restored encoding %q", got)
	}
}
