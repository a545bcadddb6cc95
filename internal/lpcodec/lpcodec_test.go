package lpcodec

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
)

// Bytes as Redis 7.0's lpAppend writes them (listpack.c's encodings).
func TestElemBytesAreRedis(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []byte
	}{
		{"0", []byte{0x00, 0x01}},
		{"127", []byte{0x7F, 0x01}},
		{"128", []byte{0xC0, 0x80, 0x02}},
		{"-1", []byte{0xDF, 0xFF, 0x02}},
		{"-4096", []byte{0xD0, 0x00, 0x02}},
		{"4096", []byte{0xF1, 0x00, 0x10, 0x03}},
		{"-32768", []byte{0xF1, 0x00, 0x80, 0x03}},
		{"32768", []byte{0xF2, 0x00, 0x80, 0x00, 0x04}},
		{"8388608", []byte{0xF3, 0x00, 0x00, 0x80, 0x00, 0x05}},
		{"2147483648", []byte{0xF4, 0x00, 0x00, 0x00, 0x80, 0, 0, 0, 0, 0x09}},
		{"abc", []byte{0x83, 'a', 'b', 'c', 0x04}},
		{"007", []byte{0x83, '0', '0', '7', 0x04}}, // not canonical: a string
		{"-0", []byte{0x82, '-', '0', 0x03}},       // not canonical: a string
		{"", []byte{0x80, 0x01}},
	} {
		if got := AppendElem(nil, []byte(tt.in)); !bytes.Equal(got, tt.want) {
			t.Errorf("AppendElem(%q) = % x, want % x", tt.in, got, tt.want)
		}
	}
	// A 64-byte string takes the 12-bit length; its element (66 + the
	// 2-byte back-length, the size 66 being under 128) ends in 0x42.
	s := strings.Repeat("x", 64)
	got := AppendElem(nil, []byte(s))
	if got[0] != 0xE0 || got[1] != 64 || len(got) != 67 || got[66] != 66 {
		t.Errorf("64-byte string: % x…", got[:3])
	}
}

// The sizes agree with what is written, across every encoding's bounds
// and back-lengths of 1 to 3 bytes.
func TestSizesMatchBytes(t *testing.T) {
	for _, v := range []int64{0, 127, 128, -1, 4095, 4096, -4096, -4097, math.MaxInt16, math.MinInt16,
		1<<23 - 1, -1 << 23, 1 << 23, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1, math.MaxInt64, math.MinInt64} {
		b := AppendIntElem(nil, v)
		if len(b) != IntElemSize(v) || len(b) != ElemSize([]byte(strconv.FormatInt(v, 10))) {
			t.Errorf("%d: %d bytes, IntElemSize %d, ElemSize %d", v, len(b), IntElemSize(v), ElemSize([]byte(strconv.FormatInt(v, 10))))
		}
		if !bytes.Equal(b, AppendElem(nil, []byte(strconv.FormatInt(v, 10)))) {
			t.Errorf("%d: AppendElem of its decimal form differs", v)
		}
	}
	for _, n := range []int{0, 63, 64, 125, 126, 4095, 4096, 16400, 2100000} {
		s := bytes.Repeat([]byte{'a'}, n)
		if b := AppendElem(nil, s); len(b) != ElemSize(s) {
			t.Errorf("%d-byte string: %d bytes, ElemSize %d", n, len(b), ElemSize(s))
		}
	}
}
