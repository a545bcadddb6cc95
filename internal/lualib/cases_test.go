package lualib

import (
	"bufio"
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	lua "github.com/yuin/gopher-lua"
)

// The cases in testdata/cases.txt are Lua expressions (or, after "!", a
// function body) whose results, and whether they raised, are printed by
// the dump prelude below. The expected lines ("=> ...") are what Redis
// 7.0.15 printed: regenerate them with
//
//	LUALIB_RECORD=127.0.0.1:6379 go test -run TestRecord ./internal/lualib
//
// The prelude uses only locals, so the same text runs in Redis's sandbox.
const prelude = `
local function dump(v)
  local t = type(v)
  if t == 'string' then
    local out = {}
    for i = 1, #v do
      local b = string.byte(v, i)
      if b < 32 or b > 126 or b == 92 then out[#out+1] = '\\' .. b else out[#out+1] = string.char(b) end
    end
    return '"' .. table.concat(out) .. '"'
  elseif t == 'number' then
    if v ~= v then return 'nan' elseif v == math.huge then return 'inf' elseif v == -math.huge then return '-inf' end
    return string.format('%.17g', v)
  elseif t == 'table' then
    local keys = {}
    for k in pairs(v) do keys[#keys+1] = k end
    table.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta < tb end
      if ta == 'number' or ta == 'string' then return a < b end
      return false
    end)
    local out = {}
    for _, k in ipairs(keys) do out[#out+1] = '[' .. dump(k) .. ']=' .. dump(v[k]) end
    return '{' .. table.concat(out, ',') .. '}'
  elseif v == cjson.null then
    return 'null'
  elseif t == 'boolean' or t == 'nil' then
    return tostring(v)
  end
  return t
end
local function show(ok, ...)
  local out = {ok and 'ok' or 'err'}
  for i = 1, select('#', ...) do out[#out+1] = dump((select(i, ...))) end
  return table.concat(out, ' ')
end
`

type luaCase struct {
	line int
	body string // a Lua function body
	src  string // the case as written
	want string
}

func (c luaCase) script() string {
	return prelude + "return show(pcall(function() " + c.body + " end))"
}

func readCases(t *testing.T) []luaCase {
	t.Helper()
	f, err := os.Open("testdata/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []luaCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=> "):
			if len(cases) == 0 {
				t.Fatalf("cases.txt:%d: result without a case", n)
			}
			want, err := strconv.Unquote(line[3:])
			if err != nil {
				t.Fatalf("cases.txt:%d: %v", n, err)
			}
			cases[len(cases)-1].want = want
		case strings.HasPrefix(line, "!"):
			cases = append(cases, luaCase{line: n, body: line[1:], src: line})
		default:
			cases = append(cases, luaCase{line: n, body: "return " + line, src: line})
		}
	}
	return cases
}

// newState is a bare gopher-lua state with the four libraries.
func newState() *lua.LState {
	L := lua.NewState(lua.Options{RegistrySize: 1024, RegistryMaxSize: 1 << 20})
	OpenCJSON(L)
	OpenCMsgpack(L)
	OpenStruct(L)
	OpenBit(L)
	// gopher-lua's math.huge is the largest double; Lua's (and the engine's) is +Inf.
	L.GetGlobal("math").(*lua.LTable).RawSetString("huge", lua.LNumber(math.Inf(1)))
	return L
}

func runCase(L *lua.LState, c luaCase) (string, error) {
	fn, err := L.Load(strings.NewReader(c.script()), "user_script")
	if err != nil {
		return "", err
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		return "", err
	}
	got := L.Get(-1).String()
	L.Pop(1)
	return got, nil
}

func TestCases(t *testing.T) {
	cases := readCases(t)
	if len(cases) < 100 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		// A fresh state per case: some cases change cjson's settings.
		L := newState()
		got, err := runCase(L, c)
		L.Close()
		if err != nil {
			t.Errorf("cases.txt:%d: %s: %v", c.line, c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("cases.txt:%d: %s\n got %s\nwant %s", c.line, c.src, got, c.want)
		}
	}
	t.Logf("%d cases", len(cases))
}

// TestRecord rewrites the expected results from a real Redis.
func TestRecord(t *testing.T) {
	addr := os.Getenv("LUALIB_RECORD")
	if addr == "" {
		t.Skip("set LUALIB_RECORD=host:port of a redis-server 7.0 to record")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	data, err := os.ReadFile("testdata/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "=> ") {
			continue
		}
		out = append(out, line)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := luaCase{body: "return " + line}
		if strings.HasPrefix(line, "!") {
			c.body = line[1:]
		}
		// Settings persist in Redis's interpreter: start each case fresh.
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		res, err := rdb.Eval(ctx, c.script(), nil).Text()
		if err != nil {
			res = "EVAL error: " + err.Error()
		}
		out = append(out, "=> "+strconv.Quote(res))
	}
	if err := os.WriteFile("testdata/cases.txt", []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
