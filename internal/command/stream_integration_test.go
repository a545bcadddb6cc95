package command_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

func TestStreamsGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	bothProtocols(t, addr, func(t *testing.T, r *redis.Client, p string) {
		ctx := context.Background()
		s := p + "s"
		for i := 1; i <= 5; i++ {
			id, err := r.XAdd(ctx, &redis.XAddArgs{Stream: s, ID: fmt.Sprintf("%d-1", i), Values: []string{"n", fmt.Sprint(i)}}).Result()
			if err != nil || id != fmt.Sprintf("%d-1", i) {
				t.Fatalf("XADD = %q, %v", id, err)
			}
		}
		if _, err := r.XAdd(ctx, &redis.XAddArgs{Stream: s, ID: "3-1", Values: []string{"n", "x"}}).Result(); err == nil {
			t.Fatal("XADD of a smaller ID succeeded")
		}
		msgs, err := r.XRangeN(ctx, s, "(2-1", "+", 2).Result()
		if err != nil || len(msgs) != 2 || msgs[0].ID != "3-1" || msgs[1].Values["n"] != "4" {
			t.Fatalf("XRANGE = %v, %v", msgs, err)
		}
		rev, err := r.XRevRange(ctx, s, "+", "-").Result()
		if err != nil || len(rev) != 5 || rev[0].ID != "5-1" {
			t.Fatalf("XREVRANGE = %v, %v", rev, err)
		}
		streams, err := r.XRead(ctx, &redis.XReadArgs{Streams: []string{s, "0"}, Count: 2}).Result()
		if err != nil || len(streams) != 1 || len(streams[0].Messages) != 2 || streams[0].Messages[0].ID != "1-1" {
			t.Fatalf("XREAD = %v, %v", streams, err)
		}
		if n, err := r.XDel(ctx, s, "1-1", "9-9").Result(); err != nil || n != 1 {
			t.Fatalf("XDEL = %d, %v", n, err)
		}
		if n, err := r.XTrimMaxLen(ctx, s, 3).Result(); err != nil || n != 1 {
			t.Fatalf("XTRIM = %d, %v", n, err)
		}
		if n, _ := r.XLen(ctx, s).Result(); n != 3 {
			t.Fatalf("XLEN = %d", n)
		}
		// Consumer groups: read, pending, ack, claim.
		if err := r.XGroupCreate(ctx, s, "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
		got, err := r.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{s, ">"}, Count: 2}).Result()
		if err != nil || len(got[0].Messages) != 2 || got[0].Messages[0].ID != "3-1" {
			t.Fatalf("XREADGROUP = %v, %v", got, err)
		}
		pend, err := r.XPending(ctx, s, "g").Result()
		if err != nil || pend.Count != 2 || pend.Lower != "3-1" || pend.Higher != "4-1" || pend.Consumers["c1"] != 2 {
			t.Fatalf("XPENDING = %+v, %v", pend, err)
		}
		if n, err := r.XAck(ctx, s, "g", "3-1").Result(); err != nil || n != 1 {
			t.Fatalf("XACK = %d, %v", n, err)
		}
		claimed, err := r.XClaimJustID(ctx, &redis.XClaimArgs{Stream: s, Group: "g", Consumer: "c2", Messages: []string{"4-1"}}).Result()
		if err != nil || len(claimed) != 1 || claimed[0] != "4-1" {
			t.Fatalf("XCLAIM = %v, %v", claimed, err)
		}
		ac, start, err := r.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: s, Group: "g", Consumer: "c3", Start: "0"}).Result()
		if err != nil || len(ac) != 1 || ac[0].ID != "4-1" || start != "0-0" {
			t.Fatalf("XAUTOCLAIM = %v %q, %v", ac, start, err)
		}
		groups, err := r.XInfoGroups(ctx, s).Result()
		if err != nil || len(groups) != 1 || groups[0].Pending != 1 || groups[0].LastDeliveredID != "4-1" || groups[0].Lag != 1 {
			t.Fatalf("XINFO GROUPS = %+v, %v", groups, err)
		}
		info, err := r.XInfoStream(ctx, s).Result()
		if err != nil || info.Length != 3 || info.LastGeneratedID != "5-1" || info.EntriesAdded != 5 || info.FirstEntry.ID != "3-1" {
			t.Fatalf("XINFO STREAM = %+v, %v", info, err)
		}
		// COPY is deep: the copy's group state moves on its own.
		if err := r.Copy(ctx, s, s+"copy", 0, false).Err(); err != nil {
			t.Fatal(err)
		}
		r.XAck(ctx, s+"copy", "g", "4-1")
		if p, _ := r.XPending(ctx, s, "g").Result(); p.Count != 1 {
			t.Fatalf("ack on the copy changed the original: %+v", p)
		}
		if typ, _ := r.Type(ctx, s).Result(); typ != "stream" {
			t.Fatalf("TYPE = %q", typ)
		}
		if err := r.LPush(ctx, s, "x").Err(); err == nil || err.Error() != "WRONGTYPE Operation against a key holding the wrong kind of value" {
			t.Fatalf("LPUSH on a stream: %v", err)
		}
	})
}

// TestStreamWorkers is a job queue on a consumer group: workers block in
// XREADGROUP on several connections while producers XADD; every entry is
// delivered to exactly one worker, and XREAD BLOCK readers all see every
// entry.
func TestStreamWorkers(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.XGroupCreateMkStream(ctx, "jobs", "workers", "$").Err(); err != nil {
		t.Fatal(err)
	}
	const workers, producers, perProducer = 8, 4, 500
	var mu sync.Mutex
	seen := map[string]string{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1})
			defer c.Close()
			name := fmt.Sprintf("w%d", w)
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: name, Streams: []string{"jobs", ">"}, Count: 10, Block: 200 * time.Millisecond}).Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				for _, m := range res[0].Messages {
					mu.Lock()
					if prev, dup := seen[m.Values["job"].(string)]; dup {
						t.Errorf("job %v delivered to %s and %s", m.Values["job"], prev, name)
					}
					seen[m.Values["job"].(string)] = name
					mu.Unlock()
					c.XAck(ctx, "jobs", "workers", m.ID)
				}
			}
		}()
	}
	// A plain reader follows every entry with XREAD BLOCK on $.
	readerGot := make(chan int, 1)
	go func() {
		c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1})
		defer c.Close()
		last, n := "$", 0
		for n < producers*perProducer {
			res, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"jobs", last}, Block: 2 * time.Second}).Result()
			if err != nil {
				break
			}
			n += len(res[0].Messages)
			last = res[0].Messages[len(res[0].Messages)-1].ID
		}
		readerGot <- n
	}()
	time.Sleep(100 * time.Millisecond) // the reader's $ is taken before the first XADD
	var pw sync.WaitGroup
	for p := range producers {
		pw.Add(1)
		go func() {
			defer pw.Done()
			c := redis.NewClient(&redis.Options{Addr: addr})
			defer c.Close()
			for i := range perProducer {
				if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", Values: []string{"job", fmt.Sprintf("%d-%d", p, i)}}).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	pw.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == producers*perProducer || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	if len(seen) != producers*perProducer {
		t.Fatalf("%d of %d jobs delivered", len(seen), producers*perProducer)
	}
	if n := <-readerGot; n != producers*perProducer {
		t.Fatalf("XREAD BLOCK reader saw %d of %d entries", n, producers*perProducer)
	}
	if p, _ := admin.XPending(ctx, "jobs", "workers").Result(); p.Count != 0 {
		t.Fatalf("%d entries left pending after every ack", p.Count)
	}
}
