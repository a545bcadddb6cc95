package command_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// A script incrementing 100 keys runs with every other client held off:
// readers fetching all the keys at once never see some incremented and
// others not.
func TestScriptAtomicity(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 60})
	t.Cleanup(func() { r.Close() })
	const nkeys, readers, rounds = 100, 50, 200
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%03d", i)
	}
	incr := redis.NewScript(`for i, k in ipairs(KEYS) do redis.call('incr', k) end return #KEYS`)
	// Readers fetch each key with its own GET inside one pipeline, so only
	// the gate keeps the script's increments from interleaving with them.
	var stop atomic.Bool
	var torn atomic.Int64
	var reads atomic.Int64
	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				vals, err := r.MGet(ctx, keys...).Result()
				if err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
				for _, v := range vals[1:] {
					if v != vals[0] {
						torn.Add(1)
						break
					}
				}
			}
		}()
	}
	// Undeclared keys work too: half the keys are passed, half are not.
	undeclared := redis.NewScript(`for i = 51, 100 do redis.call('incr', string.format('k%03d', i - 1)) end
		for _, k in ipairs(KEYS) do redis.call('incr', k) end return 1`)
	for i := range rounds {
		var err error
		if i%2 == 0 {
			err = incr.Run(ctx, r, keys).Err()
		} else {
			err = undeclared.Run(ctx, r, keys[:50]).Err()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := torn.Load(); n > 0 {
		t.Fatalf("%d of %d reads saw a half-done script", n, reads.Load())
	}
	if v, _ := r.Get(ctx, keys[99]).Int(); v != rounds {
		t.Fatalf("k099 = %d, want %d", v, rounds)
	}
}

// A read-only script past busy-reply-threshold: other clients get BUSY,
// SCRIPT KILL stops it, and the server serves again. A script that wrote
// is UNKILLABLE and ends on its own.
func TestScriptKillAndBusy(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := conn1(t, addr)
	if err := admin.ConfigSet(ctx, "busy-reply-threshold", "50").Err(); err != nil {
		t.Fatal(err)
	}
	runner := conn1(t, addr)
	done := make(chan error, 1)
	go func() { done <- runner.Eval(ctx, "while true do end", nil).Err() }()
	waitBusy(t, admin)
	if err := admin.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY ") {
		t.Fatalf("SET while busy: %v", err)
	}
	if err := admin.Do(ctx, "script", "kill").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "Script killed by user with SCRIPT KILL") {
			t.Fatalf("killed script replied %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("killed script did not return")
	}
	if err := admin.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("after kill: %v", err)
	}
	if err := runner.Ping(ctx).Err(); err != nil {
		t.Fatalf("the killed script's client: %v", err)
	}

	// A script that wrote cannot be killed; it runs until its loop ends.
	go func() {
		done <- runner.Eval(ctx, `redis.call('set', 'w', '1') local t = os.clock() while os.clock() - t < 0.5 do end return 1`, nil).Err()
	}()
	waitBusy(t, admin)
	err := admin.Do(ctx, "script", "kill").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE ") {
		t.Fatalf("SCRIPT KILL of a writer: %v", err)
	}
	if err := admin.Do(ctx, "function", "stats").Err(); err != nil {
		t.Fatalf("FUNCTION STATS while busy: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("unkillable script: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("unkillable script never ended")
	}
	if err := admin.Do(ctx, "script", "kill").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOTBUSY ") {
		t.Fatalf("SCRIPT KILL with nothing running: %v", err)
	}
}

// However a long script runs, every other connection, whichever event loop
// serves it, gets BUSY past busy-reply-threshold, and SCRIPT KILL stops
// the script: a script starts on its connection's goroutine and must have
// left it by then, also when it runs long under a Go function that calls
// Lua (pcall, an iterator, gsub, sort, a coroutine, a metamethod) or in an
// interpreter where an earlier script reached a metatable.
func TestScriptBusyOnEveryLoop(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	others := make([]*redis.Client, 6)
	for i := range others {
		others[i] = conn1(t, addr)
	}
	admin := others[0]
	if err := admin.ConfigSet(ctx, "busy-reply-threshold", "50").Err(); err != nil {
		t.Fatal(err)
	}
	runner := conn1(t, addr)
	for _, tc := range []struct{ before, body string }{
		{"", "while true do end"},
		{"", "local n = 0 for i = 1, 100000 do n = n + i end while true do n = n + 1 end"},
		{"", "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end"},
		{"", "for x in function() while true do end end do end"},
		{"", "string.gsub('abc', '%w', function() while true do end end)"},
		{"", "table.sort({3, 1, 2}, function() while true do end end)"},
		{"", "coroutine.wrap(function() while true do end end)()"},
		{"", "local v = setmetatable({}, {__index = function() while true do end end}).x"},
		{"setmetatable({}, {}) return 1", "while true do end"},
		// The string metatable is read-only (as in Redis), so an earlier
		// script can no longer leave a Lua metamethod there; getmetatable
		// still taints the interpreter.
		{"return type(getmetatable(''))", "while true do end"},
	} {
		if tc.before != "" {
			if err := runner.Eval(ctx, tc.before, nil).Err(); err != nil {
				t.Fatalf("%s: %v", tc.before, err)
			}
		}
		done := make(chan error, 1)
		go func() { done <- runner.Eval(ctx, tc.body, nil).Err() }()
		for _, c := range others {
			waitBusy(t, c)
		}
		if err := admin.Do(ctx, "script", "kill").Err(); err != nil {
			t.Fatalf("%s: SCRIPT KILL: %v", tc.body, err)
		}
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "Script killed by user with SCRIPT KILL") {
				t.Fatalf("%s: killed script replied %v", tc.body, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: killed script did not return", tc.body)
		}
	}
	if v, err := runner.Eval(ctx, "return ('x'):upper()", nil).Result(); err != nil || v != "X" {
		t.Fatalf("after the kills: %v %v", v, err)
	}
}

// waitBusy waits until the server answers BUSY.
func waitBusy(t *testing.T, r *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := r.Get(context.Background(), "probe").Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never became busy (last reply %v)", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// EVAL's scripts are cached but bounded; SCRIPT LOAD's stay; SCRIPT FLUSH
// empties the cache.
func TestScriptCacheBounded(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := conn1(t, addr)
	loaded, err := r.ScriptLoad(ctx, "return 'loaded'").Result()
	if err != nil {
		t.Fatal(err)
	}
	var shas []string
	for i := range 700 {
		body := fmt.Sprintf("return %d", i)
		if err := r.Eval(ctx, body, nil).Err(); err != nil {
			t.Fatal(err)
		}
		shas = append(shas, sha1hex(body))
	}
	ex, err := r.ScriptExists(ctx, shas[0], shas[699], loaded).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ex[0] || !ex[1] || !ex[2] {
		t.Fatalf("SCRIPT EXISTS oldest, newest, loaded = %v; want false true true", ex)
	}
	if err := r.EvalSha(ctx, shas[0], nil).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Fatalf("EVALSHA of an evicted script: %v", err)
	}
	if err := r.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ex, _ := r.ScriptExists(ctx, loaded).Result(); ex[0] {
		t.Fatal("SCRIPT FLUSH kept a loaded script")
	}
}

// Runaway scripts end in errors, never in a crash: deep recursion, deep
// pcall nesting, huge scripts, huge results.
func TestScriptBadInput(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := conn1(t, addr)
	for _, tc := range []struct{ body, want string }{
		{"local function f(n) return f(n + 1) + 1 end return f(1)", "stack overflow"},
		{"local function f() return pcall(f) end return f()", ""},
		{"local t = {} t[1] = t return t", ""},
		{"return string.rep('x', 100) .. nil", "attempt to concatenate"},
		{"return " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), ""},
	} {
		err := r.Eval(ctx, tc.body, nil).Err()
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%.40s: %v, want %q", tc.body, err, tc.want)
		}
		if err := r.Ping(ctx).Err(); err != nil {
			t.Fatalf("%.40s: server gone: %v", tc.body, err)
		}
	}
	big := "local t = {} " + strings.Repeat("t[#t+1] = 1 ", 20000) + "return #t"
	if n, err := r.Eval(ctx, big, nil).Int(); err != nil || n != 20000 {
		t.Fatalf("huge script: %d %v", n, err)
	}
}

// FUNCTION DUMP / RESTORE round-trip here, and a Redis payload restores.
func TestFunctionDumpRestore(t *testing.T) {
	addr, _ := testserver.Start(t)
	raddr := testserver.StartRedis(t)
	ctx := context.Background()
	ours, theirs := conn1(t, addr), conn1(t, raddr)
	lib := "#!lua name=dumped\nredis.register_function('dumped', function(keys, args) return 'from the dump, a long enough body for LZF to compress it' end)"
	for _, r := range []*redis.Client{ours, theirs} {
		r.FunctionFlush(ctx)
		if err := r.FunctionLoad(ctx, lib).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for name, r := range map[string]*redis.Client{"ours": ours, "redis": theirs} {
		payload, err := r.FunctionDump(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := ours.FunctionRestore(ctx, payload).Err(); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("%s payload, APPEND onto the same library: %v", name, err)
		}
		ours.FunctionFlush(ctx)
		if err := ours.FunctionRestore(ctx, payload).Err(); err != nil {
			t.Fatalf("%s payload: %v", name, err)
		}
		if v, err := ours.FCall(ctx, "dumped", nil).Text(); err != nil || !strings.HasPrefix(v, "from the dump") {
			t.Fatalf("%s payload restored: %q %v", name, v, err)
		}
	}
	// Our payload restores into Redis.
	payload, _ := ours.FunctionDump(ctx).Result()
	theirs.FunctionFlush(ctx)
	if err := theirs.FunctionRestore(ctx, payload).Err(); err != nil {
		t.Fatalf("Redis restoring our payload: %v", err)
	}
	bad := []byte(payload)
	bad[len(bad)-1] ^= 0xFF
	if err := ours.FunctionRestore(ctx, string(bad)).Err(); err == nil {
		t.Fatal("a corrupt payload restored")
	}
}

// Scripts' writes go through the change feed: WATCH sees them.
func TestScriptWritesAbortWatch(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	a, b := conn1(t, addr), conn1(t, addr)
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		if err := b.Eval(ctx, "return redis.call('set', KEYS[1], 'by script')", []string{"watched"}).Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "watched", "by tx", 0)
			return nil
		})
		return err
	}, "watched")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a script wrote the watched key: %v", err)
	}
}

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// Pipelined atomic commands (scripts, EXECs) of one batch share one hold of
// the world gate, released for the batch's other commands and at its end:
// many clients pipelining scripts, transactions and plain commands all
// finish (no hold is leaked), every increment lands once, and readers
// never see a script half done.
func TestScriptPipelinedBatches(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 20})
	t.Cleanup(func() { r.Close() })
	both := redis.NewScript(`redis.call('incr', KEYS[1]) return redis.call('incr', KEYS[2])`)
	if err := both.Load(ctx, r).Err(); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 8, 100
	var stop atomic.Bool
	var torn atomic.Int64
	var wg, rg sync.WaitGroup
	for range 4 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for !stop.Load() {
				vals, err := r.MGet(ctx, "a", "b").Result()
				if err != nil {
					t.Error(err)
					return
				}
				if vals[0] != vals[1] {
					torn.Add(1)
				}
			}
		}()
	}
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				_, err := r.Pipelined(ctx, func(p redis.Pipeliner) error {
					both.EvalSha(ctx, p, []string{"a", "b"})
					both.EvalSha(ctx, p, []string{"a", "b"})
					p.Incr(ctx, "plain")
					both.EvalSha(ctx, p, []string{"a", "b"})
					p.TxPipelined(ctx, func(tx redis.Pipeliner) error {
						tx.Incr(ctx, "tx")
						return nil
					})
					both.EvalSha(ctx, p, []string{"a", "b"})
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("pipelines did not finish: a gate hold leaked")
	}
	stop.Store(true)
	rg.Wait()
	for key, want := range map[string]int{"a": writers * rounds * 4, "b": writers * rounds * 4, "plain": writers * rounds, "tx": writers * rounds} {
		if got, err := r.Get(ctx, key).Int(); err != nil || got != want {
			t.Errorf("%s = %d (%v), want %d", key, got, err, want)
		}
	}
	if n := torn.Load(); n != 0 {
		t.Errorf("%d reads saw a script half done", n)
	}
}
