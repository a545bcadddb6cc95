package command_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// rename-command acts as in Redis: a command answers to its new name only,
// in MULTI and scripts too, and not at all when renamed to ""; ACL rules
// name commands by their own names.
func TestRenameCommandLikeRedis(t *testing.T) {
	t.Parallel()
	args := []string{"--rename-command", "flushdb", "badger", "--rename-command", "KEYS", "",
		"--rename-command", "get", "fetch", "--rename-command", "badger", "Mole"}
	run := func(addr string) []string {
		ctx := context.Background()
		r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
		defer r.Close()
		var out []string
		for _, a := range [][]any{
			{"SET", "k", "v"}, {"GET", "k"}, {"FETCH", "k"}, {"fetch", "k"}, {"KEYS", "*"},
			{"FLUSHDB"}, {"BADGER"}, {"EXISTS", "k"}, {"SET", "k", "v"},
			{"MULTI"}, {"FETCH", "k"}, {"GET", "k"}, {"EXEC"},
			{"MULTI"}, {"FETCH", "k"}, {"MOLE"}, {"EXEC"}, {"EXISTS", "k"}, {"SET", "k", "v"},
			{"EVAL", "return redis.call('fetch', 'k')", "0"},
			{"EVAL", "return redis.pcall('get', 'k') == nil", "0"},
			{"COMMAND", "INFO", "get", "keys", "flushdb", "badger"},
			{"COMMAND", "GETKEYS", "FETCH", "k"},
			{"ACL", "SETUSER", "u", "on", "nopass", "+badger"}, {"ACL", "SETUSER", "u", "on", "nopass", "+flushdb"},
			{"ACL", "DRYRUN", "u", "flushdb"}, {"ACL", "DRYRUN", "u", "mole"},
		} {
			v, err := r.Do(ctx, a...).Result()
			out = append(out, fmt.Sprint(a, " -> ", v, " ", err))
		}
		// COMMAND INFO of the new name describes the command under its own
		// name, as Redis's fullname.
		info, err := r.Do(ctx, "COMMAND", "INFO", "fetch", "mole").Slice()
		if err != nil || len(info) != 2 {
			t.Fatalf("COMMAND INFO fetch mole = %v, %v", info, err)
		}
		for _, e := range info {
			out = append(out, fmt.Sprint("COMMAND INFO name: ", e.([]any)[0]))
		}
		return out
	}
	want := run(testserver.StartRedis(t, args...))
	addr, _ := testserver.Start(t, args...)
	got := run(addr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nRedis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
