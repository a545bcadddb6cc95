package resp

import (
	"strconv"
	"testing"
)

// Bulk writes its header by hand: every length's digits, and both forms.
func TestBulkLengths(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000, 65535, 123456, 1 << 20} {
		v := make([]byte, n)
		for i := range v {
			v[i] = byte('a' + i%26)
		}
		want := "$" + strconv.Itoa(n) + "\r\n" + string(v) + "\r\n"
		var w Writer
		w.B = append(w.B, "prefix"...)
		w.Bulk(v)
		w.BulkString(string(v))
		if got := string(w.B); got != "prefix"+want+want {
			t.Fatalf("length %d: got %q…", n, got[:min(len(got), 40)])
		}
	}
}

func BenchmarkBulk(b *testing.B) {
	var w Writer
	v := make([]byte, 16)
	for b.Loop() {
		w.B = w.B[:0]
		for range 100 {
			w.Bulk(v)
		}
	}
}
