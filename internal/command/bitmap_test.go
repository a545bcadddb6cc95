package command

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func TestFirstBit(t *testing.T) {
	tests := []struct {
		s    string
		bit  int64
		want int64
	}{
		{"\x00", 1, -1},
		{"\x00", 0, 0},
		{"\xff", 0, 8}, // no clear bit: the first one past the end
		{"\xff", 1, 0},
		{"\xff\xf0\x00", 0, 12},
		{"\x00\x00\x01", 1, 23},
		{"", 1, -1},
		{"", 0, 0},
	}
	for _, tt := range tests {
		if got := firstBit([]byte(tt.s), tt.bit); got != tt.want {
			t.Errorf("firstBit(%q, %d) = %d; want %d", tt.s, tt.bit, got, tt.want)
		}
	}
}

func TestBitRange(t *testing.T) {
	tests := []struct {
		n, start, end int64
		isBit         bool
		s, e          int64
		firstOut      byte
		lastOut       byte
	}{
		{6, 0, -1, false, 0, 5, 0, 0},
		{6, -2, -1, false, 4, 5, 0, 0},
		{6, -100, 100, false, 0, 5, 0, 0},
		{6, 3, 1, false, 3, 1, 0, 0},
		{6, 5, 30, true, 0, 3, 0xf8, 0x01},       // bits 5..30: 3 leading and 1 trailing bit outside
		{6, 0, 47, true, 0, 5, 0x00, 0x00},       // whole bytes: no masks
		{6, 9, 9, true, 1, 1, 0x80, 0x3f},        // one bit in byte 1
		{6, -8, -1, true, 5, 5, 0x00, 0x00},      // the last byte
		{6, 100, 200, true, 100, 47, 0x00, 0x00}, // empty: start > end, left in bits
	}
	for _, tt := range tests {
		s, e, f, l := bitRange(tt.n, tt.start, tt.end, tt.isBit)
		if s != tt.s || e != tt.e || f != tt.firstOut || l != tt.lastOut {
			t.Errorf("bitRange(%d, %d, %d, %v) = %d, %d, %#x, %#x; want %d, %d, %#x, %#x",
				tt.n, tt.start, tt.end, tt.isBit, s, e, f, l, tt.s, tt.e, tt.firstOut, tt.lastOut)
		}
	}
}

// bitposIn must agree with a plain bit-by-bit scan of the range, except
// for the one Redis rule it exists for: a clear bit "found" right after
// an explicit end is not found.
func TestBitposInMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		s := make([]byte, 1+rng.IntN(5))
		for i := range s {
			s[i] = []byte{0, 0xff, byte(rng.IntN(256))}[rng.IntN(3)]
		}
		n := int64(len(s)) * 8
		start, end := rng.Int64N(n), rng.Int64N(n)
		if start > end {
			start, end = end, start
		}
		bit := rng.Int64N(2)
		want := int64(-1)
		for i := start; i <= end; i++ {
			if int64(getBit(s, uint64(i))) == bit {
				want = i
				break
			}
		}
		bs, be, f, l := bitRange(int64(len(s)), start, end, true)
		if got := bitposIn(s, bit, bs, be, f, l, true); got != want {
			t.Fatalf("bitpos %x bit %d bits %d..%d = %d; want %d", s, bit, start, end, got, want)
		}
	}
}

func TestPopcount(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 40 {
		s := make([]byte, n)
		want := int64(0)
		for i := range s {
			s[i] = byte(rng.IntN(256))
			want += int64(bits.OnesCount8(s[i]))
		}
		if got := popcount(s); got != want {
			t.Errorf("popcount(%x) = %d; want %d", s, got, want)
		}
	}
}

func TestParseBitfieldType(t *testing.T) {
	tests := []struct {
		in     string
		signed bool
		width  int
		ok     bool
	}{
		{"i1", true, 1, true}, {"i64", true, 64, true}, {"u1", false, 1, true}, {"u63", false, 63, true},
		{"u64", false, 0, false}, {"i65", false, 0, false}, {"i0", false, 0, false}, {"u0", false, 0, false},
		{"I8", false, 0, false}, {"U8", false, 0, false}, {"x8", false, 0, false}, {"u", false, 0, false},
		{"", false, 0, false}, {"i08", false, 0, false}, {"i-1", false, 0, false}, {"u 8", false, 0, false},
	}
	for _, tt := range tests {
		signed, width, ok := parseBitfieldType([]byte(tt.in))
		if ok != tt.ok || (ok && (signed != tt.signed || width != tt.width)) {
			t.Errorf("parseBitfieldType(%q) = %v, %d, %v", tt.in, signed, width, ok)
		}
	}
}

func TestBitfieldGetSet(t *testing.T) {
	s := make([]byte, 3)
	setBitfield(s, 4, 8, 0xab)
	if s[0] != 0x0a || s[1] != 0xb0 {
		t.Fatalf("setBitfield: %x", s)
	}
	if got := getBitfield(s, 4, 8); got != 0xab {
		t.Errorf("getBitfield = %#x", got)
	}
	if got := signExtend(getBitfield(s, 4, 4), 4); got != -6 { // 0b1010
		t.Errorf("signed i4 = %d; want -6", got)
	}
	if got := getBitfield(s, 20, 16); got != 0 { // past the end reads zeros
		t.Errorf("past the end = %#x", got)
	}
	setBitfield(s, 0, 24, math.MaxUint64) // only the low 24 bits land
	if s[0] != 0xff || s[1] != 0xff || s[2] != 0xff {
		t.Errorf("24 bits of ones: %x", s)
	}
	if got := signExtend(math.MaxUint64, 64); got != -1 {
		t.Errorf("signExtend 64 = %d", got)
	}
}

func TestBitfieldOverflow(t *testing.T) {
	u := []struct {
		value       uint64
		incr        int64
		width, mode int
		want        uint64
		overflow    bool
	}{
		{250, 10, 8, bfWrap, 4, true},
		{250, 10, 8, bfSat, 255, true},
		{5, -10, 8, bfSat, 0, true},
		{5, -10, 8, bfWrap, 251, true},
		{5, -5, 8, bfWrap, 0, false},
		{300, 0, 8, bfWrap, 44, true}, // SET of an out-of-range value
		{math.MaxUint64, 0, 8, bfSat, 255, true},
		{1<<63 - 1, 5, 63, bfSat, 1<<63 - 1, true},
		{1<<63 - 1, 1, 63, bfWrap, 0, true},
	}
	for _, tt := range u {
		got, ovf := unsignedOverflow(tt.value, tt.incr, tt.width, tt.mode)
		if got != tt.want || ovf != tt.overflow {
			t.Errorf("unsignedOverflow(%d, %d, u%d, %d) = %d, %v; want %d, %v",
				tt.value, tt.incr, tt.width, tt.mode, got, ovf, tt.want, tt.overflow)
		}
	}
	s := []struct {
		value, incr int64
		width, mode int
		want        int64
		overflow    bool
	}{
		{127, 1, 8, bfWrap, -128, true},
		{127, 1, 8, bfSat, 127, true},
		{-128, -1, 8, bfWrap, 127, true},
		{-128, -1, 8, bfSat, -128, true},
		{200, 0, 8, bfWrap, -56, true},
		{-300, 0, 8, bfSat, -128, true},
		{5, 0, 3, bfWrap, -3, true},
		{-5, 0, 3, bfWrap, 3, true},
		{math.MaxInt64, 1, 64, bfWrap, math.MinInt64, true},
		{math.MaxInt64, 1, 64, bfSat, math.MaxInt64, true},
		{math.MinInt64, math.MinInt64, 64, bfSat, math.MinInt64, true},
		{math.MinInt64, math.MaxInt64, 64, bfWrap, -1, false},
		{-1, 1, 1, bfWrap, 0, false},
		{0, 1, 1, bfWrap, -1, true},
	}
	for _, tt := range s {
		got, ovf := signedOverflow(tt.value, tt.incr, tt.width, tt.mode)
		if got != tt.want || ovf != tt.overflow {
			t.Errorf("signedOverflow(%d, %d, i%d, %d) = %d, %v; want %d, %v",
				tt.value, tt.incr, tt.width, tt.mode, got, ovf, tt.want, tt.overflow)
		}
	}
}
