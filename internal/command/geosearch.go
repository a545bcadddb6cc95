package command

import (
	"slices"

	"github.com/smallredis/smallredis/internal/geo"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/zset"
)

// The search family is one routine, Redis's georadiusGeneric, entered by
// six commands that differ in where the centre and the shape come from and
// in whether results may be stored.
type geoFlags uint8

const (
	geoFromCoords  geoFlags = 1 << iota // GEORADIUS: key lon lat radius unit
	geoFromMember                       // GEORADIUSBYMEMBER: key member radius unit
	geoNoStore                          // the _RO variants
	geoSearch                           // GEOSEARCH: FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX
	geoSearchStore                      // GEOSEARCHSTORE: dest src …
)

// georadius: GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD]
// [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key]
func georadius(ctx *Ctx) { geoSearchCmd(ctx, 1, geoFromCoords) }

// georadiusRO: GEORADIUS_RO, without STORE.
func georadiusRO(ctx *Ctx) { geoSearchCmd(ctx, 1, geoFromCoords|geoNoStore) }

// georadiusbymember: GEORADIUSBYMEMBER key member radius unit [options]
func georadiusbymember(ctx *Ctx) { geoSearchCmd(ctx, 1, geoFromMember) }

// georadiusbymemberRO: GEORADIUSBYMEMBER_RO, without STORE.
func georadiusbymemberRO(ctx *Ctx) { geoSearchCmd(ctx, 1, geoFromMember|geoNoStore) }

// geosearch: GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat
// BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]]
// [WITHCOORD] [WITHDIST] [WITHHASH]
func geosearch(ctx *Ctx) { geoSearchCmd(ctx, 1, geoSearch) }

// geosearchstore: GEOSEARCHSTORE destination source … [STOREDIST]
func geosearchstore(ctx *Ctx) { geoSearchCmd(ctx, 2, geoSearch|geoSearchStore) }

// georadiusKeys and georadiusByMemberKeys find the keys as Redis 7.0's
// key specs do: the source, then the argument after the first STORE and
// after the first STOREDIST from the option position on (a keyword in the
// last position names nothing).
func georadiusKeys(args [][]byte) []int         { return geoStoreKeys(args, 6) }
func georadiusByMemberKeys(args [][]byte) []int { return geoStoreKeys(args, 5) }

func geoStoreKeys(args [][]byte, from int) []int {
	keys := []int{1}
	for _, kw := range []string{"store", "storedist"} {
		for i := from; i < len(args)-1; i++ {
			if eqFold(args[i], kw) {
				keys = append(keys, i+1)
				break
			}
		}
	}
	return keys
}

// geoPoint is one search result.
type geoPoint struct {
	member   []byte
	lon, lat float64
	dist     float64 // metres until the reply converts it
	score    float64
}

// geoSearchCmd locks the source with every key a STORE option might name
// (the parser decides which one it is) and runs the search.
func geoSearchCmd(ctx *Ctx, src int, flags geoFlags) {
	args := ctx.Args
	keys := [][]byte{args[src]}
	idx := []int{src}
	if flags&geoSearchStore != 0 {
		keys, idx = append(keys, args[1]), append(idx, 1)
	} else if flags&(geoNoStore|geoSearch) == 0 {
		for i := src + 1; i+1 < len(args); i++ {
			if eqFold(args[i], "store") || eqFold(args[i], "storedist") {
				keys, idx = append(keys, args[i+1]), append(idx, i+1)
			}
		}
	}
	ctx.Multi(keys, func(es []*store.Entry) {
		entry := func(arg int) *store.Entry {
			for j, a := range idx {
				if a == arg {
					return es[j]
				}
			}
			panic("geo: store key was not locked")
		}
		geoSearchLocked(ctx, es[0], entry, flags)
	})
}

// geoQuery is a parsed search.
type geoQuery struct {
	shape                         geo.Shape
	withDist, withHash, withCoord bool
	any                           bool
	desc, sorted                  bool
	count                         int64 // 0: all
	storeArg                      int   // argument index of the destination, -1 for none
	storeDist                     bool
}

// geoSearchLocked is georadiusGeneric: parse, then search and reply or
// store.
func geoSearchLocked(ctx *Ctx, se *store.Entry, entry func(arg int) *store.Entry, flags geoFlags) {
	z, ok := zsetRead(ctx, se)
	if !ok {
		return
	}
	q, ok := parseGeoQuery(ctx, z, flags)
	if !ok {
		return
	}
	args := ctx.Args
	if z == nil {
		if q.storeArg >= 0 {
			geoStoreEmpty(ctx, entry(q.storeArg), args[q.storeArg])
			ctx.W.Int(0)
		} else {
			ctx.W.Array(0)
		}
		return
	}
	limit := 0
	if q.any {
		limit = int(q.count)
	}
	points := geoCollect(z, &q.shape, limit)
	if len(points) == 0 && q.storeArg < 0 {
		ctx.W.Array(0)
		return
	}
	if q.sorted {
		slices.SortStableFunc(points, func(a, b geoPoint) int {
			c := 0
			if a.dist > b.dist {
				c = 1
			} else if a.dist < b.dist {
				c = -1
			}
			if q.desc {
				c = -c
			}
			return c
		})
	}
	if q.count != 0 && int64(len(points)) > q.count {
		points = points[:q.count]
	}
	if q.storeArg >= 0 {
		geoStore(ctx, entry(q.storeArg), args[q.storeArg], points, q.shape.Conv, q.storeDist, flags&geoSearch != 0)
		return
	}
	geoReply(ctx, &q, points)
}

// parseGeoQuery reads the centre, the shape and the options, checking them
// in Redis's order (a missing source skips what needs its members).
func parseGeoQuery(ctx *Ctx, z *zset.ZSet, flags geoFlags) (q geoQuery, ok bool) {
	args := ctx.Args
	shape := &q.shape
	q.storeArg = -1
	base := 2
	switch {
	case flags&geoFromCoords != 0:
		base = 6
		if shape.Lon, shape.Lat, ok = geoLonLat(ctx, args[2], args[3]); !ok {
			return q, false
		}
		if !geoRadiusArgs(ctx, args[4:], shape) {
			return q, false
		}
	case flags&geoFromMember != 0:
		base = 5
		if z != nil && (!geoMemberPos(ctx, z, args[2], shape) || !geoRadiusArgs(ctx, args[3:], shape)) {
			return q, false
		}
	case flags&geoSearchStore != 0:
		base = 3
		q.storeArg = 1
	}

	var fromMember, fromLoc, byRadius, byBox, asc bool
	search := flags&geoSearch != 0
	canStore := flags&(geoNoStore|geoSearch) == 0
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		more := len(rest) - i - 1
		switch {
		case eqFold(a, "withdist"):
			q.withDist = true
		case eqFold(a, "withhash"):
			q.withHash = true
		case eqFold(a, "withcoord"):
			q.withCoord = true
		case eqFold(a, "any"):
			q.any = true
		case eqFold(a, "asc"):
			asc, q.desc = true, false
		case eqFold(a, "desc"):
			asc, q.desc = false, true
		case eqFold(a, "count") && more >= 1:
			n, ok := parseInt(rest[i+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return q, false
			}
			if n <= 0 {
				ctx.Err("ERR COUNT must be > 0")
				return q, false
			}
			q.count = n
			i++
		case (eqFold(a, "store") || eqFold(a, "storedist")) && more >= 1 && canStore:
			q.storeArg = base + i + 1
			q.storeDist = eqFold(a, "storedist")
			i++
		case eqFold(a, "storedist") && flags&geoSearchStore != 0:
			q.storeDist = true
		case eqFold(a, "frommember") && more >= 1 && search && !fromLoc:
			if z != nil && !geoMemberPos(ctx, z, rest[i+1], shape) {
				return q, false
			}
			fromMember = true
			i++
		case eqFold(a, "fromlonlat") && more >= 2 && search && !fromMember:
			if shape.Lon, shape.Lat, ok = geoLonLat(ctx, rest[i+1], rest[i+2]); !ok {
				return q, false
			}
			fromLoc = true
			i += 2
		case eqFold(a, "byradius") && more >= 2 && search && !byBox:
			if !geoRadiusArgs(ctx, rest[i+1:], shape) {
				return q, false
			}
			byRadius = true
			i += 2
		case eqFold(a, "bybox") && more >= 3 && search && !byRadius:
			if !geoBoxArgs(ctx, rest[i+1:], shape) {
				return q, false
			}
			byBox = true
			i += 3
		default:
			ctx.Err(ErrSyntax)
			return q, false
		}
	}
	switch {
	case q.storeArg >= 0 && (q.withDist || q.withHash || q.withCoord):
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		ctx.Err("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	case search && !fromMember && !fromLoc:
		ctx.Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
	case search && !byRadius && !byBox:
		ctx.Err("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
	case q.any && q.count == 0:
		ctx.Err("ERR the ANY argument requires COUNT argument")
	default:
		// COUNT without an order means the nearest, except with ANY.
		q.sorted = asc || q.desc || q.count != 0 && !q.any
		return q, true
	}
	return q, false
}

// geoReply writes the results: members, or arrays of the member and the
// WITH… fields in Redis's order (distance, hash, coordinates).
func geoReply(ctx *Ctx, q *geoQuery, points []geoPoint) {
	opts := 0
	for _, on := range []bool{q.withDist, q.withCoord, q.withHash} {
		if on {
			opts++
		}
	}
	ctx.W.Array(len(points))
	for _, p := range points {
		if opts > 0 {
			ctx.W.Array(opts + 1)
		}
		ctx.W.Bulk(p.member)
		if q.withDist {
			writeDistance(ctx, p.dist/q.shape.Conv)
		}
		if q.withHash {
			ctx.W.Int(int64(p.score))
		}
		if q.withCoord {
			ctx.W.Array(2)
			writeCoord(ctx, p.lon)
			writeCoord(ctx, p.lat)
		}
	}
}

// geoMemberPos sets the shape's centre to member's position.
func geoMemberPos(ctx *Ctx, z *zset.ZSet, member []byte, shape *geo.Shape) bool {
	s, ok := z.Score(member)
	if !ok {
		ctx.Err(errGeoMember)
		return false
	}
	shape.Lon, shape.Lat = geo.Decode(s)
	return true
}

// geoRadiusArgs parses "radius unit" into a circle.
func geoRadiusArgs(ctx *Ctx, a [][]byte, shape *geo.Shape) bool {
	r, ok := parseFloat(a[0])
	if !ok {
		ctx.Err("ERR need numeric radius")
		return false
	}
	if r < 0 {
		ctx.Err("ERR radius cannot be negative")
		return false
	}
	conv := geoUnit(ctx, a[1])
	if conv < 0 {
		return false
	}
	shape.Box, shape.Radius, shape.Conv = false, r, conv
	return true
}

// geoBoxArgs parses "width height unit" into a box.
func geoBoxArgs(ctx *Ctx, a [][]byte, shape *geo.Shape) bool {
	w, ok := parseFloat(a[0])
	if !ok {
		ctx.Err("ERR need numeric width")
		return false
	}
	h, ok := parseFloat(a[1])
	if !ok {
		ctx.Err("ERR need numeric height")
		return false
	}
	if h < 0 || w < 0 {
		ctx.Err("ERR height or width cannot be negative")
		return false
	}
	conv := geoUnit(ctx, a[2])
	if conv < 0 {
		return false
	}
	shape.Box, shape.Width, shape.Height, shape.Conv = true, w, h, conv
	return true
}

// geoCollect scans the shape's boxes in Redis's order, each in score order,
// keeping the points inside the shape; limit > 0 (ANY) stops at that many.
func geoCollect(z *zset.ZSet, shape *geo.Shape, limit int) []geoPoint {
	var points []geoPoint
	for _, b := range shape.Boxes() {
		if limit > 0 && len(points) >= limit {
			break
		}
		lo, hi := b.ScoreRange()
		first, n := z.ScoreSpan(zset.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true})
		if n == 0 {
			continue
		}
		z.Walk(first, false, func(m []byte, s float64) bool {
			if lon, lat, d, in := shape.Contains(s); in {
				points = append(points, geoPoint{member: append([]byte(nil), m...), lon: lon, lat: lat, dist: d, score: s})
			}
			n--
			return n > 0 && (limit == 0 || len(points) < limit)
		})
	}
	return points
}

// geoStore writes the results to the destination as a sorted set, scored by
// geohash or, with STOREDIST, by distance in the query's unit; no results
// delete it.
func geoStore(ctx *Ctx, e *store.Entry, key []byte, points []geoPoint, conv float64, dist, search bool) {
	if len(points) == 0 {
		geoStoreEmpty(ctx, e, key)
		ctx.W.Int(0)
		return
	}
	lim := zsetLimits(ctx)
	maxLen := 0
	for _, p := range points {
		maxLen = max(maxLen, len(p.member))
	}
	z := zset.New(len(points), maxLen, lim)
	for _, p := range points {
		s := p.score
		if dist {
			s = p.dist / conv
		}
		z.Set(p.member, s, lim)
	}
	zsetStore(e, z, lim)
	event := "georadiusstore"
	if search {
		event = "geosearchstore"
	}
	ctx.Notify(EvZSet, event, key)
	ctx.W.Int(int64(len(points)))
}

// geoStoreEmpty deletes the destination of a search that found nothing.
func geoStoreEmpty(ctx *Ctx, e *store.Entry, key []byte) {
	if e.Exists() {
		e.Delete()
		ctx.Notify(EvGeneric, "del", key)
	}
}
