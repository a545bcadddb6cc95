package lualib

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRandomAgainstRedis runs random inputs through the libraries here and
// in a real Redis (LUALIB_RECORD=host:port) and compares what they print.
func TestRandomAgainstRedis(t *testing.T) {
	addr := os.Getenv("LUALIB_RECORD")
	if addr == "" {
		t.Skip("set LUALIB_RECORD=host:port of a redis-server 7.0")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	seed := int64(1)
	if s := os.Getenv("LUALIB_RANDOM_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	r := rand.New(rand.NewSource(seed))
	n := 3000
	if s := os.Getenv("LUALIB_RANDOM_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	fails := 0
	for i := 0; i < n && fails < 20; i++ {
		c := luaCase{body: "return " + randomExpr(r)}
		want, err := rdb.Eval(ctx, c.script(), nil).Text()
		if err != nil {
			want = "EVAL error: " + err.Error()
		}
		L := newState()
		got, err := runCase(L, c)
		L.Close()
		if err != nil {
			got = "run error: " + err.Error()
		}
		if got != want {
			fails++
			t.Errorf("%s\n got %s\nwant %s", c.body, got, want)
		}
	}
}

// luaBytes quotes b as a Lua string literal.
func luaBytes(b []byte) string {
	var s strings.Builder
	s.WriteByte('\'')
	for _, c := range b {
		fmt.Fprintf(&s, "\\%d", c)
	}
	s.WriteByte('\'')
	return s.String()
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.Intn(len(xs))] }

func randomNumber(r *rand.Rand) string {
	return pick(r, "0", "1", "-1", "0.5", "1/3", "2^31", "2^32+1", "2^53", "2^63", "-2^63", "1e15", "1e300", "-1e-300",
		"127", "128", "-32", "-33", "255", "65535", "65536", "-129", "math.huge", "-math.huge", "0/0", "3.25", "1e-7",
		fmt.Sprint(r.Intn(1000)-500), fmt.Sprintf("%g", r.NormFloat64()*1e6))
}

func randomValue(r *rand.Rand, depth int) string {
	switch k := r.Intn(10); {
	case k < 3:
		return randomNumber(r)
	case k < 5:
		return luaBytes([]byte(pick(r, "", "a", "x/y", "q\"\\", "\x00\x01\x7f\xff", "é", strings.Repeat("z", 40))))
	case k < 6:
		return pick(r, "true", "false", "cjson.null")
	case depth > 3:
		return "{}"
	case k < 8:
		n := r.Intn(5)
		el := make([]string, n)
		for i := range el {
			el[i] = randomValue(r, depth+1)
		}
		return "{" + strings.Join(el, ",") + "}"
	default:
		// one key, so iteration order cannot differ
		key := pick(r, "a", "[1]", "[2]", "[0]", "[-1]", "[1.5]", "[20]", "[2^31]", "['1']")
		return "{" + key + "=" + randomValue(r, depth+1) + "}"
	}
}

func randomJSON(r *rand.Rand, depth int) string {
	switch k := r.Intn(12); {
	case k < 3:
		return pick(r, "0", "-0", "1", "-1.5e3", "1E400", "0.1", "12345678901234567890", "01", "+1", "0x1F", "NaN", "-Infinity", "1.", ".5", "-", "1e")
	case k < 5:
		return pick(r, `""`, `"abc"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\/\b\f\n\r\t\"\\"`, `"\x"`, `"unterminated`, `"\u12G4"`)
	case k < 6:
		return pick(r, "true", "false", "null", "nul", "tru", "x", "")
	case depth > 4:
		return "[]"
	case k < 9:
		n := r.Intn(4)
		el := make([]string, n)
		for i := range el {
			el[i] = randomJSON(r, depth+1)
		}
		return "[" + strings.Join(el, pick(r, ",", ",", ",", " , ", ",,", " ")) + pick(r, "]", "]", "]", ",]", "")
	default:
		return "{" + pick(r, `"k"`, `"k"`, `k`, `1`, `""`) + pick(r, ":", ":", " : ", "") + randomJSON(r, depth+1) + pick(r, "}", "}", ",}", "")
	}
}

func randomMsgpack(r *rand.Rand) []byte {
	var b []byte
	for i := r.Intn(6); i >= 0; i-- {
		switch r.Intn(4) {
		case 0:
			b = append(b, byte(r.Intn(256)))
		case 1:
			b = append(b, pick[byte](r, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xca, 0xcb, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xc0, 0xc2, 0xc3, 0xc1, 0xc4))
			for j := r.Intn(9); j > 0; j-- {
				b = append(b, byte(r.Intn(256)))
			}
		case 2:
			b = append(b, byte(0x90|r.Intn(4)), byte(r.Intn(128)), byte(0xa1), 'x')
		default:
			b = append(b, byte(0x80|r.Intn(3)), byte(r.Intn(128)), byte(0xa0|r.Intn(3)))
		}
	}
	return b
}

func randomStructFormat(r *rand.Rand) (string, []string) {
	var f strings.Builder
	var args []string
	for i := r.Intn(5); i >= 0; i-- {
		o := pick(r, "b", "B", "h", "H", "i", "I", "l", "L", "T", "f", "d", "x", "s", "c", "<", ">", "!", " ", "i3", "I5", "c2", "c0", "!4", "!2", "i16")
		f.WriteString(o)
		switch o[0] {
		case 'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'T', 'f', 'd':
			args = append(args, randomNumber(r))
		case 's', 'c':
			args = append(args, luaBytes([]byte(pick(r, "", "ab", "abc\x00"))))
		}
	}
	return f.String(), args
}

func randomExpr(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return "cjson.encode(" + randomValue(r, 0) + ")"
	case 1, 2:
		return "cjson.decode(" + luaBytes([]byte(randomJSON(r, 0))) + ")"
	case 3:
		n := 1 + r.Intn(3)
		el := make([]string, n)
		for i := range el {
			el[i] = randomValue(r, 0)
		}
		return "cmsgpack.pack(" + strings.Join(el, ", ") + ")"
	case 4:
		return "cmsgpack." + pick(r, "unpack(", "unpack_one(", "unpack_limit(") + luaBytes(randomMsgpack(r)) + pick(r, "", ", 1", ", 2, 1", ", 0, 3") + ")"
	case 5:
		f, args := randomStructFormat(r)
		return "struct.pack(" + luaBytes([]byte(f)) + joinArgs(args) + ")"
	case 6:
		f, _ := randomStructFormat(r)
		data := make([]byte, r.Intn(24))
		r.Read(data)
		return "struct.unpack(" + luaBytes([]byte(f)) + ", " + luaBytes(data) + pick(r, "", ", 1", ", 2", ", 0") + ")"
	}
	fn := pick(r, "tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "bswap", "tohex")
	return "bit." + fn + "(" + randomNumber(r) + pick(r, "", ", "+randomNumber(r), ", "+randomNumber(r)+", "+randomNumber(r)) + ")"
}

func joinArgs(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return ", " + strings.Join(args, ", ")
}
