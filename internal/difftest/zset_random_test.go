package difftest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/testserver"
)

// TestZSetRandom sends random sorted set commands (and a plain set as an
// algebra input) to both servers, with small listpack limits so both
// encodings and the conversions between them are exercised, then every
// key's contents and encoding. It is a generated script: the replies must
// match exactly, as in the scripts of testdata. It found Redis's tie rule
// in AGGREGATE MIN/MAX and which paths turn -0 into 0.
func TestZSetRandom(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	oursAddr, _ := testserver.Start(t, "--maxmemory-policy", "noeviction")
	for _, entries := range []int{2, 8, 128} {
		t.Run(fmt.Sprintf("entries-%d", entries), func(t *testing.T) {
			steps := randomZSetScript(rand.New(rand.NewPCG(uint64(entries), 7)), entries, 1500)
			mm, err := Run(redisAddr, oursAddr, steps)
			for i, m := range mm {
				if i == 5 {
					t.Errorf("… %d more", len(mm)-5)
					break
				}
				t.Errorf("%s", m)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func randomZSetScript(r *rand.Rand, entries, n int) []Step {
	keys := []string{"k1", "k2", "k3"}
	members := []string{"a", "b", "c", "d", "e", "f", "g", "h", "aa", "ab", "", strings.Repeat("x", 70)}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	score := func() string {
		return pick([]string{"0", "1", "-1", "2.5", "3", "inf", "-inf", "1e3", "-0", "7", "100"})
	}
	bound := func() string {
		return pick([]string{"0", "1", "-1", "2.5", "(1", "(2.5", "inf", "-inf", "+inf", "(-inf", "-0", "7"})
	}
	lex := func() string { return pick([]string{"-", "+", "[a", "(a", "[b", "(c", "[e", "(aa", "[", "(", "[x"}) }
	idx := func() string { return strconv.Itoa(r.IntN(25) - 12) }
	limit := func() []string {
		if r.IntN(2) == 0 {
			return nil
		}
		return []string{"limit", strconv.Itoa(r.IntN(8) - 2), strconv.Itoa(r.IntN(8) - 2)}
	}
	opt := func(p float64, words ...string) []string {
		if r.Float64() < p {
			return words
		}
		return nil
	}
	algebra := func(store bool) []string {
		ks := append([]string(nil), keys...)
		ks = append(ks, "s1")
		r.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
		ks = ks[:1+r.IntN(3)]
		op := pick([]string{"zunion", "zinter", "zdiff"})
		a := []string{op}
		if store {
			a = []string{op + "store", pick(append(keys, "dst"))}
		}
		a = append(a, strconv.Itoa(len(ks)))
		a = append(a, ks...)
		if op != "zdiff" && r.IntN(2) == 0 {
			a = append(a, "weights")
			for range ks {
				a = append(a, score())
			}
		}
		if op != "zdiff" && r.IntN(2) == 0 {
			a = append(a, "aggregate", pick([]string{"sum", "min", "max"}))
		}
		if !store {
			a = append(a, opt(0.5, "withscores")...)
		}
		return a
	}
	var cmds [][]string
	add := func(a ...string) { cmds = append(cmds, a) }
	add("config", "set", "zset-max-listpack-entries", strconv.Itoa(entries))
	add("sadd", "s1", "a", "c", "e", "g", "zz")
	for range n {
		k := pick(keys)
		switch r.IntN(26) {
		case 0, 1, 2, 3, 4:
			a := []string{"zadd", k}
			for _, f := range []string{"nx", "xx", "gt", "lt", "ch", "incr"} {
				a = append(a, opt(0.1, f)...)
			}
			pairs := 1 + r.IntN(4)
			if a[len(a)-1] == "incr" {
				pairs = 1
			}
			for range pairs {
				a = append(a, score(), pick(members))
			}
			add(a...)
		case 5:
			add("zincrby", k, score(), pick(members))
		case 6:
			add("zrem", k, pick(members), pick(members))
		case 7:
			add(append(append([]string{"zrange", k, idx(), idx()}, opt(0.5, "rev")...), opt(0.5, "withscores")...)...)
		case 8:
			a := append([]string{"zrange", k, bound(), bound(), "byscore"}, opt(0.5, "rev")...)
			add(append(append(a, limit()...), opt(0.5, "withscores")...)...)
		case 9:
			add(append([]string{pick([]string{"zrangebyscore", "zrevrangebyscore"}), k, bound(), bound(), "withscores"}, limit()...)...)
		case 10:
			// Lex ranges on a set of one score, the only case Redis defines.
			add("zadd", "lx", "0", pick(members), "0", pick(members))
			add(append(append([]string{"zrange", "lx", lex(), lex(), "bylex"}, opt(0.5, "rev")...), limit()...)...)
		case 11:
			add(append([]string{pick([]string{"zrangebylex", "zrevrangebylex"}), "lx", lex(), lex()}, limit()...)...)
			add("zlexcount", "lx", lex(), lex())
		case 12:
			add("zremrangebylex", "lx", lex(), lex())
		case 13:
			add("zcount", k, bound(), bound())
		case 14:
			add(pick([]string{"zrank", "zrevrank"}), k, pick(members))
		case 15:
			add("zmscore", k, pick(members), pick(members))
		case 16:
			add("zremrangebyscore", k, bound(), bound())
		case 17:
			add("zremrangebyrank", k, idx(), idx())
		case 18:
			add(append([]string{pick([]string{"zpopmin", "zpopmax"}), k}, opt(0.5, strconv.Itoa(r.IntN(5)))...)...)
		case 19:
			add(algebra(false)...)
		case 20:
			add(algebra(true)...)
		case 21:
			add("zrangestore", pick(append(keys, "dst")), k, idx(), idx())
		case 22:
			add(append([]string{"zrangestore", pick(append(keys, "dst")), k, bound(), bound(), "byscore"}, opt(0.5, "rev")...)...)
		case 23:
			add(append([]string{"zmpop", "2", k, pick(keys), pick([]string{"min", "max"})}, opt(0.5, "count", strconv.Itoa(1+r.IntN(4)))...)...)
		case 24:
			add(append([]string{"zintercard", "2", k, pick(append(keys, "s1"))}, opt(0.5, "limit", strconv.Itoa(r.IntN(4)))...)...)
		default:
			add("zrandmember", k, "50", "withscores") // the whole set, in Redis's order
		}
		// The state, after every command: contents and encodings.
		for _, key := range append(keys, "dst", "lx") {
			add("zrange", key, "0", "-1", "withscores")
			add("object", "encoding", key)
		}
	}
	add("config", "set", "zset-max-listpack-entries", "128")
	steps := make([]Step, len(cmds))
	for i, a := range cmds {
		steps[i] = Step{Line: i + 1, Conn: "A", Args: a, Source: strings.Join(a, " ")}
	}
	return steps
}
