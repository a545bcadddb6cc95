package store

import (
	"math/rand/v2"
	"sync/atomic"
)

// Every record carries a 32-bit metadata word for eviction, kept for both
// Redis policies at once so OBJECT IDLETIME and OBJECT FREQ work whatever the
// policy:
//
//	bits 8..31  LRU clock: unix seconds mod 2^24 at the last access (Redis's
//	            resolution and wrap-around, 194 days)
//	bits 0..7   LFU logarithmic counter (Redis's: new keys start at 5, an access
//	            increments with probability 1/((c-5)*lfu-log-factor+1), one
//	            point of decay per lfu-decay-time idle minutes, measured from
//	            the LRU clock)
//
// A policy of our own may take the word over (Keyspace.SetMetaPolicy in
// evict.go); the eviction mechanism reads it through DB.SampleEvict.
const (
	lruMask      = 1<<24 - 1
	lfuInit      = 5
	lfuLogFactor = 10 // Redis's default lfu-log-factor
	lfuDecayMins = 1  // Redis's default lfu-decay-time
)

func lruClock(now int64) uint32 { return uint32(now/1000) & lruMask }

func newMeta(now int64) uint32 { return lruClock(now)<<8 | lfuInit }

// idleSeconds is the time since the last access, modulo the clock's wrap.
func idleSeconds(meta uint32, now int64) int64 {
	return int64((lruClock(now) - meta>>8) & lruMask)
}

// lfuCount is the counter after decay for the time idle: one point per
// decayMins minutes (never with decayMins 0, as Redis's lfu-decay-time 0).
func lfuCount(meta uint32, now int64, decayMins int) int {
	c := int(meta & 0xff)
	if decayMins <= 0 {
		return c
	}
	if periods := int(idleSeconds(meta, now) / 60 / int64(decayMins)); periods > 0 {
		c = max(0, c-periods)
	}
	return c
}

func lfuIncr(c, logFactor int) int {
	if c == 255 {
		return c
	}
	base := c - lfuInit
	if base <= 0 || rand.Uint32N(uint32(base*logFactor+1)) == 0 {
		c++
	}
	return c
}

// touchMeta records an access. It stores only when the word changes: within a
// second a warm key's word rarely does, so concurrent readers of a hot key do
// not keep stealing its cache line from each other.
func touchMeta(p *uint32, now int64, logFactor, decayMins int) {
	old := atomic.LoadUint32(p)
	nw := lruClock(now)<<8 | uint32(lfuIncr(lfuCount(old, now, decayMins), logFactor))
	if nw != old {
		atomic.StoreUint32(p, nw)
	}
}

// MetaIdle is m with its last access set idle seconds before now (RESTORE
// … IDLETIME under an LRU policy), its LFU counter kept.
func MetaIdle(m uint32, now, idle int64) uint32 {
	return uint32(int64(lruClock(now))-idle)&lruMask<<8 | m&0xff
}

// MetaFreq is the word of a key whose LFU counter is freq (0…255), decay
// counted from now (RESTORE … FREQ under an LFU policy).
func MetaFreq(now int64, freq int) uint32 { return lruClock(now)<<8 | uint32(freq) }
