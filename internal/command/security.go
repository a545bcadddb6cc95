package command

import (
	"sync"
	"time"
)

// authFailed answers a failed AUTH or HELLO AUTH with Redis's WRONGPASS,
// counts it (INFO stats acl_access_denied_auth, as Redis 7.2), records it
// in ACL LOG and logs it at warning level with the client's address, at
// most once a second so a password-guessing client cannot flood the log;
// the next line logged says how many failures were left out. The password
// is never logged.
func (ctx *Ctx) authFailed(user string) {
	ctx.Err(ErrWrongPass)
	s := ctx.S
	s.Stats.AuthDenied.Add(1)
	context := "toplevel"
	if ctx.C.tx != nil {
		context = "multi"
	}
	s.logDenial(ctx, deniedAuth, context, string(ctx.Args[0]), user)
	if ok, suppressed := s.authLog.allow(time.Now()); ok {
		attrs := []any{"client", ctx.C.Addr, "user", truncate(user, 128)}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed", suppressed)
		}
		s.Log.Warn("authentication failed", attrs...)
	}
}

// rateLimit lets one event a second through and counts the others. The
// zero value is ready; it is safe for concurrent use.
type rateLimit struct {
	mu         sync.Mutex // guards last, suppressed
	last       time.Time
	suppressed int64
}

// allow reports whether the event at now may be logged and, if so, how
// many events were held back since the last one that was.
func (r *rateLimit) allow(now time.Time) (ok bool, suppressed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.last.IsZero() && now.Sub(r.last) < time.Second {
		r.suppressed++
		return false, 0
	}
	r.last, suppressed, r.suppressed = now, r.suppressed, 0
	return true, suppressed
}
