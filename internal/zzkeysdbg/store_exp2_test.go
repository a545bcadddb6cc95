package zzkeysdbg

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/store"
)

func TestZZStoreExpiredCountConcurrent(t *testing.T) {
	ks := store.New(16)
	db := ks.DB(0)
	const n = 1000000
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g * n / 8; i < (g+1)*n/8; i++ {
				now := store.NowMs()
				db.Update([]byte(fmt.Sprintf("exp:%d", i)), now, func(e *store.Entry) {
					e.SetStr([]byte("v"))
					e.SetExpireAt(now + 1000)
				})
			}
		}(g)
	}
	wg.Wait()
	t.Log("len", db.Len(), "expired", ks.ExpiredKeys(), "sum", int64(db.Len())+ks.ExpiredKeys())
	time.Sleep(1100 * time.Millisecond)
	total := 0
	for i := 0; i < 10000 && db.Len() > 0; i++ {
		total += ks.ActiveExpireCycle(store.NowMs(), 25*time.Millisecond)
	}
	t.Log("len", db.Len(), "expired", ks.ExpiredKeys(), "returned", total)
}
