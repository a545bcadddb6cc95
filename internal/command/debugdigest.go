package command

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/smallredis/smallredis/internal/hash"
	"github.com/smallredis/smallredis/internal/list"
	"github.com/smallredis/smallredis/internal/resp"
	settype "github.com/smallredis/smallredis/internal/set"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
	"github.com/smallredis/smallredis/internal/zset"
)

// DEBUG DIGEST and DEBUG DIGEST-VALUE compute Redis's digests (debug.c):
// SHA1s xored where order does not matter (keys, set members, hash
// fields) and chained where it does (list elements, a stream's entries:
// ID as "ms.seq", then each field and value; its groups are left out, as
// Redis leaves them), so a dataset holds the same digest in either server
// and tests can compare values.

type digest [20]byte

// xor mixes SHA1(p) into d without order.
func (d *digest) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix chains p into d: d = SHA1(d xor SHA1(p)).
func (d *digest) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

// redisType is Redis's OBJ_* number of t.
var redisType = map[store.Type]uint32{store.TypeString: 0, store.TypeList: 1, store.TypeSet: 2, store.TypeZSet: 3, store.TypeHash: 4, store.TypeStream: 6}

// objectDigest is Redis's xorObjectDigest of the value e holds, mixed into d.
func objectDigest(d *digest, e *store.Entry) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], redisType[e.Type()])
	d.mix(aux[:])
	switch o := e.Obj().(type) {
	case nil:
		d.mix(e.Str())
	case *list.List:
		if o.Len() > 0 {
			o.Range(0, o.Len()-1, func(v []byte) { d.mix(v) })
		}
	case *settype.Set:
		o.Range(func(m []byte) bool { d.xor(m); return true })
	case *zset.ZSet:
		var buf [32]byte
		o.Walk(0, false, func(m []byte, s float64) bool {
			var el digest
			el.mix(m)
			el.mix(resp.AppendDouble(buf[:0], s))
			d.xor(el[:])
			return true
		})
	case *hash.Hash:
		o.Range(func(f, v []byte) bool {
			var el digest
			el.mix(f)
			el.mix(v)
			d.xor(el[:])
			return true
		})
	case *stream.Stream:
		var buf [41]byte
		o.Range(stream.ID{}, stream.Max, false, func(id stream.ID, fv [][]byte) bool {
			b := strconv.AppendUint(buf[:0], id.Ms, 10)
			d.mix(strconv.AppendUint(append(b, '.'), id.Seq, 10))
			for _, s := range fv {
				d.mix(s)
			}
			return true
		})
	}
	if e.ExpireAt() != 0 {
		d.xor([]byte("!!expire!!"))
	}
}

// debugDigest: DEBUG DIGEST, the whole dataset's digest (all zeros when
// empty).
func debugDigest(ctx *Ctx) {
	var final digest
	for i := range ctx.S.KS.Databases() {
		db := ctx.S.KS.DB(i)
		var keys [][]byte
		db.Keys(ctx.Now, func(k []byte, _ store.Type) bool {
			keys = append(keys, append([]byte(nil), k...))
			return true
		})
		if len(keys) == 0 {
			continue
		}
		var aux [4]byte
		binary.BigEndian.PutUint32(aux[:], uint32(i))
		final.mix(aux[:])
		for _, k := range keys {
			db.Peek(k, ctx.Now, func(e *store.Entry) {
				if !e.Exists() {
					return
				}
				var d digest
				d.mix(k)
				objectDigest(&d, e)
				final.xor(d[:])
			})
		}
	}
	ctx.W.Simple(hex.EncodeToString(final[:]))
}

// debugDigestValue: DEBUG DIGEST-VALUE key [key ...], each value's digest
// (zeros for a missing key).
func debugDigestValue(ctx *Ctx) {
	keys := ctx.Args[2:]
	ctx.W.Array(len(keys))
	for _, k := range keys {
		var d digest
		ctx.Peek(k, func(e *store.Entry) {
			if e.Exists() {
				objectDigest(&d, e)
			}
		})
		ctx.W.Simple(hex.EncodeToString(d[:]))
	}
}
