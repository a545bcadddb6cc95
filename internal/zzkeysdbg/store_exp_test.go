package zzkeysdbg

import (
	"fmt"
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/store"
)

func TestZZStoreExpiredCount(t *testing.T) {
	ks := store.New(16)
	db := ks.DB(0)
	now := store.NowMs()
	const n = 200000
	for i := 0; i < n; i++ {
		db.Update([]byte(fmt.Sprintf("exp:%d", i)), now+int64(i/50), func(e *store.Entry) {
			e.SetStr([]byte("v"))
			e.SetExpireAt(now + 1000 + int64(i/50))
		})
	}
	t.Log("len", db.Len(), "expired", ks.ExpiredKeys())
	later := now + 5000 + n/50
	total := 0
	for i := 0; i < 10000 && db.Len() > 0; i++ {
		total += ks.ActiveExpireCycle(later, 25*time.Millisecond)
	}
	t.Log("len", db.Len(), "expired", ks.ExpiredKeys(), "returned", total)
}
