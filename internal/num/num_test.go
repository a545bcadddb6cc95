package num

import (
	"strconv"
	"testing"
)

func TestParseIntIsString2ll(t *testing.T) {
	ok := []string{"0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "10"}
	bad := []string{"", "-", "+1", "01", "-0", " 1", "1 ", "1e3", "0x10", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "99999999999999999999", "123456789012345678901", "1.0"}
	for _, s := range ok {
		want, _ := strconv.ParseInt(s, 10, 64)
		if got, k := ParseInt([]byte(s)); !k || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, true", s, got, k, want)
		}
	}
	for _, s := range bad {
		if got, k := ParseInt([]byte(s)); k {
			t.Errorf("ParseInt(%q) = %d, true; want false", s, got)
		}
	}
}

func FuzzParseInt(f *testing.F) {
	f.Add("12")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseInt([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(want, 10) == s
		if ok != canonical || ok && got != want {
			t.Fatalf("ParseInt(%q) = %d, %v; strconv says %d, %v (canonical %v)", s, got, ok, want, err, canonical)
		}
	})
}
