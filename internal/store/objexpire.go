package store

// Objects with deadlines of their own (hash fields with TTLs, Redis 7.4):
// the store does not know what expires inside them, only when the next
// thing does. Each shard keeps an index of the slab slots holding such an
// object, so that
//   - every access to the key first lets the object drop what is due (a
//     read upgrades to the write lock for that), and deletes the key when
//     nothing is left: expired fields are never visible;
//   - the active expiry cycle visits the index within its time budget and
//     reclaims objects nobody reads.
//
// A shard with an empty index pays one length check per access.

// Deadliner is implemented by objects stored with SetObj that have deadlines
// of their own. The store re-asks NextDeadline after every write that
// fetched the object with Obj, so it must be O(1).
type Deadliner interface {
	// NextDeadline is the earliest deadline in unix ms, 0 when none.
	NextDeadline() int64
	// ExpireDue drops up to max things due before now (max <= 0: all) and
	// reports how many and whether the object is now empty (its key is
	// then deleted).
	ExpireDue(now int64, max int) (removed int, empty bool)
}

// deadlineIndex lists the objects of a shard that have a deadline.
type deadlineIndex struct {
	pos  map[uint32]int // slab index → position in ents
	ents []deadlineEnt
	next int // where active expiry resumes in ents
}

type deadlineEnt struct {
	obj uint32
	key []byte // the key holding it, to delete it when it empties
}

// Active field expiry bounds: objects examined and things expired per step,
// so one lock hold stays short even for a hash with a million fields
// expiring at once.
const (
	objExpireSample = 20
	objExpireQuota  = 1000
)

// noteObj adds or removes slab slot i (held by key) in the index depending
// on whether its object has a deadline. Objects without one cost a type
// assertion.
func (sh *shard) noteObj(i int, key []byte) {
	d, ok := sh.objs[i].v.(Deadliner)
	if ok && d.NextDeadline() != 0 {
		if _, in := sh.dl.pos[uint32(i)]; in {
			return
		}
		if sh.dl.pos == nil {
			sh.dl.pos = map[uint32]int{}
		}
		sh.dl.pos[uint32(i)] = len(sh.dl.ents)
		sh.dl.ents = append(sh.dl.ents, deadlineEnt{obj: uint32(i), key: append([]byte(nil), key...)})
		return
	}
	sh.dropObj(i)
}

// dropObj removes slab slot i from the index if it is there.
func (sh *shard) dropObj(i int) {
	p, in := sh.dl.pos[uint32(i)]
	if !in {
		return
	}
	last := len(sh.dl.ents) - 1
	if p != last {
		sh.dl.ents[p] = sh.dl.ents[last]
		sh.dl.pos[sh.dl.ents[p].obj] = p
	}
	sh.dl.ents[last] = deadlineEnt{}
	sh.dl.ents = sh.dl.ents[:last]
	delete(sh.dl.pos, uint32(i))
}

// objDue reports whether the record r holds an indexed object with
// something due at now.
func (sh *shard) objDue(r *rec, now int64) bool {
	if len(sh.dl.ents) == 0 || !r.indirect() || r.typ() == TypeString {
		return false
	}
	i := r.objIndex()
	if _, in := sh.dl.pos[uint32(i)]; !in {
		return false
	}
	d := sh.objs[i].v.(Deadliner).NextDeadline()
	return d != 0 && now > d
}

// expireObj lets the object of the key in slot (record r) drop up to max due
// things, re-measures it, and deletes the key if it emptied. It reports how
// many things were dropped and whether the key was deleted. The caller holds
// the write lock.
func (sh *shard) expireObj(slot int, r *rec, now int64, max int) (removed int, deleted bool) {
	i := r.objIndex()
	removed, empty := sh.objs[i].v.(Deadliner).ExpireDue(now, max)
	if empty {
		sh.deleteSlot(slot, ChangeEmptied)
		return removed, true
	}
	if removed > 0 {
		sh.note(r.key(), ChangeFieldsExpired, 0)
	}
	sl := &sh.objs[i]
	n := sizeOf(sl.v)
	sh.extBytes += n - sl.size
	sl.size = n
	sh.noteObj(i, r.key())
	return removed, false
}

// objExpireStep visits a few indexed objects from where the last step
// stopped and lets those with something due drop it. It returns how many
// objects it examined and how many had something due.
func (sh *shard) objExpireStep(now int64) (sampled, due int) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	budget := objExpireQuota
	for sampled < objExpireSample && budget > 0 && len(sh.dl.ents) > 0 {
		if sh.dl.next >= len(sh.dl.ents) {
			sh.dl.next = 0
		}
		ent := sh.dl.ents[sh.dl.next]
		sampled++
		d := sh.objs[ent.obj].v.(Deadliner).NextDeadline()
		if d == 0 || now <= d {
			sh.dl.next++
			continue
		}
		due++
		_, h := hashKey(ent.key)
		slot, _, r := sh.lookup(h, ent.key)
		if slot < 0 || !r.indirect() || r.objIndex() != int(ent.obj) {
			// Cannot happen (the invariant tests check it); forget the
			// entry rather than take the server down.
			sh.dropObj(int(ent.obj))
			continue
		}
		// Removal (on deletion or when nothing is left due) moves the last
		// entry into this position, which the next round then examines.
		n, deleted := sh.expireObj(slot, &r, now, budget)
		budget -= n
		if !deleted {
			if p, in := sh.dl.pos[ent.obj]; in && p == sh.dl.next {
				sh.dl.next++
			}
		}
	}
	sh.maintain(now)
	return sampled, due
}

// publishDeadlines makes the index size visible to the lock-free check of
// the active expiry cycle.
func (sh *shard) publishDeadlines() {
	if n := int64(len(sh.dl.ents)); n != sh.ndl.Load() {
		sh.ndl.Store(n)
	}
}
