package rdb

import (
	"bytes"
	"encoding/binary"

	"github.com/smallredis/smallredis/internal/stream"
)

// A stream, as Redis 7.0's rdbSaveObject writes one
// (RDB_TYPE_STREAM_LISTPACKS_2): the number of nodes; per node its master
// ID (16 bytes, big endian ms then seq) and its listpack, both as strings;
// the length, the last ID, the first ID, the largest deleted ID (each ID
// two lengths, ms and seq) and the entries-added counter; then the
// consumer groups in name order, each with its name, last delivered ID,
// entries-read counter, its pending entries (count, then per entry the raw
// 16-byte ID, the delivery time as 8 bytes little endian ms and the
// delivery count) and its consumers in name order (name, seen time as 8
// bytes, its pending IDs: count and raw IDs). The nodes are the stream's
// own (package stream keeps Redis's listpacks), so the bytes are Redis's.
//
// RDB_TYPE_STREAM_LISTPACKS (Redis 5 and 6) lacks the first ID, deleted
// ID and counters, which a load derives as Redis 7.0 does; Redis 7.2's
// RDB_TYPE_STREAM_LISTPACKS_3 (files only, as Redis 7.0's RESTORE does not
// know it) adds each consumer's active time after its seen time.

// TypeStreamListpack3 is Redis 7.2's stream (RDB 11).
const TypeStreamListpack3 = 21

func appendRawID(b []byte, id stream.ID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func appendIDLens(b []byte, id stream.ID) []byte {
	return AppendLen(AppendLen(b, id.Ms), id.Seq)
}

// AppendStream appends s as Redis 7.0's DUMP and SAVE write it, type byte
// included; strings are LZF compressed as AppendString does when compress
// is set.
func AppendStream(b []byte, s *stream.Stream, compress bool) []byte {
	b = AppendLen(append(b, TypeStreamListpack2), uint64(s.Nodes()))
	var raw [16]byte
	s.EachNode(func(master stream.ID, lp []byte) {
		b = AppendString(b, appendRawID(raw[:0], master), compress)
		b = AppendString(b, lp, compress)
	})
	b = AppendLen(b, uint64(s.Len()))
	b = appendIDLens(b, s.LastID())
	b = appendIDLens(b, s.FirstID())
	b = appendIDLens(b, s.MaxDeleted())
	b = AppendLen(b, uint64(s.EntriesAdded()))
	groups := s.Groups()
	b = AppendLen(b, uint64(len(groups)))
	for _, g := range groups {
		b = AppendString(b, g.Name, compress)
		b = appendIDLens(b, g.LastID)
		b = AppendLen(b, uint64(g.EntriesRead)) // -1 (unknown) as Redis writes it: 2^64-1
		b = AppendLen(b, uint64(g.PendingLen()))
		g.PendingRange(stream.ID{}, stream.Max, nil, func(p *stream.Pending) bool {
			b = appendRawID(b, p.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(p.DeliveryTime))
			b = AppendLen(b, uint64(p.DeliveryCount))
			return true
		})
		consumers := g.Consumers()
		b = AppendLen(b, uint64(len(consumers)))
		for _, c := range consumers {
			b = AppendString(b, c.Name, compress)
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			b = AppendLen(b, uint64(c.PendingLen()))
			g.PendingRange(stream.ID{}, stream.Max, c, func(p *stream.Pending) bool {
				b = appendRawID(b, p.ID)
				return true
			})
		}
	}
	return b
}

func readRawID(b []byte) (stream.ID, []byte, bool) {
	if len(b) < 16 {
		return stream.ID{}, nil, false
	}
	return stream.ID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}, b[16:], true
}

func readIDLens(b []byte) (stream.ID, []byte, bool) {
	ms, b, ok := readPlainLen(b)
	if !ok {
		return stream.ID{}, nil, false
	}
	seq, b, ok := readPlainLen(b)
	return stream.ID{Ms: ms, Seq: seq}, b, ok
}

func readMs(b []byte) (int64, []byte, bool) {
	if len(b) < 8 {
		return 0, nil, false
	}
	return int64(binary.LittleEndian.Uint64(b)), b[8:], true
}

// readStream reads a stream of type t (TypeStreamListpacks,
// TypeStreamListpack2 or TypeStreamListpack3), validated as Redis's load
// with sanitize-dump-payload yes: every node a well-formed stream
// listpack (stream.ValidNode), every consumer's pending ID one of its
// group's, every group pending entry owned by a consumer. It is stricter
// where Redis would load a value its commands then trip on: the length
// must be the nodes' live entries, the last ID not below the last entry,
// and nodes, pending IDs, groups and consumers in the order Redis writes
// them (ascending, which also rules out duplicates).
func readStream(t byte, b []byte) (*stream.Stream, []byte, bool) {
	s := stream.New()
	nodes, b, ok := readPlainLen(b)
	if !ok {
		return nil, nil, false
	}
	for range nodes { // each node takes bytes: a forged count runs out
		var key, lp []byte
		if key, b, ok = ReadString(b); !ok || len(key) != 16 {
			return nil, nil, false
		}
		master, _, _ := readRawID(key)
		if lp, b, ok = ReadString(b); !ok || !s.AddNode(master, lp) {
			return nil, nil, false
		}
	}
	var length uint64
	var last, first, maxDeleted stream.ID
	if length, b, ok = readPlainLen(b); !ok || length != uint64(s.Len()) {
		return nil, nil, false
	}
	if last, b, ok = readIDLens(b); !ok {
		return nil, nil, false
	}
	if top, found := s.Edge(true); found && last.Less(top) {
		return nil, nil, false
	}
	added := length
	if t == TypeStreamListpacks {
		// Redis 7.0's migration: entries added is the length, nothing
		// deleted, the first ID the first entry's (Max when there is none,
		// as its streamGetEdgeID leaves it).
		var found bool
		if first, found = s.Edge(false); !found {
			first = stream.Max
		}
	} else {
		if first, b, ok = readIDLens(b); !ok {
			return nil, nil, false
		}
		if maxDeleted, b, ok = readIDLens(b); !ok {
			return nil, nil, false
		}
		if added, b, ok = readPlainLen(b); !ok {
			return nil, nil, false
		}
	}
	s.SetMeta(last, int64(added), maxDeleted)
	s.SetFirst(first)
	var groups uint64
	if groups, b, ok = readPlainLen(b); !ok {
		return nil, nil, false
	}
	var prev *stream.Group
	for range groups {
		if prev, b, ok = readGroup(t, s, b, prev); !ok {
			return nil, nil, false
		}
	}
	return s, b, true
}

// readGroup reads a consumer group into s; its name must sort after
// prev's (the group read before it, if any).
func readGroup(t byte, s *stream.Stream, b []byte, prev *stream.Group) (*stream.Group, []byte, bool) {
	name, b, ok := ReadString(b)
	if !ok || prev != nil && bytes.Compare(prev.Name, name) >= 0 {
		return nil, nil, false
	}
	var lastID stream.ID
	if lastID, b, ok = readIDLens(b); !ok {
		return nil, nil, false
	}
	var read int64
	if t == TypeStreamListpacks {
		read = s.EstimateDistance(lastID)
	} else {
		var v uint64
		if v, b, ok = readPlainLen(b); !ok {
			return nil, nil, false
		}
		read = int64(v)
	}
	g := s.CreateGroup(name, lastID, read)
	if g == nil {
		return nil, nil, false
	}
	var pel uint64
	if pel, b, ok = readPlainLen(b); !ok {
		return nil, nil, false
	}
	var prevID stream.ID
	for i := range pel {
		var id stream.ID
		var at int64
		var count uint64
		if id, b, ok = readRawID(b); !ok || i > 0 && !prevID.Less(id) {
			return nil, nil, false
		}
		if at, b, ok = readMs(b); !ok {
			return nil, nil, false
		}
		if count, b, ok = readPlainLen(b); !ok || !g.AddPending(id, at, int64(count)) {
			return nil, nil, false
		}
		prevID = id
	}
	var consumers uint64
	if consumers, b, ok = readPlainLen(b); !ok {
		return nil, nil, false
	}
	var prevName []byte
	for i := range consumers {
		var cname []byte
		var seen, active int64
		if cname, b, ok = ReadString(b); !ok || i > 0 && bytes.Compare(prevName, cname) >= 0 {
			return nil, nil, false
		}
		if seen, b, ok = readMs(b); !ok {
			return nil, nil, false
		}
		active = seen // Redis 7.2's estimate for older payloads
		if t == TypeStreamListpack3 {
			if active, b, ok = readMs(b); !ok {
				return nil, nil, false
			}
		}
		c := g.CreateConsumer(cname, seen)
		if c == nil {
			return nil, nil, false
		}
		c.ActiveTime = active
		prevName = c.Name
		var owned uint64
		if owned, b, ok = readPlainLen(b); !ok {
			return nil, nil, false
		}
		for j := range owned {
			var id stream.ID
			if id, b, ok = readRawID(b); !ok || j > 0 && !prevID.Less(id) {
				return nil, nil, false
			}
			p := g.Pending(id)
			if p == nil || p.Owner != nil {
				return nil, nil, false
			}
			g.Assign(p, c)
			prevID = id
		}
	}
	orphan := false
	g.PendingRange(stream.ID{}, stream.Max, nil, func(p *stream.Pending) bool {
		orphan = p.Owner == nil
		return !orphan
	})
	return g, b, !orphan
}
