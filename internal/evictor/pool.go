package evictor

import "bytes"

// poolSize is Redis's EVPOOL_SIZE.
const poolSize = 16

// poolEntry is one candidate: a copy of its key, its database index, and its
// score when sampled (Redis's "idle": the higher, the sooner it goes).
type poolEntry struct {
	score uint64
	hash  uint64 // store.KeyHash of key: compared before the key
	key   []byte // owned; the buffer is recycled between entries
	db    int
	used  bool
}

// pool is Redis's eviction pool: candidates in ascending score, the best at
// the end. Scores are not refreshed, so a pooled key that was accessed since
// is still evicted on its old score, as in Redis; the pool only carries good
// candidates from round to round so that a few samples per round approximate
// the policy over many keys.
type pool struct {
	e [poolSize]poolEntry
}

// insert offers a sampled key (evictionPoolPopulate's insertion): it goes
// before the first entry scoring at least as much; when the pool is full a
// key scoring below every entry is dropped, otherwise the worst entry makes
// room. Unlike Redis, a key already pooled is not added twice, so repeated
// samples of one key do not crowd others out.
func (p *pool) insert(db int, key []byte, hash, score uint64) {
	k := 0
	for k < poolSize && p.e[k].used && p.e[k].score < score {
		k++
	}
	last := poolSize - 1
	if k == 0 && p.e[last].used {
		return // worse than everything in a full pool: no need to look for it
	}
	for j := 0; j < poolSize && p.e[j].used; j++ { // used entries are a prefix
		if p.e[j].hash == hash && p.e[j].db == db && bytes.Equal(p.e[j].key, key) {
			return
		}
	}
	switch {
	case k < poolSize && !p.e[k].used:
		// an empty slot: nothing to move
	case !p.e[last].used:
		// room on the right: shift k.. one place right into the free slot
		free := p.e[last].key
		copy(p.e[k+1:], p.e[k:last])
		p.e[k].key = free
	default:
		// full: drop the worst (index 0), shifting 1..k-1 left
		k--
		free := p.e[0].key
		copy(p.e[:k], p.e[1:k+1])
		p.e[k].key = free
	}
	p.e[k] = poolEntry{score: score, hash: hash, key: append(p.e[k].key[:0], key...), db: db, used: true}
}

// take removes and returns the best remaining candidate, the entry to the
// right; ok is false when the pool is empty. The key stays valid until the
// next insert.
func (p *pool) take() (db int, key []byte, ok bool) {
	for k := poolSize - 1; k >= 0; k-- {
		if e := &p.e[k]; e.used {
			e.used = false
			return e.db, e.key, true
		}
	}
	return 0, nil, false
}

// reset empties the pool (the policy changed: old scores mean nothing).
func (p *pool) reset() {
	for k := range p.e {
		p.e[k].used = false
		p.e[k].score = 0
	}
}
