package evict

// Policy ranks keys for sampled eviction. The eviction mechanism owns memory
// accounting, sampling and the eviction pool; a Policy owns only the 32-bit
// metadata word stored with each key and whatever fixed-size global state it
// needs. Every method is safe for concurrent use.
//
// keyHash is a 64-bit hash of the key, the same for every call about one key
// for the life of the process (a seeded maphash is fine). now is the cached
// wall clock in unix milliseconds (store.NowMs); policies may ignore it.
type Policy interface {
	// Name is the policy's name without the allkeys-/volatile- prefix.
	Name() string

	// Insert returns the metadata word for a key being created.
	Insert(keyHash uint64, now int64) uint32

	// Access returns the metadata word after an access (read or overwrite)
	// to an existing key whose word is meta. It runs on every hit, so it is
	// O(1), allocation-free and lock-free. Callers store the result only
	// when it differs from meta, so that readers of a hot key do not keep
	// writing its cache line.
	Access(keyHash uint64, meta uint32, now int64) uint32

	// Rank scores a sampled key: the lower, the sooner it should be evicted.
	// Ranks are comparable across keys only within one eviction round (they
	// may depend on the time).
	Rank(keyHash uint64, meta uint32, now int64) uint64

	// Evicted reports that the mechanism evicted a key (not that it was
	// deleted or expired), so the policy can remember it.
	Evicted(keyHash uint64, meta uint32, now int64)

	// Resize tells the policy how many keys the cache holds when full, so it
	// can size its fixed structures. The mechanism calls it when maxmemory
	// or the mean key size changes by a large factor, not on every write.
	Resize(capacityKeys int)
}
