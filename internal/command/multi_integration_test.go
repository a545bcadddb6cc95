package command_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// TxPipelined and Watch as applications use them, both protocols.
func TestTransactionsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		k, h := p+"tx:k", p+"tx:h"
		cmds, err := r.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, k, "1", 0)
			pipe.Incr(ctx, k)
			pipe.HSet(ctx, h, "f", "v")
			pipe.LPush(ctx, k, "x") // a runtime error stays in its slot
			pipe.Get(ctx, k)
			return nil
		})
		if len(cmds) != 5 || err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
			t.Fatalf("TxPipelined: %d cmds, %v", len(cmds), err)
		}
		if v := cmds[1].(*redis.IntCmd).Val(); v != 2 {
			t.Fatalf("INCR in EXEC = %d", v)
		}
		if v := cmds[4].(*redis.StringCmd).Val(); v != "2" {
			t.Fatalf("GET in EXEC = %q", v)
		}
		// A queueing error: EXECABORT, nothing ran.
		_, err = r.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, k, "changed", 0)
			pipe.Do(ctx, "nosuchcommand")
			return nil
		})
		if err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
			t.Fatalf("queueing error: %v", err)
		}
		if v, _ := r.Get(ctx, k).Result(); v != "2" {
			t.Fatalf("an aborted transaction ran: %q", v)
		}
		// WATCH: a change from another connection fails the transaction.
		other := redis.NewClient(&redis.Options{Addr: addr})
		defer other.Close()
		err = r.Watch(ctx, func(tx *redis.Tx) error {
			other.Set(ctx, k, "other", 0)
			_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, k, "mine", 0)
				return nil
			})
			return err
		}, k)
		if err != redis.TxFailedErr {
			t.Fatalf("WATCH conflict: %v", err)
		}
		if v, _ := r.Get(ctx, k).Result(); v != "other" {
			t.Fatalf("after a failed EXEC: %q", v)
		}
	})
}

// Fifty clients increment one counter with WATCH/MULTI/EXEC retry loops:
// the counter ends at exactly the number of EXECs that succeeded.
func TestWatchRace(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})
	defer r.Close()
	const clients, attempts = 50, 20
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range attempts {
				err := r.Watch(ctx, func(tx *redis.Tx) error {
					n, err := tx.Get(ctx, "counter").Int()
					if err != nil && err != redis.Nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
						pipe.Set(ctx, "counter", n+1, 0)
						return nil
					})
					return err
				}, "counter")
				switch err {
				case nil:
					ok.Add(1)
				case redis.TxFailedErr:
					failed.Add(1)
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, err := r.Get(ctx, "counter").Int64()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d successful EXECs, %d failed", ok.Load(), failed.Load())
	if n != ok.Load() {
		t.Fatalf("counter = %d, successful EXECs = %d", n, ok.Load())
	}
	if ok.Load() == 0 {
		t.Fatal("no transaction succeeded")
	}
}

// A transaction setting 100 keys (on many shards, in two databases) is
// never seen half done by 20 clients reading them meanwhile.
func TestExecIsAtomic(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	const nkeys = 50 // per database
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("atomic:%d:%x", i, i*7919)
	}
	writer := redis.NewClient(&redis.Options{Addr: addr})
	defer writer.Close()
	conn := writer.Conn()
	defer conn.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	check := func(vals []any) error {
		first := vals[0]
		for _, v := range vals {
			if v != first {
				return fmt.Errorf("half-done transaction seen: %v", vals)
			}
		}
		return nil
	}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := i % 2
			r := redis.NewClient(&redis.Options{Addr: addr, DB: db})
			defer r.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if i%5 == 4 {
					// Both databases at once, through a transaction of reads.
					c := r.Conn()
					var a, b *redis.SliceCmd
					_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						a = p.MGet(ctx, keys...)
						p.Select(ctx, 1-db)
						b = p.MGet(ctx, keys...)
						p.Select(ctx, db)
						return nil
					})
					c.Close()
					if err != nil {
						t.Error(err)
						return
					}
					if err := check(append(a.Val(), b.Val()...)); err != nil {
						t.Error(err)
						return
					}
				} else {
					vals, err := r.MGet(ctx, keys...).Result()
					if err != nil {
						t.Error(err)
						return
					}
					if err := check(vals); err != nil {
						t.Error(err)
						return
					}
				}
				reads.Add(1)
			}
		}()
	}
	gens := 500
	if testserver.RaceEnabled() {
		gens = 100
	}
	for gen := range gens {
		v := strconv.Itoa(gen)
		_, err := conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Set(ctx, k, v, 0)
			}
			p.Select(ctx, 1)
			for _, k := range keys {
				p.Set(ctx, k, v, 0)
			}
			p.Select(ctx, 0)
			return nil
		})
		if err != nil {
			// Not Fatal: the readers must be stopped before the test ends.
			t.Error(err)
			break
		}
	}
	close(stop)
	wg.Wait()
	if reads.Load() == 0 {
		t.Fatal("no reads ran")
	}
	t.Logf("%d reads", reads.Load())
}

// All commands of a transaction run at one time: a key does not expire in
// the middle of EXEC.
func TestExecHasOneTime(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	r.Set(ctx, "t", "v", 300*time.Millisecond)
	cmds, err := r.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "t")
		p.Do(ctx, "debug", "sleep", "0.5")
		p.Get(ctx, "t")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a, b := cmds[0].(*redis.StringCmd).Val(), cmds[2].(*redis.StringCmd).Val()
	if a != "v" || b != "v" {
		t.Fatalf("GET before and after a sleep inside EXEC: %q %q", a, b)
	}
	if n := r.Exists(ctx, "t").Val(); n != 0 {
		t.Fatalf("the key did not expire after EXEC")
	}
}

// Expiry (active or lazy) and eviction of a watched key fail EXEC.
func TestWatchExpiryAndEviction(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 4})
	defer r.Close()
	tryExec := func(key string, between func()) error {
		return r.Watch(ctx, func(tx *redis.Tx) error {
			between()
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key+":done", "1", 0)
				return nil
			})
			return err
		}, key)
	}
	r.Set(ctx, "exp", "v", 50*time.Millisecond)
	if err := tryExec("exp", func() { time.Sleep(150 * time.Millisecond) }); err != redis.TxFailedErr {
		t.Fatalf("expired watched key: %v", err)
	}
	r.Set(ctx, "keep", "v", 0)
	if err := tryExec("keep", func() {}); err != nil {
		t.Fatalf("untouched watched key: %v", err)
	}

	// Eviction: fill memory until the watched key is gone.
	used := infoInt(t, r, "memory", "used_memory")
	r.ConfigSet(ctx, "maxmemory-policy", "allkeys-random")
	r.ConfigSet(ctx, "maxmemory", strconv.FormatInt(used+2<<20, 10))
	r.Set(ctx, "victim", "v", 0)
	filler := redis.NewClient(&redis.Options{Addr: addr})
	defer filler.Close()
	err := tryExec("victim", func() {
		val := strings.Repeat("x", 1000)
		for i := 0; ; i++ {
			filler.Set(ctx, "fill:"+strconv.Itoa(i), val, 0)
			if i%100 == 0 && filler.Exists(ctx, "victim").Val() == 0 {
				return
			}
			if i > 1_000_000 {
				t.Error("the watched key was never evicted")
				return
			}
		}
	})
	if err != redis.TxFailedErr {
		t.Fatalf("evicted watched key: %v", err)
	}
	if infoInt(t, r, "stats", "evicted_keys") == 0 {
		t.Fatal("nothing was evicted")
	}
}

// CLIENT LIST shows a transaction's queue, its memory and watched keys.
func TestClientListTransaction(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	c := r.Conn()
	defer c.Close()
	id := c.ClientID(ctx).Val()
	field := func(name string) string {
		t.Helper()
		list := r.Do(ctx, "client", "list", "id", strconv.FormatInt(id, 10)).String()
		for _, f := range strings.Fields(list) {
			if v, ok := strings.CutPrefix(f, name+"="); ok {
				return v
			}
		}
		t.Fatalf("no %s in %q", name, list)
		return ""
	}
	if m, w := field("multi"), field("watch"); m != "-1" || w != "0" {
		t.Fatalf("multi=%s watch=%s before MULTI", m, w)
	}
	before, _ := strconv.Atoi(field("tot-mem"))
	c.Do(ctx, "watch", "a", "b")
	c.Do(ctx, "multi")
	for range 3 {
		if v, err := c.Do(ctx, "set", "a", strings.Repeat("v", 10000)).Text(); err != nil || v != "QUEUED" {
			t.Fatalf("queued: %q %v", v, err)
		}
	}
	if m, w, fl := field("multi"), field("watch"), field("flags"); m != "3" || w != "2" || fl != "x" {
		t.Fatalf("multi=%s watch=%s flags=%s while queueing", m, w, fl)
	}
	mm, _ := strconv.Atoi(field("multi-mem"))
	after, _ := strconv.Atoi(field("tot-mem"))
	if mm < 30000 || after-before < 30000 {
		t.Fatalf("multi-mem=%d, tot-mem %d -> %d", mm, before, after)
	}
	if err := c.Do(ctx, "exec").Err(); err != nil {
		t.Fatal(err)
	}
	if m, w, mm := field("multi"), field("watch"), field("multi-mem"); m != "-1" || w != "0" || mm != "0" {
		t.Fatalf("multi=%s watch=%s multi-mem=%s after EXEC", m, w, mm)
	}
}

// Queued commands count toward client-query-buffer-limit: a client that
// queues more than it is closed, and the server goes on.
func TestQueuedCommandsAreBounded(t *testing.T) {
	addr, _ := testserver.Start(t, "--client-query-buffer-limit", "1mb")
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer r.Close()
	c := r.Conn()
	defer c.Close()
	c.Do(ctx, "multi")
	val := strings.Repeat("v", 100<<10)
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = c.Do(ctx, "set", "k", val).Err()
	}
	if err == nil {
		t.Fatal("a client queued 10 MB past a 1 MB limit")
	}
	if v := r.Ping(ctx).Val(); v != "PONG" {
		t.Fatalf("server after closing the client: %q", v)
	}
}
