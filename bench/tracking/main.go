// Command tracking measures what client-side caching buys: rueidis reads
// (DoCache GET) on a read-heavy Zipf workload, with the client's cache on
// (CLIENT TRACKING, invalidations) or off (DisableCache), against one server.
// It prints one JSON line: reads/s, writes/s, and how many reads the local
// cache served. bench/tracking.sh runs it against redis-server and
// smallredis side by side.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	cache := flag.Bool("cache", true, "client-side caching on (off: DisableCache)")
	keys := flag.Int("keys", 10000, "key space")
	workers := flag.Int("workers", 16, "concurrent goroutines")
	writePct := flag.Int("write-pct", 5, "percentage of operations that are SETs")
	dur := flag.Duration("duration", 5*time.Second, "measured run time")
	zipfS := flag.Float64("zipf", 1.1, "Zipf exponent s (> 1)")
	flag.Parse()

	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{*addr}, DisableCache: !*cache})
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracking:", err)
		os.Exit(1)
	}
	defer c.Close()
	ctx := context.Background()
	val := make([]byte, 64)
	for i := range *keys {
		if err := c.Do(ctx, c.B().Set().Key("t:"+strconv.Itoa(i)).Value(string(val)).Build()).Error(); err != nil {
			fmt.Fprintln(os.Stderr, "tracking: fill:", err)
			os.Exit(1)
		}
	}
	var reads, writes, hits atomic.Int64
	var failed atomic.Value
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(w) + 1))
			z := rand.NewZipf(r, *zipfS, 1, uint64(*keys-1))
			for n := 0; ; n++ {
				if n%64 == 0 && time.Now().After(stop) {
					return
				}
				key := "t:" + strconv.FormatUint(z.Uint64(), 10)
				if r.Intn(100) < *writePct {
					if err := c.Do(ctx, c.B().Set().Key(key).Value(string(val)).Build()).Error(); err != nil {
						failed.Store(err.Error())
						return
					}
					writes.Add(1)
					continue
				}
				resp := c.DoCache(ctx, c.B().Get().Key(key).Cache(), time.Minute)
				if err := resp.Error(); err != nil {
					failed.Store(err.Error())
					return
				}
				if resp.IsCacheHit() {
					hits.Add(1)
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		fmt.Fprintln(os.Stderr, "tracking:", f)
		os.Exit(1)
	}
	secs := dur.Seconds()
	out, _ := json.Marshal(map[string]any{
		"cache": *cache, "reads_per_sec": int64(float64(reads.Load()) / secs),
		"writes_per_sec": int64(float64(writes.Load()) / secs),
		"local_hit_pct":  100 * float64(hits.Load()) / float64(max(1, reads.Load())),
	})
	fmt.Println(string(out))
}
