// Package evict holds the eviction policies of our own that run under the
// eviction mechanism (package evictor) beside Redis's LRU and LFU. A policy
// owns each key's 32-bit metadata word and ranks the keys the mechanism
// samples; the mechanism samples, keeps Redis's 16-entry pool and deletes
// (see Policy). This package knows nothing of the store or of memory.
//
// # Adaptive LRFU (maxmemory-policy allkeys-lrfu, volatile-lrfu)
//
// LRFU scores a key by its combined recency and frequency, CRF = Σ 2^(-λ·Δtᵢ)
// over its past accesses, Δtᵢ being the time since access i (Lee et al.,
// IEEE Transactions on Computers 50(12), 2001). λ spans a spectrum: near 0
// the CRF is an access count (LFU), large it is dominated by the last access
// (LRU). The CRF can be kept in O(1) per key, since on an access
// CRF ← CRF·2^(-λ·age) + 1, so it fits the metadata word as log2 CRF and the
// time of the last access, updated with one table lookup. Time is counted in
// evictions (a tick is 1/1024 of a cache turnover), not wall-clock time, so the
// policy behaves the same at any request rate. Ranks are log2 CRF extrapolated
// to a common reference time, which does not change while a key is idle, so
// ranks that the eviction pool keeps from earlier rounds stay comparable.
//
// Admission, as in TinyLFU (Einziger, Friedman and Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", ACM Transactions on Storage 13(4),
// 2017): a server cannot refuse a write, so admission is emulated by
// ranking. A key never seen before enters with CRF 1/2, below every key that
// has been hit, and is the preferred victim: one-hit wonders and scans pass
// through without displacing the working set. A key evicted recently
// enters with CRF 1, as if it had stayed. "Recently evicted" is a ghost
// filter (ghost.go): a Bloom filter in two generations remembering about one
// cache's worth of evictions in one byte per cached key, which plays the
// role of TinyLFU's doorkeeper and of the ghost lists of ARC (Megiddo and
// Modha, FAST 2003).
//
// Adaptation: the right λ depends on the workload. A loop slightly larger
// than the cache, or scans, need small λ (frequency; a loop falls off a
// cliff once λ makes the next key's age outweigh the newcomer's lack of
// history). Popularity that shifts every few turnovers needs large λ
// (recency), so that keys that used to be hot cool down in time. The policy
// duels two values of λ in alternating slices of evictions and charges every
// miss on a remembered victim to the arm that evicted it (duel.go). This is
// set dueling (Qureshi et al., "Adaptive Insertion Policies for High
// Performance Caching", ISCA 2007) in time rather than cache sets, in the
// role that hill climbing on the hit ratio plays for W-TinyLFU's window
// (Einziger et al., "Adaptive Software Cache Management", Middleware 2018).
// Measured in simulation (package sim), hill climbing on the hit ratio
// followed the workload's phases (scans, shifts) rather than λ.
//
// Why no Count-Min sketch: within one byte per key, a 4-bit Count-Min sketch
// of the non-resident keys has two counters per cached key and is saturated
// by one turnover of misses. A key's CRF lives in its own metadata word
// anyway, so history is needed only for keys outside the cache, where a
// yes/no ghost bit (about 7 % false positives) served better than noisy
// counts in the simulations.
package evict
