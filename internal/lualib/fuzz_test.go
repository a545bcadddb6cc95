package lualib

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// call runs lib.fn(args...) protected. A Lua error is an answer; a Go
// panic (which gopher-lua turns into an ApiErrorPanic) is a bug.
func call(t *testing.T, L *lua.LState, lib, fn string, args ...lua.LValue) ([]lua.LValue, bool) {
	t.Helper()
	f := L.GetField(L.GetGlobal(lib), fn)
	top := L.GetTop()
	err := L.CallByParam(lua.P{Fn: f, NRet: lua.MultRet, Protect: true}, args...)
	if err != nil {
		if ae, ok := err.(*lua.ApiError); ok && ae.Type == lua.ApiErrorPanic {
			t.Fatalf("%s.%s panicked: %v", lib, fn, err)
		}
		L.SetTop(top)
		return nil, false
	}
	out := make([]lua.LValue, L.GetTop()-top)
	for i := range out {
		out[i] = L.Get(top + 1 + i)
	}
	L.SetTop(top)
	return out, true
}

func str(t *testing.T, vs []lua.LValue) string {
	t.Helper()
	if len(vs) != 1 {
		t.Fatalf("%d results", len(vs))
	}
	s, ok := vs[0].(lua.LString)
	if !ok {
		t.Fatalf("result is a %s", vs[0].Type())
	}
	return string(s)
}

// FuzzCJSONDecode: decode never panics, and what it decodes re-encodes
// to a fixed point (encode∘decode∘encode = encode).
func FuzzCJSONDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"}`, `[1.5e300,-0,true,false]`,
		`"\u12"`, `[[[[[[]]]]]]`, `{"a":1,"a":2}`, "1e400", "NaN", "[1,]", "\"\\", "0x1p3", " \t\n[1]\x00x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		L := newState()
		defer L.Close()
		v, ok := call(t, L, "cjson", "decode", lua.LString(s))
		if !ok {
			return
		}
		e1, ok := call(t, L, "cjson", "encode", v...)
		if !ok {
			return // NaN, Inf, or a too sparse array: refused, not a bug
		}
		v2, ok := call(t, L, "cjson", "decode", e1...)
		if !ok {
			t.Fatalf("decode(%q) failed on our own encoding of %q", str(t, e1), s)
		}
		e2, _ := call(t, L, "cjson", "encode", v2...)
		if str(t, e1) != str(t, e2) {
			t.Fatalf("%q: encode gave %q, then %q", s, str(t, e1), str(t, e2))
		}
	})
}

// FuzzCMsgpackUnpack: unpack never panics, and pack∘unpack∘pack = pack.
func FuzzCMsgpackUnpack(f *testing.F) {
	for _, s := range []string{"\x93\x01\xa1a\xc3", "\x82\xa1a\x01\xa1b\x91\xc0", "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00",
		"\xdb\xff\xff\xff\xff", "\xdd\x00\x01\x00\x00", "\xc1", "\x81\xc0\x01", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		L := newState()
		defer L.Close()
		v, ok := call(t, L, "cmsgpack", "unpack", lua.LString(s))
		call(t, L, "cmsgpack", "unpack_one", lua.LString(s), lua.LNumber(len(s)/2))
		call(t, L, "cmsgpack", "unpack_limit", lua.LString(s), lua.LNumber(2), lua.LNumber(1))
		if !ok || len(v) == 0 {
			return
		}
		p1, ok := call(t, L, "cmsgpack", "pack", v...)
		if !ok {
			t.Fatalf("pack failed on unpack(%q)", s)
		}
		v2, ok := call(t, L, "cmsgpack", "unpack", p1...)
		if !ok {
			t.Fatalf("unpack failed on our own packing %q of %q", str(t, p1), s)
		}
		p2, _ := call(t, L, "cmsgpack", "pack", v2...)
		if str(t, p1) != str(t, p2) {
			t.Fatalf("%q: pack gave %q, then %q", s, str(t, p1), str(t, p2))
		}
	})
}
