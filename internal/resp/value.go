package resp

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Value is a decoded reply. Clients of this package (tests, tools, the
// differential harness) read replies with ReadValue; the server never does.
type Value struct {
	Type  byte   // the RESP type byte: + - : $ * _ , # ( = % ~ > |
	Str   string // simple, error, bulk, verbatim (with its "txt:" prefix), double, big number
	Int   int64
	Null  bool    // $-1, *-1 or _
	Elems []Value // array, set, push; map as key, value, key, value…
}

// ReadValue reads one reply from r.
func ReadValue(r *bufio.Reader) (Value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return Value{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return Value{}, fmt.Errorf("resp: bad line %q", line)
	}
	t, body := line[0], line[1:len(line)-2]
	v := Value{Type: t}
	switch t {
	case '+', '-', ',', '(':
		v.Str = body
	case ':':
		v.Int, err = strconv.ParseInt(body, 10, 64)
	case '#':
		v.Int = 0
		if body == "t" {
			v.Int = 1
		}
	case '_':
		v.Null = true
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return v, err
		}
		v.Str = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		v.Elems = make([]Value, n)
		for i := range v.Elems {
			if v.Elems[i], err = ReadValue(r); err != nil {
				return v, err
			}
		}
		if t == '|' { // an attribute precedes the real reply
			return ReadValue(r)
		}
	default:
		return v, fmt.Errorf("resp: unknown type %q", t)
	}
	return v, err
}

// String renders v in a compact, unambiguous form for test diffs, e.g.
// `["a" (nil) :1 -ERR x]`.
func (v Value) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Value) format(b *strings.Builder) {
	if v.Null {
		if v.Type == '_' {
			b.WriteString("(null)")
		} else {
			b.WriteString("(nil" + string(v.Type) + ")")
		}
		return
	}
	switch v.Type {
	case '+':
		b.WriteString("+" + v.Str)
	case '-':
		b.WriteString("-" + v.Str)
	case ':':
		b.WriteString(":" + strconv.FormatInt(v.Int, 10))
	case '#':
		b.WriteString("#" + strconv.FormatBool(v.Int == 1))
	case ',', '(':
		b.WriteString(string(v.Type) + v.Str)
	case '$', '=':
		b.WriteString(strconv.Quote(v.Str))
	default:
		open, close := "[", "]"
		switch v.Type {
		case '%':
			open, close = "{", "}"
		case '~':
			open, close = "~{", "}"
		case '>':
			open, close = ">[", "]"
		}
		b.WriteString(open)
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			e.format(b)
		}
		b.WriteString(close)
	}
}
