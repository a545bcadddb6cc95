package command

import (
	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/list"
	settype "github.com/smallredis/smallredis/internal/set"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
	"github.com/smallredis/smallredis/internal/zset"
)

// Lazy freeing. Here the Go collector frees every deleted value in the
// background, whatever deleted it, so no DEL of a large collection stalls
// the server (Redis needs UNLINK or the lazyfree-lazy-* directives for
// that). INFO memory's lazyfreed_objects still counts what Redis's lazy-free
// thread would have freed, so tools and tests reading it see Redis's
// figure: each value UNLINK (or DEL with lazyfree-lazy-user-del) removes
// whose free effort exceeds Redis's LAZYFREE_THRESHOLD, and every key of a
// database FLUSHDB / FLUSHALL ASYNC (or lazyfree-lazy-user-flush) empties.
// Deletes by expiry, eviction and overwrites (lazyfree-lazy-expire,
// -eviction, -server-del) are not counted. lazyfree_pending_objects is
// always 0: nothing waits for a thread.

// lazyfreeThreshold is Redis's LAZYFREE_THRESHOLD.
const lazyfreeThreshold = 64

// freeEffort is Redis 7.0's lazyfreeGetFreeEffort: about how many
// allocations freeing the value takes.
func freeEffort(e *store.Entry) int {
	if e.Type() == store.TypeString {
		return 1
	}
	switch o := e.Obj().(type) {
	case *hash.Hash:
		if o.Encoding() == "hashtable" {
			return o.Len()
		}
	case *settype.Set:
		if o.Encoding() == "hashtable" {
			return o.Len()
		}
	case *zset.ZSet:
		if o.Encoding() == "skiplist" {
			return o.Len()
		}
	case *list.List:
		return o.NodeCount()
	case *stream.Stream:
		// Its nodes, and each group with its PEL, the first group's
		// standing for all, as Redis estimates it.
		n := o.Nodes()
		if g := o.Groups(); len(g) > 0 {
			n += len(g) * (1 + g[0].PendingLen())
		}
		return n
	}
	return 1
}

// countLazyFree counts e's value in lazyfreed_objects if Redis would have
// handed it to its lazy-free thread.
func countLazyFree(s *Server, e *store.Entry) {
	if freeEffort(e) > lazyfreeThreshold {
		s.Stats.LazyFreed.Add(1)
	}
}
