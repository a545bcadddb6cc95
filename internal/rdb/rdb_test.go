package rdb

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/stream"
)

// The payloads Redis wrote decode, and encoding their contents again the
// way DUMP does gives Redis's bytes back where DUMP promises them.
func TestDecodeRedisDumps(t *testing.T) {
	want := map[string]struct {
		kind  Kind
		elems string
	}{
		"s":  {KindString, "hello"},
		"n":  {KindString, "12"},
		"e":  {KindString, ""},
		"si": {KindSet, "-5 1 2 3"},
		"h":  {KindHash, "f v n 12 e "},
		"sh": {KindSet, ""},
		"zs": {KindZSet, "c b a"},
		"z":  {KindZSet, "e c a b f d"},
	}
	for name, p := range redisDumps {
		if _, ok := Open([]byte(p)); !ok {
			t.Fatalf("%s: footer rejected", name)
		}
		v, ok := Decode([]byte(p))
		if !ok {
			t.Fatalf("%s: Redis's payload does not decode", name)
		}
		w, ok := want[name]
		if !ok {
			continue
		}
		got := string(v.Str)
		if v.Kind != KindString {
			got = string(bytes.Join(v.Elems, []byte(" ")))
		}
		if v.Kind != w.kind || w.elems != "" && got != w.elems {
			t.Errorf("%s: kind %d %q, want %d %q", name, v.Kind, got, w.kind, w.elems)
		}
	}
	v, _ := Decode([]byte(redisDumps["z"]))
	if got := v.Scores; !slices.Equal(got[:4], []float64{math.Inf(-1), -3, 1, 2.5}) {
		t.Errorf("scores %v", got)
	}
	// A listpack hash, dumped again as DUMP writes it.
	h, _ := Decode([]byte(redisDumps["h"]))
	var lp Listpack
	for _, e := range h.Elems {
		lp.Append(e)
	}
	b := AppendString([]byte{TypeHashListpack}, lp.Bytes(), true)
	if got := string(Seal(b)); got != redisDumps["h"] {
		t.Errorf("hash: %q, Redis %q", got, redisDumps["h"])
	}
	// The long list's listpack is LZF compressed by Redis: ours must be the same.
	l, _ := Decode([]byte(redisDumps["lbig"]))
	lp = Listpack{}
	for _, e := range l.Elems {
		lp.Append(e)
	}
	b = AppendLen([]byte{TypeListQuicklist2}, 1)
	b = AppendString(AppendLen(b, ContainerPacked), lp.Bytes(), true)
	if got := string(Seal(b)); got != redisDumps["lbig"] {
		t.Errorf("list: our %d bytes differ from Redis's %d", len(got), len(redisDumps["lbig"]))
	}
}

func TestListpackRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var in [][]byte
	for _, v := range []int64{0, 127, 128, -1, 4095, -4096, 4096, -4097, 32767, -32768, 32768, -32769,
		1<<23 - 1, -1 << 23, 1 << 23, 1<<31 - 1, -1 << 31, 1 << 31, 1<<63 - 1, -1 << 63} {
		in = append(in, strconv.AppendInt(nil, v, 10))
	}
	for _, n := range []int{0, 1, 63, 64, 4095, 4096, 70000} {
		in = append(in, bytes.Repeat([]byte{'x'}, n))
	}
	in = append(in, []byte("-0"), []byte("007"), []byte("9223372036854775808"), []byte("+1"))
	for range 2000 {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		in = append(in, b)
	}
	var lp Listpack
	for _, s := range in {
		lp.Append(s)
	}
	var e Elems
	if !readListpack(lp.Bytes(), &e) {
		t.Fatal("our listpack does not validate")
	}
	if len(e.V) != len(in) {
		t.Fatalf("%d entries back, %d in", len(e.V), len(in))
	}
	for i := range in {
		if !bytes.Equal(e.V[i], in[i]) {
			t.Fatalf("entry %d: %q, want %q", i, e.V[i], in[i])
		}
	}
}

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range 500 {
		n := 21 + rng.IntN(20000)
		b := make([]byte, n)
		alphabet := 1 + rng.IntN(256) // small alphabets compress
		for j := range b {
			b[j] = byte(rng.IntN(alphabet))
		}
		if i%3 == 0 {
			b = []byte(strings.Repeat(string(b[:1+rng.IntN(50)]), 1+n/50))
		}
		out := make([]byte, len(b)-4)
		c := Compress(b, out)
		if c == 0 {
			continue
		}
		back, ok := Decompress(out[:c], len(b))
		if !ok || !bytes.Equal(back, b) {
			t.Fatalf("case %d (%d bytes): round trip failed", i, len(b))
		}
	}
}

func TestIntsetRoundTrip(t *testing.T) {
	for _, vs := range [][]int64{{1}, {-5, 1, 2}, {-40000, 7}, {-1, 1 << 40}, {-1 << 63, 0, 1<<63 - 1}} {
		var e Elems
		if !readIntset(Intset(vs), &e) || len(e.V) != len(vs) {
			t.Fatalf("%v: does not read back", vs)
		}
		for i, v := range vs {
			if string(e.V[i]) != strconv.FormatInt(v, 10) {
				t.Fatalf("%v: member %d is %s", vs, i, e.V[i])
			}
		}
	}
}

// Any payload decodes or fails without panicking, reading nothing outside
// it; what decodes is a value of a kind with elements (and a score each
// for a sorted set), or a stream that dumps and decodes back the same.
func FuzzDecode(f *testing.F) {
	for _, p := range redisDumps {
		f.Add([]byte(p))
	}
	zl := []byte("\x0b\x00\x00\x00\x0a\x00\x00\x00\x01\x00\x00\x61\xff") // ziplist ["a"]
	zl[0] = byte(len(zl))
	for _, t := range []byte{TypeListZiplist, TypeHashZiplist, TypeZSetZiplist} {
		f.Add(Seal(AppendString([]byte{t}, zl, false)))
	}
	f.Add(Seal(append([]byte{TypeListQuicklist}, append(AppendLen(nil, 1), AppendString(nil, zl, false)...)...)))
	f.Add(Seal([]byte("\x09\x0a\x01\x01f\x01\x00v\xff")))
	f.Add(Seal([]byte("\x03\x01\x01a\x031.5")))
	f.Add(Seal([]byte("\x01\x02\x01a\xc0\x07")))
	// Streams of the older type, with a group, a pending entry and its
	// consumer (the Redis 7.0 ones are among redisDumps).
	if v, ok := Decode([]byte(redisDumps["x"])); ok {
		one := []stream.ID{{Ms: 1, Seq: 1}}
		f.Add(forgeStream(TypeStreamListpacks, v.Stream, 3, stream.ID{Ms: 3}, []forgedGroup{{name: "g", pel: one,
			consumers: []forgedConsumer{{name: "c", pel: one}}}}))
	}
	f.Add(forgeStream(TypeStreamListpacks, stream.New(), 0, stream.ID{}, []forgedGroup{{name: "g"}}))
	f.Fuzz(func(t *testing.T, p []byte) {
		v, ok := Decode(p)
		if !ok {
			return
		}
		switch v.Kind {
		case KindString:
		case KindStream:
			checkStreamStable(t, p)
		case KindList, KindSet, KindHash, KindZSet:
			if len(v.Elems) == 0 || v.Kind == KindHash && len(v.Elems)%2 != 0 ||
				v.Kind == KindZSet && len(v.Scores) != len(v.Elems) {
				t.Fatalf("kind %d with %d elements, %d scores", v.Kind, len(v.Elems), len(v.Scores))
			}
		default:
			t.Fatalf("kind %d", v.Kind)
		}
	})
}

// The eight-bytes-at-a-time CRC equals the bytewise definition, and
// Redis's check value for "123456789".
func TestCRC64(t *testing.T) {
	bytewise := func(b []byte) uint64 {
		var crc uint64
		for _, c := range b {
			crc = crc64Tables[0][byte(crc)^c] ^ crc>>8
		}
		return crc
	}
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %x", got)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for n := range 100 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		if CRC64(0, b) != bytewise(b) {
			t.Fatalf("%d bytes: slicing differs from bytewise", n)
		}
	}
}
