package lualib

// Not yet implemented: registers nothing until the library lands.

import lua "github.com/yuin/gopher-lua"

func OpenCMsgpack(L *lua.LState) {}
