package acl

import (
	"slices"
	"strings"
	"testing"
)

// A small catalog: two categories' worth of commands and a container.
func testRegistry() *Registry {
	read, write, admin := CategoryBit("read"), CategoryBit("write"), CategoryBit("admin")
	cat := NewCatalog([]*Command{
		{Name: "get", Cats: read},
		{Name: "mget", Cats: read},
		{Name: "strlen", Cats: read},
		{Name: "set", Cats: write},
		{Name: "del", Cats: write},
		{Name: "auth", NoAuth: true},
		{Name: "select"},
		{Name: "config", Subs: []*Command{{Name: "config|get", Cats: admin}, {Name: "config|set", Cats: admin | write}}},
	})
	return NewRegistry(cat, nil)
}

func TestDescribe(t *testing.T) {
	r := testRegistry()
	for _, tt := range []struct{ rules, want string }{
		{"", "off resetchannels -@all"},
		{"on nopass allcommands allkeys allchannels", "on nopass ~* &* +@all"},
		{"+@read", "off resetchannels -@all +@read"},
		{"+@read -strlen", "off resetchannels -@all +@read -strlen"},
		{"+get +mget", "off resetchannels -@all +@read -strlen"},
		{"+@all -@write", "off resetchannels +@all -@write"},
		{"+config|get", "off resetchannels -@all +config|get"},
		{"+config", "off resetchannels -@all +@admin +config"}, // admin here is just config's subcommands
		{"+select|0 +select|1", "off resetchannels -@all +select|0 +select|1"},
		{"%R~a %W~b %RW~c %R~c", "off %R~a %W~b ~c resetchannels -@all"},
		{"&x &y (~k +get) (&z)", "off resetchannels &x &y -@all (~k resetchannels -@all +get) (resetchannels &z -@all)"},
		{">p reset", "off sanitize-payload resetchannels -@all"},
	} {
		name := "u" + strings.ReplaceAll(tt.rules, " ", "_")
		args, _ := mergeSelectors(strings.Fields(tt.rules))
		u, _, err := r.SetUser(name, args)
		if err != nil {
			t.Fatalf("%q: %v", tt.rules, err)
		}
		if got := u.Perms().String(); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.rules, got, tt.want)
		}
	}
}

func TestSetUserErrors(t *testing.T) {
	r := testRegistry()
	for _, tt := range []struct{ rules, want string }{
		{"+nosuch", "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"},
		{"+config|get|x", "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"},
		{"+get|", "Error in ACL SETUSER modifier '+get|': Syntax error"},
		{"~* ~a", "Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
		{"<x", "Error in ACL SETUSER modifier '<x': The password you are trying to remove from the user does not exist"},
		{"#abc", "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{"(on)", "Error in ACL SETUSER modifier '(on)': Syntax error"},
		{"(~a", "Unmatched parenthesis in acl selector starting at '(~a'."},
	} {
		_, _, err := r.SetUser("x", strings.Fields(tt.rules))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: %v, want %s", tt.rules, err, tt.want)
		}
	}
	if r.Lookup("x") != nil {
		t.Error("a failed SETUSER created the user")
	}
}

func TestChecks(t *testing.T) {
	r := testRegistry()
	u, _, _ := r.SetUser("u", []string{"on", ">pw", "-@all", "+get", "+select|0", "%R~r*", "&news", "(+set ~w*)"})
	p := u.Perms()
	get, set, sel, auth := r.cat.Lookup("get"), r.cat.Lookup("set"), r.cat.Lookup("select"), r.cat.Lookup("auth")
	args := func(a ...string) [][]byte {
		out := make([][]byte, len(a))
		for i := range a {
			out[i] = []byte(a[i])
		}
		return out
	}
	switch {
	case !p.CanRun(0, get, args("get", "r1")), p.CanRun(0, set, args("set", "w", "v")), !p.CanRun(1, set, nil):
		t.Error("command bits")
	case !p.CanRun(0, sel, args("select", "0")), p.CanRun(0, sel, args("select", "1")):
		t.Error("first args")
	case !p.CanRun(0, auth, nil):
		t.Error("AUTH is never denied")
	case !p.KeyOK(0, []byte("r1"), Read), p.KeyOK(0, []byte("r1"), Write), !p.KeyOK(0, []byte("r1"), 0):
		t.Error("read pattern")
	case !p.KeyOK(1, []byte("w1"), ReadWrite), p.KeyOK(1, []byte("r1"), 0):
		t.Error("selector keys")
	case !p.ChannelAllowed([]byte("news"), false), p.ChannelAllowed([]byte("n*"), true):
		t.Error("channels")
	case !p.Authenticates([]byte("pw")), p.Authenticates([]byte("no")):
		t.Error("password")
	}
	next, _, _ := r.SetUser("u", []string{"&more"})
	if ChannelsNarrowed(p, next.Perms()) {
		t.Error("adding a channel narrowed them")
	}
	if narrowed, _, _ := r.SetUser("u", []string{"resetchannels"}); !ChannelsNarrowed(p, narrowed.Perms()) {
		t.Error("resetchannels did not narrow")
	}
	r.SetDefaultPassword("s")
	if !r.DefaultNeedsAuth() || r.Default().Perms().Authenticates([]byte("x")) || !r.Default().Perms().Authenticates([]byte("s")) {
		t.Error("requirepass")
	}
	r.SetDefaultPassword("")
	if r.DefaultNeedsAuth() || !r.DefaultUnrestricted() {
		t.Error("requirepass cleared")
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"~a  +get", []string{"~a", "+get"}, true},
		{` "~a b" '+g\'et' "\x41\n"`, []string{"~a b", "+g'et", "A\n"}, true},
		{`"~a`, nil, false},
		{`"~a"b`, nil, false},
		{"", nil, true},
	} {
		got, ok := splitArgs(tt.in)
		if ok != tt.ok || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// What ACL LIST writes rebuilds the user exactly: the same command bits,
// and the same description again.
func FuzzDescribeRoundTrip(f *testing.F) {
	for _, s := range []string{
		"+@read -strlen +config|get", "+@all -@write +set", "-@all +config -config|set +select|0",
		"on >p ~a %R~b (&c +get) (+@write ~w*)", "+get +mget +strlen -@read +@admin",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rules string) {
		r := testRegistry()
		args, _ := splitArgs(rules)
		u, _, err := r.SetUser("a", args)
		if err != nil {
			return
		}
		desc := u.Perms().String()
		if strings.ContainsAny(desc, "\"'\\") {
			return // quotes in patterns do not survive a selector's split, in Redis either
		}
		back := strings.Split(desc, " ") // as the ACL file is read
		v, _, err := r.SetUser("b", back)
		if err != nil {
			t.Fatalf("%q: description %q does not apply: %v", rules, desc, err)
		}
		if got := v.Perms().String(); got != desc {
			t.Fatalf("%q: %q rebuilt as %q", rules, desc, got)
		}
		for i, s := range u.Perms().sels {
			if !slices.Equal(s.cmds, v.Perms().sels[i].cmds) {
				t.Fatalf("%q: selector %d's commands differ after %q", rules, i, desc)
			}
		}
	})
}
