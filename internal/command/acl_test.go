package command

import (
	"strings"
	"testing"
)

// A restricted user's commands are checked against its rules, command,
// keys and all, without allocating: the check walks the key range in place
// and matches patterns on the argument bytes.
func TestACLHotPathAllocations(t *testing.T) {
	s := newStrServer(t)
	for _, rules := range [][]string{
		nil, // the default user: no check at all
		{"on", "nopass", "-@all", "+get", "+set", "~key:*"},
		{"on", "nopass", "-@all", "+get", "+set", "%R~key:*", "%W~key:*"},
		{"on", "nopass", "-@all", "(+get ~other:*)", "(+get +set ~key:*)"},
	} {
		name := "default"
		if rules != nil {
			name = "restricted"
			s.do("reset") // back to default, who may change users
			if got := s.do(append([]string{"acl", "setuser", name, "reset"}, rules...)...); got != "+OK\r\n" {
				t.Fatalf("ACL SETUSER %v: %q", rules, got)
			}
			if got := s.do("auth", name, "x"); got != "+OK\r\n" {
				t.Fatalf("AUTH %s: %q", name, got)
			}
		}
		set, get := argv("set", "key:1", "v"), argv("get", "key:1")
		n := testing.AllocsPerRun(1000, func() {
			s.w.Reset()
			s.srv.Exec(s.c, &s.ctx, set, &s.w)
			s.srv.Exec(s.c, &s.ctx, get, &s.w)
		})
		if got := string(s.w.B); got != "+OK\r\n$1\r\nv\r\n" {
			t.Fatalf("%v: replies %q", rules, got)
		}
		if n != 0 {
			t.Errorf("%v: %v allocs per SET+GET; want 0", rules, n)
		}
	}
	// And a denial is a denial.
	if got := s.do("get", "nope:1"); !strings.HasPrefix(got, "-NOPERM") {
		t.Errorf("GET nope:1 = %q, want NOPERM", got)
	}
}

// BenchmarkExecGetSetACL is BenchmarkExecGetSet for a user whose keys and
// commands are checked.
func BenchmarkExecGetSetACL(b *testing.B) {
	s := newStrServer(b)
	s.do("acl", "setuser", "app", "on", "nopass", "-@all", "+get", "+set", "~key:*")
	s.do("auth", "app", "x")
	set, get := argv("set", "key:1", "0123456789abcdef0123456789abcdef"), argv("get", "key:1")
	b.ReportAllocs()
	for b.Loop() {
		s.w.Reset()
		s.srv.Exec(s.c, &s.ctx, set, &s.w)
		s.srv.Exec(s.c, &s.ctx, get, &s.w)
	}
}

// SLOWLOG never shows passwords or ACL rules, as Redis redacts them.
func TestACLRedacted(t *testing.T) {
	s := newStrServer(t)
	s.do("config", "set", "slowlog-log-slower-than", "0")
	s.do("slowlog", "reset")
	s.do("acl", "setuser", "u", "on", ">secret", "+@all")
	s.do("hello", "2", "auth", "u", "secret")
	s.do("auth", "u", "secret")
	s.do("auth", "secret")
	s.do("config", "set", "requirepass", "secret2", "maxmemory", "0")
	s.do("config", "set", "requirepass", "")
	got := s.do("slowlog", "get")
	if strings.Contains(got, "secret") || strings.Contains(got, "+@all") {
		t.Fatalf("SLOWLOG shows a secret: %q", got)
	}
	for _, want := range []string{"setuser", "maxmemory"} {
		if !strings.Contains(got, want) {
			t.Errorf("SLOWLOG lacks %q: %q", want, got)
		}
	}
	if n := strings.Count(got, "(redacted)"); n != 11 {
		t.Errorf("%d arguments redacted, want 11: %q", n, got)
	}
}

// Every command with keys has key specs, so %R~ and %W~ patterns know how
// each key is used.
func TestKeySpecsComplete(t *testing.T) {
	var walk func(ss []*Spec)
	walk = func(ss []*Spec) {
		for _, s := range ss {
			if s.aclKeys && len(s.keySpecs) == 0 {
				t.Errorf("%s has keys but no key specs", s.Name)
			}
			walk(s.Subs)
		}
	}
	walk(DefaultTable().All())
	s := newStrServer(t)
	s.do("acl", "setuser", "w", "on", "nopass", "+@all", "%W~h*")
	for _, tt := range [][2]string{{"hexpire h 10 FIELDS 1 f", "+OK"}, {"httl h FIELDS 1 f", "+This user has no permissions to access the 'h' key"}} {
		got := s.do(append([]string{"acl", "dryrun", "w"}, strings.Fields(tt[0])...)...)
		if !strings.Contains(got, strings.TrimPrefix(tt[1], "+")) {
			t.Errorf("DRYRUN %s = %q, want %s", tt[0], got, tt[1])
		}
	}
}
