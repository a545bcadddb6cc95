package store

import "testing"

// BenchmarkGetBatch16 reads random keys of a 1 M-key database 16 at a
// time, as a pipelined batch runs them, with and without asking for the
// batch's table slots first (Prefetch, as server.prefetch does). The
// records themselves are not prefetched: reading a slot to find its record
// stalls on the slot, and doing so a few commands ahead measured no gain.
func BenchmarkGetBatch16(b *testing.B) {
	db, keys := populated(b, benchKeyCount)
	for _, mode := range []string{"plain", "prefetch"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			var batch [16][]byte
			for b.Loop() {
				for j := range batch {
					batch[j] = keys[i&(benchKeyCount-1)]
					i += 7919
				}
				if mode == "prefetch" {
					for _, k := range batch {
						db.Prefetch(k)
					}
				}
				for _, k := range batch {
					db.View(k, t0, func(e *Entry) { sink += len(e.Str()) })
				}
			}
		})
	}
}
