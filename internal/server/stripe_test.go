package server_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smallredis/smallredis/internal/testserver"
)

// The statistics every command moves are striped per event loop: INFO must
// still report the exact totals of commands run on every loop at once, and
// CONFIG RESETSTAT must clear every stripe.
func TestStripedStatsSum(t *testing.T) {
	addr, _ := testserver.Start(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const conns, per = 8, 200
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
			defer c.Close()
			for i := range per {
				if i%2 == 0 {
					c.Set(ctx, "k", "v", 0)
				} else {
					c.Get(ctx, "k")
				}
			}
		}()
	}
	wg.Wait()
	info := admin.Info(ctx, "stats", "commandstats").Val()
	for _, want := range []string{
		"keyspace_hits:800\r\n",
		"cmdstat_set:calls=800,",
		"cmdstat_get:calls=800,",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	// Each client's HELLO/CLIENT SETINFO count too: at least the GETs and SETs.
	if n, _ := strconv.Atoi(infoField(t, admin, "total_commands_processed")); n < conns*per {
		t.Errorf("total_commands_processed %d, want at least %d", n, conns*per)
	}
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	info = admin.Info(ctx, "stats", "commandstats").Val()
	if strings.Contains(info, "cmdstat_get:") || !strings.Contains(info, "keyspace_hits:0\r\n") {
		t.Errorf("after RESETSTAT:\n%s", info)
	}
}
