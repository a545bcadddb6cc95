package sdsargs

import (
	"slices"
	"testing"
)

// The cases Redis's sdssplitargs documents and a few of its edges.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"  a  b\tc ", []string{"a", "b", "c"}, true},
		{`"a b" 'c d'`, []string{"a b", "c d"}, true},
		{`"\x41\n\"" 'it\'s'`, []string{"A\n\"", "it's"}, true},
		{`foo"bar"`, []string{"foobar"}, true},
		{`"unterminated`, nil, false},
		{`"closed"x`, nil, false},
		{`'a'b`, nil, false},
		{"a\vb", []string{"a\vb"}, true},
	} {
		got, ok := Split(tc.in)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("Split(%q) = %q %v, want %q %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
