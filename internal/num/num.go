// Package num parses numbers exactly as Redis does, so every package that
// stores or compares Redis values (commands, the list and set encodings)
// agrees on what is an integer. It knows nothing of RESP, commands or the
// store.
package num

// ParseInt accepts exactly what Redis's string2ll accepts: the canonical
// decimal form of an int64 (an optional '-', no '+', no leading zeros, no
// "-0", no spaces, at most 20 bytes).
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' || u > (1<<64-1)/10 {
			return 0, false
		}
		n := u*10 + uint64(c-'0')
		if n < u {
			return 0, false
		}
		u = n
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
