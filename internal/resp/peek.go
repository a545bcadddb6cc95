package resp

// PeekKey reads the complete multibulk request at the front of buf without
// parsing it for real: its second argument (the key of most commands) and
// the request's length. It answers n == 0 when buf does not start with a
// complete, plainly formed request (inline, incomplete, malformed, or with
// fewer than two arguments), which Parse will handle as it does. Pipelined
// batches use it to look ahead (store.DB.Prefetch); it must never be
// needed for correctness.
func PeekKey(buf []byte) (key []byte, n int) {
	if len(buf) < 4 || buf[0] != '*' {
		return nil, 0
	}
	count, pos := peekNum(buf, 1)
	if pos < 0 || count < 2 {
		return nil, 0
	}
	for i := 0; i < count; i++ {
		if pos >= len(buf) || buf[pos] != '$' {
			return nil, 0
		}
		l, p := peekNum(buf, pos+1)
		if p < 0 || len(buf)-p < l+2 || buf[p+l] != '\r' || buf[p+l+1] != '\n' {
			return nil, 0
		}
		if i == 1 {
			key = buf[p : p+l : p+l]
		}
		pos = p + l + 2
	}
	return key, pos
}

// peekNum reads a small decimal number ending in CRLF at buf[pos:] and
// returns it and the position after the CRLF, or -1.
func peekNum(buf []byte, pos int) (int, int) {
	v, i := 0, pos
	for ; i < len(buf) && i-pos < 9; i++ {
		c := buf[i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int(c-'0')
	}
	if i == pos || i+1 >= len(buf) || buf[i] != '\r' || buf[i+1] != '\n' {
		return 0, -1
	}
	return v, i + 2
}
