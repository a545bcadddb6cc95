package command

import (
	"math"
	"strings"

	"github.com/smallredis/smallredis/internal/store"
)

// objectSpec is OBJECT and its subcommands, part of keyCommands.
var objectSpec = &Spec{Name: "object", Arity: -2, ACL: []string{"slow"}, Subs: []*Spec{
	{Name: "encoding", Arity: 3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace", "read", "slow"}, Handler: objectEncoding},
	{Name: "freq", Arity: 3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace", "read", "slow"}, Handler: objectFreq},
	{Name: "idletime", Arity: 3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace", "read", "slow"}, Handler: objectIdletime},
	{Name: "refcount", Arity: 3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: []string{"keyspace", "read", "slow"}, Handler: objectRefcount},
	{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"keyspace", "slow"}, Handler: objectHelp},
}}

// Redis 7.0's replies when OBJECT FREQ or IDLETIME does not fit the policy.
const (
	errNoLFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFU = "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	// Ours, for policies of our own, whose per-key word is not an LRU clock.
	errOwnPolicy = "ERR The maxmemory policy selected keeps its own access data, idle time not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// sharedIntegers mirrors Redis's OBJ_SHARED_INTEGERS: SET stores integers
// in [0, 10000) as shared objects whose refcount is INT_MAX.
const sharedIntegers = 10000

// objectLookup finds the key without touching it, as Redis's OBJECT does,
// replying null when it is missing.
func objectLookup(ctx *Ctx, fn func(e *store.Entry)) {
	ctx.Peek(ctx.Args[2], func(e *store.Entry) {
		if !e.Exists() {
			ctx.Miss()
			ctx.W.Null()
			return
		}
		ctx.Hit()
		fn(e)
	})
}

// objectEncoding: OBJECT ENCODING key
func objectEncoding(ctx *Ctx) {
	objectLookup(ctx, func(e *store.Entry) { ctx.W.BulkString(e.Encoding()) })
}

// objectRefcount: OBJECT REFCOUNT key. Values are never shared here, but
// Redis reports INT_MAX for the small integers it shares, and clients see it.
func objectRefcount(ctx *Ctx) {
	shared := sharesIntegers(ctx)
	objectLookup(ctx, func(e *store.Entry) {
		if shared && e.Type() == store.TypeString && e.Encoding() == "int" {
			if v, ok := parseInt(e.Str()); ok && v >= 0 && v < sharedIntegers {
				ctx.W.Int(math.MaxInt32)
				return
			}
		}
		ctx.W.Int(1)
	})
}

// sharesIntegers reports whether Redis would store small integers as shared
// objects: not when a memory limit with an LRU or LFU policy needs per-key
// access data (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
func sharesIntegers(ctx *Ctx) bool {
	if ctx.S.Cfg.MaxMemory() == 0 {
		return true
	}
	p := ctx.S.Cfg.MaxMemoryPolicy()
	return !strings.HasSuffix(p, "-lru") && !strings.HasSuffix(p, "-lfu")
}

// lfuPolicy reports whether the maxmemory policy is one of Redis's LFU ones.
func lfuPolicy(ctx *Ctx) bool { return strings.HasSuffix(ctx.S.Cfg.MaxMemoryPolicy(), "-lfu") }

// objectFreq: OBJECT FREQ key
func objectFreq(ctx *Ctx) {
	lfu := lfuPolicy(ctx)
	objectLookup(ctx, func(e *store.Entry) {
		if !lfu {
			ctx.Err(errNoLFU)
			return
		}
		ctx.W.Int(int64(e.Freq()))
	})
}

// objectIdletime: OBJECT IDLETIME key
func objectIdletime(ctx *Ctx) {
	lfu := lfuPolicy(ctx)
	idle := ctx.S.Evict.TracksIdle()
	objectLookup(ctx, func(e *store.Entry) {
		if lfu {
			ctx.Err(errLFU)
			return
		}
		if !idle {
			ctx.Err(errOwnPolicy)
			return
		}
		ctx.W.Int(e.IdleMs(ctx.Now) / 1000)
	})
}

// objectHelp: OBJECT HELP
func objectHelp(ctx *Ctx) {
	writeHelp(ctx, "OBJECT", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
}
