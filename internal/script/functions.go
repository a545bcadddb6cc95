package script

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smallredis/smallredis/internal/sdsargs"

	lua "github.com/yuin/gopher-lua"
)

// Library is one FUNCTION LOAD library. Each runs in an interpreter of
// its own (its globals are read-only, so libraries share nothing anyway),
// which lets a library whose load never ends be dropped alone.
type Library struct {
	Name  string
	Code  string
	Funcs []*Function // sorted by name

	st    *State
	runMu sync.Mutex // held while one of its functions runs
}

// Function is one registered function.
type Function struct {
	Name  string
	Desc  string
	Flags Flags
	Lib   *Library

	fn *lua.LFunction
}

type functions struct {
	libs  map[string]*Library
	funcs map[string]*Function
}

// loadingLib collects what register_function registers during a load.
type loadingLib struct {
	lib   *Library
	funcs map[string]*Function
}

// loadTimeout bounds a library's top-level code, as Redis's FUNCTION LOAD.
const loadTimeout = 500 * time.Millisecond

func (e *Engine) fns() *functions {
	if e.funcs == nil {
		e.funcs = &functions{libs: map[string]*Library{}, funcs: map[string]*Function{}}
	}
	return e.funcs
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// parseLibMeta reads "#!lua name=<name>" and returns the name and the
// length of the line.
func parseLibMeta(code string) (string, int, string) {
	if !strings.HasPrefix(code, "#!") {
		return "", 0, "ERR Missing library metadata"
	}
	n := strings.IndexByte(code, '\n')
	if n < 0 {
		return "", 0, "ERR Invalid library metadata"
	}
	// Split as Redis's sdssplitargs does (quotes allowed: name="foo").
	parts, ok := sdsargs.Split(code[:n])
	if !ok || len(parts) == 0 {
		return "", 0, "ERR Invalid library metadata"
	}
	engine := parts[0][2:]
	if !strings.EqualFold(engine, "lua") {
		return "", 0, "ERR Engine '" + engine + "' not found"
	}
	name, named := "", false
	for _, part := range parts[1:] {
		if len(part) < 5 || !strings.EqualFold(part[:5], "name=") {
			return "", 0, "ERR Invalid metadata value given: " + part
		}
		if named {
			return "", 0, "ERR Invalid metadata value, name argument was given multiple times"
		}
		name, named = part[5:], true
	}
	if !named {
		return "", 0, "ERR Library name was not given"
	}
	if !validName(name) {
		return "", 0, errBadName
	}
	return name, n, ""
}

// LoadLibrary is FUNCTION LOAD: it runs the library's code, which must
// register at least one function, and installs it (replacing a library of
// that name when replace is set). It returns the library's name or
// Redis's error.
func (e *Engine) LoadLibrary(code string, replace bool) (string, string) {
	name, n, errMsg := parseLibMeta(code)
	if errMsg != "" {
		return "", errMsg
	}
	e.fmu.Lock()
	defer e.fmu.Unlock()
	f := e.fns()
	old := f.libs[name]
	if old != nil && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	lib, errMsg := e.compileLibrary(name, code, n)
	if errMsg != "" {
		return "", errMsg
	}
	for _, fn := range lib.Funcs {
		if other := f.funcs[fnKey(fn.Name)]; other != nil && other.Lib != old {
			lib.st.L.Close()
			return "", "ERR Function " + fn.Name + " already exists"
		}
	}
	if old != nil {
		f.remove(old)
	}
	f.add(lib)
	return name, ""
}

func (f *functions) add(lib *Library) {
	f.libs[lib.Name] = lib
	for _, fn := range lib.Funcs {
		f.funcs[fnKey(fn.Name)] = fn
	}
}

func (f *functions) remove(lib *Library) {
	delete(f.libs, lib.Name)
	for _, fn := range lib.Funcs {
		delete(f.funcs, fnKey(fn.Name))
	}
	lib.st.L.Close()
}

// compileLibrary runs a library's code in a fresh interpreter where the
// redis table offers only what loading may use.
func (e *Engine) compileLibrary(name, code string, metaLen int) (*Library, string) {
	proto, errMsg := compile(code[metaLen:], "user_function")
	if errMsg != "" {
		return nil, "ERR Error compiling function: " + errMsg
	}
	st := newState(e, true)
	L := st.L
	lib := &Library{Name: name, Code: code, st: st}
	st.loading = &loadingLib{lib: lib, funcs: map[string]*Function{}}

	// While the library loads, its code sees one global: a redis table with
	// register_function, log and the constants. The functions it registers
	// keep that environment, which then reaches the full globals (without
	// KEYS and ARGV, which functions get as arguments).
	real := st.g.RawGetString("redis")
	rt := L.NewTable()
	for _, k := range []string{"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		rt.RawSetString(k, L.GetField(real, k))
	}
	rt.RawSetString("register_function", L.NewFunction(st.registerFunction))
	nonexistent := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	})
	readonly := st.emt.RawGetString("__newindex")
	mt := L.NewTable()
	mt.RawSetString("__index", nonexistent)
	mt.RawSetString("__newindex", readonly)
	L.SetMetatable(rt, mt)

	env := L.NewTable()
	envMT := L.NewTable()
	envMT.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if st.loading != nil {
			if L.ToString(2) == "redis" {
				L.Push(rt)
				return 1
			}
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
			return 0
		}
		L.Push(L.GetField(st.env, L.ToString(2)))
		return 1
	}))
	envMT.RawSetString("__newindex", readonly)
	L.SetMetatable(env, envMT)
	for _, t := range []*lua.LTable{rt, mt, env, envMT} {
		t.SetReadOnly(true)
	}

	fn := L.NewFunctionFromProto(proto)
	fn.Env = env
	timer := time.AfterFunc(loadTimeout, st.kill.fire)
	L.Push(fn)
	err := L.PCall(0, 0, st.handler)
	timer.Stop()
	ld := st.loading
	st.loading = nil
	if err != nil {
		L.Close()
		msg := "ERR unknown error"
		if st.kill.fired() {
			msg = "ERR FUNCTION LOAD timeout"
		} else if ae, ok := err.(*lua.ApiError); ok {
			if t, ok := ae.Object.(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					msg = string(s)
				}
			}
		}
		return nil, "ERR Error registering functions: " + msg
	}
	funcs := sortedFuncs(ld.funcs)
	if len(funcs) == 0 {
		L.Close()
		return nil, "ERR No functions registered"
	}
	lib.Funcs = funcs
	return lib, ""
}

func sortedFuncs(m map[string]*Function) []*Function {
	var out []*Function
	for _, f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// registerFunction is redis.register_function, in its positional form
// (name, callback) and its table form {function_name=, callback=, flags=,
// description=}.
func (st *State) registerFunction(L *lua.LState) int {
	ld := st.loading
	if ld == nil {
		raise(L, "ERR redis.register_function can only be called on FUNCTION LOAD command")
		return 0
	}
	f := &Function{Lib: ld.lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
			return 0
		}
		bad := ""
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			ks, _ := k.(lua.LString)
			switch string(ks) {
			case "function_name":
				if t := v.Type(); t != lua.LTString && t != lua.LTNumber {
					bad = "ERR function_name argument given to redis.register_function must be a string"
				}
				f.Name = lua.LVAsString(v)
			case "description":
				if t := v.Type(); t != lua.LTString && t != lua.LTNumber {
					bad = "ERR description argument given to redis.register_function must be a string"
				}
				f.Desc = lua.LVAsString(v)
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					bad = "ERR callback argument given to redis.register_function must be a function"
				}
				f.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				ft.ForEach(func(_, fv lua.LValue) {
					s, _ := fv.(lua.LString)
					fl, ok := flagByName(string(s))
					if !ok && bad == "" {
						bad = "ERR unknown flag given"
					}
					f.Flags |= fl
				})
			default:
				bad = "ERR unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			raise(L, bad)
			return 0
		}
		if f.Name == "" {
			raise(L, "ERR redis.register_function must get a function name argument")
			return 0
		}
		if f.fn == nil {
			raise(L, "ERR redis.register_function must get a callback argument")
			return 0
		}
	case 2:
		if t := L.Get(1).Type(); t != lua.LTString && t != lua.LTNumber {
			raise(L, "ERR first argument to redis.register_function must be a string")
			return 0
		}
		s := lua.LString(L.ToString(1))
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "ERR second argument to redis.register_function must be a function")
			return 0
		}
		f.Name, f.fn = string(s), fn
	default:
		raise(L, "ERR wrong number of arguments to redis.register_function")
		return 0
	}
	if !validName(f.Name) {
		raise(L, errBadName)
		return 0
	}
	if _, dup := ld.funcs[fnKey(f.Name)]; dup {
		raise(L, "ERR Function already exists in the library")
		return 0
	}
	ld.funcs[fnKey(f.Name)] = f
	return 0
}

// Function finds a registered function.
// replaces reports whether one of libs is named name.
func replaces(libs []*Library, name string) bool {
	for _, l := range libs {
		if l.Name == name {
			return true
		}
	}
	return false
}

// fnKey is a function's key in the function maps: names are
// case-insensitive, as Redis's function dictionaries compare them.
func fnKey(name string) string { return strings.ToLower(name) }

func (e *Engine) Function(name string) *Function {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	return e.fns().funcs[fnKey(name)]
}

// FCall runs a function with KEYS and ARGV as its two arguments. The
// registry lock is not held while it runs, so FUNCTION STATS answers
// during a long function; the library's own lock serialises its runs
// (and stays held while the function is stopped, see Run.StopAt).
func (e *Engine) FCall(f *Function, r *Run) {
	e.fmu.Lock()
	ok := f.Lib.st != nil && e.fns().libs[f.Lib.Name] == f.Lib
	e.fmu.Unlock()
	if !ok {
		r.W.Error("ERR Function not found")
		return
	}
	lib := f.Lib
	lib.runMu.Lock()
	st := lib.st
	st.L.Push(f.fn)
	st.L.Push(st.strings(r.Keys))
	st.L.Push(st.strings(r.Args))
	if st.exec(r, f.Name, 2) {
		r.lib = lib // Continue ends the call
		return
	}
	e.fcallEnd(lib)
}

// fcallEnd ends a function's run: a killed function's library gets a
// fresh interpreter.
func (e *Engine) fcallEnd(lib *Library) {
	defer lib.runMu.Unlock()
	st := lib.st
	if st.kill.fired() { // the library's interpreter is gone with it
		fresh, errMsg := e.compileLibrary(lib.Name, lib.Code, strings.IndexByte(lib.Code, '\n'))
		e.fmu.Lock()
		defer e.fmu.Unlock()
		if e.fns().libs[lib.Name] != lib {
			if fresh != nil {
				fresh.st.L.Close()
			}
			return
		}
		e.fns().remove(lib)
		if errMsg == "" {
			e.fns().add(fresh)
		}
	}
}

// DeleteLibrary is FUNCTION DELETE.
func (e *Engine) DeleteLibrary(name string) bool {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	f := e.fns()
	lib := f.libs[name]
	if lib == nil {
		return false
	}
	f.remove(lib)
	return true
}

// FlushFunctions is FUNCTION FLUSH.
func (e *Engine) FlushFunctions() {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	f := e.fns()
	for _, lib := range f.libs {
		f.remove(lib)
	}
}

// Libraries returns the libraries sorted by name.
func (e *Engine) Libraries() []*Library {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	var out []*Library
	for _, l := range e.fns().libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FunctionCounts is FUNCTION STATS' libraries_count and functions_count.
func (e *Engine) FunctionCounts() (libs, funcs int) {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	f := e.fns()
	return len(f.libs), len(f.funcs)
}

// FunctionStats is INFO's number_of_libraries, number_of_functions and
// used_memory_functions (the libraries' code).
func (e *Engine) FunctionStats() (libs, funcs int, codeBytes int64) {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	f := e.fns()
	for _, l := range f.libs {
		codeBytes += int64(len(l.Code))
	}
	return len(f.libs), len(f.funcs), codeBytes
}

// RestoreLibraries installs libraries from FUNCTION RESTORE's payload
// codes. policy is "FLUSH", "APPEND" or "REPLACE".
func (e *Engine) RestoreLibraries(codes []string, policy string) string {
	var libs []*Library
	for _, code := range codes {
		name, n, errMsg := parseLibMeta(code)
		if errMsg != "" {
			return errMsg
		}
		lib, errMsg := e.compileLibrary(name, code, n)
		if errMsg != "" {
			return errMsg
		}
		libs = append(libs, lib)
	}
	closeAll := func() {
		for _, l := range libs {
			l.st.L.Close()
		}
	}
	e.fmu.Lock()
	defer e.fmu.Unlock()
	f := e.fns()
	switch policy {
	case "FLUSH":
		for _, lib := range f.libs {
			f.remove(lib)
		}
	case "APPEND":
		for _, lib := range libs {
			if f.libs[lib.Name] != nil {
				closeAll()
				return "ERR Library " + lib.Name + " already exists"
			}
			for _, fn := range lib.Funcs {
				if f.funcs[fnKey(fn.Name)] != nil {
					closeAll()
					return "ERR Function " + fn.Name + " already exists"
				}
			}
		}
	case "REPLACE":
		// Checked before anything is removed: a failed restore leaves the
		// libraries as they were. Only functions of libraries the payload
		// replaces may share a name with its functions.
		for _, lib := range libs {
			for _, fn := range lib.Funcs {
				if other := f.funcs[fnKey(fn.Name)]; other != nil && !replaces(libs, other.Lib.Name) {
					closeAll()
					return "ERR Function " + fn.Name + " already exists"
				}
			}
		}
		for _, lib := range libs {
			if old := f.libs[lib.Name]; old != nil {
				f.remove(old)
			}
		}
	}
	for _, lib := range libs {
		f.add(lib)
	}
	return ""
}
