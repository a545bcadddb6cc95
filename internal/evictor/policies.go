package evictor

import (
	"sort"
	"strings"
	"sync"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/evict"
)

// Our own policies, registered as allkeys-<name> and volatile-<name>.
func init() {
	// A policy made at start has no capacity yet; the evictor resizes it
	// from maxmemory and the mean key size as soon as it is selected.
	Register(evict.New(minCapacity).Name(), func() evict.Policy { return evict.New(minCapacity) })
}

// kind is how a policy scores sampled keys.
type kind uint8

const (
	noEviction kind = iota
	lru             // longest idle first (1 s LRU clock)
	lfu             // lowest decayed LFU counter first
	random          // any key
	ttl             // soonest expiry first (volatile only)
	custom          // an evict.Policy's Rank
)

// policy is a parsed maxmemory-policy.
type policy struct {
	name     string
	kind     kind
	volatile bool         // only keys with a TTL
	impl     evict.Policy // for custom
}

var registry struct {
	sync.Mutex
	m map[string]func() evict.Policy // name without prefix → constructor
}

// Register makes "allkeys-<name>" and "volatile-<name>" valid values of
// maxmemory-policy, backed by a Policy from newPolicy (one per server, made
// when the policy is first selected). Call it from an init function, so that
// configuration files can name the policy.
func Register(name string, newPolicy func() evict.Policy) {
	name = strings.ToLower(name)
	registry.Lock()
	if registry.m == nil {
		registry.m = map[string]func() evict.Policy{}
	}
	registry.m[name] = newPolicy
	registry.Unlock()
	config.RegisterMaxMemoryPolicy("allkeys-" + name)
	config.RegisterMaxMemoryPolicy("volatile-" + name)
}

// Registered lists the names given to Register, sorted.
func Registered() []string {
	registry.Lock()
	defer registry.Unlock()
	var out []string
	for n := range registry.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// parsePolicy maps a maxmemory-policy name to its kind and scope.
func parsePolicy(name string) (policy, func() evict.Policy) {
	p := policy{name: name}
	scope, base, ok := strings.Cut(name, "-")
	if !ok {
		return p, nil // noeviction, or unknown: evict nothing
	}
	switch scope {
	case "volatile":
		p.volatile = true
	case "allkeys":
	default:
		return p, nil
	}
	switch base {
	case "lru":
		p.kind = lru
	case "lfu":
		p.kind = lfu
	case "random":
		p.kind = random
	case "ttl":
		if p.volatile {
			p.kind = ttl
		}
	default:
		registry.Lock()
		mk := registry.m[base]
		registry.Unlock()
		if mk != nil {
			p.kind = custom
			return p, mk
		}
	}
	return p, nil
}
