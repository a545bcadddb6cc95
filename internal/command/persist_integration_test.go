package command_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/server"
	"github.com/smallredis/smallredis/internal/testserver"
)

// fillAllTypes writes every type, in both encodings where there are two, a TTL,
// a second database and a function library.
func fillAllTypes(t *testing.T, ctx context.Context, r *redis.Client) {
	t.Helper()
	p := r.Pipeline()
	p.Set(ctx, "str", "hello", 0)
	p.Set(ctx, "int", 12345, 0)
	p.Set(ctx, "long", strings.Repeat("ab", 300), 0)
	p.Set(ctx, "ttl", "v", time.Hour)
	p.RPush(ctx, "list", "a", "b", 1, 2)
	p.SAdd(ctx, "iset", 1, 2, 3)
	p.SAdd(ctx, "sset", "x", "y")
	p.ZAdd(ctx, "zs", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"})
	p.HSet(ctx, "h", "f1", "v1", "f2", "v2")
	for i := range 700 {
		is := strconv.Itoa(i)
		p.RPush(ctx, "biglist", "element-"+is)
		p.SAdd(ctx, "bigset", "member-"+is)
		p.ZAdd(ctx, "bigz", redis.Z{Score: float64(i) / 3, Member: "m" + is})
		p.HSet(ctx, "bighash", "field-"+is, "value-"+is)
	}
	p.Do(ctx, "FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	r3 := redis.NewClient(&redis.Options{Addr: r.Options().Addr, DB: 3})
	defer r3.Close()
	if err := r3.Set(ctx, "db3key", "three", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func digest(t *testing.T, ctx context.Context, r *redis.Client) string {
	t.Helper()
	d, err := r.Do(ctx, "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// SAVE writes a file Redis 7.0 loads to the same dataset (DEBUG DIGEST,
// functions, TTLs), and a file Redis saved loads here the same way; a
// restart here loads its own file.
func TestSaveLoadWithRedis(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addr, _ := testserver.Start(t, "--dir", dir)
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	fillAllTypes(t, ctx, r)
	want := digest(t, ctx, r)
	if got, err := r.Do(ctx, "SAVE").Text(); err != nil || got != "OK" {
		t.Fatalf("SAVE: %q %v", got, err)
	}
	if n, _ := r.Do(ctx, "INFO", "persistence").Text(); !strings.Contains(n, "rdb_changes_since_last_save:0\r\n") || !strings.Contains(n, "rdb_saves:1\r\n") {
		t.Fatalf("INFO after SAVE: %s", n)
	}
	if last, _ := r.LastSave(ctx).Result(); time.Since(time.Unix(last, 0)) > time.Minute {
		t.Fatalf("LASTSAVE %d", last)
	}

	// Redis loads our file.
	rd := redis.NewClient(&redis.Options{Addr: testserver.StartRedis(t, "--dir", dir)})
	defer rd.Close()
	if got := digest(t, ctx, rd); got != want {
		t.Fatalf("Redis loaded digest %s, want %s", got, want)
	}
	if libs, _ := rd.Do(ctx, "FUNCTION", "LIST").Slice(); len(libs) != 1 {
		t.Fatalf("Redis loaded functions %v", libs)
	}
	if ttl, _ := rd.TTL(ctx, "ttl").Result(); ttl < 59*time.Minute {
		t.Fatalf("TTL in Redis %v", ttl)
	}

	// Redis saves (after a change); a start here loads its file.
	rd.Set(ctx, "fromredis", "1", 0)
	want2 := digest(t, ctx, rd)
	if err := rd.Do(ctx, "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	addr2, _ := testserver.Start(t, "--dir", dir)
	r2 := redis.NewClient(&redis.Options{Addr: addr2})
	defer r2.Close()
	if got := digest(t, ctx, r2); got != want2 {
		t.Fatalf("loaded Redis's file: digest %s, want %s", got, want2)
	}
	if info, _ := r2.Do(ctx, "INFO", "persistence").Text(); !strings.Contains(info, "rdb_last_load_keys_loaded:15\r\n") {
		t.Fatalf("INFO after the load: %s", info)
	}
	if v, _ := r2.FCall(ctx, "f1", nil).Int(); v != 1 {
		t.Fatalf("function after the load: %d", v)
	}
}

// BGSAVE while clients write: the file loads (no key twice, every value
// whole), and holds every key no write touched.
func TestBgsaveUnderWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addr, _ := testserver.Start(t, "--dir", dir)
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	p := r.Pipeline()
	for i := range 20000 {
		p.Set(ctx, "stable:"+strconv.Itoa(i), i, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// The writers stop however the test ends: left running after a
	// failure, they kept the package busy until its timeout.
	stopWriters := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWriters()
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := "hot:" + strconv.Itoa(i%500)
				r.SAdd(ctx, k, strconv.Itoa(w)+":"+strconv.Itoa(i))
				if i%7 == 0 {
					r.Del(ctx, k)
				}
			}
		}()
	}
	if got, err := r.BgSave(ctx).Result(); err != nil || got != "Background saving started" {
		t.Fatalf("BGSAVE: %q %v", got, err)
	}
	if err := r.BgSave(ctx).Err(); err != nil && err.Error() != "ERR Background save already in progress" {
		t.Fatalf("second BGSAVE: %v", err)
	}
	// SCHEDULE during a save runs one more after it (or one now, if the
	// first has ended): two saves at least (three when the second BGSAVE
	// found the first ended and SCHEDULE found the second running).
	if got, err := r.Do(ctx, "BGSAVE", "SCHEDULE").Text(); err != nil ||
		got != "Background saving scheduled" && got != "Background saving started" {
		t.Fatalf("BGSAVE SCHEDULE: %q %v", got, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, _ := r.Do(ctx, "INFO", "persistence").Text()
		if strings.Contains(info, "rdb_bgsave_in_progress:0") && persistInt(info, "rdb_saves") >= 2 {
			if !strings.Contains(info, "rdb_last_bgsave_status:ok") {
				t.Fatalf("bgsave failed: %s", info)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("BGSAVE did not end: %s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopWriters()
	addr2, _ := testserver.Start(t, "--dir", dir)
	r2 := redis.NewClient(&redis.Options{Addr: addr2})
	defer r2.Close()
	keys, err := r2.Keys(ctx, "stable:*").Result()
	if err != nil || len(keys) != 20000 {
		t.Fatalf("loaded %d stable keys (%v)", len(keys), err)
	}
}

// What cannot be saved or loaded: SAVE in MULTI, SHUTDOWN SAVE into a
// directory that is gone, a damaged file (the start fails, as Redis's).
func TestPersistErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addr, _ := testserver.Start(t, "--dir", dir)
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	var save *redis.Cmd
	_, _ = r.TxPipelined(ctx, func(p redis.Pipeliner) error {
		save = p.Do(ctx, "SAVE")
		return nil
	})
	if err := save.Err(); err == nil || err.Error() != "ERR Command not allowed inside a transaction" {
		t.Fatalf("SAVE in MULTI: %v", err)
	}
	if err := r.Do(ctx, "BGSAVE", "NOW").Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Fatalf("BGSAVE NOW: %v", err)
	}
	r.Set(ctx, "k", "v", 0)
	if err := r.Do(ctx, "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dump.rdb")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-12] ^= 0xFF // in the last value, before EOF and the checksum
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]string{"--port", strconv.Itoa(testserver.FreePort(t)), "--bind", "127.0.0.1", "--dir", dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := server.New(cfg, nil).Run(); err == nil || !strings.Contains(err.Error(), "dump.rdb") {
		t.Fatalf("start on a damaged file: %v", err)
	}

	// The directory goes away: SAVE fails with Redis's bare "ERR" (the
	// reason goes to the log), SHUTDOWN SAVE refuses to stop.
	gone := filepath.Join(t.TempDir(), "gone")
	os.Mkdir(gone, 0o755)
	addr3, _ := testserver.Start(t, "--dir", gone)
	r3 := redis.NewClient(&redis.Options{Addr: addr3})
	defer r3.Close()
	os.Remove(gone)
	if err := r3.Do(ctx, "SAVE").Err(); err == nil || err.Error() != "ERR" {
		t.Fatalf("SAVE into a missing dir: %v", err)
	}
	if err := r3.Do(ctx, "SHUTDOWN", "SAVE").Err(); err == nil || err.Error() != "ERR Errors trying to SHUTDOWN. Check logs." {
		t.Fatalf("SHUTDOWN SAVE: %v", err)
	}
	if err := r3.Ping(ctx).Err(); err != nil {
		t.Fatalf("server gone after a failed SHUTDOWN SAVE: %v", err)
	}

	// SHUTDOWN SAVE that can save does, then stops.
	dir4 := t.TempDir()
	addr4, _ := testserver.Start(t, "--dir", dir4)
	r4 := redis.NewClient(&redis.Options{Addr: addr4})
	defer r4.Close()
	r4.Set(ctx, "kept", "yes", 0)
	r4.Do(ctx, "SHUTDOWN", "SAVE")
	if r4.Ping(ctx).Err() == nil {
		t.Fatal("still up after SHUTDOWN SAVE")
	}
	addr5, _ := testserver.Start(t, "--dir", dir4)
	r5 := redis.NewClient(&redis.Options{Addr: addr5})
	defer r5.Close()
	if v, _ := r5.Get(ctx, "kept").Result(); v != "yes" {
		t.Fatalf("after SHUTDOWN SAVE and a start: %q", v)
	}
}

// persistInt is an INFO field's integer value (-1 when missing).
func persistInt(info, field string) int {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, err := strconv.Atoi(v)
			if err == nil {
				return n
			}
		}
	}
	return -1
}
