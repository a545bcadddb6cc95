package stream

import (
	"bytes"
	"slices"
)

// Group is a consumer group: its last delivered ID, its logical read
// counter (-1 when unknown), the pending entries list (entries delivered
// and not acknowledged) and its consumers.
type Group struct {
	Name        []byte
	LastID      ID
	EntriesRead int64
	pel         []*Pending  // by ID
	consumers   []*Consumer // by name
	st          *Stream
}

// Consumer is a group's consumer and its own pending entries.
type Consumer struct {
	Name       []byte
	SeenTime   int64 // last attempted interaction (unix ms)
	ActiveTime int64 // last successful interaction, -1 never (Redis 7.2)
	pel        []*Pending
}

// Pending is a delivered, unacknowledged entry.
type Pending struct {
	ID            ID
	Owner         *Consumer
	DeliveryTime  int64
	DeliveryCount int64
}

// InvalidEntriesRead is Redis's SCG_INVALID_ENTRIES_READ.
const InvalidEntriesRead = -1

const (
	groupCost    = 96
	consumerCost = 88
	pendingCost  = 56 + 16
)

func cmpPending(p *Pending, id ID) int { return p.ID.Cmp(id) }

// Groups are the stream's groups in name order.
func (s *Stream) Groups() []*Group { return s.groups }

// Group is the named group, or nil.
func (s *Stream) Group(name []byte) *Group {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *Group, n []byte) int { return bytes.Compare(g.Name, n) })
	if !ok {
		return nil
	}
	return s.groups[i]
}

// CreateGroup adds a group; nil when the name is taken.
func (s *Stream) CreateGroup(name []byte, last ID, entriesRead int64) *Group {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *Group, n []byte) int { return bytes.Compare(g.Name, n) })
	if ok {
		return nil
	}
	g := &Group{Name: bytes.Clone(name), LastID: last, EntriesRead: entriesRead, st: s}
	s.groups = slices.Insert(s.groups, i, g)
	s.mods++
	s.groupBytes += groupCost + len(name)
	return g
}

// DestroyGroup removes a group, reporting whether it existed.
func (s *Stream) DestroyGroup(name []byte) bool {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *Group, n []byte) int { return bytes.Compare(g.Name, n) })
	if !ok {
		return false
	}
	g := s.groups[i]
	s.groupBytes -= groupCost + len(g.Name) + len(g.pel)*pendingCost
	for _, c := range g.consumers {
		s.groupBytes -= consumerCost + len(c.Name)
	}
	s.groups = slices.Delete(s.groups, i, i+1)
	s.mods++
	return true
}

// Consumers are the group's consumers in name order.
func (g *Group) Consumers() []*Consumer { return g.consumers }

// Consumer is the named consumer, or nil.
func (g *Group) Consumer(name []byte) *Consumer {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *Consumer, n []byte) int { return bytes.Compare(c.Name, n) })
	if !ok {
		return nil
	}
	return g.consumers[i]
}

// CreateConsumer adds a consumer seen at now; nil when it exists.
func (g *Group) CreateConsumer(name []byte, now int64) *Consumer {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *Consumer, n []byte) int { return bytes.Compare(c.Name, n) })
	if ok {
		return nil
	}
	c := &Consumer{Name: bytes.Clone(name), SeenTime: now, ActiveTime: -1}
	g.consumers = slices.Insert(g.consumers, i, c)
	g.st.mods++
	g.st.groupBytes += consumerCost + len(name)
	return c
}

// DeleteConsumer removes a consumer and its pending entries from the
// group, returning how many it had (-1 when there was no such consumer).
func (g *Group) DeleteConsumer(name []byte) int {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *Consumer, n []byte) int { return bytes.Compare(c.Name, n) })
	if !ok {
		return -1
	}
	c := g.consumers[i]
	n := len(c.pel)
	for _, p := range c.pel {
		if j, ok := slices.BinarySearchFunc(g.pel, p.ID, cmpPending); ok {
			g.pel = slices.Delete(g.pel, j, j+1)
		}
	}
	g.st.groupBytes -= consumerCost + len(c.Name) + n*pendingCost
	g.consumers = slices.Delete(g.consumers, i, i+1)
	g.st.mods++
	return n
}

// PendingLen is the size of the group's pending entries list.
func (g *Group) PendingLen() int { return len(g.pel) }

// PendingLen is the consumer's pending count.
func (c *Consumer) PendingLen() int { return len(c.pel) }

// Pending is the group's pending entry id, or nil.
func (g *Group) Pending(id ID) *Pending {
	i, ok := slices.BinarySearchFunc(g.pel, id, cmpPending)
	if !ok {
		return nil
	}
	return g.pel[i]
}

// Deliver records id as delivered to c at now: a new pending entry (count
// 1), or an existing one reassigned to c with its count reset to 1, as
// Redis's XREADGROUP does when it meets an ID already pending.
func (g *Group) Deliver(id ID, c *Consumer, now int64) {
	g.st.mods++
	i, ok := slices.BinarySearchFunc(g.pel, id, cmpPending)
	if ok {
		p := g.pel[i]
		p.Owner.remove(id)
		p.Owner, p.DeliveryTime, p.DeliveryCount = c, now, 1
		c.add(p)
		return
	}
	p := &Pending{ID: id, Owner: c, DeliveryTime: now, DeliveryCount: 1}
	g.pel = slices.Insert(g.pel, i, p)
	c.add(p)
	g.st.groupBytes += pendingCost
}

// AddPending inserts a pending entry as loaded from an RDB file (owner set
// later with Assign); false if id is already pending.
func (g *Group) AddPending(id ID, deliveryTime, count int64) bool {
	i, ok := slices.BinarySearchFunc(g.pel, id, cmpPending)
	if ok {
		return false
	}
	g.pel = slices.Insert(g.pel, i, &Pending{ID: id, DeliveryTime: deliveryTime, DeliveryCount: count})
	g.st.mods++
	g.st.groupBytes += pendingCost
	return true
}

// Assign moves pending entry p to consumer c.
func (g *Group) Assign(p *Pending, c *Consumer) {
	if p.Owner == c {
		return
	}
	g.st.mods++
	if p.Owner != nil {
		p.Owner.remove(p.ID)
	}
	p.Owner = c
	c.add(p)
}

// Ack removes id from the pending entries, reporting whether it was there.
func (g *Group) Ack(id ID) bool {
	i, ok := slices.BinarySearchFunc(g.pel, id, cmpPending)
	if !ok {
		return false
	}
	p := g.pel[i]
	if p.Owner != nil {
		p.Owner.remove(id)
	}
	g.pel = slices.Delete(g.pel, i, i+1)
	g.st.groupBytes -= pendingCost
	g.st.mods++
	return true
}

// PendingRange calls fn for the pending entries with start <= ID <= end
// (of consumer c only, when c is not nil), in ID order, until fn returns
// false. fn may Ack or Assign the entry it is given.
func (g *Group) PendingRange(start, end ID, c *Consumer, fn func(p *Pending) bool) {
	list := g.pel
	if c != nil {
		list = c.pel
	}
	i, _ := slices.BinarySearchFunc(list, start, cmpPending)
	for i < len(list) {
		p := list[i]
		if p.ID.Cmp(end) > 0 {
			return
		}
		if !fn(p) {
			return
		}
		// fn may have removed p from this list: continue after its ID.
		if i < len(list) && list[i] == p {
			i++
		} else {
			if c != nil {
				list = c.pel
			} else {
				list = g.pel
			}
			i, _ = slices.BinarySearchFunc(list, p.ID, cmpPending)
			if i < len(list) && list[i] == p {
				i++
			}
		}
	}
}

func (c *Consumer) add(p *Pending) {
	i, _ := slices.BinarySearchFunc(c.pel, p.ID, cmpPending)
	c.pel = slices.Insert(c.pel, i, p)
}

func (c *Consumer) remove(id ID) {
	if i, ok := slices.BinarySearchFunc(c.pel, id, cmpPending); ok {
		c.pel = slices.Delete(c.pel, i, i+1)
	}
}

// clone copies the group for stream st.
func (g *Group) clone(st *Stream) *Group {
	ng := &Group{Name: bytes.Clone(g.Name), LastID: g.LastID, EntriesRead: g.EntriesRead, st: st}
	byOwner := make(map[*Consumer]*Consumer, len(g.consumers))
	for _, c := range g.consumers {
		nc := &Consumer{Name: bytes.Clone(c.Name), SeenTime: c.SeenTime, ActiveTime: c.ActiveTime}
		byOwner[c] = nc
		ng.consumers = append(ng.consumers, nc)
	}
	for _, p := range g.pel {
		np := *p
		np.Owner = byOwner[p.Owner]
		ng.pel = append(ng.pel, &np)
		if np.Owner != nil {
			np.Owner.pel = append(np.Owner.pel, &np)
		}
	}
	return ng
}

// RangeHasTombstones is Redis's streamRangeHasTombstones: whether a
// deleted entry may lie in [start, end] (end nil: to the top).
func (s *Stream) RangeHasTombstones(start ID, end *ID) bool {
	if s.length == 0 || s.maxDeleted.IsZero() {
		return false
	}
	if s.first.Cmp(s.maxDeleted) > 0 {
		return false
	}
	e := Max
	if end != nil {
		e = *end
	}
	return start.Cmp(s.maxDeleted) <= 0 && s.maxDeleted.Cmp(e) <= 0
}

// EstimateDistance is Redis's streamEstimateDistanceFromFirstEverEntry:
// the logical read counter of id, or InvalidEntriesRead.
func (s *Stream) EstimateDistance(id ID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Cmp(s.last) < 1 {
		return s.entriesAdded
	}
	switch c := id.Cmp(s.last); {
	case c == 0:
		return s.entriesAdded
	case c > 0:
		return InvalidEntriesRead
	}
	cmpFirst := id.Cmp(s.first)
	if s.maxDeleted.IsZero() || s.maxDeleted.Less(s.first) {
		switch {
		case cmpFirst < 0:
			return s.entriesAdded - int64(s.length)
		case cmpFirst == 0:
			return s.entriesAdded - int64(s.length) + 1
		}
	}
	return InvalidEntriesRead
}

// Lag is XINFO GROUPS's lag; ok is false when it cannot be known.
func (s *Stream) Lag(g *Group) (int64, bool) {
	switch {
	case s.entriesAdded == 0:
		return 0, true
	case g.EntriesRead != InvalidEntriesRead && !s.RangeHasTombstones(g.LastID, nil):
		return s.entriesAdded - g.EntriesRead, true
	}
	if er := s.EstimateDistance(g.LastID); er != InvalidEntriesRead {
		return s.entriesAdded - er, true
	}
	return 0, false
}

// Advance moves the group's last ID to id after delivering it, keeping
// its read counter as Redis's XREADGROUP does.
func (s *Stream) Advance(g *Group, id ID) {
	if id.Cmp(g.LastID) <= 0 {
		return
	}
	if g.EntriesRead != InvalidEntriesRead && !s.RangeHasTombstones(id, nil) {
		g.EntriesRead++
	} else if s.entriesAdded != 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
	s.mods++
}

// PendingFrom is the first pending entry with an ID >= id, or nil.
func (g *Group) PendingFrom(id ID) *Pending {
	i, _ := slices.BinarySearchFunc(g.pel, id, cmpPending)
	if i == len(g.pel) {
		return nil
	}
	return g.pel[i]
}

// PendingAfter is the first pending entry with an ID > id, or nil.
func (g *Group) PendingAfter(id ID) *Pending {
	next, ok := id.Next()
	if !ok {
		return nil
	}
	return g.PendingFrom(next)
}

// FirstPending and LastPending are the PEL's ends (nil when empty).
func (g *Group) FirstPending() *Pending {
	if len(g.pel) == 0 {
		return nil
	}
	return g.pel[0]
}

func (g *Group) LastPending() *Pending {
	if len(g.pel) == 0 {
		return nil
	}
	return g.pel[len(g.pel)-1]
}
