package store

import (
	"runtime"
	"sync"
	"time"
)

// Active expiry, after Redis's activeExpireCycle: visit shards round-robin
// across all databases; in each, examine up to expireSample keys with a TTL
// (walking the table from where the last visit stopped; the TTL bit in the
// slot skips other keys without reading their records), delete the expired
// ones, and repeat on the same shard while more than a quarter of the sample
// had expired. Each step holds one shard's lock for a few microseconds, so
// other clients barely notice; the budget is checked after every step.
const (
	expireSample = 20 // keys with a TTL examined per step (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP)
	// expireMaxSlots bounds the slots walked per step when keys with a TTL
	// are sparse: checking a slot's TTL bit is a sequential read (2048 slots
	// are 16 KiB, about a microsecond), but a sample much smaller than 20
	// says little about how many keys are stale.
	expireMaxSlots = 2048
)

// SetExpiryGate makes the active expiry cycle hold l around each step (the
// step and the delivery of its changes): the command layer's world gate, so
// that no key expires while a transaction runs.
func (ks *Keyspace) SetExpiryGate(l sync.Locker) {
	ks.expMu.Lock()
	ks.expGate = l
	ks.expMu.Unlock()
}

// ActiveExpireCycle deletes expired keys for up to budget and returns how
// many, delivering the changes to the feed's listeners after each step. Call
// it periodically (Redis: 10 times a second with 25 ms); a cycle that runs
// out of time resumes at the same shard next time. Concurrent calls return
// at once.
func (ks *Keyspace) ActiveExpireCycle(now int64, budget time.Duration) (expired int) {
	if !ks.expMu.TryLock() {
		return 0
	}
	defer ks.expMu.Unlock()
	start := time.Now()
	deadline, yield := start.Add(budget), start.Add(time.Millisecond)
	dbs := *ks.dbs.Load()
	total := len(dbs) * numShards
	if total == 0 {
		return 0
	}
	for range total {
		pos := ks.expPos % total
		sh := &dbs[pos/numShards].shards[pos%numShards]
		// Objects with deadlines of their own first (hash fields), as
		// Redis 7.4's activeExpireCycle does.
		for sh.ndl.Load() > 0 {
			ks.enterStep()
			sampled, due := sh.objExpireStep(now)
			ks.Drain()
			ks.exitStep()
			if !pace(deadline, &yield) {
				return expired
			}
			if sampled == 0 || due*4 <= sampled {
				break
			}
		}
		for sh.nexp.Load() > 0 {
			ks.enterStep()
			n, sampled := sh.expireStep(now)
			ks.Drain()
			ks.exitStep()
			expired += n
			if !pace(deadline, &yield) {
				return expired
			}
			if sampled == 0 || n*4 <= sampled {
				break
			}
		}
		ks.expPos = pos + 1
	}
	return expired
}

func (ks *Keyspace) enterStep() {
	if ks.expGate != nil {
		ks.expGate.Lock()
	}
}

func (ks *Keyspace) exitStep() {
	if ks.expGate != nil {
		ks.expGate.Unlock()
	}
}

// pace reports whether the cycle may go on, yielding the processor every
// millisecond: on a 2-core machine a 25 ms burst would hold a whole core.
func pace(deadline time.Time, yield *time.Time) bool {
	t := time.Now()
	if t.After(deadline) {
		return false
	}
	if t.After(*yield) {
		runtime.Gosched()
		*yield = t.Add(time.Millisecond)
	}
	return true
}

// expireStep examines one sample of the shard's keys with a TTL and deletes
// the expired ones. It returns how many it deleted and examined.
func (sh *shard) expireStep(now int64) (expired, sampled int) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := &sh.tab
	if len(t.slots) == 0 || sh.expires == 0 {
		return 0, 0
	}
	p := sh.expPos % len(t.slots)
	for walked := 0; walked < expireMaxSlots && sampled < expireSample; {
		s := t.slots[p]
		if s&slotTTL != 0 {
			sampled++
			r := sh.ar.rec(slotLoc(s))
			if r.expired(now) {
				n := len(t.slots)
				sh.deleteSlot(p, ChangeExpired)
				expired++
				if len(t.slots) != n { // shrunk: positions changed, restart from the top
					p = 0
					if len(t.slots) == 0 {
						break
					}
				}
				continue // backward shift moved the next entry into p
			}
		}
		p = t.next(p)
		walked++
	}
	sh.expPos = p
	sh.expOp += expired
	// Compaction may delete more expired keys it finds while moving records.
	return sh.maintain(now), sampled
}
