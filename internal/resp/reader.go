// Package resp is the Redis wire protocol codec: it parses client requests
// (RESP multibulk and inline commands) and encodes replies in RESP2 or RESP3.
// It knows nothing of commands, connections or the keyspace.
//
// Request parsing is incremental, as in Redis's processMultibulkBuffer: a
// Parser keeps its place in a request that has not fully arrived (the
// arguments still owed, the length of the bulk being received, the
// arguments already complete), so each input byte is looked at a bounded
// number of times however the bytes are split between reads. A command
// that lies whole in one buffer is returned with arguments aliasing that
// buffer (no copy, no allocation); only a request cut by the end of a
// buffer costs a copy, once, of the part the parser must keep. A bulk of
// BigArg bytes or more that does not arrive in one read is received
// straight into one buffer of its declared size.
package resp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
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
	// MaxUnauthMultibulkLen and MaxUnauthBulkLen bound the requests of a
	// client that has yet to authenticate (Redis 7's fixed limits).
	MaxUnauthMultibulkLen = 10
	MaxUnauthBulkLen      = 16384
	// BigArg is Redis's PROTO_MBULK_BIG_ARG: a bulk this long that spans
	// reads gets a buffer of its own, allocated once at its declared size.
	BigArg = 32 * 1024
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
	errUnauthMultibulk  = &ProtocolError{"unauthenticated multibulk length"}
	errUnauthBulk       = &ProtocolError{"unauthenticated bulk length"}
)

// state says what the next input byte belongs to.
type state uint8

const (
	stStart   state = iota // a new request
	stInline               // an inline request; line holds its start
	stCount                // a "*<count>" line; line holds its start
	stBulkLen              // the "$<len>" line of the next argument (line may hold its start)
	stBody                 // the bytes of a bulk; body holds those received
	stCRLF                 // the "\r\n" after a bulk; crlf holds those received
)

// Parser splits a byte stream into commands. Feed it the stream in buffers
// of any size: Parse returns each complete command, and when a buffer ends
// inside a command it keeps what it needs of that buffer, so the caller may
// reuse the buffer and never feeds those bytes again.
//
// Arguments returned by Parse alias the buffer passed in (bulks that
// arrived whole in that call) or the parser's own memory (inline
// arguments, arguments of a request that spanned calls), and are valid
// until the next call to Parse. Detach makes them independent of the
// caller's buffer.
//
// While a request spans calls, its finished arguments are kept one after
// another in one growing byte buffer (own), each after its length as a
// uvarint (+1; 0 marks the next of bigs, the big bulks received into
// buffers of their own): for a one-byte argument that is 2 bytes, and no
// pointers, so a request of millions of small arguments costs little
// memory and no garbage collector work until it is complete and its
// argument slice is built, once.
//
// A Parser is not safe for concurrent use: it belongs to one connection.
type Parser struct {
	// MaxBulkLen is the largest bulk argument accepted (proto-max-bulk-len).
	MaxBulkLen int64
	// AuthRequired applies Redis's limits for a client that has not yet
	// authenticated: at most MaxUnauthMultibulkLen arguments, each at most
	// MaxUnauthBulkLen bytes. The connection keeps it current.
	AuthRequired bool

	args    [][]byte // arguments finished in this call (aliasing its buffer), or the command returned
	scratch []byte   // inline arguments

	// The request cut by the end of the last buffer.
	state   state
	multi   int64   // arguments the multibulk still owes
	bulk    int     // declared length of the bulk being received
	line    []byte  // the start of a header or inline line (no newline yet)
	body    []byte  // a big bulk being received: cap is its declared length
	bodyOff int     // a small bulk being received: own[bodyOff:]
	crlf    [2]byte // terminator bytes received after a bulk
	ncrlf   int
	held    int // input bytes of the request taken so far (query buffer accounting)

	kept int      // finished arguments of earlier calls, in own and bigs
	own  []byte   // their lengths and bytes (and a small bulk being received)
	bigs [][]byte // big bulks, each in a buffer of its own
	cmd  [][]byte // a spanning request's arguments, built once it is complete
	mem  bool     // the request (or the command last returned) uses parser memory
}

// Memory the parser keeps between requests; larger buffers, needed by a
// huge request, are dropped once the next request starts.
const (
	keepOwn  = 64 * 1024
	keepLine = 4 * 1024
	keepArgs = 16 * 1024 // a 64 KB read holds at most ~11 k arguments
)

// Parse consumes bytes from the front of buf. When they complete a command
// it returns the command's arguments and n, the bytes of buf it used: the
// caller passes buf[n:] next. Otherwise it returns no arguments and
// n == len(buf): the parser has taken in all of buf and needs more input.
// Empty requests ("*0\r\n", "*-1\r\n", a blank inline line) are skipped, as
// Redis skips them, so a returned command always has a name. After an
// error the request is abandoned: the connection is expected to close.
func (p *Parser) Parse(buf []byte) (args [][]byte, n int, err error) {
	if p.mem && p.state == stStart {
		p.release()
	}
	start, pos := 0, 0 // where the request began in buf, and the next byte
	for {
		switch p.state {
		case stStart:
			if pos == len(buf) {
				return nil, pos, nil
			}
			start = pos
			p.args = p.args[:0]
			if buf[pos] == '*' {
				p.state = stCount
			} else {
				p.state = stInline
			}
		case stInline:
			line, next, err := p.readLine(buf, pos, errBigInline)
			if err != nil {
				return p.fail(err)
			}
			if next < 0 {
				return p.suspend(buf, start)
			}
			pos = next
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			args, err := p.splitArgs(line)
			if err != nil {
				return p.fail(err)
			}
			p.state, p.held = stStart, 0
			if len(args) > 0 {
				return args, pos, nil
			}
		case stCount:
			line, next, err := p.readLine(buf, pos, errBigMbulkCount)
			if err != nil {
				return p.fail(err)
			}
			if next < 0 {
				return p.suspend(buf, start)
			}
			pos = next
			count, err := p.count(line)
			if err != nil {
				return p.fail(err)
			}
			if count <= 0 {
				p.state, p.held = stStart, 0 // Redis treats *0 and *-1 as an empty request
				continue
			}
			p.multi = count
			p.state = stBulkLen
		case stBulkLen:
			size, next := p.fastBulkLen(buf, pos)
			if next > 0 {
				pos = next
			} else {
				line, next, err := p.readLine(buf, pos, errBigBulkCount)
				if err != nil {
					return p.fail(err)
				}
				if next < 0 {
					return p.suspend(buf, start)
				}
				pos = next
				if size, err = p.bulkLen(line); err != nil {
					return p.fail(err)
				}
			}
			if len(buf)-pos >= size+2 {
				// The whole bulk is here: alias it.
				end := pos + size
				if buf[end] != '\r' || buf[end+1] != '\n' {
					return p.fail(errMissingCRLF)
				}
				p.args = append(p.args, buf[pos:end:end])
				pos = end + 2
				if p.multi--; p.multi == 0 {
					return p.complete(pos)
				}
				continue
			}
			// The bulk spans reads: receive it into its final place,
			// after the arguments before it.
			p.flush()
			p.bulk = size
			if size >= BigArg {
				p.body = make([]byte, 0, size)
			} else {
				p.own = binary.AppendUvarint(p.own, uint64(size)+1)
				p.bodyOff = len(p.own)
			}
			p.state = stBody
		case stBody:
			got := len(p.own) - p.bodyOff
			if p.bulk >= BigArg {
				got = len(p.body)
			}
			k := min(p.bulk-got, len(buf)-pos)
			if p.bulk >= BigArg {
				p.body = append(p.body, buf[pos:pos+k]...)
			} else {
				p.own = append(grow(p.own, k), buf[pos:pos+k]...)
			}
			pos += k
			if got+k < p.bulk {
				return p.suspend(buf, start)
			}
			p.state = stCRLF
		case stCRLF:
			for p.ncrlf < 2 && pos < len(buf) {
				p.crlf[p.ncrlf] = buf[pos]
				p.ncrlf++
				pos++
			}
			if p.ncrlf < 2 {
				return p.suspend(buf, start)
			}
			if p.crlf != [2]byte{'\r', '\n'} {
				return p.fail(errMissingCRLF)
			}
			p.mem = true
			if p.bulk >= BigArg {
				p.bigs = append(p.bigs, p.body)
				p.own = append(p.own, 0)
			}
			p.kept++
			p.body, p.ncrlf = nil, 0
			if p.multi--; p.multi == 0 {
				return p.complete(pos)
			}
			p.state = stBulkLen
		}
	}
}

// readLine returns the line that starts at buf[pos], without its '\n', and
// the position after it. next < 0 says buf ended first: the line's start is
// kept in p.line and later calls continue it, so a line trickling in is
// scanned once. tooBig is the error for a line past MaxInlineLen.
func (p *Parser) readLine(buf []byte, pos int, tooBig error) (line []byte, next int, err error) {
	nl := bytes.IndexByte(buf[pos:], '\n')
	if len(p.line) == 0 && nl >= 0 {
		return buf[pos : pos+nl], pos + nl + 1, nil
	}
	if nl < 0 {
		if len(p.line)+len(buf)-pos > MaxInlineLen {
			return nil, 0, tooBig
		}
		p.line = append(p.line, buf[pos:]...)
		return nil, -1, nil
	}
	line = append(p.line, buf[pos:pos+nl]...)
	p.line = line[:0] // reused once line has been parsed
	return line, pos + nl + 1, nil
}

// count parses a "*<count>\r" line as Redis does.
func (p *Parser) count(line []byte) (int64, error) {
	if len(line) < 2 || line[len(line)-1] != '\r' {
		return 0, errInvalidMultibulk
	}
	n, ok := parseInt(line[1 : len(line)-1])
	if !ok || n > MaxMultibulkLen {
		return 0, errInvalidMultibulk
	}
	if n > MaxUnauthMultibulkLen && p.AuthRequired {
		return 0, errUnauthMultibulk
	}
	return n, nil
}

// fastBulkLen reads a short, valid "$<len>\r\n" header lying whole in
// buf at pos: nearly every header. It returns next == 0 for anything else,
// which the general path (readLine, bulkLen) handles or reports.
func (p *Parser) fastBulkLen(buf []byte, pos int) (size, next int) {
	if len(p.line) > 0 || len(buf)-pos < 4 || buf[pos] != '$' || buf[pos+1] == '0' && buf[pos+2] != '\r' {
		return 0, 0
	}
	i := pos + 1
	for ; i < len(buf) && i < pos+10; i++ { // 9 digits cannot overflow
		c := buf[i] - '0'
		if c > 9 {
			break
		}
		size = size*10 + int(c)
	}
	if i == pos+1 || i+1 >= len(buf) || buf[i] != '\r' || buf[i+1] != '\n' ||
		int64(size) > p.maxBulk() || size > MaxUnauthBulkLen && p.AuthRequired {
		return 0, 0
	}
	return size, i + 2
}

func (p *Parser) maxBulk() int64 {
	if p.MaxBulkLen <= 0 {
		return DefaultMaxBulkLen
	}
	return p.MaxBulkLen
}

// bulkLen parses a "$<len>\r" line as Redis does.
func (p *Parser) bulkLen(line []byte) (int, error) {
	if len(line) == 0 || line[0] != '$' {
		got := "\n"
		if len(line) > 0 {
			got = string(line[:1])
		}
		return 0, &ProtocolError{"expected '$', got '" + got + "'"}
	}
	if len(line) < 2 || line[len(line)-1] != '\r' {
		return 0, errInvalidBulk
	}
	size, ok := parseInt(line[1 : len(line)-1])
	if !ok || size < 0 || size > p.maxBulk() {
		return 0, errInvalidBulk
	}
	if size > MaxUnauthBulkLen && p.AuthRequired {
		return 0, errUnauthBulk
	}
	return int(size), nil
}

// complete returns the multibulk request just finished.
func (p *Parser) complete(pos int) ([][]byte, int, error) {
	p.state, p.held = stStart, 0
	if p.kept == 0 {
		return p.args, pos, nil
	}
	n := p.kept + len(p.args)
	cmd := slices.Grow(p.cmd[:0], n)[:n]
	off, big := 0, 0
	for i := range p.kept {
		v, k := binary.Uvarint(p.own[off:])
		off += k
		if v == 0 {
			cmd[i] = p.bigs[big]
			big++
			continue
		}
		end := off + int(v-1)
		cmd[i] = p.own[off:end:end]
		off = end
	}
	copy(cmd[p.kept:], p.args)
	p.cmd = cmd
	return p.cmd, pos, nil
}

// flush moves the arguments finished in this call out of the caller's
// buffer into parser memory: each byte is copied once, however many reads
// the request spans.
func (p *Parser) flush() {
	if len(p.args) == 0 {
		return
	}
	p.mem = true
	n := 0
	for _, a := range p.args {
		n += len(a)
	}
	p.own = grow(p.own, n+binary.MaxVarintLen32*len(p.args))
	for _, a := range p.args {
		p.own = binary.AppendUvarint(p.own, uint64(len(a))+1)
		p.own = append(p.own, a...)
	}
	p.kept += len(p.args)
	p.args = p.args[:0]
}

// grow makes room for n more elements, doubling: append's gentler growth
// for large slices would copy a huge request's arguments several times.
func grow[S ~[]E, E any](s S, n int) S {
	if cap(s)-len(s) >= n {
		return s
	}
	return slices.Grow(s, max(n, cap(s)))
}

// suspend keeps the request cut by the end of buf.
func (p *Parser) suspend(buf []byte, start int) ([][]byte, int, error) {
	p.held += len(buf) - start
	p.flush()
	if cap(p.line) > keepLine {
		p.mem = true
	}
	return nil, len(buf), nil
}

// fail abandons the request.
func (p *Parser) fail(err error) ([][]byte, int, error) {
	p.state, p.multi, p.held = stStart, 0, 0
	p.body, p.ncrlf, p.line = nil, 0, p.line[:0]
	p.mem = true
	p.release()
	return nil, 0, err
}

// Owned reports whether arg, an argument of the command Parse last
// returned, is a big bulk received into a buffer of its own, which the
// parser never touches again: the caller may keep it rather than copy it.
func (p *Parser) Owned(arg []byte) bool {
	for _, b := range p.bigs {
		if len(arg) > 0 && len(b) == len(arg) && &b[0] == &arg[0] {
			return true
		}
	}
	return false
}

// Buffered is how many input bytes of an unfinished request the parser
// holds: with the caller's unparsed input, the client's query buffer.
func (p *Parser) Buffered() int { return p.held }

// Awaiting is how many bytes of the argument being received have still
// to arrive (0 outside one).
func (p *Parser) Awaiting() int {
	if p.held == 0 || p.state != stBody {
		return 0
	}
	return p.bulk - p.Partial()
}

// Partial is the part of Buffered that Redis's query buffer would still
// hold (CLIENT LIST qbuf): the argument being received, or a line not yet
// ended; Redis has moved the finished arguments to argv.
func (p *Parser) Partial() int {
	if p.held == 0 {
		return 0
	}
	switch p.state {
	case stBody:
		if p.bulk >= BigArg {
			return len(p.body)
		}
		return len(p.own) - p.bodyOff
	case stCRLF:
		return p.bulk + p.ncrlf
	}
	return len(p.line)
}

// release drops the previous request's memory before the next one: the
// references to its arguments, and buffers only a huge request needed.
func (p *Parser) release() {
	// Stale entries of args alias callers' buffers, which outlive the
	// parser's use of them anyway; entries of cmd may hold big bulks or
	// an own that is being dropped, so cmd is dropped with them.
	p.args = p.args[:0]
	if cap(p.args) > keepArgs {
		p.args = nil
	}
	p.cmd = p.cmd[:0]
	if cap(p.cmd) > keepArgs || len(p.bigs) > 0 || cap(p.own) > keepOwn {
		p.cmd = nil
	}
	clear(p.bigs)
	p.bigs = p.bigs[:0]
	p.kept = 0
	p.own = p.own[:0]
	if cap(p.own) > keepOwn {
		p.own = nil
	}
	if cap(p.line) > keepLine {
		p.line = nil
	}
	p.mem = false
}

// Detach copies the bytes of args, a command returned by Parse, into one
// new buffer, so the command outlives the buffer it was parsed from. The
// slice itself stays the parser's: it is valid until the next Parse.
func Detach(args [][]byte) {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	b := make([]byte, 0, n)
	for i, a := range args {
		off := len(b)
		b = append(b, a...)
		args[i] = b[off:len(b):len(b)]
	}
}

// parseInt parses a decimal int64 as Redis's string2ll does for lengths:
// no sign but '-', no leading zeros, no "-0".
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
	if b[0] == '0' && (len(b) > 1 || neg) {
		return 0, false
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
