package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// mval is the model's idea of a key.
type mval struct {
	typ    Type
	str    []byte
	items  []string // for objects
	expire int64
}

type model struct {
	dbs []map[string]*mval
}

func (m *model) visible(db int, k string, now int64) (*mval, bool) {
	v, ok := m.dbs[db][k]
	if !ok {
		return nil, false
	}
	if v.expire != 0 && now > v.expire {
		delete(m.dbs[db], k)
		return nil, false
	}
	return v, true
}

func randValue(rng *rand.Rand) []byte {
	var n int
	switch r := rng.IntN(100); {
	case r < 70:
		n = rng.IntN(40)
	case r < 95:
		n = 40 + rng.IntN(400)
	case r < 99:
		n = 2000 + rng.IntN(5000)
	default:
		n = bigValue - 100 + rng.IntN(3000) // around the inline/big boundary
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = byte('a' + rng.IntN(26))
	}
	return v
}

// TestModel runs random operations against the store and a map model and
// compares them, checking every structural invariant along the way. The
// small key space makes overwrites, relocations, garbage and compaction
// frequent; time advances so TTLs expire.
func TestModel(t *testing.T) {
	seeds := 4
	ops := 30000
	if testing.Short() || raceEnabled { // one goroutine: the race detector adds nothing
		seeds, ops = 2, 8000
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runModel(t, uint64(seed), ops) })
	}
}

func runModel(t *testing.T, seed uint64, ops int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	ks := New(2)
	m := &model{dbs: []map[string]*mval{{}, {}}}
	now := t0
	nkeys := 300
	key := func() string { return fmt.Sprintf("key:%d", rng.IntN(nkeys)) }
	for op := range ops {
		now += int64(rng.IntN(20))
		d := rng.IntN(2)
		if rng.IntN(10) > 0 {
			d = 0 // mostly db 0
		}
		db := ks.DB(d)
		k := key()
		switch r := rng.IntN(100); {
		case r < 30: // SET (keeps TTL) or SET + new TTL
			v := randValue(rng)
			exp := int64(0)
			if rng.IntN(4) == 0 {
				exp = now + int64(rng.IntN(3000))
			}
			db.Update([]byte(k), now, func(e *Entry) {
				e.SetStr(v)
				if exp != 0 {
					e.SetExpireAt(exp)
				}
			})
			mv, ok := m.visible(d, k, now)
			if !ok {
				mv = &mval{}
				m.dbs[d][k] = mv
			}
			mv.typ, mv.str, mv.items = TypeString, v, nil
			if exp != 0 {
				mv.expire = exp
			}
		case r < 50: // GET
			mv, ok := m.visible(d, k, now)
			db.View([]byte(k), now, func(e *Entry) {
				if e.Exists() != ok {
					t.Fatalf("op %d: %s exists=%v, model %v", op, k, e.Exists(), ok)
				}
				if !ok {
					return
				}
				if e.Type() != mv.typ || e.ExpireAt() != mv.expire {
					t.Fatalf("op %d: %s type %v exp %d, model %v %d", op, k, e.Type(), e.ExpireAt(), mv.typ, mv.expire)
				}
				if mv.typ == TypeString && !bytes.Equal(e.Str(), mv.str) {
					t.Fatalf("op %d: %s value differs (len %d vs %d)", op, k, len(e.Str()), len(mv.str))
				}
				if mv.typ != TypeString && !slices.Equal(e.Obj().(*testObj).items, mv.items) {
					t.Fatalf("op %d: %s object differs", op, k)
				}
			})
		case r < 58: // DEL
			db.Update([]byte(k), now, func(e *Entry) { e.Delete() })
			delete(m.dbs[d], k)
		case r < 66: // EXPIRE / PERSIST
			exp := now + int64(rng.IntN(2000))
			if rng.IntN(3) == 0 {
				exp = 0
			}
			db.Update([]byte(k), now, func(e *Entry) { e.SetExpireAt(exp) })
			if mv, ok := m.visible(d, k, now); ok {
				mv.expire = exp
			}
		case r < 74: // APPEND / SETRANGE on strings
			mv, ok := m.visible(d, k, now)
			if ok && mv.typ != TypeString {
				break
			}
			add := randValue(rng)
			at := 0
			if ok {
				at = rng.IntN(len(mv.str) + 10)
			}
			db.Update([]byte(k), now, func(e *Entry) {
				n := max(len(e.Str()), at+len(add))
				copy(e.MutableStr(n)[at:], add)
			})
			if !ok {
				mv = &mval{typ: TypeString}
				m.dbs[d][k] = mv
			}
			if n := at + len(add); n > len(mv.str) {
				mv.str = append(mv.str, make([]byte, n-len(mv.str))...)
			}
			copy(mv.str[at:], add)
		case r < 80: // object create / modify in place
			item := fmt.Sprint(op)
			db.Update([]byte(k), now, func(e *Entry) {
				if o, ok := e.Obj().(*testObj); ok {
					o.items = append(o.items, item)
					return
				}
				e.SetObj(TypeList, &testObj{items: []string{item}})
			})
			mv, ok := m.visible(d, k, now)
			if ok && mv.typ == TypeList {
				mv.items = append(mv.items, item)
			} else {
				if !ok {
					mv = &mval{}
					m.dbs[d][k] = mv
				}
				mv.typ, mv.str, mv.items = TypeList, nil, []string{item}
			}
		case r < 86: // RENAME-like Multi over two keys (maybe the same)
			k2 := key()
			db.Multi([][]byte{[]byte(k), []byte(k2)}, now, func(es []*Entry) {
				src, dst := es[0], es[1]
				if !src.Exists() || src == dst {
					return
				}
				if src.Type() == TypeString {
					dst.SetStr(src.Str())
				} else {
					dst.SetObj(src.Type(), src.Obj())
				}
				dst.SetExpireAt(src.ExpireAt())
				src.Delete()
			})
			if mv, ok := m.visible(d, k, now); ok && k != k2 {
				m.visible(d, k2, now)
				m.dbs[d][k2] = mv
				delete(m.dbs[d], k)
			}
		case r < 90: // MOVE
			o := 1 - d
			moved, _ := ks.Move(d, o, []byte(k), now)
			mv, ok := m.visible(d, k, now)
			_, exists := m.visible(o, k, now)
			if moved != (ok && !exists) {
				t.Fatalf("op %d: Move %s = %v, model %v/%v", op, k, moved, ok, exists)
			}
			if moved {
				m.dbs[o][k] = mv
				delete(m.dbs[d], k)
			}
		case r < 94: // COPY
			o := rng.IntN(2)
			k2 := key()
			replace := rng.IntN(2) == 0
			copied := ks.Copy(d, o, []byte(k), []byte(k2), replace, now)
			mv, ok := m.visible(d, k, now)
			_, exists := m.visible(o, k2, now)
			want := ok && (!exists || replace) && !(d == o && k == k2)
			if copied != want {
				t.Fatalf("op %d: Copy = %v, want %v", op, copied, want)
			}
			if copied {
				c := *mv
				c.str = slices.Clone(mv.str)
				c.items = slices.Clone(mv.items)
				m.dbs[o][k2] = &c
			}
		case r < 97:
			ks.ActiveExpireCycle(now, time.Millisecond)
		default:
			checkInvariants(t, ks.DB(0))
			checkInvariants(t, ks.DB(1))
			compareAll(t, ks, m, now)
		}
	}
	checkInvariants(t, ks.DB(0))
	checkInvariants(t, ks.DB(1))
	compareAll(t, ks, m, now)
	// Deleting everything gives all record memory back.
	for d := range 2 {
		for k := range m.dbs[d] {
			ks.DB(d).Update([]byte(k), now, func(e *Entry) { e.Delete() })
		}
		for ks.DB(d).Len() > 0 { // expired leftovers
			ks.ActiveExpireCycle(now+1e7, time.Second)
		}
		checkInvariants(t, ks.DB(d))
	}
	if ms := ks.MemoryStats(); ms.Records != 0 || ms.External != 0 {
		t.Fatalf("memory left after deleting all keys: %+v", ms)
	}
}

// compareAll checks that Keys and a full Scan return exactly the model's
// visible keys.
func compareAll(t *testing.T, ks *Keyspace, m *model, now int64) {
	t.Helper()
	for d := range m.dbs {
		var want []string
		for k := range m.dbs[d] {
			if _, ok := m.visible(d, k, now); ok {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		var got []string
		ks.DB(d).Keys(now, func(k []byte, _ Type) bool { got = append(got, string(k)); return true })
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("db %d: Keys returned %d keys, model has %d", d, len(got), len(want))
		}
		seen := map[string]bool{}
		for c := uint64(0); ; {
			c = ks.DB(d).Scan(c, 7, now, func(k []byte, _ Type) { seen[string(k)] = true })
			if c == 0 {
				break
			}
		}
		if len(seen) != len(want) {
			t.Fatalf("db %d: Scan returned %d keys, model has %d", d, len(seen), len(want))
		}
	}
}
