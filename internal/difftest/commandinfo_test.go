package difftest

import (
	"testing"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/testserver"
)

// Our command table must describe every command as Redis's COMMAND INFO
// does (arity, flags, key positions, ACL categories): clients, proxies and
// redis-cli route and check from it.
func TestCommandInfoMatchesRedis(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	oursAddr, _ := testserver.Start(t)
	rc, err := Dial(redisAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	oc, err := Dial(oursAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	// Where we differ on purpose.
	skip := map[string]string{
		"client|setinfo":  "Redis 7.2 command, absent from 7.0",
		"client|no-touch": "Redis 7.2 command, absent from 7.0",
		"zrank":           "Redis 7.2's WITHSCORE: arity -3 where 7.0 has 3",
		"zrevrank":        "Redis 7.2's WITHSCORE: arity -3 where 7.0 has 3",
	}
	var names []string
	var walk func([]*command.Spec)
	walk = func(specs []*command.Spec) {
		for _, s := range specs {
			names = append(names, s.Name)
			walk(s.Subs)
		}
	}
	walk(command.DefaultTable().All())
	compared := 0
	for _, name := range names {
		if why, ok := skip[name]; ok {
			t.Logf("%s not compared: %s", name, why)
			continue
		}
		rv, err := rc.Do("COMMAND", "INFO", name)
		if err != nil {
			t.Fatal(err)
		}
		ov, err := oc.Do("COMMAND", "INFO", name)
		if err != nil {
			t.Fatal(err)
		}
		if len(rv.Elems) != 1 || rv.Elems[0].Null {
			t.Logf("%s: not a Redis 7.0 command", name)
			continue
		}
		if len(ov.Elems) != 1 || len(ov.Elems[0].Elems) < 7 {
			t.Errorf("%s: our COMMAND INFO = %s", name, ov)
			continue
		}
		// name, arity, flags, first key, last key, step, ACL categories.
		// Flags and categories are sets: sort them; the rest is positional.
		r := resp.Value{Type: '*', Elems: append([]resp.Value(nil), rv.Elems[0].Elems[:7]...)}
		o := resp.Value{Type: '*', Elems: append([]resp.Value(nil), ov.Elems[0].Elems[:7]...)}
		for _, i := range []int{2, 6} {
			r.Elems[i], o.Elems[i] = sorted(r.Elems[i]), sorted(o.Elems[i])
		}
		if r.String() != o.String() {
			t.Errorf("%s:\n\tredis: %s\n\tours:  %s", name, r, o)
		}
		compared++
	}
	if compared < 50 {
		t.Fatalf("only %d commands compared", compared)
	}
	t.Logf("%d commands compared", compared)
}
