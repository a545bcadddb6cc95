package lua

// smallredis: stoppable calls. A protected call that may stop at an
// instruction boundary and be finished later, on any goroutine, by
// Continue: smallredis runs a script on the goroutine that received it
// and moves it to another one only when it runs long, or before it could
// no longer stop.
//
// A call can stop only in its own interpreter loop, never in a loop
// nested below a Go function (Go frames cannot move to another
// goroutine). So it stops before anything would nest one: a call to a Go
// function not marked Leaf (pcall, sort, gsub, coroutines…) and a generic
// for whose iterator is not a leaf Go function. The caller must make sure
// no metamethod of what the script reaches is a Lua function (a
// metamethod would nest a loop that cannot stop; smallredis runs scripts
// stoppably only in interpreters where no script has called setmetatable
// or getmetatable).

// suspension is the state of the LState's stoppable call.
type suspension struct {
	on      bool        // the running call may still stop
	stopped bool        // it stopped: Continue finishes it
	check   func() bool // polled with the context: true stops the call
	frame   *callFrame  // the call's own frame: only its loop stops
	sp      int         // the call stack and registers to return to
	base    int
	nret    int
	errfunc *LFunction
}

// PCallStoppable is PCall, except that the call may stop before it ends:
// when check (polled every few hundred instructions) returns true, or
// before the function would run Lua under a Go function. It then returns
// stopped true, with nothing popped: the LState may only be given to
// Continue, which finishes the call. The called value must be a Lua
// function.
func (ls *LState) PCallStoppable(nargs, nret int, errfunc *LFunction, check func() bool) (stopped bool, err error) {
	s := &ls.susp
	sp := ls.stack.Sp()
	base := ls.reg.Top() - nargs - 1
	*s = suspension{on: true, check: check, sp: sp, base: base, nret: nret, errfunc: errfunc}
	if ls.G.MainThread == nil {
		ls.G.MainThread = ls
		ls.G.CurrentThread = ls
	}
	err = ls.protectedRun(sp, base, errfunc, func() {
		lv := ls.reg.Get(base)
		fn, meta := ls.metaCall(lv)
		ls.pushCallFrame(callFrame{
			Fn:         fn,
			Base:       base,
			LocalBase:  base + 1,
			ReturnBase: base,
			NArgs:      nargs,
			NRet:       nret,
			Parent:     ls.currentFrame,
		}, lv, meta)
		s.frame = ls.currentFrame
		ls.runStoppable()
	})
	if !s.stopped {
		*s = suspension{}
	}
	return s.stopped, err
}

// Continue finishes a call PCallStoppable stopped, without stopping
// again, and returns its error as PCall would. The LState must not have
// been used in between.
func (ls *LState) Continue() error {
	s := &ls.susp
	if !s.stopped {
		return nil
	}
	s.stopped, s.on = false, false
	err := ls.protectedRun(s.sp, s.base, s.errfunc, ls.runStoppable)
	*s = suspension{}
	return err
}

// Stopped reports whether a stoppable call stopped and awaits Continue.
func (ls *LState) Stopped() bool { return ls.susp.stopped }

func (ls *LState) runStoppable() {
	s := &ls.susp
	ls.mainLoop(ls, s.frame)
	if s.stopped {
		return
	}
	s.on = false
	if s.nret != MultRet {
		ls.reg.SetTop(s.base + s.nret)
	}
}
