// Package pubsub is the subscription registry of publish/subscribe: which
// subscribers listen on which channels and patterns, and, for a published
// channel, who receives it and in which order. It knows nothing of RESP,
// connections or the keyspace: a subscriber is any comparable value (the
// command layer uses its *Client), and delivery is a callback.
//
// One Registry is one namespace: SUBSCRIBE/PSUBSCRIBE share one, SSUBSCRIBE
// (shard channels, no patterns) has its own. A Registry is safe for
// concurrent use: subscriptions change under its lock, and Publish runs
// under its read lock, so publishers on different goroutines do not wait
// for each other and a subscription made before Publish starts is seen by
// it.
package pubsub

import (
	"sync"

	"github.com/smallredis/smallredis/internal/glob"
)

// Registry maps channels and patterns to their subscribers. The zero value
// is ready to use.
type Registry[S comparable] struct {
	mu       sync.RWMutex           // guards everything below
	channels map[string][]S         // subscribers in subscription order
	patterns []*pattern[S]          // in the order they were first subscribed
	byPat    map[string]*pattern[S] //
	subs     map[S]*subscriptions   //
}

type pattern[S comparable] struct {
	pat  string
	b    []byte // pat, for matching without a conversion
	subs []S
}

// subscriptions is one subscriber's side, in subscription order (Redis
// keeps dicts; the order only shows in unsubscribe-all replies).
type subscriptions struct {
	channels []string
	patterns []string
}

func (x *subscriptions) count() int { return len(x.channels) + len(x.patterns) }

func remove[T comparable](l []T, v T) ([]T, bool) {
	for i, x := range l {
		if x == v {
			return append(l[:i], l[i+1:]...), true
		}
	}
	return l, false
}

func contains[T comparable](l []T, v T) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func (r *Registry[S]) mine(s S) *subscriptions {
	if r.subs == nil {
		r.subs = map[S]*subscriptions{}
	}
	x := r.subs[s]
	if x == nil {
		x = &subscriptions{}
		r.subs[s] = x
	}
	return x
}

func (r *Registry[S]) forget(s S, x *subscriptions) {
	if x.count() == 0 {
		delete(r.subs, s)
	}
}

// Subscribe adds s to channel ch. It reports whether s was not subscribed
// yet, and how many channels and patterns s has now.
func (r *Registry[S]) Subscribe(s S, ch string) (added bool, count int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.mine(s)
	if !contains(x.channels, ch) {
		added = true
		x.channels = append(x.channels, ch)
		if r.channels == nil {
			r.channels = map[string][]S{}
		}
		r.channels[ch] = append(r.channels[ch], s)
	}
	return added, x.count()
}

// Unsubscribe removes s from channel ch. It reports whether s was
// subscribed, and how many channels and patterns s has left.
func (r *Registry[S]) Unsubscribe(s S, ch string) (removed bool, count int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.subs[s]
	if x == nil {
		return false, 0
	}
	if x.channels, removed = remove(x.channels, ch); removed {
		l, _ := remove(r.channels[ch], s)
		if len(l) == 0 {
			delete(r.channels, ch)
		} else {
			r.channels[ch] = l
		}
	}
	n := x.count()
	r.forget(s, x)
	return removed, n
}

// PSubscribe adds s to pattern p; the results are Subscribe's.
func (r *Registry[S]) PSubscribe(s S, p string) (added bool, count int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.mine(s)
	if !contains(x.patterns, p) {
		added = true
		x.patterns = append(x.patterns, p)
		if r.byPat == nil {
			r.byPat = map[string]*pattern[S]{}
		}
		pt := r.byPat[p]
		if pt == nil {
			pt = &pattern[S]{pat: p, b: []byte(p)}
			r.byPat[p] = pt
			r.patterns = append(r.patterns, pt)
		}
		pt.subs = append(pt.subs, s)
	}
	return added, x.count()
}

// PUnsubscribe removes s from pattern p; the results are Unsubscribe's.
func (r *Registry[S]) PUnsubscribe(s S, p string) (removed bool, count int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.subs[s]
	if x == nil {
		return false, 0
	}
	if x.patterns, removed = remove(x.patterns, p); removed {
		pt := r.byPat[p]
		pt.subs, _ = remove(pt.subs, s)
		if len(pt.subs) == 0 {
			delete(r.byPat, p)
			r.patterns, _ = remove(r.patterns, pt)
		}
	}
	n := x.count()
	r.forget(s, x)
	return removed, n
}

// Channels returns the channels s is subscribed to, in subscription order.
func (r *Registry[S]) Channels(s S) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if x := r.subs[s]; x != nil {
		return append([]string(nil), x.channels...)
	}
	return nil
}

// Patterns returns the patterns s is subscribed to, in subscription order.
func (r *Registry[S]) Patterns(s S) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if x := r.subs[s]; x != nil {
		return append([]string(nil), x.patterns...)
	}
	return nil
}

// Counts is how many channels and patterns s is subscribed to.
func (r *Registry[S]) Counts(s S) (channels, patterns int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if x := r.subs[s]; x != nil {
		return len(x.channels), len(x.patterns)
	}
	return 0, 0
}

// Subscribed reports whether s is subscribed to channel ch itself (not
// through a pattern).
func (r *Registry[S]) Subscribed(s S, ch string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	x := r.subs[s]
	return x != nil && contains(x.channels, ch)
}

// RemoveAll drops every subscription of s (a closed connection, RESET).
func (r *Registry[S]) RemoveAll(s S) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.subs[s]
	if x == nil {
		return
	}
	for _, ch := range x.channels {
		l, _ := remove(r.channels[ch], s)
		if len(l) == 0 {
			delete(r.channels, ch)
		} else {
			r.channels[ch] = l
		}
	}
	for _, p := range x.patterns {
		pt := r.byPat[p]
		pt.subs, _ = remove(pt.subs, s)
		if len(pt.subs) == 0 {
			delete(r.byPat, p)
			r.patterns, _ = remove(r.patterns, pt)
		}
	}
	delete(r.subs, s)
}

// Publish calls deliver for every receiver of a message on channel ch:
// first the channel's subscribers in subscription order (pattern ""), then
// the subscribers of each matching pattern. A subscriber of the channel
// and of a matching pattern receives it once for each. It returns the
// number of deliveries, PUBLISH's reply. deliver runs under the registry's
// read lock: it must be quick and must not subscribe or unsubscribe.
func (r *Registry[S]) Publish(ch []byte, deliver func(s S, pattern string)) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	for _, s := range r.channels[string(ch)] {
		deliver(s, "")
		n++
	}
	for _, pt := range r.patterns {
		if !glob.Match(pt.b, ch, false) {
			continue
		}
		for _, s := range pt.subs {
			deliver(s, pt.pat)
			n++
		}
	}
	return n
}

// Listened reports whether a message on ch would reach anybody.
func (r *Registry[S]) Listened(ch []byte) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.channels[string(ch)]) > 0 {
		return true
	}
	for _, pt := range r.patterns {
		if glob.Match(pt.b, ch, false) {
			return true
		}
	}
	return false
}

// Active returns the channels with at least one subscriber that match
// pattern (all of them when pattern is nil), in no particular order.
func (r *Registry[S]) Active(pattern []byte) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for ch := range r.channels {
		if pattern == nil || glob.Match(pattern, []byte(ch), false) {
			out = append(out, ch)
		}
	}
	return out
}

// NumSub is the number of subscribers of channel ch (patterns not
// counted).
func (r *Registry[S]) NumSub(ch string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.channels[ch])
}

// NumChannels is the number of channels with at least one subscriber.
func (r *Registry[S]) NumChannels() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.channels)
}

// NumPatterns is the number of distinct patterns with a subscriber.
func (r *Registry[S]) NumPatterns() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.patterns)
}
