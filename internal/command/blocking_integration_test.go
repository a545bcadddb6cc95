package command_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// conn1 is a client with one connection, so a blocked command holds it.
func conn1(t *testing.T, addr string) *redis.Client {
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MinIdleConns: 0, ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { r.Close() })
	return r
}

// waitBlocked waits until INFO reports n blocked clients.
func waitBlocked(t *testing.T, r *redis.Client, n int) {
	t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n) + "\r"
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := r.Info(context.Background(), "clients").Result()
		if err == nil && strings.Contains(info, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked clients never reached %d: %s", n, info)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestBlockingManyConsumers(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := conn1(t, addr)
	const consumers, producers, elements, leavers = 50, 5, 10000, 10

	// Consumers that leave mid-wait must not take anything with them.
	var gone []*redis.Client
	for range leavers {
		r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
		go r.BLPop(ctx, 0, "q")
		gone = append(gone, r)
	}
	waitBlocked(t, admin, leavers)

	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for range consumers {
		r := conn1(t, addr)
		wg.Go(func() {
			for {
				kv, err := r.BLPop(ctx, 0, "q").Result()
				if err != nil {
					t.Error(err)
					return
				}
				if kv[1] == "stop" {
					return
				}
				mu.Lock()
				got[kv[1]]++
				mu.Unlock()
			}
		})
	}
	waitBlocked(t, admin, leavers+consumers)
	for _, r := range gone {
		r.Close()
	}
	waitBlocked(t, admin, consumers)

	var pwg sync.WaitGroup
	for p := range producers {
		r := conn1(t, addr)
		pwg.Go(func() {
			for i := p; i < elements; i += producers {
				if err := r.RPush(ctx, "q", "e"+strconv.Itoa(i)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	pwg.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == elements {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d distinct elements of %d (left in the list: %d)", n, elements, admin.LLen(ctx, "q").Val())
		}
		time.Sleep(5 * time.Millisecond)
	}
	stops := make([]any, consumers)
	for i := range stops {
		stops[i] = "stop"
	}
	admin.RPush(ctx, "q", stops...)
	wg.Wait()
	for i := range elements {
		if n := got["e"+strconv.Itoa(i)]; n != 1 {
			t.Fatalf("element %d delivered %d times", i, n)
		}
	}
	if n := admin.LLen(ctx, "q").Val(); n != 0 {
		t.Fatalf("%d elements left over", n)
	}
}

func TestBlockingFIFO(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := conn1(t, addr)
	const n = 8
	res := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		r := conn1(t, addr)
		keys := []string{"other" + strconv.Itoa(i), "f"}
		wg.Go(func() {
			kv, err := r.BLPop(ctx, 0, keys...).Result()
			if err != nil {
				t.Error(err)
				return
			}
			res[i] = kv[1]
		})
		waitBlocked(t, admin, i+1) // blocked in this order
	}
	var vals []any
	for i := range n {
		vals = append(vals, "v"+strconv.Itoa(i))
	}
	if l := admin.RPush(ctx, "f", vals...).Val(); l != n {
		t.Fatalf("RPUSH replied %d, want the length before serving (%d)", l, n)
	}
	wg.Wait()
	for i, v := range res {
		if v != "v"+strconv.Itoa(i) {
			t.Fatalf("consumer %d got %q: not served in the order they blocked (%v)", i, v, res)
		}
	}
}

// TestBlockingNoSteal: an element pushed while a client waits goes to that
// client; a third client's LPOP, sent right after the push or racing it,
// never sees it (Redis serves waiters before any other command runs).
func TestBlockingNoSteal(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	waiter, pusher, thief := conn1(t, addr), conn1(t, addr), conn1(t, addr)
	stop := make(chan struct{})
	stolen := make(chan string, 1)
	go func() {
		racer := conn1(t, addr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Pipelined, so the pops run back to back on the server.
			cmds, _ := racer.Pipelined(ctx, func(p redis.Pipeliner) error {
				for range 64 {
					p.LPop(ctx, "ns")
				}
				return nil
			})
			for _, c := range cmds {
				if v, err := c.(*redis.StringCmd).Result(); err == nil {
					select {
					case stolen <- v:
					default:
					}
				}
			}
		}
	}()
	defer close(stop)
	for i := range 300 {
		done := make(chan []string, 1)
		go func() { done <- waiter.BLPop(ctx, 0, "ns").Val() }()
		waitBlocked(t, pusher, 1)
		if n := pusher.LPush(ctx, "ns", "x"+strconv.Itoa(i)).Val(); n != 1 {
			t.Fatalf("LPUSH = %d", n)
		}
		if v, err := thief.LPop(ctx, "ns").Result(); err != redis.Nil {
			t.Fatalf("round %d: LPOP after the push took %q (%v) from a waiting client", i, v, err)
		}
		select {
		case kv := <-done:
			if len(kv) != 2 || kv[1] != "x"+strconv.Itoa(i) {
				t.Fatalf("round %d: waiter got %v", i, kv)
			}
		case v := <-stolen:
			t.Fatalf("round %d: a racing LPOP took %q from a waiting client", i, v)
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the waiter never got its element", i)
		}
	}
	select {
	case v := <-stolen:
		t.Fatalf("a racing LPOP took %q from a waiting client", v)
	default:
	}
}

func TestBlockingTimeouts(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		// go-redis rounds its timeout arguments up to whole seconds: the
		// sub-second ones go through Do.
		t0 := time.Now()
		if err := r.Do(ctx, "blpop", p+"none", "0.15").Err(); err != redis.Nil {
			t.Fatalf("BLPOP timeout: %v", err)
		}
		if d := time.Since(t0); d < 150*time.Millisecond || d > 900*time.Millisecond {
			t.Fatalf("BLPOP 0.15 returned after %v", d)
		}
		if err := r.Do(ctx, "blmove", p+"none", p+"d", "LEFT", "RIGHT", "0.01").Err(); err != redis.Nil {
			t.Fatalf("BLMOVE timeout: %v", err)
		}
		if err := r.Do(ctx, "blmpop", "0.01", 2, p+"none", p+"none2", "left").Err(); err != redis.Nil {
			t.Fatalf("BLMPOP timeout: %v", err)
		}
		if _, err := r.BRPopLPush(ctx, p+"none", p+"d", time.Second).Result(); err != redis.Nil {
			t.Fatalf("BRPOPLPUSH timeout through go-redis: %v", err)
		}
		for arg, want := range map[string]string{"abc": "ERR timeout is not a float or out of range", "-1": "ERR timeout is negative", "inf": "ERR timeout is negative"} {
			if err := r.Do(ctx, "blpop", p+"none", arg).Err(); err == nil || err.Error() != want {
				t.Fatalf("BLPOP timeout %q: %v, want %q", arg, err, want)
			}
		}
		// Data there: no blocking, as the plain commands.
		r.RPush(ctx, p+"l", "a", "b", "c")
		if kv := r.BRPop(ctx, 0, p+"none", p+"l").Val(); kv[0] != p+"l" || kv[1] != "c" {
			t.Fatalf("BRPOP = %v", kv)
		}
		if k, vs, err := r.BLMPop(ctx, 0, "left", 5, p+"l").Result(); err != nil || k != p+"l" || len(vs) != 2 {
			t.Fatalf("BLMPOP = %q %v %v", k, vs, err)
		}
	})
}

func TestBlockingUnblockAndWakes(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	a, b := conn1(t, addr), conn1(t, addr)
	id := a.ClientID(ctx).Val()

	block := func(fn func() error) chan error {
		ch := make(chan error, 1)
		go func() { ch <- fn() }()
		waitBlocked(t, b, 1)
		return ch
	}
	ch := block(func() error { return a.BLPop(ctx, 0, "u").Err() })
	if !strings.Contains(b.ClientList(ctx).Val(), fmt.Sprintf("id=%d ", id)) || !strings.Contains(b.ClientList(ctx).Val(), "flags=b") {
		t.Fatalf("CLIENT LIST lacks flag b: %s", b.ClientList(ctx).Val())
	}
	if n := b.ClientUnblock(ctx, id).Val(); n != 1 {
		t.Fatalf("CLIENT UNBLOCK = %d", n)
	}
	if err := <-ch; err != redis.Nil {
		t.Fatalf("unblocked BLPOP: %v", err)
	}
	if n := b.ClientUnblock(ctx, id).Val(); n != 0 {
		t.Fatalf("CLIENT UNBLOCK of a client not blocked = %d", n)
	}
	ch = block(func() error { return a.BLMove(ctx, "u", "d", "RIGHT", "LEFT", 0).Err() })
	b.ClientUnblockWithError(ctx, id)
	if err := <-ch; err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Fatalf("CLIENT UNBLOCK ERROR: %v", err)
	}

	// BLMOVE woken by a push; DEL and FLUSHALL keep it waiting; a list
	// renamed onto its key wakes it.
	res := make(chan string, 1)
	go func() { res <- a.BLMove(ctx, "src", "dst", "LEFT", "RIGHT", 0).Val() }()
	waitBlocked(t, b, 1)
	b.Set(ctx, "src", "str", 0)
	b.Del(ctx, "src")
	b.FlushAll(ctx)
	waitBlocked(t, b, 1)
	b.RPush(ctx, "tmp", "m")
	b.Rename(ctx, "tmp", "src")
	if v := <-res; v != "m" {
		t.Fatalf("BLMOVE woken by RENAME got %q", v)
	}
	if xs := b.LRange(ctx, "dst", 0, -1).Val(); len(xs) != 1 || xs[0] != "m" {
		t.Fatalf("BLMOVE destination = %v", xs)
	}
	go func() { res <- a.BRPopLPush(ctx, "src", "dst", 0).Val() }()
	waitBlocked(t, b, 1)
	b.LPush(ctx, "src", "p")
	if v := <-res; v != "p" || b.LIndex(ctx, "dst", 0).Val() != "p" {
		t.Fatalf("BRPOPLPUSH got %q, dst %v", v, b.LRange(ctx, "dst", 0, -1).Val())
	}

	// A client that disconnects while blocked leaves no waiter behind.
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	go c.BLPop(ctx, 0, "dc")
	waitBlocked(t, b, 1)
	c.Close()
	waitBlocked(t, b, 0)
	b.RPush(ctx, "dc", "kept")
	if n := b.LLen(ctx, "dc").Val(); n != 1 {
		t.Fatalf("element pushed after the waiter left: LLEN = %d", n)
	}
}

func TestBlockedClientExemptFromIdleTimeout(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	a, b := conn1(t, addr), conn1(t, addr)
	b.ConfigSet(ctx, "timeout", "1")
	res := make(chan error, 1)
	go func() { res <- a.BLPop(ctx, 0, "idle").Err() }()
	waitBlocked(t, b, 1)
	time.Sleep(2200 * time.Millisecond)
	b.RPush(ctx, "idle", "x")
	if err := <-res; err != nil {
		t.Fatalf("blocked client was closed by the idle timeout: %v", err)
	}
}

// A served blocking command is in the slowlog as itself, after the command
// that served it (Redis runs it again then).
func TestBlockedCommandInSlowlog(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := conn1(t, addr)
	if err := admin.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
		t.Fatal(err)
	}
	waiter := conn1(t, addr)
	done := make(chan error, 1)
	go func() { done <- waiter.BLPop(ctx, 0, "sl").Err() }()
	waitBlocked(t, admin, 1)
	admin.SlowLogReset(ctx)
	if err := admin.LPush(ctx, "sl", "foo").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	logs, err := admin.SlowLogGet(ctx, 1).Result()
	if err != nil || len(logs) != 1 {
		t.Fatalf("slowlog %v %v", logs, err)
	}
	if got := strings.Join(logs[0].Args, " "); got != "blpop sl 0" {
		t.Fatalf("newest slowlog entry %q, want the served BLPOP", got)
	}
}

// A blocked command's latency is in its histogram once it is served, with
// the time its serving took, as Redis's updateStatsOnUnblock; one that
// times out is in none. Both are calls in commandstats.
func TestBlockedLatencyHistogram(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin, waiter := conn1(t, addr), conn1(t, addr)
	admin.ConfigResetStat(ctx)
	if _, err := waiter.Do(ctx, "blpop", "none", "0.01").Result(); err != redis.Nil {
		t.Fatalf("BLPOP that times out: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := waiter.BLPop(ctx, 0, "q").Result(); done <- err }()
	waitBlocked(t, admin, 1)
	admin.RPush(ctx, "q", "x")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h, err := admin.Do(ctx, "latency", "histogram", "blpop").Result()
	if err != nil || !strings.HasPrefix(fmt.Sprint(h), "map[blpop:map[calls:1 histogram_usec:map[") {
		t.Errorf("LATENCY HISTOGRAM blpop = %v, %v; want 1 call", h, err)
	}
	if s := infoField(t, admin, "commandstats", "cmdstat_blpop"); !strings.HasPrefix(s, "calls=2,") {
		t.Errorf("cmdstat_blpop:%s, want 2 calls", s)
	}
}
