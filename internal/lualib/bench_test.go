package lualib

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func benchCall(b *testing.B, lib, fn string, args ...lua.LValue) {
	L := newState()
	defer L.Close()
	f := L.GetField(L.GetGlobal(lib), fn)
	b.ReportAllocs()
	for b.Loop() {
		if err := L.CallByParam(lua.P{Fn: f, NRet: 1, Protect: true}, args...); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}

const benchJSON = `{"id":12345,"name":"a user name","tags":["x","y","z"],"score":3.25,"active":true,"meta":{"a":null,"b":[1,2,3]}}`

func BenchmarkCJSONDecode(b *testing.B) { benchCall(b, "cjson", "decode", lua.LString(benchJSON)) }

func BenchmarkCJSONEncode(b *testing.B) {
	L := newState()
	v, _ := call(&testing.T{}, L, "cjson", "decode", lua.LString(benchJSON))
	L.Close()
	benchCall(b, "cjson", "encode", v...)
}

func BenchmarkCMsgpackUnpack(b *testing.B) {
	s := "\x93\x01\xa5hello\x82\xa1a\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa1b\x93\x01\x02\x03"
	benchCall(b, "cmsgpack", "unpack", lua.LString(s))
}

func BenchmarkStructPack(b *testing.B) {
	benchCall(b, "struct", "pack", lua.LString(">iHc5d"), lua.LNumber(7), lua.LNumber(65535), lua.LString("hello"), lua.LNumber(2.5))
}

func BenchmarkBitBand(b *testing.B) {
	benchCall(b, "bit", "band", lua.LNumber(0x12345678), lua.LNumber(0xff00ff))
}
