package command_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// waitInfo polls INFO persistence until every want line is in it.
func waitInfo(t *testing.T, r *redis.Client, within time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		info, _ := r.Do(context.Background(), "INFO", "persistence").Text()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(info, w+"\r\n")
		}
		if ok {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("INFO persistence lacks %q after %v:\n%s", want, within, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A save point starts a BGSAVE by itself once its seconds have passed with
// its changes made; a failing one is retried and, until one succeeds,
// writes are refused with MISCONF; a start loads what it saved.
func TestSavePointsSaveByThemselves(t *testing.T) {
	t.Parallel() // most of it is waiting for the save points
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	addr, _ := testserver.Start(t, "--dir", dir, "--save", "1 2")
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	if got, _ := r.ConfigGet(ctx, "save").Result(); got["save"] != "1 2" {
		t.Fatalf("CONFIG GET save = %v", got)
	}
	r.Set(ctx, "one", "1", 0)
	time.Sleep(2500 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil {
		t.Fatal("saved after one change where the point asks for two")
	}
	r.Set(ctx, "two", "2", 0)
	waitInfo(t, r, 5*time.Second, "rdb_saves:1", "rdb_bgsave_in_progress:0", "rdb_last_bgsave_status:ok", "rdb_changes_since_last_save:0")
	if fi, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil || fi.Size() == 0 {
		t.Fatalf("no dump.rdb after the save point: %v", err)
	}

	// The directory goes: the next point's BGSAVE fails, and writes stop.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r.Set(ctx, "three", "3", 0)
	r.Set(ctx, "four", "4", 0)
	waitInfo(t, r, 5*time.Second, "rdb_last_bgsave_status:err", "rdb_bgsave_in_progress:0")
	if err := r.Set(ctx, "five", "5", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF ") {
		t.Fatalf("SET after a failed BGSAVE: %v", err)
	}
	if err := r.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF ") {
		t.Fatalf("PING after a failed BGSAVE: %v", err)
	}
	if v, err := r.Get(ctx, "four").Result(); err != nil || v != "4" {
		t.Fatalf("GET after a failed BGSAVE: %q %v", v, err)
	}
	r.ConfigSet(ctx, "stop-writes-on-bgsave-error", "no")
	if err := r.Set(ctx, "five", "5", 0).Err(); err != nil {
		t.Fatalf("SET with stop-writes-on-bgsave-error no: %v", err)
	}
	r.ConfigSet(ctx, "stop-writes-on-bgsave-error", "yes")

	// The directory is back: a retry (5 s after the failed try) succeeds
	// and writes flow again.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, r, 10*time.Second, "rdb_last_bgsave_status:ok", "rdb_bgsave_in_progress:0")
	if err := r.MSet(ctx, "six", "6", "seven", "7").Err(); err != nil {
		t.Fatalf("MSET after a successful retry: %v", err)
	}
	waitInfo(t, r, 5*time.Second, "rdb_changes_since_last_save:0", "rdb_bgsave_in_progress:0")

	// A start in that directory loads what the last point saved.
	addr2, _ := testserver.Start(t, "--dir", dir)
	r2 := redis.NewClient(&redis.Options{Addr: addr2})
	defer r2.Close()
	if n, _ := r2.DBSize(ctx).Result(); n != 7 {
		keys, _ := r2.Keys(ctx, "*").Result()
		t.Fatalf("after a start: %d keys %v, want 7", n, keys)
	}
}

// With save points, SHUTDOWN saves unless NOSAVE, and FLUSHALL writes the
// emptied dataset at once (no change left unsaved), as Redis.
func TestSavePointsShutdownAndFlushall(t *testing.T) {
	t.Parallel() // most of it is waiting for the save points
	ctx := context.Background()
	dir := t.TempDir()
	start := func(args ...string) *redis.Client {
		addr, _ := testserver.Start(t, append([]string{"--dir", dir}, args...)...)
		r := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { r.Close() })
		return r
	}
	r := start("--save", "3600 1")
	r.Set(ctx, "k", "v", 0)
	r.Do(ctx, "SHUTDOWN")
	if r.Ping(ctx).Err() == nil {
		t.Fatal("still up after SHUTDOWN")
	}
	r = start("--save", "3600 1")
	if v, _ := r.Get(ctx, "k").Result(); v != "v" {
		t.Fatalf("SHUTDOWN with save points did not save: GET k = %q", v)
	}
	r.Set(ctx, "lost", "x", 0)
	r.Do(ctx, "SHUTDOWN", "NOSAVE")
	r = start("--save", "3600 1")
	if n, _ := r.Exists(ctx, "lost").Result(); n != 0 {
		t.Fatal("SHUTDOWN NOSAVE saved")
	}
	r.Do(ctx, "FLUSHALL")
	waitInfo(t, r, time.Second, "rdb_changes_since_last_save:0")
	r.Set(ctx, "after", "x", 0)
	r.Do(ctx, "SHUTDOWN", "NOSAVE")
	r = start()
	if n, _ := r.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("FLUSHALL with save points left %d keys in the file", n)
	}
	// Without save points SHUTDOWN does not save, and FLUSHALL counts the
	// keys it removed (2 SETs + 2 keys).
	r.Set(ctx, "a", "1", 0)
	r.Set(ctx, "b", "2", 0)
	r.Do(ctx, "FLUSHALL")
	waitInfo(t, r, time.Second, "rdb_changes_since_last_save:4")
	r.Set(ctx, "c", "3", 0)
	r.Do(ctx, "SHUTDOWN")
	r = start()
	if n, _ := r.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("SHUTDOWN without save points saved %d keys", n)
	}
}

// What a failed BGSAVE does to each kind of command, compared reply for
// reply with Redis: writes, PING, MULTI, scripts with and without flags,
// PUBLISH, reads, a failing SAVE.
func TestMisconfLikeRedis(t *testing.T) {
	t.Parallel() // most of it is waiting for the save points
	run := func(addr, dir string) []string {
		ctx := context.Background()
		r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		defer r.Close()
		r.Set(ctx, "a", "1", 0)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		r.BgSave(ctx)
		waitInfo(t, r, 10*time.Second, "rdb_bgsave_in_progress:0", "rdb_last_bgsave_status:err")
		var out []string
		add := func(c redis.Cmder) {
			out = append(out, fmt.Sprint(c.Args(), " -> ", strings.TrimPrefix(c.String(), fmt.Sprint(c.Args()...)), c.Err()))
		}
		for _, args := range [][]any{
			{"SET", "b", "2"}, {"PING"}, {"GET", "a"}, {"DEL", "a"}, {"INCR", "n"},
			{"EVAL", "return 1", "0"},
			{"EVAL", "#!lua\nreturn 1", "0"},
			{"EVAL", "#!lua flags=no-writes\nreturn 1", "0"},
			{"EVAL", "return redis.call('set','x','1')", "0"},
			{"EVAL", "return redis.call('get','a')", "0"},
			{"PUBLISH", "c", "m"}, {"FLUSHALL"}, {"SAVE"}, {"CONFIG", "SET", "maxmemory", "0"},
		} {
			add(r.Do(ctx, args...))
		}
		cmds, _ := r.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "x", "1", 0)
			p.Get(ctx, "a")
			return nil
		})
		for _, c := range cmds {
			add(c)
		}
		cmds, _ = r.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, "a")
			return nil
		})
		for _, c := range cmds {
			add(c)
		}
		return out
	}
	mkdir := func() string {
		d := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	rdir, odir := mkdir(), mkdir()
	want := run(testserver.StartRedis(t, "--dir", rdir, "--save", "3600 1"), rdir)
	oaddr, _ := testserver.Start(t, "--dir", odir, "--save", "3600 1")
	got := run(oaddr, odir)
	if len(got) < 17 {
		t.Fatalf("only %d replies", len(got))
	}
	if testing.Verbose() {
		t.Log("\n" + strings.Join(got, "\n"))
	}
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("reply %d:\n  redis:      %s\n  smallredis: %s", i, w, g)
		}
	}
}

// rdb-key-save-delay slows each key a save writes, as Redis's test knob:
// a BGSAVE of 20 keys at 100 ms each is still running after 200 ms, and
// FLUSHALL stops it (Redis's "Test FLUSHALL aborts bgsave").
func TestRDBKeySaveDelayLikeRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := func(addr string) []string {
		r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		defer r.Close()
		for i := range 20 {
			r.Set(ctx, fmt.Sprint(i), i, 0)
		}
		r.ConfigSet(ctx, "rdb-key-save-delay", "100000")
		out := []string{r.BgSave(ctx).Val()}
		time.Sleep(200 * time.Millisecond)
		info := r.Info(ctx, "persistence").Val()
		out = append(out, fmt.Sprint("in progress: ", strings.Contains(info, "rdb_bgsave_in_progress:1\r\n")))
		out = append(out, r.FlushAll(ctx).Val())
		start := time.Now()
		waitInfo(t, r, 3*time.Second, "rdb_bgsave_in_progress:0")
		out = append(out, fmt.Sprint("stopped within 1 s: ", time.Since(start) < time.Second))
		return out
	}
	want := run(testserver.StartRedis(t))
	addr, _ := testserver.Start(t)
	if got := run(addr); fmt.Sprint(got) != fmt.Sprint(want) || want[1] != "in progress: true" {
		t.Errorf("ours %q, Redis %q", got, want)
	}
}
