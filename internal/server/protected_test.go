package server

import (
	"net"
	"testing"
)

// Redis 7.0 trusts exactly 127.0.0.1, ::1 and unix sockets (checked against
// redis-server 7.0.15: a client bound to 127.0.0.2 is DENIED).
func TestIsLocal(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000} }
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{tcp("127.0.0.1"), true},
		{&net.TCPAddr{IP: net.IP{127, 0, 0, 1}}, true}, // 4-byte form
		{tcp("::1"), true},
		{tcp("::ffff:127.0.0.1"), true}, // 127.0.0.1 seen through a dual-stack socket
		{tcp("127.0.0.2"), false},
		{tcp("127.1.0.1"), false},
		{tcp("192.0.2.7"), false},
		{tcp("0.0.0.0"), false},
		{tcp("::"), false},
		{tcp("fe80::1"), false},
		{&net.UnixAddr{Name: "/tmp/redis.sock", Net: "unix"}, true},
		{nil, false},
	}
	for _, tt := range tests {
		if got := isLocal(tt.addr); got != tt.want {
			t.Errorf("isLocal(%v) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
