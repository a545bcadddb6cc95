package command

import "github.com/smallredis/smallredis/internal/store"

// The one lookup every collection command starts with, so WRONGTYPE and
// the keyspace hit/miss counters are decided in one place, as Redis's
// lookupKeyRead/lookupKeyWrite followed by checkType.

// readTyped checks the key a read command looks up: it counts the keyspace
// hit or miss, answers WRONGTYPE itself when the key holds another type,
// and reports whether the key exists and whether the caller may go on
// (ok is false only after the WRONGTYPE reply). A missing key is ok with
// exists false: the caller replies its command's empty answer.
func readTyped(ctx *Ctx, e *store.Entry, t store.Type) (exists, ok bool) {
	if !e.Exists() {
		ctx.MissKey(e)
		return false, true
	}
	ctx.Hit()
	if e.Type() != t {
		ctx.Err(ErrWrongType)
		return true, false
	}
	return true, true
}

// writeTyped is readTyped for write commands, which Redis does not count
// as keyspace hits or misses.
func writeTyped(ctx *Ctx, e *store.Entry, t store.Type) (exists, ok bool) {
	if !e.Exists() {
		return false, true
	}
	if e.Type() != t {
		ctx.Err(ErrWrongType)
		return true, false
	}
	return true, true
}
