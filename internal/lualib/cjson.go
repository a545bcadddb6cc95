package lualib

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cjsonConfig is one cjson module's settings (lua-cjson keeps them in an
// upvalue, so cjson.new() gets its own and the settings outlive a script).
type cjsonConfig struct {
	sparseConvert  int
	sparseRatio    int
	sparseSafe     int
	encodeMaxDepth int
	decodeMaxDepth int
	encodeInvalid  int // 0 off, 1 on, 2 null
	decodeInvalid  int
	keepBuffer     int
	precision      int
}

func defaultCJSONConfig() *cjsonConfig {
	return &cjsonConfig{
		sparseRatio: 2, sparseSafe: 10,
		encodeMaxDepth: 1000, decodeMaxDepth: 1000,
		decodeInvalid: 1, keepBuffer: 1, precision: 14,
	}
}

// OpenCJSON registers the global table cjson as Redis 7.0 does.
func OpenCJSON(L *lua.LState) {
	L.SetGlobal("cjson", newCJSON(L))
}

// IsNull reports whether v is cjson.null (Redis's NULL lightuserdata, which
// scripts get from cjson.decode for JSON null).
func IsNull(v lua.LValue) bool {
	u, ok := v.(*lua.LUserData)
	return ok && u.Value == nullMarker
}

type nullType struct{}

var nullMarker = &nullType{}

// null returns the state's cjson.null: one userdata per state, so that
// cjson.decode("null") == cjson.null as with Lua's single NULL pointer.
func null(L *lua.LState) *lua.LUserData {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if u, ok := reg.RawGetString("lualib.null").(*lua.LUserData); ok {
		return u
	}
	u := L.NewUserData()
	u.Value = nullMarker
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("userdata: (nil)"))
		return 1
	}))
	u.Metatable = mt
	reg.RawSetString("lualib.null", u)
	return u
}

func newCJSON(L *lua.LState) *lua.LTable {
	cfg := defaultCJSONConfig()
	c := &cjson{cfg: cfg, null: null(L)}
	t := L.NewTable()
	for name, f := range map[string]lua.LGFunction{
		"encode":                  c.encode,
		"decode":                  c.decode,
		"encode_sparse_array":     c.encodeSparseArray,
		"encode_max_depth":        c.intSetting(&cfg.encodeMaxDepth, 1, math.MaxInt32),
		"decode_max_depth":        c.intSetting(&cfg.decodeMaxDepth, 1, math.MaxInt32),
		"encode_number_precision": c.intSetting(&cfg.precision, 1, 14),
		"encode_keep_buffer":      c.enumSetting(&cfg.keepBuffer, nil),
		"encode_invalid_numbers":  c.enumSetting(&cfg.encodeInvalid, []string{"off", "on", "null"}),
		"decode_invalid_numbers":  c.enumSetting(&cfg.decodeInvalid, nil),
		"new": func(L *lua.LState) int {
			L.Push(newCJSON(L))
			return 1
		},
	} {
		t.RawSetString(name, L.NewFunction(f))
	}
	t.RawSetString("null", c.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

type cjson struct {
	cfg  *cjsonConfig
	null *lua.LUserData
}

// argInit is json_arg_init: at most args arguments, the missing ones nil.
func (c *cjson) argInit(L *lua.LState, args int) {
	if L.GetTop() > args {
		argError(L, args+1, "found too many arguments")
	}
	for L.GetTop() < args {
		L.Push(lua.LNil)
	}
}

func (c *cjson) intSetting(setting *int, min, max int) lua.LGFunction {
	return func(L *lua.LState) int {
		c.argInit(L, 1)
		return c.intOption(L, 1, setting, min, max)
	}
}

func (c *cjson) enumSetting(setting *int, options []string) lua.LGFunction {
	return func(L *lua.LState) int {
		c.argInit(L, 1)
		return c.enumOption(L, 1, setting, options)
	}
}

// intOption is json_integer_option; its range error always names argument 1.
func (c *cjson) intOption(L *lua.LState, idx int, setting *int, min, max int) int {
	if L.Get(idx) != lua.LNil {
		v := checkInteger(L, idx)
		if v < int64(min) || v > int64(max) {
			argError(L, 1, sprintf("expected integer between %d and %d", min, max))
		}
		*setting = int(v)
	}
	L.Push(lua.LNumber(*setting))
	return 1
}

// enumOption is json_enum_option with bool_true = 1: booleans, or one of
// options (default "off", "on"); it answers a boolean for 0 and 1.
func (c *cjson) enumOption(L *lua.LState, idx int, setting *int, options []string) int {
	if options == nil {
		options = []string{"off", "on"}
	}
	if v := L.Get(idx); v != lua.LNil {
		if b, ok := v.(lua.LBool); ok {
			*setting = 0
			if b {
				*setting = 1
			}
		} else {
			*setting = checkOption(L, idx, options)
		}
	}
	if *setting <= 1 {
		L.Push(lua.LBool(*setting == 1))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
	return 1
}

// checkOption is luaL_checkoption without a default.
func checkOption(L *lua.LState, n int, options []string) int {
	s := checkString(L, n)
	for i, o := range options {
		if o == s {
			return i
		}
	}
	argError(L, n, "invalid option '"+s+"'")
	return 0
}

func (c *cjson) encodeSparseArray(L *lua.LState) int {
	c.argInit(L, 3)
	c.enumOption(L, 1, &c.cfg.sparseConvert, nil)
	c.intOption(L, 2, &c.cfg.sparseRatio, 0, math.MaxInt32)
	c.intOption(L, 3, &c.cfg.sparseSafe, 0, math.MaxInt32)
	return 3
}

// ===== encoding =====

func (c *cjson) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "expected 1 argument")
	}
	e := jsonEncoder{L: L, cfg: c.cfg, null: c.null}
	e.value(L.Get(1), 0)
	L.Push(lua.LString(e.buf))
	return 1
}

type jsonEncoder struct {
	L    *lua.LState
	cfg  *cjsonConfig
	null *lua.LUserData
	buf  []byte
}

func (e *jsonEncoder) fail(v lua.LValue, reason string) {
	raise(e.L, "Cannot serialise %s: %s", typeName(v), reason)
}

func (e *jsonEncoder) value(v lua.LValue, depth int) {
	switch x := v.(type) {
	case lua.LString:
		e.buf = appendJSONString(e.buf, string(x))
	case lua.LNumber:
		e.number(x)
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LTable:
		depth++
		if depth > e.cfg.encodeMaxDepth {
			raise(e.L, "Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := e.arrayLength(x); n > 0 {
			e.buf = append(e.buf, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					e.buf = append(e.buf, ',')
				}
				e.value(x.RawGetInt(i), depth)
			}
			e.buf = append(e.buf, ']')
		} else {
			e.object(x, depth)
		}
	default:
		if v == lua.LNil || v == e.null || IsNull(v) {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail(v, "type not supported")
	}
}

func (e *jsonEncoder) number(n lua.LNumber) {
	f := float64(n)
	bad := math.IsInf(f, 0) || f != f
	switch e.cfg.encodeInvalid {
	case 0:
		if bad {
			e.fail(n, "must not be NaN or Inf")
		}
	case 1:
		if f != f {
			e.buf = append(e.buf, "nan"...)
			return
		}
	default:
		if bad {
			e.buf = append(e.buf, "null"...)
			return
		}
	}
	e.buf = append(e.buf, fmtG(f, e.cfg.precision)...)
}

// arrayLength is lua_array_length: the largest key when every key is a
// positive integer (and the array is not too sparse), else -1 (an object).
//
// The C code keeps the largest key in an int, so a key past 2^31 wraps
// (2^32+1 counts as 1, 2^31 as INT_MIN, which makes the table an object).
func (e *jsonEncoder) arrayLength(t *lua.LTable) int {
	var max, items int32
	isArray := true
	each(t, func(k, _ lua.LValue) bool {
		if n, ok := k.(lua.LNumber); ok {
			if f := float64(n); f != 0 && math.Floor(f) == f && f >= 1 {
				if f > float64(max) {
					max = dtoi32(f)
				}
				items++
				return true
			}
		}
		isArray = false
		return false
	})
	if !isArray {
		return -1
	}
	if e.cfg.sparseRatio > 0 && max > items*int32(e.cfg.sparseRatio) && max > int32(e.cfg.sparseSafe) {
		if e.cfg.sparseConvert == 0 {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return int(max)
}

func (e *jsonEncoder) object(t *lua.LTable, depth int) {
	e.buf = append(e.buf, '{')
	for i, k := range luaNextOrder(t) {
		v := t.RawGet(k)
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		switch x := k.(type) {
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			e.number(x)
			e.buf = append(e.buf, '"', ':')
		case lua.LString:
			e.buf = appendJSONString(e.buf, string(x))
			e.buf = append(e.buf, ':')
		default:
			e.fail(k, "table key must be a number or string")
		}
		e.value(v, depth)
	}
	e.buf = append(e.buf, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as lua-cjson does: control characters, '"',
// '\\', '/' and DEL escaped, every other byte (UTF-8 or not) as is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '/':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ===== decoding =====

type tokenType int

const (
	tObjBegin tokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var tokenNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

var ch2token = func() (t [256]tokenType) {
	for i := range t {
		t[i] = tError
	}
	for c, tt := range map[byte]tokenType{'{': tObjBegin, '}': tObjEnd, '[': tArrBegin, ']': tArrEnd,
		',': tComma, ':': tColon, 0: tEnd, ' ': tWhitespace, '\t': tWhitespace, '\n': tWhitespace, '\r': tWhitespace} {
		t[c] = tt
	}
	for _, c := range []byte("fiInNt\"+-0123456789") {
		t[c] = tUnknown
	}
	return t
}()

var escape2char = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'u': 'u'}

type token struct {
	typ   tokenType
	index int
	str   string // T_STRING's value, or T_ERROR's reason
	num   float64
	b     bool
}

type jsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	null  *lua.LUserData
	data  string // the input as C sees it: it ends at the first NUL
	pos   int
	depth int
	tmp   []byte
}

// at is the byte at i, 0 past the end, as the NUL-terminated C string reads.
func (d *jsonDecoder) at(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

func (c *cjson) decode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "expected 1 argument")
	}
	s := checkString(L, 1)
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		raise(L, "JSON parser does not support UTF-16 or UTF-32")
	}
	d := jsonDecoder{L: L, cfg: c.cfg, null: c.null, data: s}
	var tok token
	d.next(&tok)
	v := d.value(&tok)
	d.next(&tok)
	if tok.typ != tEnd {
		d.parseError("the end", &tok)
	}
	L.Push(v)
	return 1
}

func (d *jsonDecoder) parseError(exp string, tok *token) {
	found := tokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.str
	}
	raise(d.L, "Expected %s but found %s at character %d", exp, found, tok.index+1)
}

func (d *jsonDecoder) setError(tok *token, reason string) {
	tok.typ = tError
	tok.index = d.pos
	tok.str = reason
}

func (d *jsonDecoder) next(tok *token) {
	for {
		tok.typ = ch2token[d.at(d.pos)]
		if tok.typ != tWhitespace {
			break
		}
		d.pos++
	}
	tok.index = d.pos
	switch tok.typ {
	case tError:
		d.setError(tok, "invalid token")
		return
	case tEnd:
		return
	case tUnknown:
	default:
		d.pos++
		return
	}
	ch := d.at(d.pos)
	rest := d.data[min(d.pos, len(d.data)):]
	switch {
	case ch == '"':
		d.stringToken(tok)
	case ch == '-' || isDigit(ch):
		if d.cfg.decodeInvalid == 0 && d.invalidNumber() {
			d.setError(tok, "invalid number")
			return
		}
		d.numberToken(tok)
	case len(rest) >= 4 && rest[:4] == "true":
		tok.typ, tok.b = tBoolean, true
		d.pos += 4
	case len(rest) >= 5 && rest[:5] == "false":
		tok.typ, tok.b = tBoolean, false
		d.pos += 5
	case len(rest) >= 4 && rest[:4] == "null":
		tok.typ = tNull
		d.pos += 4
	case d.cfg.decodeInvalid != 0 && d.invalidNumber():
		d.numberToken(tok)
	default:
		d.setError(tok, "invalid token")
	}
}

// invalidNumber is json_is_invalid_number: numbers strtod takes but strict
// JSON does not (leading '+', hex, leading zeros, inf, nan).
func (d *jsonDecoder) invalidNumber() bool {
	p := d.pos
	if d.at(p) == '+' {
		return true
	}
	if d.at(p) == '-' {
		p++
	}
	if c := d.at(p); c == '0' {
		c2 := d.at(p + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	} else if c <= '9' || c >= 0x80 { // C compares a signed char
		return false
	}
	rest := d.data[min(p, len(d.data)):]
	return hasPrefixFold(rest, "inf") || hasPrefixFold(rest, "nan")
}

func (d *jsonDecoder) numberToken(tok *token) {
	tok.typ = tNumber
	f, n := strtod(d.data[d.pos:])
	if n == 0 {
		d.setError(tok, "invalid number")
		return
	}
	tok.num = f
	d.pos += n
}

func (d *jsonDecoder) stringToken(tok *token) {
	d.pos++
	d.tmp = d.tmp[:0]
	for {
		ch := d.at(d.pos)
		if ch == '"' {
			break
		}
		if ch == 0 {
			d.setError(tok, "unexpected end of string")
			return
		}
		if ch == '\\' {
			ch = escape2char[d.at(d.pos+1)]
			if ch == 'u' {
				if d.unicodeEscape() {
					continue
				}
				d.setError(tok, "invalid unicode escape code")
				return
			}
			if ch == 0 {
				d.setError(tok, "invalid escape code")
				return
			}
			d.pos++
		}
		d.tmp = append(d.tmp, ch)
		d.pos++
	}
	d.pos++
	tok.typ = tString
	tok.str = string(d.tmp)
}

func (d *jsonDecoder) hex4(i int) int {
	v := 0
	for k := 0; k < 4; k++ {
		c := d.at(i + k)
		var x int
		switch {
		case isDigit(c):
			x = int(c - '0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			x = int(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v<<4 | x
	}
	return v
}

// unicodeEscape is json_append_unicode_escape: \uXXXX (or a surrogate
// pair) appended as UTF-8.
func (d *jsonDecoder) unicodeEscape() bool {
	cp := d.hex4(d.pos + 2)
	if cp < 0 {
		return false
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false
		}
		if d.at(d.pos+6) != '\\' || d.at(d.pos+7) != 'u' {
			return false
		}
		low := d.hex4(d.pos + 8)
		if low < 0 || low&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		n = 12
	}
	switch {
	case cp <= 0x7F:
		d.tmp = append(d.tmp, byte(cp))
	case cp <= 0x7FF:
		d.tmp = append(d.tmp, byte(cp>>6|0xC0), byte(cp&0x3F|0x80))
	case cp <= 0xFFFF:
		d.tmp = append(d.tmp, byte(cp>>12|0xE0), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	default:
		d.tmp = append(d.tmp, byte(cp>>18|0xF0), byte(cp>>12&0x3F|0x80), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	}
	d.pos += n
	return true
}

func (d *jsonDecoder) value(tok *token) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	case tNull:
		return d.null
	}
	d.parseError("value", tok)
	return nil
}

func (d *jsonDecoder) descend() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		raise(d.L, "Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *jsonDecoder) object() lua.LValue {
	d.descend()
	t := d.L.CreateTable(0, 0)
	markBuilt(t)
	var tok token
	d.next(&tok)
	if tok.typ == tObjEnd {
		d.depth--
		return t
	}
	for {
		if tok.typ != tString {
			d.parseError("object key string", &tok)
		}
		key := tok.str
		d.next(&tok)
		if tok.typ != tColon {
			d.parseError("colon", &tok)
		}
		d.next(&tok)
		t.RawSetString(key, d.value(&tok))
		d.next(&tok)
		if tok.typ == tObjEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.parseError("comma or object end", &tok)
		}
		d.next(&tok)
	}
}

func (d *jsonDecoder) array() lua.LValue {
	d.descend()
	t := d.L.CreateTable(0, 0)
	markBuilt(t)
	var tok token
	d.next(&tok)
	if tok.typ == tArrEnd {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(&tok))
		d.next(&tok)
		if tok.typ == tArrEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.parseError("comma or array end", &tok)
		}
		d.next(&tok)
	}
}
