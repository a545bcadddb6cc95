package eventloop

import (
	"fmt"
	"net"
	"strings"

	"golang.org/x/sys/unix"
)

// listen binds a non-blocking listening socket for "tcp4://host:port" or
// "tcp6://[host]:port". SO_REUSEADDR, as Redis: a restart binds at once
// although the connections the last run closed hold the port in
// TIME_WAIT. Not SO_REUSEPORT: a second server on the port must fail to
// bind, not silently share it. An IPv6 socket is IPv6-only, so "*" and
// "::*" can share a port.
func listen(addr string, backlog int) (int, error) {
	network, hostport, ok := strings.Cut(addr, "://")
	if !ok {
		return -1, fmt.Errorf("listen %s: no network", addr)
	}
	ta, err := net.ResolveTCPAddr(network, hostport)
	if err != nil {
		return -1, err
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	switch network {
	case "tcp4":
		a := &unix.SockaddrInet4{Port: ta.Port}
		if ip4 := ta.IP.To4(); ip4 != nil {
			copy(a.Addr[:], ip4)
		}
		sa = a
	case "tcp6":
		family = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To16())
		if ta.Zone != "" {
			if ifi, err := net.InterfaceByName(ta.Zone); err == nil {
				a.ZoneId = uint32(ifi.Index)
			}
		}
		sa = a
	default:
		return -1, fmt.Errorf("listen %s: unsupported network %q", addr, network)
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("listen %s: %w", hostport, err)
	}
	fail := func(op string, err error) (int, error) {
		unix.Close(fd)
		return -1, &net.OpError{Op: op, Net: network, Addr: ta, Err: err}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, max(1, backlog)); err != nil {
		return fail("listen", err)
	}
	return fd, nil
}
