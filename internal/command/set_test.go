package command

import (
	"strconv"
	"strings"
	"testing"
)

// Keyspace hits and misses as Redis counts them: read lookups count, write
// lookups (SADD, SREM, SPOP, SMOVE, the STORE destination) do not.
func TestSetKeyspaceHits(t *testing.T) {
	s := newStrServer(t)
	s.do("sadd", "s", "a", "b")
	tests := []struct {
		args         []string
		hits, misses int64
	}{
		{[]string{"sismember", "s", "a"}, 1, 0},
		{[]string{"sismember", "nokey", "a"}, 0, 1},
		{[]string{"smembers", "s"}, 1, 0},
		{[]string{"scard", "nokey"}, 0, 1},
		{[]string{"smismember", "s", "a", "b"}, 1, 0},
		{[]string{"srandmember", "s"}, 1, 0},
		{[]string{"srandmember", "nokey", "2"}, 0, 1},
		{[]string{"sinter", "s", "nokey", "s"}, 2, 1},
		{[]string{"sintercard", "2", "s", "nokey"}, 1, 1},
		{[]string{"sunion", "s", "nokey"}, 1, 1},
		{[]string{"sdiffstore", "d", "s", "nokey"}, 1, 1},
		{[]string{"sscan", "s", "0"}, 1, 0},
		{[]string{"sscan", "nokey", "0"}, 0, 1},
		{[]string{"sadd", "s", "c"}, 0, 0},
		{[]string{"srem", "nokey", "c"}, 0, 0},
		{[]string{"spop", "nokey"}, 0, 0},
		{[]string{"smove", "s", "t", "c"}, 0, 0},
	}
	for _, tt := range tests {
		h0, m0 := s.srv.Stats.Hits.Load(), s.srv.Stats.Misses.Load()
		s.do(tt.args...)
		if h, m := s.srv.Stats.Hits.Load()-h0, s.srv.Stats.Misses.Load()-m0; h != tt.hits || m != tt.misses {
			t.Errorf("%v: hits %d misses %d; want %d %d", tt.args, h, m, tt.hits, tt.misses)
		}
	}
}

// Encodings Redis 7.0 does not have, so the differential scripts cannot
// check them: listpacks and their thresholds, and the 7.2 result encodings.
func TestSetListpackEncoding(t *testing.T) {
	s := newStrServer(t)
	enc := func(key string) string {
		return strings.Split(s.do("object", "encoding", key), "\r\n")[1] // "$8\r\nlistpack\r\n"
	}
	steps := []struct {
		args []string
		key  string
		want string
	}{
		{[]string{"sadd", "a", "x", "y"}, "a", "listpack"},
		{[]string{"sadd", "b", "1", "2"}, "b", "intset"},
		{[]string{"sadd", "b", "x"}, "b", "listpack"},
		{[]string{"srem", "b", "x"}, "b", "listpack"}, // never back to intset
		{[]string{"sadd", "c", strings.Repeat("v", 64)}, "c", "listpack"},
		{[]string{"sadd", "c", strings.Repeat("v", 65)}, "c", "hashtable"},
		{[]string{"config", "set", "set-max-listpack-entries", "3"}, "", ""},
		{[]string{"sadd", "d", "p", "q", "r"}, "d", "listpack"},
		{[]string{"sadd", "d", "s"}, "d", "hashtable"},
		{[]string{"sadd", "e", "p", "q", "r", "s"}, "e", "hashtable"},
		{[]string{"sadd", "f", "1", "2", "3"}, "f", "intset"},
		{[]string{"sadd", "f", "z"}, "f", "hashtable"}, // 3 integers + 1 no longer fit a listpack
		{[]string{"config", "set", "set-max-listpack-entries", "128", "set-max-listpack-value", "2"}, "", ""},
		{[]string{"sadd", "g", "ab"}, "g", "listpack"},
		{[]string{"sadd", "g", "abc"}, "g", "hashtable"},
		{[]string{"sadd", "h", "100"}, "h", "intset"},
		{[]string{"sadd", "h", "x"}, "h", "hashtable"}, // "100" is wider than 2
		{[]string{"config", "set", "set-max-listpack-value", "64"}, "", ""},
		// SMOVE creates its destination for one member.
		{[]string{"smove", "a", "m", "x"}, "m", "listpack"},
		// STORE results take the encoding their size calls for.
		{[]string{"sunionstore", "u", "c"}, "u", "hashtable"},
		{[]string{"sinterstore", "i", "c", "c"}, "i", "hashtable"},
		{[]string{"sunionstore", "u2", "a", "b"}, "u2", "listpack"},
		{[]string{"sdiffstore", "df", "b", "a"}, "df", "intset"},
	}
	for _, st := range steps {
		if r := s.do(st.args...); strings.HasPrefix(r, "-") {
			t.Fatalf("%v: %s", st.args, r)
		}
		if st.key != "" {
			if got := enc(st.key); got != st.want {
				t.Errorf("after %v: %s is %s, want %s", st.args, st.key, got, st.want)
			}
		}
	}
	for _, d := range []string{"set-max-listpack-entries", "set-max-listpack-value", "set-max-intset-entries"} {
		if r := s.do("config", "get", d); !strings.Contains(r, d) {
			t.Errorf("CONFIG GET %s = %q", d, r)
		}
	}
	if r := s.do("config", "set", "set-max-listpack-entries", "-1"); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("CONFIG SET set-max-listpack-entries -1 = %q", r)
	}
}

// An intersection of integers out of hashtables is stored as an intset.
func TestSinterstoreIntsetResult(t *testing.T) {
	s := newStrServer(t)
	args1, args2 := []string{"sadd", "a"}, []string{"sadd", "b"}
	for i := range 300 {
		args1 = append(args1, strconv.Itoa(i), "a"+strconv.Itoa(i))
		args2 = append(args2, strconv.Itoa(i), "b"+strconv.Itoa(i))
	}
	s.do(args1...)
	s.do(args2...)
	if r := s.do("sinterstore", "d", "a", "b"); r != ":300\r\n" {
		t.Fatalf("SINTERSTORE = %q", r)
	}
	if r := s.do("object", "encoding", "d"); r != "$6\r\nintset\r\n" {
		t.Errorf("OBJECT ENCODING d = %q, want intset", r)
	}
}

// SADD of members already present and SISMEMBER are a set's hot path: no
// allocation per call, whatever the encoding.
func TestSaddSismemberDoNotAllocate(t *testing.T) {
	s := newStrServer(t)
	s.do("sadd", "ints", "1", "2", "3")
	s.do("sadd", "strs", "a", "b", "c")
	s.do(bigSetArgs("big", 1000, "m")...)
	for _, args := range [][]string{
		{"sadd", "big", "m500"}, {"sismember", "big", "m999"}, {"sismember", "big", "x"},
		{"sadd", "ints", "2"}, {"sismember", "ints", "3"}, {"sismember", "ints", "x"},
		{"sadd", "strs", "b"}, {"sismember", "strs", "c"}, {"sismember", "nokey", "c"},
		{"srem", "strs", "nope"}, {"scard", "strs"},
	} {
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		n := testing.AllocsPerRun(1000, func() {
			s.w.Reset()
			s.srv.Exec(s.c, &s.ctx, argv, &s.w)
		})
		if n != 0 {
			t.Errorf("%v: %v allocs per call; want 0", args, n)
		}
	}
}

func bigSetArgs(key string, n int, prefix string) []string {
	args := []string{"sadd", key}
	for i := range n {
		args = append(args, prefix+strconv.Itoa(i))
	}
	return args
}

func BenchmarkSadd(b *testing.B) {
	b.Run("intset", func(b *testing.B) { benchExec(b, bigSetArgs("s", 100, ""), "sadd", "s", "50") })
	b.Run("listpack", func(b *testing.B) { benchExec(b, bigSetArgs("s", 100, "m"), "sadd", "s", "m50") })
	b.Run("hashtable", func(b *testing.B) { benchExec(b, bigSetArgs("s", 10000, "m"), "sadd", "s", "m5000") })
}

func BenchmarkSismember(b *testing.B) {
	b.Run("intset", func(b *testing.B) { benchExec(b, bigSetArgs("s", 100, ""), "sismember", "s", "50") })
	b.Run("listpack", func(b *testing.B) { benchExec(b, bigSetArgs("s", 100, "m"), "sismember", "s", "m50") })
	b.Run("hashtable", func(b *testing.B) { benchExec(b, bigSetArgs("s", 10000, "m"), "sismember", "s", "m5000") })
}
