package command

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/store"
)

// DEBUG OBJECT answers Redis's line; its address stays the same while a
// command changes the value in place (Redis's tests compare it around INCR).
func TestDebugObject(t *testing.T) {
	cfg, err := config.Parse([]string{"--enable-debug-command", "yes"})
	if err != nil {
		t.Fatal(err)
	}
	s := newStrServer(t)
	s.srv = NewServer(cfg, store.New(16))
	s.do("set", "n", "20000")
	before := s.do("debug", "object", "n")
	line := regexp.MustCompile(`^\+Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:3 lru:\d+ lru_seconds_idle:\d+\r\n$`)
	if !line.MatchString(before) {
		t.Fatalf("DEBUG OBJECT n = %q", before)
	}
	s.do("incr", "n")
	if after := s.do("debug", "object", "n"); strings.Fields(after)[1] != strings.Fields(before)[1] {
		t.Fatalf("address changed: %q then %q", before, after)
	}
	if got := s.do("debug", "object", "other"); got != "-ERR no such key\r\n" {
		t.Fatalf("missing key: %q", got)
	}
	s.do("set", "small", "5")
	if got := s.do("debug", "object", "small"); !strings.Contains(got, "refcount:2147483647 ") {
		t.Fatalf("shared integer: %q", got)
	}
	s.do(bigListArgs("rpush", "big", 5000)...)
	got := s.do("debug", "object", "big")
	if !regexp.MustCompile(`encoding:quicklist serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+ ql_nodes:\d+ ql_avg_node:\d+\.\d\d ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:\d+\r\n$`).MatchString(got) {
		t.Fatalf("quicklist: %q", got)
	}
}

// DEBUG RELOAD builds every value again from its DUMP payload: encodings
// become what a load picks, contents and TTLs stay.
func TestDebugReload(t *testing.T) {
	cfg, err := config.Parse([]string{"--enable-debug-command", "yes"})
	if err != nil {
		t.Fatal(err)
	}
	s := newStrServer(t)
	s.srv = NewServer(cfg, store.New(16))
	args := []string{"sadd", "s"}
	for i := range 200 {
		args = append(args, "m"+strconv.Itoa(i))
	}
	s.do(args...)
	for i := 3; i < 200; i++ {
		s.do("srem", "s", "m"+strconv.Itoa(i))
	}
	s.do("expire", "s", "1000")
	s.do("rpush", "l", "a", "b", "c")
	if got := s.do("object", "encoding", "s"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("before: %q", got)
	}
	before := s.do("debug", "digest")
	if got := s.do("debug", "reload"); got != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD = %q", got)
	}
	if got := s.do("object", "encoding", "s"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("after: %q", got)
	}
	if after := s.do("debug", "digest"); after != before {
		t.Fatalf("digest %q, was %q", after, before)
	}
	if ttl := s.do("ttl", "s"); ttl == ":-1\r\n" || ttl == ":-2\r\n" {
		t.Fatalf("TTL lost: %q", ttl)
	}
	if got := s.do("debug", "reload", "bogus"); got != "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n" {
		t.Fatalf("bad option: %q", got)
	}
}
