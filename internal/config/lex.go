package config

import (
	"errors"
	"strconv"
	"strings"

	"github.com/smallredis/smallredis/internal/sdsargs"
)

// errUnbalanced is Redis's reason for a line splitArgs cannot split.
var errUnbalanced = errors.New("Unbalanced quotes in configuration line")

// splitArgs splits one configuration line as Redis's sdssplitargs does
// (package sdsargs).
func splitArgs(line string) ([]string, error) {
	args, ok := sdsargs.Split(line)
	if !ok {
		return nil, errUnbalanced
	}
	return args, nil
}

// repr quotes s the way Redis's sdscatrepr does, so that splitArgs reads
// it back unchanged: CONFIG REWRITE writes string values with it.
func repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
				b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// string2ll parses a decimal integer as strictly as Redis's string2ll: an
// optional '-', no '+', no blanks, no leading zeros, no "-0".
func string2ll(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	digits := s
	if strings.HasPrefix(s, "-") {
		digits = s[1:]
	}
	if digits == "" || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
