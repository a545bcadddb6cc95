//go:build !linux

package resp

import "time"

func cpuTime(f func()) time.Duration {
	t0 := time.Now()
	f()
	return time.Since(t0)
}
