package sim

import "math/rand/v2"

// RedisLRU is allkeys-lru as Redis 7 implements it: the key's 24-bit LRU
// field holds the one-second LRU clock of its last access
// (LRU_CLOCK_RESOLUTION 1000 ms), and the score is estimateObjectIdleTime.
type RedisLRU struct{}

const (
	lruClockMax = 1<<24 - 1
	lruClockRes = 1000
)

func lruClock(now int64) uint32 { return uint32(now/lruClockRes) & lruClockMax }

func (RedisLRU) Name() string                                { return "redis-lru" }
func (RedisLRU) Insert(_ uint64, now int64) uint32           { return lruClock(now) }
func (RedisLRU) Access(_ uint64, _ uint32, now int64) uint32 { return lruClock(now) }
func (RedisLRU) Evicted(uint64, uint32, int64)               {}
func (RedisLRU) Resize(int)                                  {}

func (RedisLRU) Rank(_ uint64, meta uint32, now int64) uint64 {
	return ^estimateObjectIdleTime(meta, now)
}

func estimateObjectIdleTime(lru uint32, now int64) uint64 {
	clock := uint64(lruClock(now))
	if clock >= uint64(lru) {
		return (clock - uint64(lru)) * lruClockRes
	}
	return (clock + (lruClockMax - uint64(lru))) * lruClockRes
}

// RedisLFU is allkeys-lfu as Redis 7 implements it: 16 bits of minutes of the
// last decrement time and an 8-bit logarithmic counter (LFULogIncr with
// lfu-log-factor, LFUDecrAndReturn with lfu-decay-time in minutes, new keys
// at LFU_INIT_VAL 5). The pool score is 255-counter.
type RedisLFU struct {
	LogFactor, DecayTime int
	rng                  *rand.Rand
}

const lfuInitVal = 5

// NewRedisLFU has Redis's defaults: lfu-log-factor 10, lfu-decay-time 1.
func NewRedisLFU(seed uint64) *RedisLFU {
	return &RedisLFU{LogFactor: 10, DecayTime: 1, rng: rand.New(rand.NewPCG(seed, 0x1f0))}
}

func lfuMinutes(now int64) uint32 { return uint32(now/1000/60) & 65535 }

func (*RedisLFU) Name() string                      { return "redis-lfu" }
func (*RedisLFU) Evicted(uint64, uint32, int64)     {}
func (*RedisLFU) Resize(int)                        {}
func (*RedisLFU) Insert(_ uint64, now int64) uint32 { return lfuMinutes(now)<<8 | lfuInitVal }

func (l *RedisLFU) Access(_ uint64, meta uint32, now int64) uint32 {
	c := l.logIncr(l.decrAndReturn(meta, now))
	return lfuMinutes(now)<<8 | c
}

func (l *RedisLFU) Rank(_ uint64, meta uint32, now int64) uint64 {
	return uint64(l.decrAndReturn(meta, now))
}

func (l *RedisLFU) logIncr(c uint32) uint32 {
	if c == 255 {
		return 255
	}
	r := l.rng.Float64()
	base := max(0, float64(c)-lfuInitVal)
	if r < 1/(base*float64(l.LogFactor)+1) {
		c++
	}
	return c
}

func (l *RedisLFU) decrAndReturn(meta uint32, now int64) uint32 {
	ldt, c := meta>>8, meta&255
	t := lfuMinutes(now)
	var elapsed uint32
	if t >= ldt {
		elapsed = t - ldt
	} else {
		elapsed = 65535 - ldt + t
	}
	if l.DecayTime == 0 {
		return c
	}
	if p := elapsed / uint32(l.DecayTime); p > 0 {
		if p > c {
			return 0
		}
		return c - p
	}
	return c
}
