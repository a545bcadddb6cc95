package rdb

import (
	"bytes"
	"os"
	"testing"
)

// A file Redis 7.0.15 saved (every type and encoding it writes: strings
// plain, integer and LZF; a quicklist; intset and hashtable sets;
// listpack and skiplist sorted sets; listpack and hashtable hashes; a TTL;
// two databases; a function library) reads whole.
func TestReadRedisFile(t *testing.T) {
	data, err := os.ReadFile("testdata/redis-7.0.15.rdb")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]*Value{}
	ttl := map[string]int64{}
	var libs []string
	aux := map[string]string{}
	err = ReadFile(data, Loader{
		Aux:      func(k, v []byte) { aux[string(k)] = string(v) },
		Function: func(code []byte) error { libs = append(libs, string(code)); return nil },
		Key: func(db int, key []byte, at int64, v *Value) error {
			k := string(key)
			if db != 0 {
				k = "db3:" + k
			}
			keys[k], ttl[k] = v, at
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aux["redis-ver"] != "7.0.15" || len(libs) != 1 || !bytes.Contains([]byte(libs[0]), []byte("name=mylib")) {
		t.Fatalf("aux %v libs %q", aux, libs)
	}
	want := map[string]int{"str": 0, "int": 0, "big": 0, "list": 5, "iset": 3, "sset": 3, "zs": 2, "h": 4,
		"ttl": 0, "db3:db3key": 0, "bigh": 1200, "bigs": 600, "bigz": 600}
	if len(keys) != len(want) {
		t.Fatalf("%d keys, want %d", len(keys), len(want))
	}
	for k, n := range want {
		v := keys[k]
		if v == nil || len(v.Elems) != n {
			t.Fatalf("%s: %+v", k, v)
		}
	}
	if string(keys["int"].Str) != "12345" || len(keys["big"].Str) != 200 || keys["zs"].Scores[1] != 2.5 {
		t.Fatalf("values: %q %d %v", keys["int"].Str, len(keys["big"].Str), keys["zs"].Scores)
	}
	if ttl["ttl"] < 1796500000000 || ttl["str"] != 0 { // set with PX 99999999999 on 2026-12-06
		t.Fatalf("ttls: %v", ttl)
	}
}

// What FileWriter writes ReadFile reads back, and a damaged file (any
// byte flipped, any truncation) is an error, never a panic or a wrong load.
func TestFileRoundTripAndDamage(t *testing.T) {
	var buf bytes.Buffer
	w := NewFileWriter(&buf, [][2]string{{"redis-ver", "7.4.0"}}, true)
	w.Function([]byte("#!lua name=x\nredis.register_function('f', function() return 1 end)"), true)
	w.SelectDB(0, 2, 1)
	// One buffer for every object, as a save reuses it: the writer must
	// not keep it.
	obj := make([]byte, 0, 512)
	obj = AppendString(append(obj[:0], TypeString), []byte("value"), false)
	w.Key([]byte("k"), 0, obj)
	obj = AppendString(append(obj[:0], TypeSetIntset), Intset([]int64{1, 5}), false)
	w.Key([]byte("s"), 1234567890123, obj)
	w.SelectDB(2, 1, 0)
	obj = AppendString(append(obj[:0], TypeString), bytes.Repeat([]byte("ab"), 100), true)
	w.Key([]byte("long"), 0, obj)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	var got []string
	load := func(d []byte) error {
		got = got[:0]
		return ReadFile(d, Loader{Key: func(db int, key []byte, at int64, v *Value) error {
			got = append(got, string(rune('0'+db))+string(key)+":"+string(v.Str)+string(rune(len(v.Elems)+'0')))
			return nil
		}})
	}
	if err := load(data); err != nil {
		t.Fatal(err)
	}
	if want := []string{"0k:value0", "0s:2", "2long:" + string(bytes.Repeat([]byte("ab"), 100)) + "0"}; !equal(got, want) {
		t.Fatalf("got %q", got)
	}
	for i := range len(data) - 1 {
		if load(data[:i]) == nil {
			t.Fatalf("truncated to %d bytes: loaded", i)
		}
		d := bytes.Clone(data)
		d[i] ^= 0x20
		_ = load(d) // must not panic; the checksum catches what decoding does not
		if i >= 9 && load(d) == nil {
			t.Fatalf("byte %d flipped: loaded", i)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzReadFile(f *testing.F) {
	if data, err := os.ReadFile("testdata/redis-7.0.15.rdb"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ReadFile(data, Loader{})
	})
}
