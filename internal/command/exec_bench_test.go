package command

import (
	"strconv"
	"testing"
)

// BenchmarkExecGetSet is the cost of dispatch (gate included) around a
// GET/SET pair, without the network.
func BenchmarkExecGetSet(b *testing.B) {
	s := newStrServer(b)
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
	}
	val := []byte("0123456789abcdef0123456789abcdef")
	set, get := [][]byte{[]byte("SET"), nil, val}, [][]byte{[]byte("GET"), nil}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := keys[i&1023]
		set[1], get[1] = k, k
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, set, &s.w)
		s.srv.Exec(s.c, &s.ctx, get, &s.w)
	}
}
