package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/testserver"
)

// greedy opens a connection that names itself, sends gets × GET key in
// one write and never reads. Its receive buffer is small, so what the
// server cannot send piles up on the server's side.
func greedy(t *testing.T, addr, name, key string, gets int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.(*net.TCPConn).SetReadBuffer(16 << 10)
	req := resp.AppendRequest(nil, "CLIENT", "SETNAME", name)
	for range gets {
		req = resp.AppendRequest(req, "GET", key)
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	return c
}

// clientLine is name's CLIENT LIST line, "" when it is not connected.
func clientLine(t *testing.T, r *redis.Client, name string) string {
	t.Helper()
	list, err := r.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, " name="+name+" ") {
			return l
		}
	}
	return ""
}

// field is one name=value of a CLIENT LIST line, as a number.
func field(t *testing.T, line, name string) int64 {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s in %q: %v", name, line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in %q", name, line)
	return 0
}

func info(t *testing.T, r *redis.Client, section, name string) int64 {
	t.Helper()
	s, err := r.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in INFO %s", name, section)
	return 0
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func heapLive() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// While a client does not read, CLIENT LIST shows its pending output,
// INFO memory counts it (mem_clients_normal, used_memory), and all of it
// goes when the client leaves.
func TestPendingOutputIsVisibleAndCounted(t *testing.T) {
	addr, srv := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	r.Set(ctx, "big", strings.Repeat("v", 1<<20), 0)
	usedBefore := srv.State().KS.UsedMemory()

	g := greedy(t, addr, "greedy", "big", 20)
	var line string
	waitFor(t, "the GETs to run", 10*time.Second, func() bool {
		line = clientLine(t, r, "greedy")
		return strings.Contains(line, "cmd=get") && field(t, line, "omem") > 15<<20
	})
	omem, tot := field(t, line, "omem"), field(t, line, "tot-mem")
	if field(t, line, "oll") == 0 || tot < omem || !strings.Contains(line, " events=rw ") {
		t.Errorf("greedy client: %s", line)
	}
	if n := info(t, r, "memory", "mem_clients_normal"); n < omem {
		t.Errorf("mem_clients_normal %d < the greedy client's omem %d", n, omem)
	}
	if used := info(t, r, "memory", "used_memory"); used < usedBefore+omem {
		t.Errorf("used_memory %d does not include the %d bytes pending (was %d)", used, omem, usedBefore)
	}
	if got := srv.State().KS.UsedMemory(); got < usedBefore+omem {
		t.Errorf("the evictor's used memory %d does not include the pending output", got)
	}

	waitFor(t, "INFO clients to show the largest output buffer", 5*time.Second, func() bool {
		return info(t, r, "clients", "client_recent_max_output_buffer") >= omem
	})

	self, err := r.ClientInfo(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if self.OutputListLength != 0 || self.OutputMemory != 0 || self.ArgvMem != len("client")+len("info") {
		t.Errorf("CLIENT INFO of an idle client: %+v", self)
	}

	g.Close()
	waitFor(t, "the client's memory to be uncharged", 5*time.Second, func() bool {
		return srv.State().KS.UsedMemory() < usedBefore+1<<20
	})
	if n := info(t, r, "memory", "mem_clients_normal"); n > 2<<20 {
		t.Errorf("mem_clients_normal %d after the greedy client left", n)
	}
}

// A client whose pending output passes the hard limit is closed, counted,
// and its memory returned.
func TestOutputLimitClosesNonReader(t *testing.T) {
	addr, srv := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	if err := r.ConfigSet(ctx, "client-output-buffer-limit", "normal 32mb 0 0").Err(); err != nil {
		t.Fatal(err)
	}
	r.Set(ctx, "big", strings.Repeat("v", 1<<20), 0)
	heapBefore, usedBefore := heapLive(), srv.State().KS.UsedMemory()

	g := greedy(t, addr, "greedy", "big", 200) // 200 MB of replies
	waitFor(t, "the client to be closed", 20*time.Second, func() bool {
		return info(t, r, "stats", "client_output_buffer_limit_disconnections") == 1 &&
			clientLine(t, r, "greedy") == ""
	})
	// It was closed near its limit, not after all 200 replies.
	s, _ := r.Info(ctx, "commandstats").Result()
	if calls := statCalls(s, "get"); calls > 60 {
		t.Errorf("%d GETs ran before the client was closed at 32 MB", calls)
	}
	// The connection is gone (EOF or reset once what was sent is read).
	_ = g.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, g); err != nil && isTimeout(err) {
		t.Error("the connection is still open")
	}
	waitFor(t, "used memory back to its start", 5*time.Second, func() bool {
		return srv.State().KS.UsedMemory() < usedBefore+1<<20
	})
	if after := heapLive(); after > heapBefore+8<<20 {
		t.Errorf("Go heap %d MB after the client was closed, %d MB before", after>>20, heapBefore>>20)
	}
	if got, _ := r.Ping(ctx).Result(); got != "PONG" {
		t.Errorf("PING = %q", got)
	}
}

func statCalls(commandstats, cmd string) int {
	for _, l := range strings.Split(commandstats, "\r\n") {
		if rest, ok := strings.CutPrefix(l, "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// Redis's obuf-limits test: a pipeline whose replies pass the limit gets
// none of them, and the server goes on serving others.
func TestOutputLimitPipelineGetsNoReply(t *testing.T) {
	addr, _ := testserver.Start(t, "--client-output-buffer-limit", "normal", "100000", "0", "0")
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	r.Set(ctx, "bigkey", strings.Repeat("x", 10000), 0)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var req []byte
	for i := range 15 {
		k := strconv.Itoa(i)
		req = resp.AppendRequest(req, "SET", k, k)
		req = resp.AppendRequest(req, "GET", k)
		req = resp.AppendRequest(req, "DEL", k)
		req = resp.AppendRequest(req, "GET", "bigkey")
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if isTimeout(err) || len(got) != 0 {
		t.Fatalf("read %d bytes (%v), want the connection closed with no reply", len(got), err)
	}
	if v, _ := r.Ping(ctx).Result(); v != "PONG" {
		t.Fatalf("PING = %q", v)
	}
	// Small replies stay well under the limit.
	if v, _ := r.Get(ctx, "bigkey").Result(); len(v) != 10000 {
		t.Fatalf("GET bigkey: %d bytes", len(v))
	}
}

// Above the soft limit a client lasts its soft seconds, then is closed.
func TestOutputSoftLimit(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	if err := r.ConfigSet(ctx, "client-output-buffer-limit", "normal 0 2mb 1").Err(); err != nil {
		t.Fatal(err)
	}
	r.Set(ctx, "big", strings.Repeat("v", 1<<20), 0)
	greedy(t, addr, "soft", "big", 8)
	waitFor(t, "the GETs to run", 5*time.Second, func() bool {
		s, _ := r.Info(ctx, "commandstats").Result()
		return statCalls(s, "get") == 8
	})
	start := time.Now()
	if clientLine(t, r, "soft") == "" {
		t.Fatal("closed at once by a soft limit of 1 second")
	}
	waitFor(t, "the soft limit to close the client", 10*time.Second, func() bool { return clientLine(t, r, "soft") == "" })
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closed %v after passing a 1-second soft limit", d)
	}
	if n := info(t, r, "stats", "client_output_buffer_limit_disconnections"); n != 1 {
		t.Errorf("client_output_buffer_limit_disconnections = %d, want 1", n)
	}
}

// maxmemory sees client buffers: pending output makes the evictor evict.
func TestPendingOutputCountsForMaxmemory(t *testing.T) {
	addr, srv := testserver.Start(t, "--maxmemory", "48mb", "--maxmemory-policy", "allkeys-random")
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	val := strings.Repeat("d", 4<<10)
	p := r.Pipeline()
	for i := range 6000 { // ~25 MB of data
		p.Set(ctx, "k"+strconv.Itoa(i), val, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	r.Set(ctx, "big", strings.Repeat("v", 1<<20), 0)
	if n := info(t, r, "stats", "evicted_keys"); n != 0 {
		t.Fatalf("evicted %d keys before any client buffer", n)
	}
	greedy(t, addr, "greedy", "big", 40) // ~40 MB pending
	waitFor(t, "eviction to make room for the pending output", 10*time.Second, func() bool {
		return info(t, r, "stats", "evicted_keys") > 0
	})
	limit := int64(48 << 20)
	waitFor(t, "used memory back under maxmemory", 10*time.Second, func() bool {
		return srv.State().KS.UsedMemory() <= limit
	})
	if cm := srv.State().KS.ClientMemory(); cm < 20<<20 {
		t.Errorf("client memory %d while ~40 MB of replies are pending", cm)
	}
}

// While a client that does not read is fed hundreds of megabytes, the
// other clients of its event loop get their PINGs answered promptly.
func TestNonReaderDoesNotStallOthers(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	const gets, size = 50, 4 << 20
	r.Set(ctx, "big", strings.Repeat("v", size), 0)

	// Several pingers, so that some share the greedy client's loop.
	var stop atomic.Bool
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 16)
			for !stop.Load() {
				start := time.Now()
				if _, err := c.Write([]byte("PING\r\n")); err != nil {
					return
				}
				if _, err := io.ReadFull(c, buf[:7]); err != nil {
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		}()
	}
	// PING latency with nothing else going on: on a loaded machine (or
	// under -race) the bound below grows with it.
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	quiet := slices.Clone(lat)
	lat = lat[:0]
	mu.Unlock()
	slices.Sort(quiet)
	if len(quiet) == 0 {
		t.Fatal("no PING answered")
	}
	bound := max(200*time.Millisecond, 4*quiet[len(quiet)*99/100])

	start := time.Now()
	greedy(t, addr, "greedy", "big", gets)
	waitFor(t, "the GETs to run", 60*time.Second, func() bool {
		s, _ := r.Info(ctx, "commandstats").Result()
		return statCalls(s, "get") == gets
	})
	feed := time.Since(start)
	time.Sleep(time.Second) // and while their replies are pending
	stop.Store(true)
	wg.Wait()
	slices.Sort(lat)
	if len(lat) < 10 {
		t.Fatalf("only %d PINGs answered in %v", len(lat), feed)
	}
	p99, worst := lat[len(lat)*99/100], lat[len(lat)-1]
	t.Logf("%d × GET of %d MB took %v; %d PINGs meanwhile: p99 %v, max %v (quiet p99 %v)",
		gets, size>>20, feed, len(lat), p99, worst, quiet[len(quiet)*99/100])
	// One reply is copied in one piece, and the machine is shared: the
	// bounds are generous. Before replies were sliced and queued, the
	// loop stalled for seconds: the worst case only catches that.
	if p99 > bound || worst > 4*bound {
		t.Errorf("PING p99 %v, max %v (bound %v) while a non-reader was fed for %v", p99, worst, bound, feed)
	}
}

// MONITOR's feed goes through the connection's queue, in order.
func TestMonitorFeedInOrder(t *testing.T) {
	addr, _ := testserver.Start(t)
	m, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Write([]byte("MONITOR\r\n"))
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	ctx := context.Background()
	const n = 2000
	p := c.Pipeline()
	for i := range n {
		p.Set(ctx, fmt.Sprintf("m%05d", i), "x", 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	_ = m.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []byte
	buf := make([]byte, 64<<10)
	for strings.Count(string(got), `"set"`) < n {
		k, err := m.Read(buf)
		if err != nil {
			t.Fatalf("after %d lines: %v", strings.Count(string(got), `"set"`), err)
		}
		got = append(got, buf[:k]...)
	}
	last := -1
	for _, l := range strings.Split(string(got), "\r\n") {
		i := strings.Index(l, `"m`)
		if i < 0 {
			continue
		}
		k, _ := strconv.Atoi(l[i+2 : i+7])
		if k != last+1 {
			t.Fatalf("MONITOR line for m%05d after m%05d", k, last)
		}
		last = k
	}
}

// An unfinished request the parser holds between reads is client memory
// too: maxmemory must see a client that sends most of a big value and stops.
func TestPartialRequestCountsInUsedMemory(t *testing.T) {
	addr, _ := testserver.Start(t)
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	before := info(t, r, "memory", "mem_clients_normal")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const part = 4 << 20
	if _, err := fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s", 2*part, strings.Repeat("v", part)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := info(t, r, "memory", "mem_clients_normal")
		if n-before >= part {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mem_clients_normal %d (before %d) with %d bytes of a request held", n, before, part)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A subscriber's queued messages (posted frames, queued uncopied) count
// as its output: CLIENT LIST's omem and oll, used_memory, and the pubsub
// class's limit, which closes it; its memory is returned after.
func TestPendingMessagesAreCounted(t *testing.T) {
	addr, srv := testserver.Start(t, "--client-output-buffer-limit", "pubsub", "24mb", "0", "0")
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer r.Close()
	sub, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	_ = sub.(*net.TCPConn).SetReadBuffer(16 << 10)
	req := resp.AppendRequest(nil, "CLIENT", "SETNAME", "sub")
	if _, err := sub.Write(resp.AppendRequest(req, "SUBSCRIBE", "ch")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the subscription", 5*time.Second, func() bool { return r.PubSubNumSub(ctx, "ch").Val()["ch"] == 1 })
	usedBefore := srv.State().KS.UsedMemory()

	msg := strings.Repeat("m", 4<<10)
	publish := func(n int) {
		p := r.Pipeline()
		for range n {
			p.Publish(ctx, "ch", msg)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	publish(3000) // 12 MB: under the limit
	var line string
	waitFor(t, "the messages to queue", 10*time.Second, func() bool {
		line = clientLine(t, r, "sub")
		return field(t, line, "omem") > 8<<20
	})
	omem := field(t, line, "omem")
	if oll, tot := field(t, line, "oll"), field(t, line, "tot-mem"); oll == 0 || tot < omem || !strings.Contains(line, " flags=P ") {
		t.Errorf("subscriber: %s", line)
	}
	if used := srv.State().KS.UsedMemory(); used < usedBefore+omem {
		t.Errorf("used memory %d does not include the %d bytes of messages pending (was %d)", used, omem, usedBefore)
	}

	publish(6000) // 24 MB more: over it, whatever the sockets took
	waitFor(t, "the subscriber to be closed", 10*time.Second, func() bool {
		return clientLine(t, r, "sub") == ""
	})
	if n := info(t, r, "stats", "client_output_buffer_limit_disconnections"); n != 1 {
		t.Errorf("client_output_buffer_limit_disconnections = %d", n)
	}
	waitFor(t, "used memory back to its start", 5*time.Second, func() bool {
		return srv.State().KS.UsedMemory() < usedBefore+1<<20
	})
}

// A connection keeps the reply buffer a big reply grew (500 KB here) only
// while its batches need it: the next small batch gives it back, and so
// does a connection that goes idle right after it (the cron wakes it), as
// Redis's reply buffer returns to 16 KB. It used to be kept up to 1 MB for
// the connection's life, counted in used_memory: 20 such idle clients
// were 20 MB of a small maxmemory.
func TestBigReplyBufferIsGivenBack(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr})
	defer r.Close()
	if err := r.Set(ctx, "big", strings.Repeat("x", 500<<10), 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, idle := range []bool{false, true} {
		name := "small-after-big"
		if idle {
			name = "idle-after-big"
		}
		c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, OnConnect: func(ctx context.Context, cn *redis.Conn) error {
			return cn.ClientSetName(ctx, name).Err()
		}})
		defer c.Close()
		if err := c.Get(ctx, "big").Err(); err != nil {
			t.Fatal(err)
		}
		// The client may read its reply before the server has accounted
		// the batch that wrote it: poll briefly.
		waitFor(t, name+" charged for its 500 KB reply (else the test measures nothing)", time.Second, func() bool {
			return field(t, clientLine(t, r, name), "tot-mem") >= 500<<10
		})
		if !idle {
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			// Within a second: the idle path waits two (CLIENT LIST shows the
			// buffers once the batch has been accounted, just after its reply).
			waitFor(t, name+" giving its buffer back", time.Second, func() bool {
				return field(t, clientLine(t, r, name), "tot-mem") <= 64<<10
			})
			continue
		}
		waitFor(t, name+" giving its buffer back", 5*time.Second, func() bool {
			return field(t, clientLine(t, r, name), "tot-mem") <= 64<<10
		})
	}
}

// maxmemory-clients (Redis 7.0's client eviction): clients whose memory
// (query buffer, unread replies, watched keys, subscriptions) takes all
// clients past the limit are closed, the biggest first, counted in
// evicted_clients; CLIENT NO-EVICT ones are spared, and lowering the limit
// with CONFIG SET evicts at once.
func TestClientEviction(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer r.Close()
	if err := r.Do(ctx, "CLIENT", "NO-EVICT", "ON").Err(); err != nil {
		t.Fatal(err)
	}
	r.Do(ctx, "CLIENT", "SETNAME", "control")
	var bigs []net.Conn
	// Half-sent requests of 100 KB, 200 KB and 400 KB.
	for i, size := range []int{100 << 10, 200 << 10, 400 << 10} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		bigs = append(bigs, c)
		req := resp.AppendRequest(nil, "CLIENT", "SETNAME", "big"+strconv.Itoa(i))
		req = fmt.Appendf(req, "*2\r\n$%d\r\n%s", 2*size, strings.Repeat("v", size))
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		name := "big" + strconv.Itoa(i)
		waitFor(t, name+"'s query buffer", 5*time.Second, func() bool {
			l := clientLine(t, r, name)
			return l != "" && field(t, l, "qbuf") == int64(size)
		})
	}
	// Room for the two smaller ones (and the control client): the biggest goes.
	if err := r.ConfigSet(ctx, "maxmemory-clients", strconv.Itoa(400<<10)).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "big2's eviction", 2*time.Second, func() bool { return clientLine(t, r, "big2") == "" })
	if clientLine(t, r, "big0") == "" || clientLine(t, r, "big1") == "" {
		t.Errorf("evicted more than the biggest client:\n%s", r.ClientList(ctx).Val())
	}
	if n := info(t, r, "stats", "evicted_clients"); n != 1 {
		t.Errorf("evicted_clients %d, want 1", n)
	}
	// Alone, a client that watches keys until it passes the limit is
	// closed.
	for _, c := range bigs {
		c.Close()
	}
	waitFor(t, "the big clients' close", 2*time.Second, func() bool { return clientLine(t, r, "big0") == "" && clientLine(t, r, "big1") == "" })
	w := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1})
	defer w.Close()
	var err error
	for i := 0; i < 100_000 && err == nil; i++ {
		err = w.Do(ctx, "WATCH", "k"+strconv.Itoa(i)).Err()
	}
	if err == nil {
		t.Error("100,000 watched keys did not pass a 400 KB maxmemory-clients")
	}
	if _, err := r.Ping(ctx).Result(); err != nil {
		t.Errorf("the NO-EVICT client: %v", err)
	}
	r.ConfigSet(ctx, "maxmemory-clients", "0")
}
