package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to B in the protocol the connection negotiated.
// Handlers write logical types (map, set, double, null) once; the Writer
// downgrades them to RESP2 shapes when Proto is 2.
//
// A Writer is not safe for concurrent use: it belongs to one connection.
type Writer struct {
	B     []byte
	Proto int // 2 or 3
}

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.B = w.B[:0] }

// Len reports how many bytes are buffered.
func (w *Writer) Len() int { return len(w.B) }

// Simple writes a status reply (+OK).
func (w *Writer) Simple(s string) {
	w.B = append(w.B, '+')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.B = append(w.B, "+OK\r\n"...) }

// Error writes an error reply. msg must start with the error code
// ("ERR …", "WRONGTYPE …"); line breaks are replaced so the reply stays
// one line, as Redis does.
func (w *Writer) Error(msg string) {
	w.B = append(w.B, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.B = append(w.B, c)
	}
	w.B = append(w.B, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	w.B = append(w.B, ':')
	w.B = strconv.AppendInt(w.B, n, 10)
	w.B = append(w.B, '\r', '\n')
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.B = append(w.B, '$')
	w.B = strconv.AppendInt(w.B, int64(len(b)), 10)
	w.B = append(w.B, '\r', '\n')
	w.B = append(w.B, b...)
	w.B = append(w.B, '\r', '\n')
}

// BulkString writes a bulk string from a string.
func (w *Writer) BulkString(s string) {
	w.B = append(w.B, '$')
	w.B = strconv.AppendInt(w.B, int64(len(s)), 10)
	w.B = append(w.B, '\r', '\n')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// BulkInt writes an integer as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null reply: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.Proto >= 3 {
		w.B = append(w.B, "_\r\n"...)
		return
	}
	w.B = append(w.B, "$-1\r\n"...)
}

// NullArray writes a null array: *-1 in RESP2, _ in RESP3.
func (w *Writer) NullArray() {
	if w.Proto >= 3 {
		w.B = append(w.B, "_\r\n"...)
		return
	}
	w.B = append(w.B, "*-1\r\n"...)
}

func (w *Writer) header(c byte, n int) {
	w.B = append(w.B, c)
	w.B = strconv.AppendInt(w.B, int64(n), 10)
	w.B = append(w.B, '\r', '\n')
}

// Array writes an array header of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map writes a map header of n key/value pairs (RESP2: a flat array of 2n).
func (w *Writer) Map(n int) {
	if w.Proto >= 3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set writes a set header of n elements (RESP2: an array).
func (w *Writer) Set(n int) {
	if w.Proto >= 3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push writes a push header of n elements (RESP2: an array, as Redis does
// for pub/sub messages).
func (w *Writer) Push(n int) {
	if w.Proto >= 3 {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

// Bool writes a boolean (RESP2: :1 or :0).
func (w *Writer) Bool(b bool) {
	if w.Proto >= 3 {
		if b {
			w.B = append(w.B, "#t\r\n"...)
		} else {
			w.B = append(w.B, "#f\r\n"...)
		}
		return
	}
	if b {
		w.B = append(w.B, ":1\r\n"...)
	} else {
		w.B = append(w.B, ":0\r\n"...)
	}
}

// Double writes a double (RESP2: a bulk string) formatted as Redis 7.0
// does (%.17g, inf, -inf, nan).
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	s := AppendDouble(tmp[:0], f)
	if w.Proto >= 3 {
		w.B = append(w.B, ',')
		w.B = append(w.B, s...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// AppendDouble formats f as Redis's %.17g: the shortest of %e/%f with 17
// significant digits, trailing zeros removed.
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// BigNum writes a big number (RESP2: a bulk string).
func (w *Writer) BigNum(s string) {
	if w.Proto >= 3 {
		w.B = append(w.B, '(')
		w.B = append(w.B, s...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Verbatim writes a verbatim string with a three-letter format such as
// "txt" (RESP2: a plain bulk string).
func (w *Writer) Verbatim(format, s string) {
	if w.Proto >= 3 {
		w.header('=', len(s)+4)
		w.B = append(w.B, format...)
		w.B = append(w.B, ':')
		w.B = append(w.B, s...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends pre-encoded protocol bytes.
func (w *Writer) Raw(b []byte) { w.B = append(w.B, b...) }

// Mark is where a header whose count is not known yet goes (SetHeader).
func (w *Writer) Mark() int { return len(w.B) }

// SetArray inserts at mark (from Mark) an array header of n elements, for
// replies whose length is known only once written (Redis's deferred
// length); the elements written since move up.
func (w *Writer) SetArray(mark, n int) { w.insertHeader(mark, '*', n) }

// SetMap is SetArray for a map of n pairs (a flat array in RESP2).
func (w *Writer) SetMap(mark, n int) {
	if w.Proto >= 3 {
		w.insertHeader(mark, '%', n)
		return
	}
	w.insertHeader(mark, '*', 2*n)
}

// SetBulk inserts at mark a bulk string, for a reply whose leading element
// is known only after what follows it was written (XAUTOCLAIM's cursor).
func (w *Writer) SetBulk(mark int, b []byte) {
	var buf [64]byte
	h := append(buf[:0], '$')
	h = strconv.AppendInt(h, int64(len(b)), 10)
	h = append(h, '\r', '\n')
	h = append(h, b...)
	w.insert(mark, append(h, '\r', '\n'))
}

func (w *Writer) insertHeader(mark int, c byte, n int) {
	var buf [24]byte
	h := append(buf[:0], c)
	h = strconv.AppendInt(h, int64(n), 10)
	w.insert(mark, append(h, '\r', '\n'))
}

// insert puts h at mark, moving what follows up.
func (w *Writer) insert(mark int, h []byte) {
	w.B = append(w.B, h...)
	copy(w.B[mark+len(h):], w.B[mark:len(w.B)-len(h)])
	copy(w.B[mark:], h)
}
