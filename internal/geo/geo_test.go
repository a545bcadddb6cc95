package geo

import (
	"strconv"
	"strings"
	"testing"
)

// human is how Redis prints a coordinate (%.17Lf, trailing zeros cut).
func human(f float64) string {
	s := strconv.FormatFloat(f, 'f', 17, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Scores, GEOPOS and GEOHASH replies of redis-server 7.0.15 for the same
// GEOADDs.
func TestScoreDecodeHash(t *testing.T) {
	for _, tc := range []struct {
		lon, lat float64
		score    uint64
		pos      [2]string
		hash     string
	}{
		{13.361389, 38.115556, 3479099956230698, [2]string{"13.36138933897018433", "38.11555639549629859"}, "sqc8b49rny0"},
		{15.087269, 37.502669, 3479447370796909, [2]string{"15.08726745843887329", "37.50266842333162032"}, "sqdtr74hyu0"},
		{-122.4194, 37.7749, 1367859919124626, [2]string{"-122.41940170526504517", "37.77490001056577995"}, "9q8yyk8ytp0"},
		{139.6917, 35.6895, 4171231230197045, [2]string{"139.69170123338699341", "35.68950126697937009"}, "xn774c06kt0"},
		{0, 0, 3377699720527872, [2]string{"0.00000268220901489", "0.00000126736058093"}, "s0000000000"},
		{-180, -85.05112878, 0, [2]string{"-179.99999731779098511", "-85.05112751263942528"}, "00bh0hbj200"},
		{180, 85.05112878, 13510798882111488, [2]string{"180", "85.0511287799999991"}, "bp05b5048p0"},
		{2.3522, 48.8566, 3663832779122514, [2]string{"2.35219806432723999", "48.8565995303492997"}, "u09tvw0f640"},
	} {
		if got := Score(tc.lon, tc.lat); got != tc.score {
			t.Errorf("Score(%v, %v) = %d, Redis %d", tc.lon, tc.lat, got, tc.score)
		}
		lon, lat := Decode(float64(tc.score))
		if got := [2]string{human(lon), human(lat)}; got != tc.pos {
			t.Errorf("Decode(%d) = %v, Redis %v", tc.score, got, tc.pos)
		}
		if got := String(float64(tc.score)); got != tc.hash {
			t.Errorf("String(%d) = %s, Redis %s", tc.score, got, tc.hash)
		}
	}
}

// GEODIST replies of redis-server 7.0.15 (metres before the unit).
func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b uint64
		conv float64
		want string
	}{
		{3479099956230698, 3479447370796909, 1, "166274.1516"},
		{1367859919124626, 4171231230197045, 1000, "8273.0474"},
		{0, 13510798882111488, 1609.34, "11756.2756"},
		{3663832779122514, 3377699720527872, 0.3048, "17843925.5327"},
	} {
		lon1, lat1 := Decode(float64(tc.a))
		lon2, lat2 := Decode(float64(tc.b))
		if got := strconv.FormatFloat(Distance(lon1, lat1, lon2, lat2)/tc.conv, 'f', 4, 64); got != tc.want {
			t.Errorf("distance %d-%d = %s, Redis %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestStepsByRadius(t *testing.T) {
	for _, tc := range []struct {
		r, lat float64
		want   uint8
	}{
		{0, 0, 26}, {1, 0, 24}, {100, 0, 17}, {1000, 0, 14}, {100000, 0, 7},
		{100000, 70, 6}, {100000, -81, 5}, {5e6, 0, 2}, {4e7, 0, 1},
	} {
		if got := stepsByRadius(tc.r, tc.lat); got != tc.want {
			t.Errorf("stepsByRadius(%v, %v) = %d, want %d", tc.r, tc.lat, got, tc.want)
		}
	}
}

// Every box a search scans holds the centre's own cell or touches it, and
// a point inside the shape always falls in one of the boxes.
func TestBoxesCoverShape(t *testing.T) {
	for _, s := range []Shape{
		{Lon: 13.36, Lat: 38.11, Radius: 200, Conv: 1000},
		{Lon: 13.36, Lat: 38.11, Radius: 1, Conv: 1},
		{Lon: -179.9, Lat: 84, Radius: 50, Conv: 1000},
		{Lon: 0, Lat: 0, Box: true, Width: 400, Height: 100, Conv: 1000},
		{Lon: 179.99, Lat: -60, Box: true, Width: 10, Height: 3000, Conv: 1000},
	} {
		boxes := s.Boxes()
		if len(boxes) == 0 || len(boxes) > 9 {
			t.Fatalf("%+v: %d boxes", s, len(boxes))
		}
		for dlon := -5.0; dlon <= 5; dlon += 0.05 {
			for dlat := -5.0; dlat <= 5; dlat += 0.05 {
				lon, lat := s.Lon+dlon, s.Lat+dlat
				if !Valid(lon, lat) {
					continue
				}
				score := Score(lon, lat)
				if _, _, _, in := s.Contains(float64(score)); !in {
					continue
				}
				found := false
				for _, b := range boxes {
					if lo, hi := b.ScoreRange(); score >= lo && score < hi {
						found = true
					}
				}
				if !found {
					t.Fatalf("%+v: point %v,%v inside the shape is in no box", s, lon, lat)
				}
			}
		}
	}
}
