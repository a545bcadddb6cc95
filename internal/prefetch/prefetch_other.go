//go:build !amd64

package prefetch

func addr(uintptr) {}
