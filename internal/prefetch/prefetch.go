// Package prefetch asks the CPU to start loading memory that code will read
// soon, so that several independent cache misses overlap instead of
// following each other. It owns nothing but that hint: it never reads the
// memory, so an address that is stale or outside any object is harmless.
package prefetch

// Addr hints that the memory at address p will be read soon. It takes a
// uintptr, not a pointer, so that an address computed past an object's end
// is never seen by the garbage collector as a pointer.
func Addr(p uintptr) { addr(p) }
