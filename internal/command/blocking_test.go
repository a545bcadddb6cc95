package command

import (
	"testing"
	"time"

	"github.com/smallredis/smallredis/internal/resp"
)

// Timeouts as Redis's getTimeoutFromObjectOrReply reads them: seconds as
// a long double, rounded up to whole milliseconds; out-of-range values
// Redis casts to a negative number.
func TestParseTimeout(t *testing.T) {
	s := newStrServer(t)
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"1", time.Second, ""},
		{"0.1", 100 * time.Millisecond, ""},
		{"0.0001", time.Millisecond, ""},
		{"1e-9", time.Millisecond, ""},
		{"1e-400", time.Millisecond, ""},
		{"-0", 0, ""},
		{"0x10", 16 * time.Second, ""},
		{"1e7", 1e7 * time.Second, ""},
		{"-1", 0, "-ERR timeout is negative\r\n"},
		{"-0.0001", 0, ""}, // ceil(-0.1 ms) is 0: forever, as Redis
		{"inf", 0, "-ERR timeout is negative\r\n"},
		{"1e400", 0, "-ERR timeout is negative\r\n"},
		{"9.3e15", 0, "-ERR timeout is negative\r\n"},
		{"abc", 0, "-ERR timeout is not a float or out of range\r\n"},
		{"nan", 0, "-ERR timeout is not a float or out of range\r\n"},
		{" 1", 0, "-ERR timeout is not a float or out of range\r\n"},
		{"", 0, "-ERR timeout is not a float or out of range\r\n"},
	} {
		w := resp.Writer{Proto: 2}
		ctx := Ctx{W: &w, S: s.srv, C: s.c, Cmd: &unknownSpec}
		d, ok := parseTimeout(&ctx, []byte(tc.in))
		if ok != (tc.err == "") || string(w.B) != tc.err || ok && d != tc.want {
			t.Errorf("parseTimeout(%q) = %v, %v, %q; want %v, %q", tc.in, d, ok, w.B, tc.want, tc.err)
		}
	}
}
