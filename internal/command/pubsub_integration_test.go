package command_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// recvN reads n messages from a go-redis subscription, failing on a gap.
func recvN(t *testing.T, ps *redis.PubSub, n int) []*redis.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := make([]*redis.Message, 0, n)
	for len(out) < n {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// Both protocols, channels and patterns, through go-redis's PubSub.
func TestPubSubGoRedis(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			sub := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto})
			defer sub.Close()
			pub := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto})
			defer pub.Close()
			ps := sub.Subscribe(ctx, "chan")
			defer ps.Close()
			if _, err := ps.Receive(ctx); err != nil { // the confirmation
				t.Fatal(err)
			}
			if err := ps.PSubscribe(ctx, "ch*"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for pub.PubSubNumPat(ctx).Val() != 1 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			n, err := pub.Publish(ctx, "chan", "hello").Result()
			if err != nil || n != 2 {
				t.Fatalf("PUBLISH = %d, %v; want 2 receivers", n, err)
			}
			ms := recvN(t, ps, 2)
			if ms[0].Channel != "chan" || ms[0].Pattern != "" || ms[0].Payload != "hello" {
				t.Errorf("first message %+v", ms[0])
			}
			if ms[1].Channel != "chan" || ms[1].Pattern != "ch*" || ms[1].Payload != "hello" {
				t.Errorf("second message %+v", ms[1])
			}
			if got := pub.PubSubNumSub(ctx, "chan", "none").Val(); got["chan"] != 1 || got["none"] != 0 {
				t.Errorf("NUMSUB = %v", got)
			}
		})
	}
}

// Many publishers on many connections: each subscriber sees every
// publisher's messages in the order that publisher sent them.
func TestPubSubOrderPerPublisher(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	const subs, pubs, each = 5, 4, 500
	var pss []*redis.PubSub
	for range subs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		ps := c.Subscribe(ctx, "ordered")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps.Close() })
		pss = append(pss, ps)
	}
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
			defer c.Close()
			for i := range each {
				if n, err := c.Publish(ctx, "ordered", fmt.Sprintf("%d:%d", p, i)).Result(); err != nil || n != subs {
					t.Errorf("PUBLISH = %d, %v", n, err)
					return
				}
			}
		}()
	}
	for _, ps := range pss {
		next := make([]int, pubs)
		for _, m := range recvN(t, ps, pubs*each) {
			var p, i int
			fmt.Sscanf(m.Payload, "%d:%d", &p, &i)
			if i != next[p] {
				t.Fatalf("publisher %d: got message %d, want %d", p, i, next[p])
			}
			next[p]++
		}
	}
	wg.Wait()
}

// A subscriber that never reads is disconnected once its output passes
// the pubsub class's hard limit; the subscribers that read get every
// message, and the server keeps serving.
func TestPubSubSlowSubscriberDisconnected(t *testing.T) {
	addr, _ := testserver.Start(t, "--client-output-buffer-limit", "pubsub", "256kb", "0", "0")
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()

	// The slow one: subscribes and never reads again.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(slow, "SUBSCRIBE feed\r\n")
	line, err := bufio.NewReader(slow).ReadString('\n')
	if err != nil || line != "*3\r\n" {
		t.Fatalf("SUBSCRIBE reply %q, %v", line, err)
	}

	const readers, msgs = 3, 10000
	payload := strings.Repeat("x", 1024) // 10 MB: more than the kernel buffers and the limit
	var pss []*redis.PubSub
	for range readers {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		ps := c.Subscribe(ctx, "feed")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps.Close() })
		pss = append(pss, ps)
	}
	got := make([]int, readers)
	var wg sync.WaitGroup
	for i, ps := range pss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := ps.Channel(redis.WithChannelSize(msgs))
			for n := range msgs {
				select {
				case m := <-ch:
					if m.Payload != strconv.Itoa(n)+payload {
						t.Errorf("reader %d: message %d out of order", i, n)
						return
					}
					got[i]++
				case <-time.After(20 * time.Second):
					return
				}
			}
		}()
	}
	pub := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer pub.Close()
	for n := range msgs {
		if err := pub.Publish(ctx, "feed", strconv.Itoa(n)+payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i, n := range got {
		if n != msgs {
			t.Errorf("reader %d got %d of %d messages", i, n, msgs)
		}
	}
	info := admin.Info(ctx, "stats").Val()
	if !strings.Contains(info, "client_output_buffer_limit_disconnections:1\r") {
		t.Errorf("want one disconnection: %s", info)
	}
	if n := admin.PubSubNumSub(ctx, "feed").Val()["feed"]; n != readers {
		t.Errorf("NUMSUB feed = %d, want %d (the slow one gone)", n, readers)
	}
	list := admin.ClientList(ctx).Val()
	if strings.Count(list, "flags=P") != readers {
		t.Errorf("CLIENT LIST should show %d subscribers:\n%s", readers, list)
	}
}

// CLIENT LIST reports subscriptions and the P flag; TYPE filters by them,
// and CLIENT KILL TYPE pubsub closes only subscribers.
func TestPubSubClientListAndKill(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer admin.Close()
	sub := redis.NewClient(&redis.Options{Addr: addr})
	defer sub.Close()
	ps := sub.Subscribe(ctx, "a", "b")
	defer ps.Close()
	if err := ps.PSubscribe(ctx, "p*"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(admin.ClientList(ctx).Val(), "sub=2 psub=1") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	list, err := admin.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil || strings.Count(list, "\n") != 1 || !strings.Contains(list, "flags=P") || !strings.Contains(list, "sub=2 psub=1 ssub=0") {
		t.Fatalf("CLIENT LIST TYPE pubsub = %q, %v", list, err)
	}
	normal, _ := admin.Do(ctx, "CLIENT", "LIST", "TYPE", "normal").Text()
	if strings.Contains(normal, "flags=P") || strings.Count(normal, "\n") != 1 {
		t.Errorf("CLIENT LIST TYPE normal = %q", normal)
	}
	if n, err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Int(); err != nil || n != 0 {
		t.Errorf("CLIENT KILL TYPE replica = %d, %v", n, err)
	}
	if n, err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Int(); err != nil || n != 1 {
		t.Errorf("CLIENT KILL TYPE pubsub = %d, %v", n, err)
	}
	if err := admin.Ping(ctx).Err(); err != nil {
		t.Errorf("the admin connection was killed: %v", err)
	}
	for admin.PubSubNumSub(ctx, "a").Val()["a"] != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := admin.PubSubNumSub(ctx, "a").Val()["a"]; n != 0 {
		t.Errorf("the killed subscriber is still subscribed: %d", n)
	}
}

// Expiry and eviction reach keyspace subscribers ("expired", "evicted").
func TestKeyspaceExpiredEvicted(t *testing.T) {
	addr, _ := testserver.Start(t, "--notify-keyspace-events", "Exe", "--maxmemory-policy", "allkeys-random")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ps := c.PSubscribe(ctx, "__keyevent@*__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "soon", "v", 20*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	m := recvN(t, ps, 1)[0]
	if m.Channel != "__keyevent@0__:expired" || m.Payload != "soon" {
		t.Fatalf("got %+v, want soon expired", m)
	}
	for i := range 200 {
		c.Set(ctx, "k"+strconv.Itoa(i), strings.Repeat("v", 1000), 0)
	}
	used, _ := strconv.Atoi(infoField(t, c, "memory", "used_memory"))
	if err := c.ConfigSet(ctx, "maxmemory", strconv.Itoa(used-50000)).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "trigger", "x", 0)
	m = recvN(t, ps, 1)[0]
	if m.Channel != "__keyevent@0__:evicted" || !strings.HasPrefix(m.Payload, "k") && m.Payload != "trigger" {
		t.Fatalf("got %+v, want an evicted key", m)
	}
	c.ConfigSet(ctx, "maxmemory", "0")
}

// Redis 7.4's hash-field expiry events, which Redis 7.0 (the differential
// scripts' reference) does not have.
func TestKeyspaceHashFieldEvents(t *testing.T) {
	addr, _ := testserver.Start(t, "--notify-keyspace-events", "Eghx")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ps := c.PSubscribe(ctx, "__keyevent@0__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	expect := func(what string, want ...string) {
		t.Helper()
		var got []string
		for _, m := range recvN(t, ps, len(want)) {
			got = append(got, strings.TrimPrefix(m.Channel, "__keyevent@0__:")+" "+m.Payload)
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}
	c.HSet(ctx, "h", "a", "1", "b", "2")
	expect("HSET", "hset h")
	c.Do(ctx, "HPEXPIRE", "h", "100000", "FIELDS", "1", "a")
	expect("HPEXPIRE", "hexpire h")
	c.Do(ctx, "HPERSIST", "h", "FIELDS", "1", "a")
	expect("HPERSIST", "hpersist h")
	c.Do(ctx, "HPERSIST", "h", "FIELDS", "1", "a") // nothing to persist: no event
	c.Do(ctx, "HEXPIREAT", "h", "1", "FIELDS", "1", "a")
	expect("HEXPIREAT in the past", "hdel h")
	c.Do(ctx, "HPEXPIRE", "h", "30", "FIELDS", "1", "b")
	expect("HPEXPIRE", "hexpire h")
	expect("the last field expiring", "hexpired h", "del h")
	c.Set(ctx, "after", "1", 0)
	c.Del(ctx, "after")
	expect("nothing in between", "del after")
}
