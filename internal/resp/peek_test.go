package resp

import (
	"bytes"
	"testing"
)

func TestPeekKey(t *testing.T) {
	get := "*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n"
	set := "*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$0\r\n\r\n"
	for _, c := range []struct {
		in, key string
		n       int
	}{
		{get, "key:1", len(get)},
		{get + set, "key:1", len(get)},
		{set + get, "k2", len(set)},
		{"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1\r\nv\r\n", "", 26},
		{"*1\r\n$4\r\nPING\r\n", "", 0},             // no key
		{get[:len(get)-1], "", 0},                   // incomplete
		{"GET key\r\n", "", 0},                      // inline
		{"*2\r\n$3\r\nGET\r\n$5\r\nkey:1xx", "", 0}, // no CRLF after the bulk: n would be past it
		{"*2\r\n$3\r\nGET\r\n$-1\r\n", "", 0},
		{"*2\r\n:3\r\nGET\r\n", "", 0},
		{"*99999999999\r\n", "", 0},
		{"*2\r\n$9999999999\r\n", "", 0},
		{"", "", 0},
	} {
		key, n := PeekKey([]byte(c.in))
		if n != c.n || string(key) != c.key {
			t.Errorf("PeekKey(%q) = %q, %d; want %q, %d", c.in, key, n, c.key, c.n)
		}
	}
}

// FuzzPeekKey: PeekKey never panics, and whatever it accepts Parse parses
// as one whole request whose second argument is the key it peeked.
func FuzzPeekKey(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		key, n := PeekKey(b)
		if n == 0 {
			return
		}
		if n > len(b) {
			t.Fatalf("n %d past the input (%d)", n, len(b))
		}
		var p Parser
		args, m, err := p.Parse(b[:n])
		if err != nil || m != n || len(args) < 2 || !bytes.Equal(args[1], key) {
			t.Fatalf("Parse(%q) = %q, %d, %v; PeekKey said key %q, n %d", b[:n], args, m, err, key, n)
		}
	})
}
