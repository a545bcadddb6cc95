package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/smallredis/smallredis/internal/geo"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/zset"
)

// geoCommands keep points in sorted sets whose scores are Redis's 52-bit
// geohashes (package geo), so a key written by either server reads the
// same in the other.
var geoCommands = []*Spec{
	{Name: "geoadd", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoWrite, Handler: geoadd},
	{Name: "geodist", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoRead, Handler: geodist},
	{Name: "geohash", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoRead, Handler: geohash},
	{Name: "geopos", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoRead, Handler: geopos},
	{Name: "geosearch", Arity: -7, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoRead, Handler: geosearch},
	{Name: "geosearchstore", Arity: -8, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, ACL: aclGeoWrite, Handler: geosearchstore},
	{Name: "georadius", Arity: -6, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoWrite, Handler: georadius, KeysFunc: georadiusKeys},
	{Name: "georadius_ro", Arity: -6, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoRead, Handler: georadiusRO},
	{Name: "georadiusbymember", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoWrite, Handler: georadiusbymember, KeysFunc: georadiusByMemberKeys},
	{Name: "georadiusbymember_ro", Arity: -5, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclGeoRead, Handler: georadiusbymemberRO},
}

var (
	aclGeoRead  = []string{"read", "geo", "slow"}
	aclGeoWrite = []string{"write", "geo", "slow"}
)

const (
	errGeoUnit   = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoMember = "ERR could not decode requested zset member"
)

// geoLonLat parses a longitude and a latitude as Redis's
// extractLongLatOrReply: both must be floats, then in range.
func geoLonLat(ctx *Ctx, lon, lat []byte) (x, y float64, ok bool) {
	if x, ok = parseFloat(lon); !ok {
		ctx.Err(ErrNotFloat)
		return 0, 0, false
	}
	if y, ok = parseFloat(lat); !ok {
		ctx.Err(ErrNotFloat)
		return 0, 0, false
	}
	if !geo.Valid(x, y) {
		ctx.Err("ERR invalid longitude,latitude pair " + cFloat(x) + "," + cFloat(y))
		return 0, 0, false
	}
	return x, y, true
}

// cFloat is C's %f.
func cFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoUnit is the number of metres in a unit argument, or -1 after the
// error reply.
func geoUnit(ctx *Ctx, u []byte) float64 {
	switch {
	case eqFold(u, "m"):
		return 1
	case eqFold(u, "km"):
		return 1000
	case eqFold(u, "ft"):
		return 0.3048
	case eqFold(u, "mi"):
		return 1609.34
	}
	ctx.Err(errGeoUnit)
	return -1
}

// writeDistance writes a distance as Redis does: a bulk string with four
// decimals, in RESP3 too.
func writeDistance(ctx *Ctx, d float64) {
	var buf [32]byte
	ctx.W.Bulk(strconv.AppendFloat(buf[:0], d, 'f', 4, 64))
}

// writeCoord writes a coordinate as Redis's addReplyHumanLongDouble: 17
// decimals with trailing zeros cut, a bulk string in RESP2, a double in
// RESP3.
func writeCoord(ctx *Ctx, f float64) {
	s := strconv.FormatFloat(f, 'f', 17, 64)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	if ctx.W.Proto >= 3 {
		ctx.W.Raw([]byte("," + s + "\r\n"))
		return
	}
	ctx.W.BulkString(s)
}

// geoadd: GEOADD key [NX | XX] [CH] longitude latitude member
// [longitude latitude member ...]. As in Redis, it is ZADD of the points'
// scores: the same replies, "zadd" event and wake-up of blocked ZPOPs.
func geoadd(ctx *Ctx) {
	args := ctx.Args
	var nx, xx bool
	i := 2
	for ; i < len(args); i++ {
		if eqFold(args[i], "nx") {
			nx = true
		} else if eqFold(args[i], "xx") {
			xx = true
		} else if !eqFold(args[i], "ch") {
			break
		}
	}
	if (len(args)-i)%3 != 0 || (nx && xx) {
		ctx.Err(ErrSyntax)
		return
	}
	n := (len(args) - i) / 3
	zargs := make([][]byte, 0, i+2*n)
	zargs = append(zargs, []byte("zadd"))
	zargs = append(zargs, args[1:i]...)
	for j := range n {
		a := args[i+3*j:]
		lon, lat, ok := geoLonLat(ctx, a[0], a[1])
		if !ok {
			return
		}
		zargs = append(zargs, strconv.AppendUint(nil, geo.Score(lon, lat), 10), a[2])
	}
	ctx.Args = zargs
	defer func() { ctx.Args = args }()
	zaddGeneric(ctx, false)
}

// geodist: GEODIST key member1 member2 [M | KM | FT | MI]
func geodist(ctx *Ctx) {
	args := ctx.Args
	conv := 1.0
	switch {
	case len(args) == 5:
		if conv = geoUnit(ctx, args[4]); conv < 0 {
			return
		}
	case len(args) > 5:
		ctx.Err(ErrSyntax)
		return
	}
	ctx.View(args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		if z == nil {
			ctx.W.Null()
			return
		}
		s1, ok1 := z.Score(args[2])
		s2, ok2 := z.Score(args[3])
		if !ok1 || !ok2 {
			ctx.W.Null()
			return
		}
		lon1, lat1 := geo.Decode(s1)
		lon2, lat2 := geo.Decode(s2)
		writeDistance(ctx, geo.Distance(lon1, lat1, lon2, lat2)/conv)
	})
}

// geohash: GEOHASH key [member [member ...]]
func geohash(ctx *Ctx) {
	members := ctx.Args[2:]
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		ctx.W.Array(len(members))
		for _, m := range members {
			if s, ok := zsetScore(z, m); ok {
				ctx.W.BulkString(geo.String(s))
			} else {
				ctx.W.Null()
			}
		}
	})
}

// geopos: GEOPOS key [member [member ...]]
func geopos(ctx *Ctx) {
	members := ctx.Args[2:]
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		z, ok := zsetRead(ctx, e)
		if !ok {
			return
		}
		ctx.W.Array(len(members))
		for _, m := range members {
			s, ok := zsetScore(z, m)
			if !ok {
				ctx.W.NullArray()
				continue
			}
			lon, lat := geo.Decode(s)
			ctx.W.Array(2)
			writeCoord(ctx, lon)
			writeCoord(ctx, lat)
		}
	})
}

// zsetScore is m's score in z, a missing key (nil) holding nothing.
func zsetScore(z *zset.ZSet, m []byte) (float64, bool) {
	if z == nil {
		return 0, false
	}
	return z.Score(m)
}
