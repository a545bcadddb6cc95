package acl

// splitArgs splits a selector's rules as Redis's sdssplitargs does: on
// white space, with "…" (C escapes, \xhh) and '…' (\') quoting. ok is false
// for unbalanced quotes, or a closing quote not followed by a space.
func splitArgs(s string) (args []string, ok bool) {
	isSpace := func(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' }
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return args, true
		}
		var cur []byte
		inDouble, inSingle := false, false
		for done := false; !done; i++ {
			switch {
			case inDouble:
				switch {
				case i == len(s):
					return nil, false
				case s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]):
					cur = append(cur, unhex(s[i+2])<<4|unhex(s[i+3]))
					i += 3
				case s[i] == '\\' && i+1 < len(s):
					i++
					c := s[i]
					switch c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					cur = append(cur, c)
				case s[i] == '"':
					if i+1 < len(s) && !isSpace(s[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, s[i])
				}
			case inSingle:
				switch {
				case i == len(s):
					return nil, false
				case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\'':
					cur = append(cur, '\'')
					i++
				case s[i] == '\'':
					if i+1 < len(s) && !isSpace(s[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, s[i])
				}
			default:
				switch {
				case i == len(s) || isSpace(s[i]) || s[i] == 0:
					done = true
				case s[i] == '"':
					inDouble = true
				case s[i] == '\'':
					inSingle = true
				default:
					cur = append(cur, s[i])
				}
			}
		}
		args = append(args, string(cur))
		if i > len(s) {
			i = len(s)
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
