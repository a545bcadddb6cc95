package lualib

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestOrderAgainstRedis compares the key order of cjson.encode and
// cmsgpack.pack for tables of several keys, built three ways, with Redis.
func TestOrderAgainstRedis(t *testing.T) {
	addr := os.Getenv("LUALIB_RECORD")
	if addr == "" {
		t.Skip("set LUALIB_RECORD=host:port of a redis-server 7.0")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	r := rand.New(rand.NewSource(3))
	n := 1000
	if s := os.Getenv("LUALIB_RANDOM_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	bad := map[string]int{}
	total := map[string]int{}
	for i := 0; i < n; i++ {
		nk := 2 + r.Intn(12)
		strOnly := i%2 == 0
		var keys []string
		seen := map[string]bool{}
		for len(keys) < nk {
			var k string
			c := r.Intn(6)
			if strOnly {
				c = 5
			}
			switch c {
			case 0:
				k = fmt.Sprintf("[%d]", 1+r.Intn(20))
			case 1:
				k = fmt.Sprintf("[%d]", r.Intn(2000)-1000)
			default:
				k = fmt.Sprintf("['%s']", pick(r, "a", "b", "c", "d", "id", "name", "x", "y", "z", "status", "count", "tags", "k1", "k2", "k3", "foo", "bar", "longer_key_name", "v"))
			}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		var ctor, inc, sets []string
		for j, k := range keys {
			ctor = append(ctor, fmt.Sprintf("%s=%d", k, j))
			sets = append(sets, fmt.Sprintf("t%s=%d", k, j))
		}
		inc = append(inc, "local t = {} "+strings.Join(sets, " "))
		var jsonKeys []string
		for j, k := range keys {
			if strings.HasPrefix(k, "['") {
				jsonKeys = append(jsonKeys, fmt.Sprintf(`"%s":%d`, k[2:len(k)-2], j))
			}
		}
		jsonText := "{" + strings.Join(jsonKeys, ",") + "}"
		for how, body := range map[string]string{
			"constructor": "local t = {" + strings.Join(ctor, ",") + "}",
			"assignments": inc[0],
			"decoded":     "local t = cjson.decode('" + jsonText + "')",
			"decoded+":    "local t = cjson.decode('" + jsonText + "') t.added = 1 t.more = 2",
			"unpacked":    "local t = cmsgpack.unpack(cmsgpack.pack(cjson.decode('" + jsonText + "')))",
		} {
			for _, enc := range []string{"cjson.encode(t)", "cmsgpack.pack(t)"} {
				kind := how + "/" + enc[:5] + "/" + fmt.Sprint(strOnly)
				script := body + " local ok, r = pcall(function() return " + enc + " end) return r"
				want, err := rdb.Eval(ctx, script, nil).Text()
				if err != nil {
					t.Fatal(err)
				}
				L := newState()
				err = L.DoString(script)
				got := L.Get(-1).String()
				L.Close()
				if err != nil {
					t.Fatal(err)
				}
				total[kind]++
				if got != want {
					bad[kind]++
					if bad[kind] <= 3 {
						t.Logf("%s\n got %q\nwant %q", script, got, want)
					}
				}
			}
		}
	}
	t.Logf("differences per kind: %v of %v", bad, total)
}
