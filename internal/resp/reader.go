// Package resp is the Redis wire protocol codec: it parses client requests
// (RESP multibulk and inline commands) and encodes replies in RESP2 or RESP3.
// It knows nothing of commands, connections or the keyspace.
package resp

import (
	"bytes"
	"errors"
	"strconv"
)

// Limits Redis applies to request framing.
const (
	// MaxInlineLen bounds an inline request or a multibulk/bulk header line
	// still waiting for its newline (Redis's PROTO_INLINE_MAX_SIZE).
	MaxInlineLen = 64 * 1024
	// DefaultMaxBulkLen is proto-max-bulk-len's default.
	DefaultMaxBulkLen = 512 * 1024 * 1024
	// MaxMultibulkLen is the most arguments one request may declare.
	MaxMultibulkLen = 1<<31 - 1
)

// ProtocolError is a framing error. The server replies
// "-ERR Protocol error: <Msg>" and closes the connection, as Redis does.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.Msg }

var (
	errInvalidMultibulk = &ProtocolError{"invalid multibulk length"}
	errInvalidBulk      = &ProtocolError{"invalid bulk length"}
	errBigInline        = &ProtocolError{"too big inline request"}
	errBigMbulkCount    = &ProtocolError{"too big mbulk count string"}
	errBigBulkCount     = &ProtocolError{"too big bulk count string"}
	errUnbalanced       = &ProtocolError{"unbalanced quotes in request"}
	errMissingCRLF      = &ProtocolError{"invalid bulk terminator"}
)

// Parser splits a byte stream into commands. Arguments returned by Parse
// alias the input buffer (multibulk) or the parser's scratch space (inline)
// and are valid until the next call to Parse.
//
// A Parser is not safe for concurrent use: it belongs to one connection.
type Parser struct {
	// MaxBulkLen is the largest bulk argument accepted (proto-max-bulk-len).
	MaxBulkLen int64

	args    [][]byte
	scratch []byte
}

// Parse reads one command from the front of buf. It returns the arguments
// and how many bytes they took. n == 0 with a nil error means buf does not
// yet hold a whole command; more bytes are needed. An empty inline line is
// consumed with no arguments (len(args) == 0, n > 0); callers skip it.
func (p *Parser) Parse(buf []byte) (args [][]byte, n int, err error) {
	if len(buf) == 0 {
		return nil, 0, nil
	}
	if buf[0] != '*' {
		return p.parseInline(buf)
	}
	maxBulk := p.MaxBulkLen
	if maxBulk <= 0 {
		maxBulk = DefaultMaxBulkLen
	}
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > MaxInlineLen {
			return nil, 0, errBigMbulkCount
		}
		return nil, 0, nil
	}
	if nl < 1 || buf[nl-1] != '\r' {
		return nil, 0, errInvalidMultibulk
	}
	count, ok := parseInt(buf[1 : nl-1])
	if !ok || count > MaxMultibulkLen {
		return nil, 0, errInvalidMultibulk
	}
	pos := nl + 1
	if count <= 0 {
		// Redis treats *0 and *-1 as an empty request.
		return p.args[:0], pos, nil
	}
	args = p.args[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) {
			p.args = args
			return nil, 0, nil
		}
		if buf[pos] != '$' {
			return nil, 0, &ProtocolError{"expected '$', got '" + string(buf[pos]) + "'"}
		}
		nl := bytes.IndexByte(buf[pos:], '\n')
		if nl < 0 {
			if len(buf)-pos > MaxInlineLen {
				return nil, 0, errBigBulkCount
			}
			p.args = args
			return nil, 0, nil
		}
		nl += pos
		if buf[nl-1] != '\r' {
			return nil, 0, errInvalidBulk
		}
		size, ok := parseInt(buf[pos+1 : nl-1])
		if !ok || size < 0 || size > maxBulk {
			return nil, 0, errInvalidBulk
		}
		start := nl + 1
		// Compare in int64 so a huge declared size cannot overflow.
		if int64(len(buf)-start) < size+2 {
			p.args = args
			return nil, 0, nil
		}
		end := start + int(size)
		if buf[end] != '\r' || buf[end+1] != '\n' {
			return nil, 0, errMissingCRLF
		}
		args = append(args, buf[start:end:end])
		pos = end + 2
	}
	p.args = args
	return args, pos, nil
}

// parseInt parses a decimal int64 as Redis's string2ll does for lengths.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseInline parses a telnet-style request line with Redis's quoting
// rules (sdssplitargs): "..." with \n \r \t \b \a \\ \" \xHH escapes, '...'
// with \', and a closing quote must be followed by a space or the end.
func (p *Parser) parseInline(buf []byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > MaxInlineLen {
			return nil, 0, errBigInline
		}
		return nil, 0, nil
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, err := p.splitArgs(line)
	if err != nil {
		return nil, 0, err
	}
	return args, nl + 1, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitArgs copies the arguments of line into the parser's scratch space:
// quoted arguments are rewritten, so they cannot alias the input.
func (p *Parser) splitArgs(line []byte) ([][]byte, error) {
	p.scratch = p.scratch[:0]
	var bounds []int // pairs of offsets into scratch
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		start := len(p.scratch)
		inDq, inSq, done := false, false, false
		for !done {
			if inDq {
				if i >= len(line) {
					return nil, errUnbalanced
				}
				c := line[i]
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' {
					h, ok1 := hexVal(line[i+2])
					l, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						p.scratch = append(p.scratch, h<<4|l)
						i += 4
						continue
					}
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
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
					default:
						c = line[i]
					}
					p.scratch = append(p.scratch, c)
				} else if c == '"' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, errUnbalanced
					}
					done = true
				} else {
					p.scratch = append(p.scratch, c)
				}
				i++
			} else if inSq {
				if i >= len(line) {
					return nil, errUnbalanced
				}
				c := line[i]
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					p.scratch = append(p.scratch, '\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, errUnbalanced
					}
					done = true
				} else {
					p.scratch = append(p.scratch, c)
				}
				i++
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inDq = true
				case c == '\'':
					inSq = true
				default:
					p.scratch = append(p.scratch, c)
				}
				i++
			}
		}
		bounds = append(bounds, start, len(p.scratch))
	}
	args := p.args[:0]
	for j := 0; j < len(bounds); j += 2 {
		args = append(args, p.scratch[bounds[j]:bounds[j+1]:bounds[j+1]])
	}
	p.args = args
	return args, nil
}

// IsProtocolError reports whether err is a framing error.
func IsProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}

// AppendRequest encodes args as a multibulk request (used by tests and
// MONITOR-like tooling).
func AppendRequest(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
