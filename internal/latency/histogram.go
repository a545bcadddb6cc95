package latency

import "math/bits"

// Redis keeps each command's latencies in an HDR histogram of nanoseconds
// (1 ns to 1 s, two significant digits) and LATENCY HISTOGRAM reports it
// at power-of-two steps from 1024 ns: each step's count is that of the
// values up to the highest value the histogram cannot tell apart from
// 1024·2^j, which is 1024·2^j + 2^(j+3) − 1 = 1032·2^j − 1 ns. Counting
// straight into those steps gives the same reply from a fixed array of
// counters and one bits.Len64, with nothing to allocate or lock.

// Buckets is how many buckets a histogram has: 1 s is in the last.
const Buckets = 21

const maxUsec = 1_000_000 // Redis clamps latencies to 1 s

// Bucket is the bucket of a latency of usec microseconds (Redis records
// whole microseconds, in nanoseconds).
func Bucket(usec int64) int {
	u := uint64(min(max(usec, 0), maxUsec))
	return bits.Len64(u * 1000 / 1032)
}

// upper is the largest latency in bucket j, in nanoseconds.
func upper(j int) int64 { return 1032<<j - 1 }

// BucketUsec is bucket j's label in LATENCY HISTOGRAM: its largest
// latency in whole microseconds.
func BucketUsec(j int) int64 { return upper(j) / 1000 }

// Percentile is the latency, in microseconds, that p percent (0 to 100)
// of the counted calls did not exceed, as Redis's hdr_value_at_percentile
// reports it (the bucket's highest value; its lowest for p = 0). counts
// are the buckets' own (not cumulative) counts.
func Percentile(counts *[Buckets]int64, p float64) float64 {
	var total int64
	for _, n := range counts {
		total += n
	}
	rank := max(int64(min(p, 100)/100*float64(total)+0.5), 1)
	var cum int64
	for j, n := range counts {
		if cum += n; cum >= rank {
			if p == 0 {
				if j == 0 {
					return 0
				}
				return float64(upper(j-1)+1) / 1000
			}
			return float64(upper(j)) / 1000
		}
	}
	return 0
}
