package config

import "testing"

func TestPprofAddr(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"", ""},
		{"6060", "127.0.0.1:6060"},
		{":6060", "127.0.0.1:6060"},
		{"127.0.0.1:0", "127.0.0.1:0"},
		{"0.0.0.0:6060", "0.0.0.0:6060"},
		{"[::1]:6060", "[::1]:6060"},
	} {
		c, err := Parse([]string{"--pprof-addr", tc.arg})
		if err != nil {
			t.Errorf("%q: %v", tc.arg, err)
			continue
		}
		if got := c.PprofAddr(); got != tc.want {
			t.Errorf("%q: PprofAddr %q, want %q", tc.arg, got, tc.want)
		}
	}
	for _, bad := range []string{"abc", "host:port", "1.2.3.4:99999", "::1", "a b:1"} {
		if _, err := Parse([]string{"--pprof-addr", bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c, _ := Parse(nil)
	if err := c.Set([][2]string{{"pprof-addr", "6060"}}); err == nil {
		t.Error("CONFIG SET pprof-addr accepted: it is immutable")
	}
}
