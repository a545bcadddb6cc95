package geo

import "math"

// Shape is a search area: a circle of Radius or a Width × Height box
// around a centre, the sizes in a unit of Conv metres.
type Shape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conv          float64 // metres per unit

	centre  point // the centre in radians, once Contains has run
	centred bool
}

// bounds is geohashBoundingBox: the lon/lat extent of the shape.
func (s *Shape) bounds() (lonLo, latLo, lonHi, latHi float64) {
	var height, width float64
	if s.Box {
		height = s.Conv * (s.Height / 2)
		width = s.Conv * (s.Width / 2)
	} else {
		height = s.Conv * s.Radius
		width = s.Conv * s.Radius
	}
	latDelta := radDeg(height / EarthRadius)
	lonDeltaTop := radDeg(width / EarthRadius / cos(degRad(s.Lat+latDelta)))
	lonDeltaBottom := radDeg(width / EarthRadius / cos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		lonLo, lonHi = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		lonLo, lonHi = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	return lonLo, s.Lat - latDelta, lonHi, s.Lat + latDelta
}

// stepsByRadius is geohashEstimateStepsByRadius.
func stepsByRadius(rangeM, lat float64) uint8 {
	if rangeM == 0 {
		return 26
	}
	step := 1
	for rangeM < mercatorMax {
		rangeM *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

func moveX(h Hash, d int) Hash {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - uint(h.Step)*2)
	return Hash{Bits: x | y, Step: h.Step}
}

func moveY(h Hash, d int) Hash {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - uint(h.Step)*2)
	return Hash{Bits: x | y, Step: h.Step}
}

// Box indexes of Areas, in the order Redis scans them.
const (
	center = iota
	north
	south
	east
	west
	northEast
	northWest
	southEast
	southWest
)

func neighbours(h Hash) [9]Hash {
	return [9]Hash{
		center:    h,
		north:     moveY(h, 1),
		south:     moveY(h, -1),
		east:      moveX(h, 1),
		west:      moveX(h, -1),
		northEast: moveY(moveX(h, 1), 1),
		northWest: moveY(moveX(h, -1), 1),
		southEast: moveY(moveX(h, 1), -1),
		southWest: moveY(moveX(h, -1), -1),
	}
}

// Boxes is geohashCalculateAreasByShapeWGS84 followed by the box choice of
// membersOfAllNeighbors: the geohash boxes to scan, in scan order, boxes
// that cannot hold a match or repeat the previous one left out.
func (s *Shape) Boxes() []Hash {
	lonLo, latLo, lonHi, latHi := s.bounds()
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	}
	radius *= s.Conv
	steps := stepsByRadius(radius, s.Lat)
	h := Encode(s.Lon, s.Lat, steps)
	n := neighbours(h)
	a := decode(h)
	if steps > 1 && (decode(n[north]).latMax < latHi || decode(n[south]).latMin > latLo ||
		decode(n[east]).lonMax < lonHi || decode(n[west]).lonMin > lonLo) {
		steps--
		h = Encode(s.Lon, s.Lat, steps)
		n = neighbours(h)
		a = decode(h)
	}
	if steps >= 2 {
		if a.latMin < latLo {
			n[south], n[southWest], n[southEast] = Hash{}, Hash{}, Hash{}
		}
		if a.latMax > latHi {
			n[north], n[northEast], n[northWest] = Hash{}, Hash{}, Hash{}
		}
		if a.lonMin < lonLo {
			n[west], n[southWest], n[northWest] = Hash{}, Hash{}, Hash{}
		}
		if a.lonMax > lonHi {
			n[east], n[southEast], n[northEast] = Hash{}, Hash{}, Hash{}
		}
	}
	out := make([]Hash, 0, 9)
	last := 0 // Redis's last_processed, where 0 also means "none yet"
	for i, b := range n {
		if b.zero() || (last != 0 && b == n[last]) {
			continue
		}
		out = append(out, b)
		last = i
	}
	return out
}

// Contains reports whether the point of a stored score lies in the shape,
// with its decoded position and its distance from the centre in metres.
func (s *Shape) Contains(score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = Decode(score)
	if !s.centred {
		s.centre, s.centred = at(s.Lon, s.Lat), true
	}
	p := at(lon, lat)
	if !s.Box {
		dist = s.centre.distance(p)
		return lon, lat, dist, dist <= s.Radius*s.Conv
	}
	// geohashGetDistanceIfInRectangle: the east-west distance along the
	// point's parallel, the north-south one along its meridian.
	lonDist := p.distance(point{lonR: s.centre.lonR, latR: p.latR, cosLat: p.cosLat})
	latDist := p.distance(point{lonR: p.lonR, latR: s.centre.latR, cosLat: s.centre.cosLat})
	if lonDist > s.Width*s.Conv/2 || latDist > s.Height*s.Conv/2 {
		return lon, lat, 0, false
	}
	return lon, lat, s.centre.distance(p), true
}
