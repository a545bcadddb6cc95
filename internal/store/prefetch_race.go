//go:build race

package store

// Prefetch is a no-op in race builds (see prefetch.go).
func (db *DB) Prefetch(key []byte) {}
