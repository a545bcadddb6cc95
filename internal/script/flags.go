package script

import "strings"

// Flags are a script's or function's flags (shebang flags=…, or
// register_function's flags).
type Flags uint8

// Script flags as Redis 7 names them; FlagLegacy marks an EVAL script
// without a shebang, which Redis runs with the pre-7.0 rules (writes
// allowed, OOM checked per command); FlagFunction marks an FCALL.
const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	FlagLegacy
	FlagFunction
)

var flagNames = []struct {
	name string
	f    Flags
}{
	{"no-writes", FlagNoWrites},
	{"allow-oom", FlagAllowOOM},
	{"allow-stale", FlagAllowStale},
	{"no-cluster", FlagNoCluster},
	{"allow-cross-slot-keys", FlagAllowCrossSlot},
}

// Names lists the user-visible flags set, in Redis's order.
func (f Flags) Names() []string {
	out := []string{}
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func flagByName(s string) (Flags, bool) {
	for _, n := range flagNames {
		if n.name == s {
			return n.f, true
		}
	}
	return 0, false
}

// BodyFlags are the flags an EVAL script's shebang line declares; ok is
// false for a script without one (or with a bad one), which has none.
func BodyFlags(body string) (f Flags, ok bool) {
	if !strings.HasPrefix(body, "#!") {
		return 0, false
	}
	f, _, errMsg := parseShebang(body)
	return f, errMsg == ""
}

// parseShebang reads an EVAL script's "#!lua [flags=a,b]" first line. It
// returns the flags and the length of the line without its newline.
func parseShebang(body string) (Flags, int, string) {
	n := strings.IndexByte(body, '\n')
	if n < 0 {
		n = len(body)
	}
	parts := strings.Split(body[2:n], " ")
	if parts[0] != "lua" {
		return 0, 0, "ERR Unexpected engine in script shebang: " + body[:n]
	}
	var flags Flags
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		v, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, "ERR Unknown lua shebang option: " + p
		}
		if v == "" {
			continue
		}
		for _, name := range strings.Split(v, ",") {
			f, ok := flagByName(name)
			if !ok {
				return 0, 0, "ERR Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, n, ""
}
