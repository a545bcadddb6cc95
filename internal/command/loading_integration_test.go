package command_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/server"
	"github.com/smallredis/smallredis/internal/testserver"
)

// loadingDump has Redis write an RDB file of n keys of 100 bytes, so both
// servers load the same file.
func loadingDump(t *testing.T, n int) []byte {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	r := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t, "--dir", dir), Protocol: 2})
	defer r.Close()
	if err := r.Do(ctx, "DEBUG", "POPULATE", n, "key", 100).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// slowLoadArgs start a server on dir whose dump.rdb (data) loads slowly,
// with save points (which a load must never act on).
func slowLoadArgs(t *testing.T, data []byte) (dir string, args []string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"--dir", dir, "--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024",
		"--enable-protected-configs", "yes", "--save", "3600 1"}
}

// noRetry is a one-connection client that shows -LOADING instead of
// retrying on it, as go-redis does by default.
func noRetry(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, MaxRetries: -1})
}

func lineField(info, name string) (string, bool) {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v, true
		}
	}
	return "", false
}

// While the RDB file loads, both servers accept connections and answer
// alike: -LOADING for what needs the data (PING too), the ok-loading
// commands as usual, CONFIG SET of dir refused with -LOADING, a MULTI that
// queued a refused command aborted, INFO's loading fields; once loaded the
// data is there, the load counted as no change, and a key WATCHed during
// the load is not dirtied by it.
func TestLoadingLikeRedis(t *testing.T) {
	t.Parallel()
	const keys = 30000
	data := loadingDump(t, keys)
	run := func(addr string) []string {
		ctx := context.Background()
		r := noRetry(addr)
		defer r.Close()
		var out []string
		do := func(args ...any) {
			v, err := r.Do(ctx, args...).Result()
			out = append(out, fmt.Sprint(args, " -> ", v, " ", err))
		}
		info := r.Info(ctx, "persistence").Val()
		if v, _ := lineField(info, "loading"); v != "1" {
			t.Fatalf("%s: not loading at start:\n%s", addr, info)
		}
		for _, f := range []string{"loading_start_time", "loading_rdb_used_mem", "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds"} {
			if _, ok := lineField(info, f); !ok {
				t.Errorf("%s: INFO persistence lacks %s while loading", addr, f)
			}
		}
		if v, _ := lineField(info, "loading_total_bytes"); v != fmt.Sprint(len(data)) {
			t.Errorf("%s: loading_total_bytes %s, want the file's %d", addr, v, len(data))
		}
		for _, args := range [][]any{
			{"PING"}, {"GET", "key:1"}, {"DBSIZE"}, {"SET", "a", "b"}, {"TYPE", "key:1"}, {"SCAN", "0"},
			{"EVAL", "return 1", "0"}, {"FLUSHALL"}, {"SAVE"}, {"BGSAVE"}, {"OBJECT", "ENCODING", "key:1"},
			{"MEMORY", "USAGE", "key:1"}, {"GET"}, {"NOSUCHCOMMAND"},
			{"CONFIG", "SET", "loglevel", "debug"}, {"CONFIG", "GET", "loglevel"},
			{"CONFIG", "SET", "dir", "/tmp"}, {"CONFIG", "SET", "appendonly", "yes"},
			{"CONFIG", "SET", "loglevel", "notice", "dir", "/tmp"}, {"CONFIG", "GET", "loglevel"},
			{"CONFIG", "SET", "nosuchconfig", "1", "dir", "/tmp"},
			{"ECHO", "hi"}, {"SELECT", "1"}, {"SELECT", "0"}, {"CLIENT", "SETNAME", "loader"}, {"CLIENT", "GETNAME"},
			{"PUBLISH", "ch", "m"}, {"ACL", "WHOAMI"}, {"DEBUG", "LOG", "loading"},
			{"AUTH", "nopass"},
			{"MULTI"}, {"GET", "key:1"}, {"ECHO", "x"}, {"EXEC"},
			{"MULTI"}, {"ECHO", "x"}, {"EXEC"},
			{"WATCH", "key:1"},
		} {
			do(args...)
		}
		if v, _ := lineField(r.Info(ctx, "persistence").Val(), "loading"); v != "1" {
			t.Fatalf("%s: the load ended before the checks did: make it slower", addr)
		}
		// Redis's tests end a slow load this way: the knob is read per key.
		do("CONFIG", "SET", "key-load-delay", "0")
		waitInfo(t, r, 30*time.Second, "\nloading:0")
		for _, args := range [][]any{
			{"MULTI"}, {"GET", "key:1"}, {"EXEC"},
			{"DBSIZE"}, {"GET", "key:29999"}, {"PING"},
		} {
			do(args...)
		}
		info = r.Info(ctx, "persistence").Val()
		for _, f := range []string{"rdb_changes_since_last_save", "rdb_last_load_keys_loaded", "rdb_last_load_keys_expired", "loading_total_bytes"} {
			v, _ := lineField(info, f)
			out = append(out, f+":"+v)
		}
		return out
	}
	_, args := slowLoadArgs(t, data)
	want := run(testserver.StartRedis(t, args...))
	_, args = slowLoadArgs(t, data)
	addr, _ := testserver.StartLoading(t, args...)
	got := run(addr)
	if len(got) != len(want) {
		t.Fatalf("%d replies, Redis %d:\n%s\nRedis:\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reply %d:\n got  %s\n want %s", i, got[i], want[i])
		}
	}
}

// shutDown stops srv with the SHUTDOWN command or as SIGTERM does, and
// waits for it to stop.
func shutDown(t *testing.T, how, addr string, srv *server.Server) {
	t.Helper()
	if how == "SHUTDOWN" {
		c := noRetry(addr)
		defer c.Close()
		if err := c.Do(context.Background(), "SHUTDOWN").Err(); err == nil || strings.Contains(err.Error(), "ERR") {
			t.Fatalf("SHUTDOWN = %v, want the connection closed", err)
		}
	} else if !srv.ShutdownOnSignal(true) {
		t.Fatal("SIGTERM refused to shut down")
	}
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
}

// SHUTDOWN, and a signal, during a load exit without saving, as in Redis:
// a save would write the half-loaded dataset over the file being loaded.
func TestShutdownWhileLoadingSavesNothing(t *testing.T) {
	t.Parallel()
	data := loadingDump(t, 20000)
	for _, how := range []string{"SHUTDOWN", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			dir, args := slowLoadArgs(t, data)
			addr, srv := testserver.StartLoading(t, args...)
			r := noRetry(addr)
			defer r.Close()
			ctx := context.Background()
			if v, _ := lineField(r.Info(ctx, "persistence").Val(), "loading"); v != "1" {
				t.Fatal("not loading")
			}
			shutDown(t, how, addr, srv)
			after, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
			if err != nil || !bytes.Equal(after, data) {
				t.Fatalf("dump.rdb changed by a shutdown during the load (%d bytes, was %d; %v)", len(after), len(data), err)
			}
		})
	}
}

// Every write acknowledged before a shutdown's final save is in the file,
// and none is acknowledged after it: the save holds the world gate and the
// server answers nothing more once it is written, as Redis exits after it.
func TestShutdownSaveHasEveryAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"SHUTDOWN", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			addr, srv := testserver.Start(t, "--dir", dir, "--save", "3600 1")
			const writers = 8
			var acked [writers]atomic.Int64
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := noRetry(addr)
					defer c.Close()
					key := fmt.Sprint("w:", i)
					for {
						cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
							for range 16 {
								p.Incr(ctx, key)
							}
							return nil
						})
						if err != nil {
							return
						}
						acked[i].Store(cmds[len(cmds)-1].(*redis.IntCmd).Val())
					}
				}()
			}
			time.Sleep(300 * time.Millisecond)
			shutDown(t, how, addr, srv)
			wg.Wait()
			r := redis.NewClient(&redis.Options{Addr: func() string { a, _ := testserver.Start(t, "--dir", dir); return a }(), Protocol: 2})
			defer r.Close()
			for i := range writers {
				got, _ := r.Get(ctx, fmt.Sprint("w:", i)).Int64()
				if want := acked[i].Load(); want == 0 || got < want {
					t.Errorf("w:%d is %d in the saved file, but %d was acknowledged", i, got, want)
				}
			}
		})
	}
}

// A save writes the keys past their TTL that the keyspace still holds (as
// Redis's writes its dict) and the next start skips and counts them:
// Redis's "Test RDB load info".
func TestLoadCountsExpiredLikeRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := func(start func(dir string) string) string {
		dir := t.TempDir()
		r := redis.NewClient(&redis.Options{Addr: start(dir), Protocol: 2, PoolSize: 1})
		defer r.Close()
		r.Do(ctx, "DEBUG", "POPULATE", 100)
		r.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		for j := range 64 {
			r.Do(ctx, "SELECT", j%16)
			r.Do(ctx, "SET", j, "v", "PX", 10)
		}
		time.Sleep(30 * time.Millisecond)
		if err := r.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		again := redis.NewClient(&redis.Options{Addr: start(dir), Protocol: 2})
		defer again.Close()
		info := waitInfo(t, again, 10*time.Second, "\nloading:0")
		loaded, _ := lineField(info, "rdb_last_load_keys_loaded")
		expired, _ := lineField(info, "rdb_last_load_keys_expired")
		return "loaded " + loaded + ", expired " + expired
	}
	want := run(func(dir string) string { return testserver.StartRedis(t, "--dir", dir) })
	got := run(func(dir string) string { a, _ := testserver.Start(t, "--dir", dir); return a })
	if got != want || want != "loaded 100, expired 64" {
		t.Errorf("ours %s; Redis %s", got, want)
	}
}
