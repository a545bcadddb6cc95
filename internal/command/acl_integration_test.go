package command_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// waitClosed waits for a client's connection to be closed by the server:
// its next command fails.
func waitClosed(t *testing.T, c *redis.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("connection still open")
	}
}

// A go-redis client authenticated as a user; one connection so the test
// knows which one the server closes.
func userConn(t *testing.T, addr, user, pass string) *redis.Conn {
	t.Helper()
	cl := redis.NewClient(&redis.Options{Addr: addr, Username: user, Password: pass, MaxRetries: -1, PoolSize: 1, DisableIdentity: true})
	t.Cleanup(func() { cl.Close() })
	c := cl.Conn()
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("%s: %v", user, err)
	}
	return c
}

// ACL DELUSER closes the user's connections and no other; ACL SETUSER
// off leaves them (Redis 7.0), but new logins fail.
func TestACLDeleteDisconnects(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	for _, u := range []string{"alice", "bob"} {
		if err := admin.Do(ctx, "acl", "setuser", u, "on", ">pw", "+@all", "~*").Err(); err != nil {
			t.Fatal(err)
		}
	}
	alice, bob := userConn(t, addr, "alice", "pw"), userConn(t, addr, "bob", "pw")
	if got := alice.Do(ctx, "acl", "whoami").Val(); got != "alice" {
		t.Fatalf("WHOAMI = %v", got)
	}
	list := admin.ClientList(ctx).Val()
	if !strings.Contains(list, "user=alice") || !strings.Contains(list, "user=bob") {
		t.Fatalf("CLIENT LIST lacks the users: %s", list)
	}

	admin.Do(ctx, "acl", "setuser", "alice", "off")
	if err := alice.Ping(ctx).Err(); err != nil {
		t.Fatalf("alice after off: %v", err)
	}
	err := admin.Do(ctx, "auth", "alice", "pw").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("AUTH as a disabled user: %v", err)
	}

	if n := admin.Do(ctx, "acl", "deluser", "alice").Val(); n != int64(1) {
		t.Fatalf("DELUSER = %v", n)
	}
	waitClosed(t, alice)
	if err := bob.Ping(ctx).Err(); err != nil {
		t.Fatalf("bob after alice's deletion: %v", err)
	}
	if n := admin.Do(ctx, "client", "kill", "user", "bob").Val(); n != int64(1) {
		t.Fatalf("CLIENT KILL USER bob = %v", n)
	}
	waitClosed(t, bob)
}

// A subscriber is killed when ACL SETUSER takes away a channel it is
// subscribed to, and kept when its channels only grow.
func TestACLRevokedSubscriberKilled(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	admin.Do(ctx, "acl", "setuser", "sub", "on", ">pw", "+@all", "resetchannels", "&news", "&sp*")
	for _, proto := range []int{2, 3} {
		cl := redis.NewClient(&redis.Options{Addr: addr, Username: "sub", Password: "pw", Protocol: proto, MaxRetries: -1, DisableIdentity: true})
		ps := cl.Subscribe(ctx, "news", "sport")
		if _, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		// The other channel is refused, and the ACL log says so.
		admin.Do(ctx, "acl", "log", "reset")
		other := redis.NewClient(&redis.Options{Addr: addr, Username: "sub", Password: "pw", Protocol: proto, DisableIdentity: true})
		err := other.Publish(ctx, "weather", "x").Err()
		if err == nil || !strings.Contains(err.Error(), "NOPERM") {
			t.Fatalf("PUBLISH weather: %v", err)
		}
		other.Close()
		log := admin.Do(ctx, "acl", "log").Val().([]any)
		if len(log) != 1 {
			t.Fatalf("ACL LOG has %d entries", len(log))
		}
		e := logEntry(log[0])
		if e["reason"] != "channel" || e["object"] != "weather" || e["username"] != "sub" || e["context"] != "toplevel" {
			t.Fatalf("ACL LOG entry %v", e)
		}

		admin.Do(ctx, "acl", "setuser", "sub", "&more")
		deadline := time.Now().Add(5 * time.Second)
		for admin.PubSubNumSub(ctx, "sport").Val()["sport"] != 1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := admin.Publish(ctx, "sport", "still").Val(); n != 1 {
			t.Fatalf("RESP%d: widening the channels dropped the subscriber (%d receivers)", proto, n)
		}
		if _, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		admin.Do(ctx, "acl", "setuser", "sub", "resetchannels", "&news", "&sp*")
		admin.Do(ctx, "acl", "setuser", "sub", "resetchannels", "&news")
		for admin.PubSubNumSub(ctx, "news").Val()["news"] != 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := admin.PubSubNumSub(ctx, "news").Val()["news"]; n != 0 {
			t.Fatalf("RESP%d: the subscriber survived the revocation", proto)
		}
		ps.Close()
		cl.Close()
		admin.Do(ctx, "acl", "setuser", "sub", "&sp*")
	}
}

func logEntry(v any) map[string]any {
	switch e := v.(type) {
	case map[any]any:
		out := map[string]any{}
		for k, v := range e {
			out[k.(string)] = v
		}
		return out
	case []any:
		out := map[string]any{}
		for i := 0; i+1 < len(e); i += 2 {
			out[e[i].(string)] = e[i+1]
		}
		return out
	}
	return nil
}

// The ACL log: each denial's reason, context and object, repeats counted
// in one entry, the client described, and the INFO counters.
func TestACLLog(t *testing.T) {
	addr, _ := testserver.Start(t, "--acllog-max-len", "3")
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	admin.Do(ctx, "acl", "setuser", "app", "on", ">pw", "-@all", "+get", "+ping", "+multi", "+exec", "+eval", "~app:*")
	app := userConn(t, addr, "app", "pw")
	for range 3 {
		app.Do(ctx, "set", "app:1", "v")
	}
	app.Get(ctx, "other")
	app.Do(ctx, "eval", "return redis.call('get', 'other:2')", "0")
	pipe := app.TxPipeline()
	pipe.Get(ctx, "other:3")
	pipe.Exec(ctx)
	admin.Do(ctx, "auth", "app", "wrong")

	log := admin.Do(ctx, "acl", "log").Val().([]any)
	if len(log) != 3 {
		t.Fatalf("ACL LOG has %d entries, want acllog-max-len 3", len(log))
	}
	want := []map[string]any{
		{"reason": "auth", "context": "toplevel", "object": "auth", "username": "app"},
		{"reason": "key", "context": "multi", "object": "other:3", "username": "app"},
		{"reason": "key", "context": "lua", "object": "other:2", "username": "app"},
	}
	for i, w := range want {
		e := logEntry(log[i])
		for k, v := range w {
			if e[k] != v {
				t.Errorf("entry %d: %s = %v, want %v (%v)", i, k, e[k], v, e)
			}
		}
	}
	if e := logEntry(log[2]); !strings.Contains(e["client-info"].(string), "user=app") {
		t.Errorf("lua entry's client-info is not the caller's: %v", e["client-info"])
	}
	admin.Do(ctx, "config", "set", "acllog-max-len", "10")
	admin.Do(ctx, "acl", "log", "reset")
	for range 3 {
		app.Do(ctx, "set", "app:1", "v")
	}
	log = admin.Do(ctx, "acl", "log").Val().([]any)
	if len(log) != 1 || logEntry(log[0])["count"] != int64(3) || logEntry(log[0])["object"] != "set" {
		t.Fatalf("three denied SETs: %v", log)
	}
	info := admin.Info(ctx, "stats").Val()
	for _, f := range []string{"acl_access_denied_auth:1", "acl_access_denied_cmd:6", "acl_access_denied_key:3"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO stats lacks %s", f)
		}
	}
}

// ACL SAVE writes Redis's file format; ACL LOAD reads it back, all or
// nothing, closing the connections of the users it replaces.
func TestACLSaveLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(file, []byte("user default on nopass ~* &* +@all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := testserver.Start(t, "--dir", dir, "--aclfile", "users.acl")
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	admin.Do(ctx, "acl", "setuser", "alice", "on", "#"+strings.Repeat("a", 64), "~k*", "resetchannels", "-@all", "+get", "(+set ~s*)")
	if err := admin.Do(ctx, "acl", "save").Err(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	want := "user alice on #" + strings.Repeat("a", 64) + " ~k* resetchannels -@all +get (~s* resetchannels -@all +set)\n" +
		"user default on nopass ~* &* +@all\n"
	if string(data) != want {
		t.Fatalf("ACL SAVE wrote\n%s\nwant\n%s", data, want)
	}

	admin.Do(ctx, "acl", "setuser", "bob", "on", ">pw", "+@all")
	bob := userConn(t, addr, "bob", "pw")
	bad := "user alice on\nbogus line\nuser carol +nosuch\n"
	os.WriteFile(file, []byte(bad), 0o644)
	err := admin.Do(ctx, "acl", "load").Err()
	wantErr := "ERR users.acl:2 should start with user keyword followed by the username. users.acl:3: Error in applying operation '+nosuch': " +
		"Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("ACL LOAD of a bad file: %v\nwant %s", err, wantErr)
	}
	if err := bob.Ping(ctx).Err(); err != nil {
		t.Fatalf("a failed LOAD changed something: %v", err)
	}
	os.WriteFile(file, data, 0o644)
	if err := admin.Do(ctx, "acl", "load").Err(); err != nil {
		t.Fatal(err)
	}
	if got := admin.Do(ctx, "acl", "users").Val(); len(got.([]any)) != 2 {
		t.Fatalf("users after LOAD: %v", got)
	}
	waitClosed(t, bob)
	if err := admin.Ping(ctx).Err(); err != nil {
		t.Fatalf("the default user's connection after LOAD: %v", err)
	}
}

// requirepass is the default user's password, at startup and by CONFIG
// SET, and the default user with a password makes new connections log in.
func TestACLRequirePass(t *testing.T) {
	addr, _ := testserver.Start(t, "--requirepass", "secret")
	ctx := context.Background()
	anon := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("PING without AUTH: %v", err)
	}
	admin := redis.NewClient(&redis.Options{Addr: addr, Password: "secret"})
	defer admin.Close()
	if got := admin.Do(ctx, "acl", "list").Val().([]any)[0]; got != "user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all" {
		t.Fatalf("ACL LIST = %v", got)
	}
	admin.ConfigSet(ctx, "requirepass", "")
	if err := anon.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING once requirepass is cleared: %v", err)
	}
}
