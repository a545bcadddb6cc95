package command

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func argv(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// HSET (updating a field) and HGET are a hash's hot path: no allocation
// per call in either encoding.
func TestHashHotPathAllocations(t *testing.T) {
	s := newStrServer(t)
	s.do("hset", "small", "field", "value")
	s.do("config", "set", "hash-max-listpack-entries", "0")
	s.do("hset", "big", "field", "value")
	s.do("config", "set", "hash-max-listpack-entries", "512")
	for _, args := range [][]string{
		{"hget", "small", "field"}, {"hget", "small", "nofield"}, {"hget", "missing", "f"},
		{"hget", "big", "field"}, {"hset", "small", "field", "value"}, {"hset", "big", "field", "value"},
	} {
		a := argv(args...)
		n := testing.AllocsPerRun(1000, func() {
			s.w.Reset()
			s.srv.Exec(s.c, &s.ctx, a, &s.w)
		})
		if n != 0 {
			t.Errorf("%v: %v allocs per call; want 0", args, n)
		}
	}
}

func BenchmarkHashHandler(b *testing.B) {
	b.Run("hget-listpack", func(b *testing.B) { benchExec(b, []string{"hset", "h", "field", "value"}, "hget", "h", "field") })
	b.Run("hset-listpack", func(b *testing.B) {
		benchExec(b, []string{"hset", "h", "field", "value"}, "hset", "h", "field", "value")
	})
	for _, n := range []int{100, 10000} { // a listpack, a hashtable
		b.Run(fmt.Sprintf("hget-%d-fields", n), func(b *testing.B) {
			s := newStrServer(b)
			fill(s, "h", n)
			a := argv("hget", "h", "f7")
			b.ReportAllocs()
			for b.Loop() {
				s.w.Reset()
				s.srv.Exec(s.c, &s.ctx, a, &s.w)
			}
		})
		b.Run(fmt.Sprintf("hset-%d-fields", n), func(b *testing.B) {
			s := newStrServer(b)
			fill(s, "h", n)
			a := argv("hset", "h", "f7", "value")
			b.ReportAllocs()
			for b.Loop() {
				s.w.Reset()
				s.srv.Exec(s.c, &s.ctx, a, &s.w)
			}
		})
	}
}

// fill gives key n fields f0 … f(n-1) (a hashtable past 512).
func fill(s *strServer, key string, n int) {
	for i := 0; i < n; i += 100 {
		args := []string{"hset", key}
		for j := i; j < min(i+100, n); j++ {
			args = append(args, "f"+strconv.Itoa(j), "v")
		}
		s.do(args...)
	}
}

// Errors of the field-expiry commands, byte for byte as Redis 7.4 sends
// them (Redis 7.0 has no such commands, so the differential suite cannot
// check them).
func TestHashFieldExpiryErrors(t *testing.T) {
	s := newStrServer(t)
	s.do("hset", "h", "f", "v", "g", "w")
	s.do("set", "str", "x")
	now := time.Now().UnixMilli()
	far := strconv.FormatInt(now+3_600_000, 10)
	// Expire times an hour or more away; t0s is t0 in seconds, rounded up.
	t0, t1, t2 := strconv.FormatInt(now+3_600_500, 10), strconv.FormatInt(now+7_200_000, 10), strconv.FormatInt(now+9_000_000, 10)
	t0s := strconv.FormatInt((now+3_600_500+999)/1000, 10)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"hexpire", "h", "10", "FIELDS", "1", "f"}, "*1\r\n:1\r\n"},
		{[]string{"hexpire", "h", "10", "FIELDS", "2", "f", "nofield"}, "*2\r\n:1\r\n:-2\r\n"},
		{[]string{"hexpire", "nokey", "10", "FIELDS", "2", "f", "g"}, "*2\r\n:-2\r\n:-2\r\n"},
		{[]string{"hexpire", "str", "10", "FIELDS", "1", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"hexpire", "str", "x", "FIELDS", "1", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"hexpire", "h", "x", "FIELDS", "1", "f"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"hexpire", "h", "-1", "FIELDS", "1", "f"}, "-ERR invalid expire time, must be >= 0\r\n"},
		{[]string{"hexpire", "h", "70368744177664", "FIELDS", "1", "f"}, "-ERR invalid expire time in 'hexpire' command\r\n"},
		{[]string{"hpexpireat", "h", "70368744177664", "FIELDS", "1", "f"}, "-ERR invalid expire time in 'hpexpireat' command\r\n"},
		{[]string{"hpexpire", "h", "70368744177663", "FIELDS", "1", "f"}, "-ERR invalid expire time in 'hpexpire' command\r\n"},
		{[]string{"hexpire", "h", "10", "FIELD", "1", "f"}, "-" + hfeNoFields + "\r\n"},
		{[]string{"hexpire", "h", "10", "NX", "XX", "FIELDS", "1", "f"}, "-" + hfeNoFields + "\r\n"},
		{[]string{"hexpire", "h", "10", "BOGUS", "FIELDS", "1", "f"}, "-" + hfeNoFields + "\r\n"},
		{[]string{"hexpire", "h", "10", "FIELDS", "0", "f"}, "-ERR Parameter `numFields` should be greater than 0\r\n"},
		{[]string{"hexpire", "h", "10", "FIELDS", "x", "f"}, "-ERR Parameter `numFields` should be greater than 0\r\n"},
		{[]string{"hexpire", "h", "10", "FIELDS", "2", "f"}, "-" + hfeMismatch + "\r\n"},
		{[]string{"hexpire", "h", "10", "FIELDS", "1", "f", "g"}, "-" + hfeMismatch + "\r\n"},
		{[]string{"hexpire", "h", "10", "FIELDS", "1"}, "-ERR wrong number of arguments for 'hexpire' command\r\n"},
		{[]string{"httl", "h", "FIELDS", "1"}, "-ERR wrong number of arguments for 'httl' command\r\n"},
		{[]string{"httl", "h", "NOTFIELDS", "1", "f"}, "-" + hfeNoFields + "\r\n"},
		{[]string{"httl", "h", "FIELDS", "0", "f"}, "-ERR Number of fields must be a positive integer\r\n"},
		{[]string{"hpersist", "h", "FIELDS", "x", "f"}, "-ERR Number of fields must be a positive integer\r\n"},
		{[]string{"httl", "h", "FIELDS", "1", "f", "g"}, "-" + hfeMismatch + "\r\n"},
		{[]string{"httl", "str", "FIELDS", "1", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"httl", "nokey", "FIELDS", "2", "f", "g"}, "*2\r\n:-2\r\n:-2\r\n"},
		{[]string{"hpersist", "nokey", "FIELDS", "1", "f"}, "*1\r\n:-2\r\n"},
		{[]string{"httl", "h", "FIELDS", "3", "f", "g", "nofield"}, "*3\r\n:10\r\n:-1\r\n:-2\r\n"},
		{[]string{"hpexpireat", "h", far, "FIELDS", "1", "g"}, "*1\r\n:1\r\n"},
		{[]string{"hpexpiretime", "h", "FIELDS", "1", "g"}, "*1\r\n:" + far + "\r\n"},
		{[]string{"hpersist", "h", "FIELDS", "3", "f", "g", "nofield"}, "*3\r\n:1\r\n:1\r\n:-2\r\n"},
		{[]string{"hpersist", "h", "FIELDS", "1", "f"}, "*1\r\n:-1\r\n"},
		{[]string{"httl", "h", "FIELDS", "1", "f"}, "*1\r\n:-1\r\n"},
		// Conditions (absolute times, so the test does not depend on the
		// clock): a field without a TTL counts as never expiring.
		{[]string{"hpexpireat", "h", t1, "XX", "FIELDS", "1", "f"}, "*1\r\n:0\r\n"},
		{[]string{"hpexpireat", "h", t1, "GT", "FIELDS", "1", "f"}, "*1\r\n:0\r\n"},
		{[]string{"hpexpireat", "h", t1, "LT", "FIELDS", "1", "f"}, "*1\r\n:1\r\n"},
		{[]string{"hpexpireat", "h", t1, "NX", "FIELDS", "2", "f", "g"}, "*2\r\n:0\r\n:1\r\n"},
		{[]string{"hpexpireat", "h", t1, "GT", "FIELDS", "1", "f"}, "*1\r\n:0\r\n"},
		{[]string{"hpexpireat", "h", t2, "gt", "FIELDS", "1", "f"}, "*1\r\n:1\r\n"},
		{[]string{"hpexpireat", "h", t2, "LT", "FIELDS", "1", "f"}, "*1\r\n:0\r\n"},
		{[]string{"hpexpireat", "h", t0, "lt", "FIELDS", "1", "f"}, "*1\r\n:1\r\n"},
		{[]string{"hpexpireat", "h", t0, "XX", "FIELDS", "1", "f"}, "*1\r\n:1\r\n"},
		{[]string{"hpexpiretime", "h", "FIELDS", "2", "f", "g"}, "*2\r\n:" + t0 + "\r\n:" + t1 + "\r\n"},
		{[]string{"hexpiretime", "h", "FIELDS", "1", "f"}, "*1\r\n:" + t0s + "\r\n"},
		// HINCRBY keeps the TTL, HSET drops it.
		{[]string{"hset", "h", "n", "1"}, ":1\r\n"},
		{[]string{"hexpire", "h", "100", "FIELDS", "1", "n"}, "*1\r\n:1\r\n"},
		{[]string{"hincrby", "h", "n", "1"}, ":2\r\n"},
		{[]string{"hincrbyfloat", "h", "n", "0.5"}, "$3\r\n2.5\r\n"},
		{[]string{"httl", "h", "FIELDS", "1", "n"}, "*1\r\n:100\r\n"},
		{[]string{"hsetnx", "h", "n", "x"}, ":0\r\n"},
		{[]string{"httl", "h", "FIELDS", "1", "n"}, "*1\r\n:100\r\n"},
		{[]string{"hset", "h", "n", "3"}, ":0\r\n"},
		{[]string{"httl", "h", "FIELDS", "1", "n"}, "*1\r\n:-1\r\n"},
		{[]string{"object", "encoding", "h"}, "$10\r\nlistpackex\r\n"},
		// A time not in the future deletes the field; the last one takes the key.
		{[]string{"hexpire", "h", "0", "FIELDS", "2", "f", "nofield"}, "*2\r\n:2\r\n:-2\r\n"},
		{[]string{"hpexpireat", "h", "1", "FIELDS", "2", "g", "n"}, "*2\r\n:2\r\n:2\r\n"},
		{[]string{"exists", "h"}, ":0\r\n"},
	}
	for _, tt := range tests {
		if got := s.do(tt.args...); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
}
