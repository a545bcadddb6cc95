package main

import (
	"bufio"
	"strings"
	"testing"
)

func readerConn(s string, bufSize int) *conn {
	return &conn{r: bufio.NewReaderSize(strings.NewReader(s), bufSize)}
}

func TestReadGet(t *testing.T) {
	want := []byte(strings.Repeat("v", 40))
	tests := []struct {
		in   string
		want getResult
	}{
		{"$-1\r\n", getMiss},
		{"_\r\n", getMiss},
		{"$40\r\n" + string(want) + "\r\n", getHit},
		{"$40\r\n" + strings.Repeat("w", 40) + "\r\n", getBadValue},
		{"$3\r\nabc\r\n", getBadValue},
		{"-ERR wrong\r\n", getError},
	}
	for _, tt := range tests {
		// A 16-byte buffer makes the hit compare across several Peeks.
		c := readerConn(tt.in+"+OK\r\n", 16)
		got, err := c.readGet(want)
		if err != nil || got != tt.want {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if err := c.readStatus(); err != nil {
			t.Errorf("%q: reply not fully consumed: %v", tt.in, err)
		}
	}
}

func TestReadValue(t *testing.T) {
	c := readerConn("*3\r\n:5\r\n$2\r\nhi\r\n-OOM no\r\n", 64)
	v, err := c.readValue()
	if err != nil {
		t.Fatal(err)
	}
	a := v.([]any)
	if a[0] != int64(5) || a[1] != "hi" || a[2] != serverError("OOM no") {
		t.Errorf("got %#v", a)
	}
}
