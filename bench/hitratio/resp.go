package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// conn is a minimal pipelining RESP2 client: the benchmark needs only GET,
// SET and a few admin commands, and owning the codec keeps the client's cost
// per request small and predictable (one core of two is the server's).
// A conn is not safe for concurrent use.
type conn struct {
	nc      net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	timeout time.Duration
	scratch []byte
}

func dial(addr string, timeout time.Duration) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 256<<10), w: bufio.NewWriterSize(nc, 256<<10), timeout: timeout}, nil
}

func (c *conn) Close() error { return c.nc.Close() }

// keyLen is the length of every key: "key:" and 12 digits, like
// redis-benchmark's __rand_int__ keys.
const keyLen = 16

func appendKey(b []byte, id uint64) []byte {
	b = append(b, "key:"...)
	var d [12]byte
	for i := 11; i >= 0; i-- {
		d[i] = byte('0' + id%10)
		id /= 10
	}
	return append(b, d[:]...)
}

func (c *conn) writeGet(id uint64) {
	b := append(c.scratch[:0], "*2\r\n$3\r\nGET\r\n$16\r\n"...)
	b = appendKey(b, id)
	b = append(b, "\r\n"...)
	c.scratch = b
	c.w.Write(b)
}

func (c *conn) writeSet(id uint64, value []byte) {
	b := append(c.scratch[:0], "*3\r\n$3\r\nSET\r\n$16\r\n"...)
	b = appendKey(b, id)
	b = append(b, "\r\n$"...)
	b = strconv.AppendInt(b, int64(len(value)), 10)
	b = append(b, "\r\n"...)
	c.scratch = b
	c.w.Write(b)
	c.w.Write(value)
	c.w.WriteString("\r\n")
}

// writeCommand sends any command as an array of bulk strings.
func (c *conn) writeCommand(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *conn) flush() error {
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	return c.w.Flush()
}

// serverError is an error reply ("-ERR ...").
type serverError string

func (e serverError) Error() string { return string(e) }

func (c *conn) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("resp: malformed line %q", line)
	}
	return line[:len(line)-2], nil
}

// getResult classifies a GET reply.
type getResult int

const (
	getHit getResult = iota
	getMiss
	getBadValue // hit, but not the bytes that were SET
	getError    // error reply
)

// readGet reads one GET reply and compares a hit's bytes with want.
func (c *conn) readGet(want []byte) (getResult, error) {
	line, err := c.readLine()
	if err != nil {
		return getError, err
	}
	switch line[0] {
	case '$':
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil {
			return getError, fmt.Errorf("resp: bad bulk length %q", line)
		}
		if n < 0 {
			return getMiss, nil
		}
		res := getHit
		if n != len(want) {
			res = getBadValue
			_, err = c.r.Discard(n + 2)
			return res, err
		}
		// Compare in place, chunk by chunk, without copying.
		off := 0
		for off < n {
			chunk, err := c.r.Peek(min(n-off, c.r.Size()))
			if err != nil && len(chunk) == 0 {
				return getError, err
			}
			if !bytes.Equal(chunk, want[off:off+len(chunk)]) {
				res = getBadValue
			}
			c.r.Discard(len(chunk))
			off += len(chunk)
		}
		if _, err := c.r.Discard(2); err != nil {
			return getError, err
		}
		return res, nil
	case '_': // RESP3 null, should HELLO 3 ever be used
		return getMiss, nil
	case '-':
		return getError, nil
	default:
		return getError, fmt.Errorf("resp: unexpected GET reply %q", line)
	}
}

// readStatus reads a reply that should be +OK; an error reply is returned as
// a serverError.
func (c *conn) readStatus() error {
	v, err := c.readValue()
	if err != nil {
		return err
	}
	if e, ok := v.(serverError); ok {
		return e
	}
	return nil
}

// readValue reads any RESP2/RESP3 reply into string, int64, []any, nil or
// serverError.
func (c *conn) readValue() (any, error) {
	line, err := c.readLine()
	if err != nil {
		return nil, err
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return serverError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '_':
		return nil, nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, fmt.Errorf("resp: bad length %q", line)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*', '~', '%':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, fmt.Errorf("resp: bad length %q", line)
		}
		if line[0] == '%' {
			n *= 2
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.readValue(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("resp: unexpected reply %q", line)
}

// do sends one command and returns its reply; an error reply is an error.
func (c *conn) do(args ...string) (any, error) {
	c.writeCommand(args...)
	if err := c.flush(); err != nil {
		return nil, err
	}
	v, err := c.readValue()
	if err != nil {
		return nil, err
	}
	if e, ok := v.(serverError); ok {
		return nil, e
	}
	return v, nil
}

// info returns INFO's fields as a map (all sections; "# Section" lines and
// blank lines dropped).
func (c *conn) info() (map[string]string, error) {
	v, err := c.do("INFO", "all")
	if err != nil {
		var se serverError
		if !errors.As(err, &se) {
			return nil, err
		}
		if v, err = c.do("INFO"); err != nil { // a server without "INFO all"
			return nil, err
		}
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("INFO: unexpected reply %T", v)
	}
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		if k, val, ok := strings.Cut(l, ":"); ok {
			m[k] = val
		}
	}
	return m, nil
}
