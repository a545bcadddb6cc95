// Package geo is Redis's geohash arithmetic: the 52-bit interleaved
// geohash a GEOADD stores as a sorted-set score, its decoding to the cell
// centre, the haversine distance on Redis's earth, and the nine geohash
// boxes a radius or box search scans (geohash.c and geohash_helper.c of
// Redis 7.0), computed in the same order of float operations so results
// print with the same digits. The trigonometry is correctly rounded
// (libm.go), as glibc's, which Redis calls, nearly always is.
//
// It knows nothing of sorted sets, RESP or the keyspace: callers range
// over their sorted set with the score bounds this package gives.
package geo

import "math"

// The coordinate limits of EPSG:900913, Redis's GEO_* constants.
const (
	LatMin  = -85.05112878
	LatMax  = 85.05112878
	LonMin  = -180.0
	LonMax  = 180.0
	StepMax = 26 // bits per coordinate in a stored score

	EarthRadius = 6372797.560856 // metres, Redis's EARTH_RADIUS_IN_METERS
	mercatorMax = 20037726.37
)

// Variables, not constants, so that Go computes them in float64 as C does
// at run time instead of exactly at compile time.
var (
	latMin, latMax = float64(LatMin), float64(LatMax)
	lonMin, lonMax = float64(LonMin), float64(LonMax)
	pi             = float64(math.Pi)
	degToRad       = pi / 180.0
)

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// Hash is a geohash of Step bits per coordinate.
type Hash struct {
	Bits uint64
	Step uint8
}

// zero is the "no box" value of a neighbour excluded from a search.
func (h Hash) zero() bool { return h.Bits == 0 && h.Step == 0 }

// Align52 left-aligns the hash to 52 bits, the precision of stored scores.
func (h Hash) Align52() uint64 { return h.Bits << (52 - uint(h.Step)*2) }

// ScoreRange is the score interval [min, max) of the points inside h.
func (h Hash) ScoreRange() (min, max uint64) {
	min = h.Align52()
	h.Bits++
	return min, h.Align52()
}

func interleave(x, y uint32) uint64 {
	a, b := uint64(x), uint64(y)
	for _, s := range []struct {
		shift uint
		mask  uint64
	}{{16, 0x0000FFFF0000FFFF}, {8, 0x00FF00FF00FF00FF}, {4, 0x0F0F0F0F0F0F0F0F}, {2, 0x3333333333333333}, {1, 0x5555555555555555}} {
		a = (a | a<<s.shift) & s.mask
		b = (b | b<<s.shift) & s.mask
	}
	return a | b<<1
}

func deinterleave(v uint64) uint64 {
	x, y := v, v>>1
	for _, s := range []struct {
		shift uint
		mask  uint64
	}{{0, 0x5555555555555555}, {1, 0x3333333333333333}, {2, 0x0F0F0F0F0F0F0F0F}, {4, 0x00FF00FF00FF00FF}, {8, 0x0000FFFF0000FFFF}, {16, 0x00000000FFFFFFFF}} {
		x = (x | x>>s.shift) & s.mask
		y = (y | y>>s.shift) & s.mask
	}
	return x | y<<32
}

// Valid reports whether lon, lat may be indexed.
func Valid(lon, lat float64) bool {
	return lon >= LonMin && lon <= LonMax && lat >= LatMin && lat <= LatMax
}

// encode is geohashEncode over the given ranges.
func encode(lon, lat, lonLo, lonHi, latLo, latHi float64, step uint8) (Hash, bool) {
	if !Valid(lon, lat) || lat < latLo || lat > latHi || lon < lonLo || lon > lonHi {
		return Hash{}, false
	}
	latOff := (lat - latLo) / (latHi - latLo)
	lonOff := (lon - lonLo) / (lonHi - lonLo)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	return Hash{Bits: interleave(uint32(latOff), uint32(lonOff)), Step: step}, true
}

// Encode is the geohash of a valid point at step bits per coordinate.
func Encode(lon, lat float64, step uint8) Hash {
	h, _ := encode(lon, lat, lonMin, lonMax, latMin, latMax, step)
	return h
}

// Score is the sorted-set score GEOADD stores for a valid point.
func Score(lon, lat float64) uint64 { return Encode(lon, lat, StepMax).Align52() }

// area is a decoded geohash cell.
type area struct{ lonMin, lonMax, latMin, latMax float64 }

func decode(h Hash) area {
	sep := deinterleave(h.Bits)
	latScale := latMax - latMin
	lonScale := lonMax - lonMin
	ilat, ilon := uint32(sep), uint32(sep>>32)
	div := float64(uint64(1) << h.Step)
	return area{
		latMin: latMin + (float64(ilat)*1.0/div)*latScale,
		latMax: latMin + (float64(ilat+1)*1.0/div)*latScale,
		lonMin: lonMin + (float64(ilon)*1.0/div)*lonScale,
		lonMax: lonMin + (float64(ilon+1)*1.0/div)*lonScale,
	}
}

// Decode is the centre of the cell a stored score names, clamped to the
// limits, as GEOPOS reports it. Any score decodes, as in Redis (which
// converts the double to an integer the way x86-64 does).
func Decode(score float64) (lon, lat float64) {
	a := decode(Hash{Bits: scoreBits(score), Step: StepMax})
	lon = min(max((a.lonMin+a.lonMax)/2, LonMin), LonMax)
	lat = min(max((a.latMin+a.latMax)/2, LatMin), LatMax)
	return lon, lat
}

// scoreBits is C's (uint64_t) cast of a double as gcc compiles it on
// x86-64: truncation, out-of-range values giving 1<<63 before the fix-up.
func scoreBits(f float64) uint64 {
	const two63 = float64(1 << 63)
	if f < two63 {
		return uint64(cvtt(f))
	}
	return uint64(cvtt(f-two63)) ^ 1<<63
}

// cvtt is CVTTSD2SI: truncation, with 1<<63 for what does not fit.
func cvtt(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// Distance is the haversine distance in metres between two points.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return at(lon1, lat1).distance(at(lon2, lat2))
}

// point is a position in radians with the cosine of its latitude, which
// searches compute once per point instead of once per distance.
type point struct{ lonR, latR, cosLat float64 }

func at(lon, lat float64) point {
	latR := degRad(lat)
	return point{lonR: degRad(lon), latR: latR, cosLat: cos(latR)}
}

// distance is Redis's geohashGetDistance from p to q, in its order of
// operations.
func (p point) distance(q point) float64 {
	u := sin((q.latR - p.latR) / 2)
	v := sin((q.lonR - p.lonR) / 2)
	a := float64(u*u) + float64(float64(float64(p.cosLat*q.cosLat)*v)*v)
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// String is the standard 11-character geohash of a stored score, as
// GEOHASH prints it: the point re-encoded over ±90 degrees of latitude.
func String(score float64) string {
	lon, lat := Decode(score)
	h, _ := encode(lon, lat, -180, 180, -90, 90, StepMax)
	var buf [11]byte
	for i := range 10 {
		buf[i] = alphabet[h.Bits>>(52-uint(i+1)*5)&0x1f]
	}
	buf[10] = '0' // 52 bits fill ten characters; Redis pads the eleventh
	return string(buf[:])
}
