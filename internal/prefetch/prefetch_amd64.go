package prefetch

//go:noescape
func addr(p uintptr)
