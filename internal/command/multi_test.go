package command

import (
	"strings"
	"testing"
)

// While a script holds the gate busy, commands answer BUSY (dooming an open
// transaction) except those flagged allow_busy, which run at once.
func TestExecWhileBusy(t *testing.T) {
	s := newStrServer(t)
	if got := s.do("set", "k", "v"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	s.srv.Gate.Lock()
	s.srv.Gate.SetBusy(true)
	steps := []struct{ cmd, want string }{
		{"get k", "-" + ErrBusy + "\r\n"},
		{"multi", "+OK\r\n"},
		{"set k w", "-" + ErrBusy + "\r\n"},
		{"nosuch", "-ERR unknown command 'nosuch', with args beginning with: \r\n"},
		{"exec", "-EXECABORT Transaction discarded because of: " + ErrBusy + "\r\n"},
		{"multi", "+OK\r\n"},
		{"nosuch", "-ERR unknown command 'nosuch', with args beginning with: \r\n"},
	}
	for _, st := range steps {
		if got := s.do(strings.Fields(st.cmd)...); got != st.want {
			t.Errorf("%s while busy = %q, want %q", st.cmd, got, st.want)
		}
	}
	s.srv.Gate.Unlock()
	if got := s.do("exec"); got != "-"+ErrExecAbort+"\r\n" {
		t.Errorf("EXEC after a BUSY refusal = %q", got)
	}
	if got := s.do("get", "k"); got != "$1\r\nv\r\n" {
		t.Errorf("GET after the script = %q", got)
	}
}

// WATCH registers a feed listener only while somebody watches.
func TestWatchListenerOnlyWhileWatching(t *testing.T) {
	s := newStrServer(t)
	listening := func() bool {
		s.srv.watched.mu.Lock()
		defer s.srv.watched.mu.Unlock()
		return s.srv.watched.cancel != nil
	}
	if listening() {
		t.Fatal("listening before any WATCH")
	}
	s.do("watch", "a", "b")
	if !listening() {
		t.Fatal("not listening after WATCH")
	}
	for _, end := range [][]string{{"unwatch"}, {"multi"}, {"exec"}} {
		s.do(end...)
	}
	if listening() {
		t.Fatal("still listening after UNWATCH")
	}
	s.do("watch", "a")
	s.do("multi")
	s.do("exec")
	if listening() {
		t.Fatal("still listening after EXEC")
	}
	s.do("watch", "a")
	s.do("reset")
	if listening() || len(s.srv.watched.keys) != 0 {
		t.Fatal("still listening after RESET")
	}
	s.do("watch", "a")
	s.srv.RemoveClient(s.c)
	if listening() {
		t.Fatal("still listening after the client left")
	}
}
