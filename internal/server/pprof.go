package server

import (
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves net/http/pprof on pprof-addr, if set, until the server
// stops: profiles of the running server (CPU, heap, allocations, goroutines,
// mutex and block) for `go tool pprof http://ADDR/debug/pprof/profile`.
// It uses a mux of its own, never http.DefaultServeMux, so nothing else
// linked into the binary appears on it. Failing to listen fails Run, as a
// port that cannot be bound does.
func (s *Server) servePprof() (stop func(), err error) {
	addr := s.cfg.PprofAddr()
	if addr == "" {
		return func() {}, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, errors.New("pprof-addr: " + err.Error())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.pprofAddr.Store(l.Addr().String())
	if host, _, _ := net.SplitHostPort(l.Addr().String()); !net.ParseIP(host).IsLoopback() {
		s.log.Warn("pprof-addr is reachable from other hosts: anyone who can connect sees the server's internals and can make it spend CPU on profiles",
			"address", l.Addr().String())
	}
	s.log.Info("serving net/http/pprof", "address", l.Addr().String())
	go func() { _ = hs.Serve(l) }()
	return func() { _ = hs.Close() }, nil
}

// PprofAddr is the address net/http/pprof listens on ("" when off).
func (s *Server) PprofAddr() string {
	a, _ := s.pprofAddr.Load().(string)
	return a
}
