// Package sdsargs splits a line into arguments as Redis's sdssplitargs
// does, the one quoting rule Redis uses for configuration lines, ACL rules
// and library metadata. It knows nothing of what the arguments mean.
package sdsargs

// Split splits s into arguments exactly as Redis's sdssplitargs does: blanks separate arguments; "…" takes the escapes \n \r
// \t \b \a \xHH and \<any> for that byte; '…' takes only \' as an escape; a
// closing quote must be followed by a blank or the end of the line; a quote
// may open in the middle of an argument (foo"bar" is foobar). ok is false
// for unbalanced quotes.
func Split(line string) ([]string, bool) {
	var args []string
	p := 0
	n := len(line)
	for {
		for p < n && IsSpace(line[p]) {
			p++
		}
		if p >= n {
			return args, true
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			switch {
			case inq:
				switch {
				case p >= n:
					return nil, false
				case line[p] == '\\' && p+3 < n && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case line[p] == '\\' && p+1 < n:
					p++
					switch c := line[p]; c {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, c)
					}
				case line[p] == '"':
					if p+1 < n && !IsSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, line[p])
				}
			case insq:
				switch {
				case p >= n:
					return nil, false
				case line[p] == '\\' && p+1 < n && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case line[p] == '\'':
					if p+1 < n && !IsSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, line[p])
				}
			default:
				if p >= n {
					done = true
					break
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < n {
				p++
			}
		}
		args = append(args, string(cur))
	}
}

// IsSpace is C's isspace in the C locale, which sdssplitargs skips between
// arguments.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
