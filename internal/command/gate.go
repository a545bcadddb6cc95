package command

import (
	"sync"
	"sync/atomic"

	"github.com/smallredis/smallredis/internal/procs"
)

// The world gate: how a transaction (EXEC, and later a script) runs with
// no other command in between, without a global lock on the normal path.
//
// The gate is a sharded reader/writer lock. An ordinary command enters one
// reader slot (the client's Stripe, i.e. its event loop, modulo the number
// of slots, each slot a padded sync.RWMutex of its own) for the time of its
// handler: readers of different slots share nothing, and readers of one
// slot only an atomic counter, which the clients of one loop take in turn
// on one core. An atomic command (a Spec with the Atomic flag) instead holds the
// gate exclusively: it write-locks every slot, in index order, under a mutex
// that serialises exclusive holders, so once it holds the gate no other
// command, on any event loop or TLS goroutine, is inside a handler, and none
// enters until it leaves. The store's own shard locks still protect each
// key; the gate only decides who may run at all, so a transaction needs to
// know nothing in advance about the keys, databases or shards its commands
// will touch (a command computing its keys at run time is no special case).
//
// Everything else that changes the keyspace outside a command enters a
// reader slot too (Background): the active expiry cycle per step, the
// background evictor per batch, the cron's compaction. Inline eviction
// before a command runs inside that command's slot.
//
// Lock order: the gate before every shard lock, always. Nothing inside the
// gate (a handler, a feed listener, the store) may enter the gate again:
// the exclusive holder runs its commands through execInner, which takes no
// slot, and Drain's listeners never wait for the gate.
//
// Busy (for scripts): an exclusive holder that runs for long marks itself
// busy (SetBusy(true)). Enter (and LockUnlessBusy, which Atomic commands
// use) then return false instead of waiting, and Exec answers BUSY, except
// to commands flagged AllowBusy (SCRIPT KILL, SHUTDOWN NOSAVE…), which run
// without a slot. Waiters sleep on a channel
// that is closed on every state change (the holder leaving or becoming
// busy) once a waiter has taken it: nobody spins.

// gateSlot is one reader slot, padded to its own cache lines so readers of
// different slots do not share one.
type gateSlot struct {
	mu sync.RWMutex
	_  [128 - 24]byte
}

// Gate is the world gate. Enter/Exit are safe from any goroutine; Lock and
// Unlock must be called by the same goroutine, with no slot held.
type Gate struct {
	slots []gateSlot

	xmu sync.Mutex // serialises exclusive holders

	stMu    sync.Mutex    // guards busy, changed and watched
	busy    bool          // the exclusive holder said it runs long
	changed chan struct{} // closed (and replaced) on every state change someone waits for
	watched bool          // a waiter took changed: the next state change closes it

	bgNext atomic.Uint32 // spreads Background workers over the slots
}

// NewGate makes a gate with 2 reader slots per P the process may use
// (procs.Limit, at least 2), not per current GOMAXPROCS, which the server
// lowers when the load is light and raises again when it is not.
func NewGate() *Gate {
	return newGate(max(2, 2*procs.Limit()))
}

func newGate(n int) *Gate {
	return &Gate{slots: make([]gateSlot, n), changed: make(chan struct{})}
}

// Slot is the reader slot for a client's stripe (or any spreading number).
func (g *Gate) Slot(id int64) int {
	return int(uint64(id) % uint64(len(g.slots)))
}

// Enter takes reader slot i, waiting while an exclusive holder has the
// gate. It returns false, holding nothing, when that holder is busy (also
// if it becomes busy while Enter waits).
func (g *Gate) Enter(i int) bool {
	if g.slots[i].mu.TryRLock() {
		return true // the normal case: no exclusive holder
	}
	return g.enterSlow(i, false)
}

// enterSlow waits for slot i. TryRLock fails only while an exclusive holder
// holds or is acquiring the slot; that holder closes changed after it
// releases every slot, so reading changed before trying loses no wake-up.
func (g *Gate) enterSlow(i int, throughBusy bool) bool {
	for {
		g.stMu.Lock()
		busy, ch := g.busy, g.changed
		g.watched = true
		g.stMu.Unlock()
		if busy && !throughBusy {
			return false
		}
		if g.slots[i].mu.TryRLock() {
			return true
		}
		<-ch
	}
}

// Exit leaves reader slot i.
func (g *Gate) Exit(i int) { g.slots[i].mu.RUnlock() }

// Lock takes the gate exclusively: every slot, in index order.
func (g *Gate) Lock() {
	g.xmu.Lock()
	for i := range g.slots {
		g.slots[i].mu.Lock()
	}
}

// LockUnlessBusy is Lock for a command that must not wait behind a busy
// holder (EXEC, a script, while a script runs long): it returns false,
// holding nothing, when the current holder is or becomes busy.
func (g *Gate) LockUnlessBusy() bool {
	for {
		if g.xmu.TryLock() {
			break
		}
		g.stMu.Lock()
		busy, ch := g.busy, g.changed
		g.watched = true
		g.stMu.Unlock()
		if busy {
			return false
		}
		// Tried again after reading changed: the holder closes it after
		// releasing xmu, so no wake-up is lost.
		if g.xmu.TryLock() {
			break
		}
		<-ch
	}
	for i := range g.slots {
		g.slots[i].mu.Lock()
	}
	return true
}

// Unlock releases the exclusive hold (and clears busy).
func (g *Gate) Unlock() {
	for i := range g.slots {
		g.slots[i].mu.Unlock()
	}
	g.stMu.Lock()
	g.busy = false // before xmu goes: the next holder's SetBusy must not be undone
	g.stMu.Unlock()
	g.xmu.Unlock()
	g.stMu.Lock()
	g.wakeLocked()
	g.stMu.Unlock()
}

// SetBusy marks the exclusive holder busy or not; only the holder calls it.
func (g *Gate) SetBusy(b bool) {
	g.stMu.Lock()
	if g.busy != b {
		g.busy = b
		g.wakeLocked()
	}
	g.stMu.Unlock()
}

// Busy reports whether an exclusive holder is busy.
func (g *Gate) Busy() bool {
	g.stMu.Lock()
	defer g.stMu.Unlock()
	return g.busy
}

// wakeLocked wakes the waiters, if any: with none (a script or EXEC
// nobody queued behind) no channel is made.
func (g *Gate) wakeLocked() {
	if !g.watched {
		return
	}
	g.watched = false
	close(g.changed)
	g.changed = make(chan struct{})
}

// Background returns a sync.Locker for one worker outside commands that
// changes the keyspace (active expiry, background eviction, compaction):
// it takes a reader slot and waits through a busy holder, so such work
// pauses while a script runs, as in Redis. Each worker gets its own.
func (g *Gate) Background() sync.Locker {
	return bgLocker{g: g, slot: int(g.bgNext.Add(1) % uint32(len(g.slots)))}
}

type bgLocker struct {
	g    *Gate
	slot int
}

func (b bgLocker) Lock() {
	if !b.g.slots[b.slot].mu.TryRLock() {
		b.g.enterSlow(b.slot, true)
	}
}

func (b bgLocker) Unlock() { b.g.Exit(b.slot) }
