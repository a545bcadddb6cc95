package config

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string // nil with wantErr
		err  bool
	}{
		{line: "port 6379", want: []string{"port", "6379"}},
		{line: "  bind\t127.0.0.1   ::1 ", want: []string{"bind", "127.0.0.1", "::1"}},
		{line: `requirepass "a b"`, want: []string{"requirepass", "a b"}},
		{line: `x "\x41\x4a\n\r\t\b\a\\\"z"`, want: []string{"x", "AJ\n\r\t\b\a\\\"z"}},
		{line: `x "\xZZ\q"`, want: []string{"x", "xZZq"}},
		{line: `x 'it\'s'`, want: []string{"x", "it's"}},
		{line: `x 'a\nb'`, want: []string{"x", `a\nb`}},
		{line: `x foo"bar"`, want: []string{"x", "foobar"}},
		{line: `x ""`, want: []string{"x", ""}},
		{line: `x ''`, want: []string{"x", ""}},
		{line: `""`, want: []string{""}},
		{line: `x "a b" 'c d' e`, want: []string{"x", "a b", "c d", "e"}},
		{line: "", want: nil},
		{line: "   ", want: nil},
		{line: `x "abc`, err: true},
		{line: `x 'abc`, err: true},
		{line: `x "a"b`, err: true},
		{line: `x 'a'b`, err: true},
		{line: `x "ab\`, err: true},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.line)
		if tt.err {
			if err == nil {
				t.Errorf("splitArgs(%q) = %q, want error", tt.line, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tt.line, got, err, tt.want)
		}
	}
}

func TestReprRoundTrip(t *testing.T) {
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	for _, s := range []string{"", "plain", "a b", `q"uo'te\`, "\n\r\t\a\b", string(all)} {
		got, err := splitArgs("x " + repr(s))
		if err != nil || len(got) != 2 || got[1] != s {
			t.Errorf("splitArgs(repr(%q)) = %q, %v", s, got, err)
		}
	}
	if got, want := repr("a\"b\x01é"), `"a\"b\x01\xc3\xa9"`; got != want {
		t.Errorf("repr = %s, want %s", got, want)
	}
}

func TestString2ll(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false}, {"", 0, false}, {"-", 0, false}, {"-0", 0, false},
		{"05", 0, false}, {"+5", 0, false}, {" 5", 0, false}, {"5 ", 0, false}, {"1.5", 0, false},
	}
	for _, tt := range tests {
		got, ok := string2ll(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("string2ll(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStrtoll(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {" +12", 12, true}, {"-3", -3, true}, {"007", 7, true},
		{"99999999999999999999", 1<<63 - 1, true}, {"-99999999999999999999", -1 << 63, true},
		{"12x", 0, false}, {"x", 0, false}, {"-", 0, false}, {"1 ", 0, false},
	}
	for _, tt := range tests {
		got, ok := strtoll(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("strtoll(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
