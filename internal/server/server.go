// Package server owns the network side: listening sockets, connections,
// the event loops that read requests and write replies, pipelining,
// idle timeouts, maxclients, protected mode, the periodic cron (active
// expiry, ops/sec) and graceful shutdown. It parses with package resp and executes through
// package command; it knows nothing of individual commands.
//
// Connection model: epoll event loops (package eventloop), one per P the
// process may use (procs.Limit), with connections spread over as many
// loops as there are Ps in use now (the Ps follow the load, package
// procs): one loop per P, never two loops waiting for one P. Each
// loop's connections add to their own stripe of the statistics counters
// and enter their own slot of the world gate (Client.Stripe, the loop's
// index, updated when a connection moves), so loops share no cache line
// per command. A loop reads
// whatever a socket has, runs every complete command in it, and writes all
// replies with one write. Measured on the 2-core target machine this
// beats a goroutine per connection (which pays a goroutine wake-up per
// request) by ~30 % at -P 1 and ~40 % at -P 16. Work that must wait
// (CLIENT PAUSE, later blocking commands) parks the connection and resumes
// it through its Wake; other goroutines write to a connection only
// through its Client.Send, which hands the bytes to the connection's loop
// (MONITOR, later pub/sub). Replies reach the socket through the
// connection's own queue: output.go says why,
// and how client-output-buffer-limit and client memory accounting work.
//
// The TLS port (tls-port) is the exception: the loops do not carry TLS, so it is
// served by a goroutine per connection on crypto/tls (tls.go), running the
// same connection code through the small transport interface; its replies
// are written through the TLS connection, which blocks its own goroutine.
package server

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/eventloop"
	"github.com/smallredis/smallredis/internal/procs"
	"github.com/smallredis/smallredis/internal/store"
)

// Server serves the Redis protocol. Create it with New, run it with Run.
type Server struct {
	cfg *config.Config
	st  *command.Server
	log *slog.Logger

	eng      *eventloop.Engine
	pollerMu sync.Mutex // guards pollerN and its hand-over to eng
	pollerN  int        // SharePoller's count
	ready    chan struct{}
	stopping atomic.Bool
	stopOnce sync.Once

	nextID atomic.Int64
	mu     sync.Mutex // guards conns
	conns  map[int64]*conn

	tls    *tlsListener  // nil without tls-port
	stopCh chan struct{} // closed by Shutdown

	limits atomic.Pointer[limits] // client-output-buffer-limit
	waiter writeWaiter
	mem    clientMemory
	tidy   memTidy // cron only

	pprofAddr atomic.Value // string: where pprof-addr's listener is

	cronStop chan struct{}
	done     chan struct{}
}

// New builds a server over a configuration. The keyspace has as many
// databases as the `databases` directive says.
func New(cfg *config.Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	ks := store.New(cfg.Databases())
	s := &Server{
		cfg:      cfg,
		log:      log,
		st:       command.NewServer(cfg, ks),
		ready:    make(chan struct{}),
		conns:    map[int64]*conn{},
		stopCh:   make(chan struct{}),
		cronStop: make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.st.Host = s
	s.st.Log = log
	s.loadLimits()
	cfg.OnChange("client-output-buffer-limit", s.loadLimits)
	// As Redis's CONFIG SET: a lower limit evicts clients at once.
	cfg.OnChange("maxmemory-clients", s.evictClients)
	cfg.OnChange("maxmemory", s.evictClients)
	cfg.OnApply(s.applyOOMScoreAdj, "oom-score-adj", "oom-score-adj-values")
	return s
}

// State exposes the shared command state (tests, wiring).
func (s *Server) State() *command.Server { return s.st }

// Done is closed when Run has returned.
func (s *Server) Done() <-chan struct{} { return s.done }

// Ready is closed once the server listens (the RDB file may still be
// loading: State().Loading()).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// addrs turns the bind directive into listener addresses for port
// ("tcp4://0.0.0.0:2345", as package eventloop takes them), as Redis
// reads it: "*" is every IPv4 address, "::*" every IPv6 one (IPv6-only
// sockets, so both wildcards can share the port), and a leading "-" marks
// an address that is skipped when it cannot be bound (a host without IPv6).
func (s *Server) addrs(p int) []string {
	port := strconv.Itoa(p)
	var out []string
	seen := map[string]bool{}
	for _, b := range s.cfg.Bind() {
		optional := strings.HasPrefix(b, "-")
		b = strings.TrimPrefix(b, "-")
		var network, host string
		switch {
		case b == "*":
			network, host = "tcp4", "0.0.0.0"
		case b == "::*":
			network, host = "tcp6", "[::]"
		case strings.Contains(b, ":"):
			network, host = "tcp6", "["+b+"]"
		default:
			network, host = "tcp4", b
		}
		if optional && !canListen(network, host+":"+port) {
			s.log.Warn("skipping optional bind address that cannot be bound", "address", b)
			continue
		}
		a := network + "://" + host + ":" + port
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{"tcp4://0.0.0.0:" + port}
	}
	return out
}

// rebindOnConfig makes CONFIG SET port and bind bind the listeners again,
// as Redis does; a failure leaves the old ones and answers Redis's errors.
// Port 0 stops plain TCP listening (connections stay).
func (s *Server) rebindOnConfig() {
	rebind := func(msg string) func() error {
		return func() error {
			var addrs []string
			if p := s.cfg.Port(); p != 0 {
				addrs = s.addrs(p)
			}
			if err := s.eng.Rebind(addrs, s.cfg.TCPBacklog()); err != nil {
				s.log.Warn("could not bind the new listeners; kept the old ones", "err", err)
				return errors.New(msg)
			}
			s.log.Info("listening again", "port", s.cfg.Port(), "bind", strings.Join(s.cfg.Bind(), " "))
			return nil
		}
	}
	s.cfg.OnApply(rebind("Unable to listen on this port"), "port")
	s.cfg.OnApply(rebind("Failed to bind to specified addresses."), "bind")
}

// canListen probes whether address can be bound right now. The probe
// binds with SO_REUSEADDR (Go's default) and never accepts, so it leaves
// nothing in TIME_WAIT and does not delay the real listener.
func canListen(network, address string) bool {
	l, err := net.Listen(network, address)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Run listens and serves until Shutdown. It returns nil after a graceful
// shutdown. As in Redis, port 0 means no plain TCP listener (then tls-port
// must be set), and a TLS configuration that cannot be honoured is an
// error before anything listens.
func (s *Server) Run() error {
	if err := s.st.LoadACLs(); err != nil {
		return fmt.Errorf("Aborting Redis startup because of ACL errors: %s", err)
	}
	// As Redis, the RDB file loads while the server listens: until it has,
	// commands that need the data answer -LOADING (command/loading.go).
	s.st.BeginLoading()
	// As Redis at startup: a score that cannot be set is logged, not fatal.
	_ = s.applyOOMScoreAdj()
	stopPprof, err := s.servePprof()
	if err != nil {
		return err
	}
	defer stopPprof()
	if s.cfg.TLSPort() != 0 {
		tl, err := s.listenTLS()
		if err != nil {
			return err
		}
		s.tls = tl
	} else if s.cfg.Port() == 0 {
		return errors.New("Configured to not listen anywhere, exiting.")
	}
	defer close(s.done)
	defer close(s.cronStop)
	defer s.waiter.close()
	if s.tls != nil {
		defer s.tls.stop()
		s.tls.serve()
	}
	if s.cfg.Port() == 0 {
		close(s.ready)
		loaded := s.load()
		<-s.stopCh
		return loadResult(<-loaded)
	}
	// One event loop per P the process may use, not per CPU: the limit
	// follows the container's CPU limit, and more loops than Ps only add
	// context switches and cross-loop sharing. Connections go to as many
	// of them as there are Ps now, and follow the Ps when procs changes
	// them.
	eng, err := eventloop.New(s, s.addrs(s.cfg.Port()), s.cfg.TCPBacklog(), procs.Limit(), runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	s.pollerMu.Lock()
	s.eng = eng
	eng.SharePoller(s.pollerN)
	s.pollerMu.Unlock()
	s.rebindOnConfig()
	unwatch := procs.Watch(eng.SetActive)
	defer unwatch()
	unreport := procs.ReportIdle(eng.Idle)
	defer unreport()
	unwork := procs.ReportWork(s.st.Stats.Commands.Load)
	defer unwork()
	eng.SetActive(runtime.GOMAXPROCS(0)) // if it changed before Watch
	close(s.ready)
	loaded := s.load()
	eng.Run()
	return loadResult(<-loaded)
}

// load loads the RDB file on a goroutine of its own while the listeners
// serve, then starts the background work that needs the data (active
// expiry, save points, eviction: none runs during a load, as in Redis).
// A file that does not load shuts the server down: Redis exits on a bad
// RDB rather than run without the data. The channel gets the result once
// the load has ended.
func (s *Server) load() <-chan error {
	done := make(chan error, 1)
	go func() {
		err := s.st.LoadRDB(s.stopCh)
		switch {
		case err == nil:
			go s.keepRunning("cron", s.cron)
			go s.keepRunning("background evictor", func() { s.st.Evict.Run(s.cronStop) })
			s.log.Info("ready to accept connections", "port", s.cfg.Port(), "tls_port", s.cfg.TLSPort())
		case !errors.Is(err, command.ErrLoadStopped):
			// Redis's words, which its tests and operators look for.
			err = fmt.Errorf("Fatal error loading the DB: %w. Exiting.", err)
			s.log.Error(err.Error())
			s.Shutdown()
		}
		done <- err
	}()
	return done
}

// loadResult is Run's result for the load's: a shutdown during the load is
// no failure.
func loadResult(err error) error {
	if errors.Is(err, command.ErrLoadStopped) {
		return nil
	}
	return err
}

// SharePoller tells the event loops that delta more (negative: fewer)
// goroutines of this process wait on Go's network poller: each TLS
// connection does, and so does a program that embeds the server next to Go
// network clients (tests with go-redis or rueidis in the same process).
// While any do, idle loops wait in Go's poller instead of a blocking
// epoll_wait, so those goroutines are not kept waiting for a P (see
// eventloop.Engine.SharePoller). Safe to call at any time.
func (s *Server) SharePoller(delta int) {
	s.pollerMu.Lock()
	defer s.pollerMu.Unlock()
	s.pollerN += delta
	if s.eng != nil {
		s.eng.SharePoller(delta)
	}
}

// keepRunning runs a background task, and runs it again if it panics
// (after logging it with its stack), so a bug in one cycle of active
// expiry or eviction does not take the server down. It returns when fn
// returns normally.
func (s *Server) keepRunning(name string, fn func()) {
	for {
		if !s.recovered(name, fn) {
			return
		}
		select {
		case <-s.cronStop:
			return
		case <-time.After(100 * time.Millisecond): // no hot loop if it panics every time
		}
	}
}

// recovered runs fn and reports whether it panicked.
func (s *Server) recovered(name string, fn func()) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			s.st.Stats.Panics.Add(1)
			s.log.Error("recovered a panic in a background task; restarting it",
				"task", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	fn()
	return false
}

// Shutdown stops accepting, lets commands already running finish, closes
// every connection and makes Run return. Safe to call from any goroutine,
// including an event loop (SHUTDOWN).
func (s *Server) Shutdown() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		s.log.Info("shutting down")
		close(s.stopCh)
		if s.cfg.Port() == 0 {
			return // Run is waiting on stopCh; there is no event loop
		}
		go func() {
			<-s.ready
			s.eng.Stop()
		}()
	})
}

// ShutdownOnSignal shuts down for SIGTERM (term) or SIGINT as Redis does:
// first the final snapshot that shutdown-on-sigterm / shutdown-on-sigint
// and the save points ask for. If that save fails (and FORCE was not
// given) the server stays up and it reports false.
func (s *Server) ShutdownOnSignal(term bool) bool {
	if !s.st.ShutdownOnSignal(term) {
		return false
	}
	s.Shutdown()
	return true
}

// Port is the configured TCP port.
func (s *Server) Port() int { return s.cfg.Port() }

// Client finds a connected client by id (nil when there is none).
func (s *Server) Client(id int64) *command.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.conns[id]; c != nil {
		return c.client
	}
	return nil
}

// Clients returns a snapshot of connected clients ordered by id.
func (s *Server) Clients() []*command.Client {
	s.mu.Lock()
	out := make([]*command.Client, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c.client)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *command.Client) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// cron runs the periodic work Redis does in serverCron: active expiry,
// instantaneous ops/sec, idle timeouts. Active expiry gets Redis's share
// of the CPU (25 %) but in 2.5 ms slices every 10 ms rather than 25 ms
// every 100 ms: on two cores one long burst delays connections' event
// loops by as much. While no key has a TTL the cron wakes only every
// 100 ms, and it reads the clock directly rather than through
// store.NowMs, whose millisecond ticker would otherwise never stop: an
// idle server costs next to no CPU.
func (s *Server) cron() {
	const tick, expiryTick = 100 * time.Millisecond, 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	fast := false
	var samples [16]int64
	var idx int
	next := time.Now().Add(tick)
	last := s.st.Stats.Commands.Load()
	for {
		select {
		case <-s.cronStop:
			return
		case <-t.C:
		}
		if s.st.CronPaused.Load() {
			continue
		}
		wall := time.Now()
		now := wall.UnixMilli()
		expiring := s.st.ActiveExpire.Load() && s.st.KS.HasExpires() && !s.st.KS.ExpiryPaused()
		if expiring {
			s.st.KS.ActiveExpireCycle(now, expiryTick/4)
			s.st.LatencyEvent("expire-cycle", time.Since(wall))
		}
		if expiring != fast {
			fast = expiring
			if fast {
				t.Reset(expiryTick)
			} else {
				t.Reset(tick)
			}
		}
		if wall.Before(next.Add(-expiryTick / 2)) {
			continue
		}
		if next = next.Add(tick); next.Before(wall) {
			next = wall.Add(tick) // fell behind: do not catch up in a burst
		}
		s.st.UpdatePeak()
		s.st.TrackingCron()
		s.clientsCron(now, now/1000, idx%10 == 0) // this part runs every 100 ms
		if idx%10 == 0 {
			s.st.MigrateCron(wall)
			s.st.SaveCron(now / 1000) // save points count whole seconds
		}
		s.tidy.check(s.st.Stats.Commands.Load(), now)
		cur := s.st.Stats.Commands.Load()
		samples[idx%len(samples)] = (cur - last) * int64(time.Second/tick)
		idx++
		last = cur
		var sum int64
		for _, v := range samples {
			sum += v
		}
		s.st.Stats.InstantaneousOps.Store(sum / int64(len(samples)))
		if to := s.cfg.Timeout(); to > 0 {
			for _, c := range s.Clients() {
				if !c.Monitor && !c.Waiting() && c.IdleMs(now) > to.Milliseconds() {
					c.MarkKilled()
				}
			}
		}
	}
}
