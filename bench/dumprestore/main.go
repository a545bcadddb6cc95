// Command dumprestore times DUMP and RESTORE … REPLACE, pipelined, of a
// string, a 100-field hash, a 10,000-element list and a 1,000-member sorted
// set on each server given (host:port …; it FLUSHALLs them), the best of
// three runs: go run ./bench/dumprestore 127.0.0.1:6379 127.0.0.1:2345
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	ctx := context.Background()
	for _, addr := range os.Args[1:] {
		c := redis.NewClient(&redis.Options{Addr: addr})
		c.FlushAll(ctx)
		c.Set(ctx, "s", strings.Repeat("smallredis ", 10), 0)
		var f []any
		for i := range 100 {
			f = append(f, fmt.Sprintf("field%d", i), fmt.Sprintf("value%d", i))
		}
		c.HSet(ctx, "h", f...)
		var l []any
		for i := range 10000 {
			l = append(l, fmt.Sprintf("element-%d", i))
		}
		c.RPush(ctx, "l", l...)
		var z []redis.Z
		for i := range 1000 {
			z = append(z, redis.Z{Score: float64(i) * 1.5, Member: fmt.Sprintf("member-%d", i)})
		}
		c.ZAdd(ctx, "z", z...)
		for _, k := range []string{"s", "h", "l", "z"} {
			p := c.Dump(ctx, k).Val()
			n := 20000
			if k == "l" || k == "z" {
				n = 2000
			}
			best := func(f func()) time.Duration {
				b := time.Duration(1 << 62)
				for range 3 {
					st := time.Now()
					f()
					b = min(b, time.Since(st))
				}
				return b / time.Duration(n)
			}
			d := best(func() {
				pp := c.Pipeline()
				for range n {
					pp.Dump(ctx, k)
				}
				pp.Exec(ctx)
			})
			r := best(func() {
				pp := c.Pipeline()
				for range n {
					pp.RestoreReplace(ctx, k+":r", 0, p)
				}
				pp.Exec(ctx)
			})
			fmt.Printf("%s %s payload %d B: DUMP %v/op, RESTORE REPLACE %v/op\n", addr, k, len(p), d, r)
		}
		c.Close()
	}
}
