package config

import "testing"

// TestTableDefaults checks the directive table against itself: each default
// is a value its own parser accepts and shows unchanged, and each name and
// alias is lower case.
func TestTableDefaults(t *testing.T) {
	for _, d := range directives {
		for _, n := range []string{d.name, d.alias} {
			if n != lowerASCII(n) {
				t.Errorf("%s: names are looked up in lower case", n)
			}
		}
		if d.def == "" && d.kind == kindSpecial {
			continue // replicaof, dir, notify-keyspace-events: empty means unset
		}
		val, _, err := d.set(d.def, splitDefault(d))
		if err != nil || val != d.def {
			t.Errorf("%s: default %q parses as %q, %v", d.name, d.def, val, err)
		}
		if d.kind == kindInt || d.kind == kindMemory {
			if d.min > d.max {
				t.Errorf("%s: min %d > max %d", d.name, d.min, d.max)
			}
		}
	}
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
