package server

import (
	"bytes"
	"testing"
)

// The queue hands over big owned buffers, copies small data, never
// appends to data it does not own, and its counts follow what is written.
func TestOutputQueue(t *testing.T) {
	big := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	type step struct {
		push     []byte
		owned    bool
		consume  int
		wantKept bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"small data is coalesced", []step{
			{push: []byte("+OK\r\n"), owned: true},
			{push: []byte(":1\r\n"), owned: false},
			{consume: 3},
			{push: []byte("$1\r\nx\r\n"), owned: true},
			{consume: 13},
		}},
		{"a big owned buffer is kept whole", []step{
			{push: big('a', replyChunk), owned: true, wantKept: true},
			{push: []byte("+OK\r\n"), owned: true},
			{consume: replyChunk - 1},
			{consume: 6},
		}},
		{"shared data is never appended to", []step{
			{push: append(make([]byte, 0, 2*replyChunk), big('b', replyChunk)...), owned: false, wantKept: true},
			{push: []byte("tail"), owned: true},
			{consume: replyChunk + 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o output
			var want []byte // what is still to be written, in order
			for i, st := range tt.steps {
				if st.push != nil {
					src := st.push
					before := append([]byte(nil), src[:cap(src)]...)
					if kept := o.push(src, st.owned); kept != st.wantKept {
						t.Fatalf("step %d: push kept = %v, want %v", i, kept, st.wantKept)
					}
					if !st.owned && !bytes.Equal(src[:cap(src)], before) {
						t.Fatalf("step %d: data not owned was written to", i)
					}
					want = append(want, st.push...)
				}
				if st.consume > 0 {
					o.consume(st.consume)
					want = want[st.consume:]
				}
				var got []byte
				var held int64
				for j, b := range o.queue {
					held += int64(cap(b))
					if j == 0 {
						b = b[o.off:]
					}
					got = append(got, b...)
				}
				if !bytes.Equal(got, want) || o.queued != int64(len(want)) || o.held != held {
					t.Fatalf("step %d: queue %q (queued %d, held %d), want %q (held %d)",
						i, got, o.queued, o.held, want, held)
				}
			}
			if len(o.queue) != 0 || o.queue != nil {
				t.Fatalf("queue not released: %d chunks", len(o.queue))
			}
		})
	}
}
