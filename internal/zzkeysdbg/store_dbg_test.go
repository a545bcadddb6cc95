package zzkeysdbg

import (
	"fmt"
	"testing"

	"github.com/smallredis/smallredis/internal/store"
)

func TestZZStoreScan(t *testing.T) {
	ks := store.New(16)
	db := ks.DB(0)
	now := store.NowMs()
	for i := 0; i < 5000; i++ {
		db.Update([]byte(fmt.Sprintf("stable:%d", i)), now, func(e *store.Entry) { e.SetStr([]byte("v")) })
	}
	var got []string
	next := db.Scan(0, 20, now, func(k []byte, _ store.Type) { got = append(got, string(k)) })
	t.Log(next, got)
}
