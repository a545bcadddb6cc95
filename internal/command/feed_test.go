package command

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/store"
)

// TestCommandChanges checks what each command reports to the change feed
// (delivered by Exec before it returns, as the next command of the client
// relies on) and adds to the dirty counter, against Redis 7.0.15's
// rdb_changes_since_last_save where the commands count keys.
func TestCommandChanges(t *testing.T) {
	tests := []struct {
		setup [][]string
		cmd   []string
		want  string // "db/key/kind" joined by spaces
		dirty int64
	}{
		{nil, []string{"set", "k", "v"}, "0/k/set", 1},
		{[][]string{{"set", "k", "v"}}, []string{"set", "k", "w", "nx"}, "", 0},
		{nil, []string{"set", "k", "v", "ex", "100"}, "0/k/set", 1},
		{nil, []string{"mset", "a", "1", "b", "2", "c", "3"}, "0/a/set 0/b/set 0/c/set", 3},
		{[][]string{{"set", "a", "1"}, {"set", "b", "1"}}, []string{"del", "a", "b", "x"}, "0/a/del 0/b/del", 2},
		{[][]string{{"set", "k", "v"}}, []string{"getdel", "k"}, "0/k/del", 1},
		{[][]string{{"set", "k", "v"}}, []string{"getex", "k"}, "", 0},
		{[][]string{{"set", "k", "v"}}, []string{"expire", "k", "100"}, "0/k/set", 1},
		{[][]string{{"set", "k", "v"}}, []string{"expire", "k", "-1"}, "0/k/del", 1},
		{[][]string{{"set", "k", "v"}}, []string{"persist", "k"}, "", 0},
		{[][]string{{"set", "k", "v"}}, []string{"append", "k", "x"}, "0/k/set", 1},
		{[][]string{{"set", "k", "1"}}, []string{"incr", "k"}, "0/k/set", 1},
		{[][]string{{"set", "k", "x"}}, []string{"incr", "k"}, "", 0},
		{[][]string{{"set", "k", "1"}}, []string{"setrange", "k", "0", ""}, "", 0},
		{[][]string{{"set", "k", "1"}}, []string{"setbit", "k", "0", "0"}, "", 0},
		{[][]string{{"set", "k", "1"}}, []string{"setbit", "k", "0", "1"}, "0/k/set", 1},
		{nil, []string{"bitop", "or", "d", "nokey"}, "", 0},
		{[][]string{{"set", "k", "1"}}, []string{"bitop", "or", "d", "k"}, "0/d/set", 1},
		{[][]string{{"set", "a", "v"}, {"set", "b", "v"}}, []string{"rename", "a", "b"}, "0/a/rename_from 0/b/rename_to", 1},
		{[][]string{{"set", "a", "v"}}, []string{"rename", "a", "a"}, "", 0},
		{[][]string{{"set", "a", "v"}, {"set", "b", "v"}}, []string{"renamenx", "a", "b"}, "", 0},
		{[][]string{{"set", "a", "v"}}, []string{"move", "a", "3"}, "0/a/move_from 3/a/move_to", 1},
		{[][]string{{"set", "a", "v"}}, []string{"copy", "a", "b", "db", "2"}, "2/b/copy_to", 1},
		{nil, []string{"swapdb", "0", "1"}, "0//swap 1//swap", 1},
		{[][]string{{"set", "a", "v"}, {"set", "b", "v"}}, []string{"flushdb"}, "0//flush", 2},
		{[][]string{{"set", "a", "v"}}, []string{"flushall", "async"}, flushAllChanges(), 1},
		{nil, []string{"hset", "h", "f", "v", "g", "w"}, "0/h/set", 1},
		{[][]string{{"hset", "h", "f", "v"}}, []string{"hdel", "h", "nofield"}, "", 0},
		{[][]string{{"hset", "h", "f", "v"}}, []string{"hdel", "h", "f"}, "0/h/del", 1},
		{[][]string{{"hset", "h", "f", "v"}}, []string{"hsetnx", "h", "f", "w"}, "", 0},
		{[][]string{{"hset", "h", "f", "9223372036854775807"}}, []string{"hincrby", "h", "f", "1"}, "", 0},
		{[][]string{{"hset", "h", "f", "v"}}, []string{"hpersist", "h", "fields", "1", "f"}, "", 0},
		{[][]string{{"hset", "h", "f", "v"}}, []string{"hexpire", "h", "100", "fields", "1", "f"}, "0/h/set", 1},
		{[][]string{{"sadd", "s", "a"}}, []string{"sadd", "s", "a"}, "", 0},
		{[][]string{{"sadd", "s", "a"}}, []string{"srem", "s", "b"}, "", 0},
		{[][]string{{"sadd", "s", "a", "b"}}, []string{"srem", "s", "b"}, "0/s/set", 1},
		{[][]string{{"sadd", "s", "a"}}, []string{"spop", "s"}, "0/s/del", 1},
		{[][]string{{"sadd", "s", "a"}, {"sadd", "t", "b"}}, []string{"sinterstore", "d", "s", "t"}, "", 0},
		{[][]string{{"sadd", "s", "a"}, {"sadd", "t", "a"}}, []string{"sinterstore", "d", "s", "t"}, "0/d/set", 1},
		{[][]string{{"sadd", "s", "a"}}, []string{"smove", "s", "t", "a"}, "0/s/del 0/t/set", 2},
		{[][]string{{"sadd", "s", "a"}}, []string{"smembers", "s"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.cmd, " "), func(t *testing.T) {
			s := newStrServer(t)
			for _, c := range tt.setup {
				s.do(c...)
			}
			var got []string
			cancel := s.srv.KS.Listen(func(b []store.Change) {
				for _, c := range b {
					got = append(got, fmt.Sprintf("%d/%s/%s", c.DB, c.Key, c.Kind))
				}
			})
			defer cancel()
			before := s.srv.KS.Changes()
			reply := s.do(tt.cmd...)
			// No Drain here: Exec must have delivered already.
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("changes %q, want %q (reply %q)", g, tt.want, reply)
			}
			if d := s.srv.KS.Changes() - before; d != tt.dirty {
				t.Errorf("dirty +%d, want +%d", d, tt.dirty)
			}
		})
	}
}

func flushAllChanges() string {
	var parts []string
	for i := range 16 {
		parts = append(parts, fmt.Sprintf("%d//flush", i))
	}
	return strings.Join(parts, " ")
}

// INFO persistence reports the dirty counter; CONFIG RESETSTAT keeps it.
func TestInfoChangesSinceLastSave(t *testing.T) {
	s := newStrServer(t)
	field := func() string {
		for _, line := range strings.Split(s.do("info", "persistence"), "\r\n") {
			if v, ok := strings.CutPrefix(line, "rdb_changes_since_last_save:"); ok {
				return v
			}
		}
		t.Fatal("no rdb_changes_since_last_save")
		return ""
	}
	steps := []struct {
		cmd  []string
		want string
	}{
		{nil, "0"},
		{[]string{"set", "a", "1"}, "1"},
		{[]string{"mset", "a", "1", "b", "2"}, "3"},
		{[]string{"config", "resetstat"}, "3"},
		{[]string{"del", "a", "b"}, "5"},
	}
	for _, st := range steps {
		if st.cmd != nil {
			s.do(st.cmd...)
		}
		if got := field(); got != st.want {
			t.Fatalf("after %v: %s, want %s", st.cmd, got, st.want)
		}
	}
	if !slices.Contains(strings.Split(s.do("info", "persistence"), "\r\n"), "rdb_changes_since_last_save:5") {
		t.Fatal("field format")
	}
}
