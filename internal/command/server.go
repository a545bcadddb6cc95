package command

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/acl"
	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/evictor"
	"github.com/smallredis/smallredis/internal/latency"
	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/script"
	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stripe"
	"github.com/smallredis/smallredis/internal/tracking"
)

// Version is smallredis's own version; RedisVersion is the default of the
// redis-version directive: the Redis version HELLO and INFO report, which
// clients read to decide what to use (redis-py and Jedis enable
// client-side caching from 7.4). See the README.
const (
	Version      = "0.1.0"
	RedisVersion = "7.4.0"
)

// Host is what the network layer provides to commands that reach beyond
// one connection.
type Host interface {
	// Clients returns a snapshot of the connected clients.
	Clients() []*Client
	// Shutdown stops the server gracefully (SHUTDOWN).
	Shutdown()
	// Port is the TCP port actually listened on.
	Port() int
}

// Stats are the counters INFO stats reports.
type Stats struct {
	// The counters every command or every read and write moves are
	// striped (package stripe): writers pass their client's Stripe, so
	// event loops do not take turns on one cache line per command.
	Commands     stripe.Counter
	Connections  atomic.Int64
	Rejected     atomic.Int64
	Hits         stripe.Counter
	Misses       stripe.Counter
	ErrorReplies atomic.Int64
	AuthDenied   atomic.Int64 // failed AUTH and HELLO AUTH (acl_access_denied_auth)
	// Commands ACLs refused, by what was denied (acl_access_denied_cmd,
	// _key, _channel).
	ACLDeniedCmd     atomic.Int64
	ACLDeniedKey     atomic.Int64
	ACLDeniedChannel atomic.Int64
	NetInput         stripe.Counter
	NetOutput        stripe.Counter
	// Reads and Writes count the socket reads that brought input and the
	// socket writes that sent output (total_reads/writes_processed).
	Reads            stripe.Counter
	Writes           stripe.Counter
	InstantaneousOps atomic.Int64
	// Panics counts panics recovered in commands (see recoverCommand).
	Panics atomic.Int64

	// Kept by the network layer: clients closed for client-output-buffer-limit,
	// and the largest client input and output buffers of the last seconds
	// (INFO clients client_recent_max_*_buffer).
	OutputLimitDisconnections atomic.Int64
	EvictedClients            atomic.Int64 // INFO stats evicted_clients (maxmemory-clients)
	LazyFreed                 atomic.Int64 // INFO memory lazyfreed_objects (lazyfree.go)
	RecentMaxInput            atomic.Int64
	RecentMaxOutput           atomic.Int64

	errMu  sync.Mutex // guards errors
	errors map[string]int64
}

func (st *Stats) countError(msg string) {
	st.ErrorReplies.Add(1)
	p := errPrefix(msg)
	st.errMu.Lock()
	if st.errors == nil {
		st.errors = map[string]int64{}
	}
	st.errors[p]++
	st.errMu.Unlock()
}

// Server is the state shared by all connections: keyspace, configuration,
// statistics and the command table.
type Server struct {
	persist persistState
	Table   *Table
	KS      *store.Keyspace
	Cfg     *config.Config
	Host    Host
	Stats   Stats
	Start   time.Time
	RunID   string
	// Log is the server's logger (failed authentications, recovered
	// panics); nil means slog.Default.
	Log *slog.Logger

	// ActiveExpire enables the background expiry cycle (DEBUG
	// SET-ACTIVE-EXPIRE).
	ActiveExpire atomic.Bool
	// CronPaused is DEBUG PAUSE-CRON: the server's cron skips its work
	// (active expiry, client buffers and timeouts, statistics).
	CronPaused atomic.Bool
	// KeepReplyBuffers is DEBUG REPLYBUFFER RESIZING 0: connections keep
	// the reply buffers they grew.
	KeepReplyBuffers atomic.Bool
	// DisableDenyScripts lets scripts call commands flagged noscript
	// (DEBUG SET-DISABLE-DENY-SCRIPTS, Redis's test hook).
	DisableDenyScripts atomic.Bool
	// ACL is the ACL users (package acl); every client starts as its
	// default user, kept in step with requirepass.
	ACL *acl.Registry
	// Scripts runs EVAL scripts and FUNCTION libraries.
	Scripts *script.Engine
	// Evict enforces maxmemory: inline before each command (Exec), and in
	// the background once the network layer runs Evict.Run.
	Evict *evictor.Evictor

	peak     atomic.Int64
	authLog  rateLimit
	acllog   aclLog
	slowlog  slowlog
	latency  latency.Monitor
	monitors monitors
	pause    pauseState
	blocked  blockedState
	// scripting is the running script (SCRIPT KILL, BUSY).
	scripting scriptState
	watched   watchState
	tracking  trackingState
	ps        pubsubState
	migrate   migrateSockets

	// Gate is the world gate (gate.go) every command passes.
	Gate *Gate

	// notifyOn holds the EventClass bits notify-keyspace-events enables
	// (none unless K or E is set); notifyKE its K (1) and E (2) bits.
	notifyOn  atomic.Uint32
	notifyKE  atomic.Uint32
	notifyMu  sync.Mutex // guards notifyFeed, notifyNew
	notifyNew bool       // the store records ChangeNew for us
	// notifyFeed unregisters the change-feed listener of the x, e and n
	// classes; nil while none of them is on.
	notifyFeed func()
}

// NewServer wires a server state. host may be set later, before serving.
func NewServer(cfg *config.Config, ks *store.Keyspace) *Server {
	var id [20]byte
	_, _ = rand.Read(id[:])
	s := &Server{
		Table: DefaultTable(),
		KS:    ks,
		Cfg:   cfg,
		Start: time.Now(),
		RunID: hex.EncodeToString(id[:]),
		Log:   slog.Default(),
		Evict: evictor.New(ks, cfg),
		Gate:  NewGate(),
	}
	s.Table.Rename(cfg.Renames())
	s.persist.init(s.Start)
	for _, c := range []*stripe.Counter{&s.Stats.Commands, &s.Stats.Hits, &s.Stats.Misses,
		&s.Stats.NetInput, &s.Stats.NetOutput, &s.Stats.Reads, &s.Stats.Writes} {
		c.Init()
	}
	s.ACL = acl.NewRegistry(s.Table.ACLCatalog(), cfg.ACLPubsubAll)
	s.ACL.SetDefaultPassword(cfg.RequirePass())
	// As Redis's requirepass: setting it resets the default user's
	// passwords to this one (ACL SETUSER default does not change it).
	cfg.OnChange("requirepass", func() { s.ACL.SetDefaultPassword(cfg.RequirePass()) })
	// CONFIG REWRITE writes the users, unless an aclfile holds them.
	cfg.SetUserLines(func() []string {
		if cfg.ACLFile() != "" {
			return nil
		}
		return s.ACL.List()
	})
	s.Scripts = newScriptEngine(s)
	s.ActiveExpire.Store(true)
	s.tracking.tab = tracking.New()
	ks.SetExpiryGate(s.Gate.Background())
	s.pause.onPause = ks.PauseExpiry
	s.Evict.SetGate(s.Gate.Background())
	s.Evict.SetLatencySink(s.LatencyEvent)
	s.loadNotify()
	cfg.OnChange("notify-keyspace-events", s.loadNotify)
	return s
}

func (s *Server) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// EvictedKeys is INFO stats evicted_keys.
func (s *Server) EvictedKeys() int64 { return s.Evict.Evicted() }

// UpdatePeak records the current used memory for used_memory_peak; the
// server's cron calls it, as Redis's does, and INFO too.
func (s *Server) UpdatePeak() int64 { return s.notePeak(s.KS.UsedMemory()) }

// ResetMemoryStats is CONFIG RESETSTAT's part for eviction: evicted_keys and
// the eviction exceeded times. (Redis 7.0 keeps used_memory_peak.)
func (s *Server) ResetMemoryStats() { s.Evict.ResetStats() }

// notePeak records used as a candidate peak and returns the peak.
func (s *Server) notePeak(used int64) int64 {
	for {
		p := s.peak.Load()
		if used <= p {
			return p
		}
		if s.peak.CompareAndSwap(p, used) {
			return used
		}
	}
}

// Ctx is what a handler gets: its arguments, the reply writer, the
// client, and the shared server.
type Ctx struct {
	Args [][]byte
	W    *resp.Writer
	C    *Client
	S    *Server
	Now  int64 // unix ms at dispatch
	Cmd  *Spec

	start time.Duration // store.Mono when the handler started (execInner)

	moves []pendingMove // served BLMOVEs' pushes, done after the handler
	oom   bool          // used memory was over maxmemory when the command came
	// gateHandedOff: the handler keeps the gate held past its return (a
	// busy script), and releases it itself.
	gateHandedOff bool
	// blocked: the command is waiting for a key (block); its latency
	// goes in the histogram when it is served, as Redis's.
	blocked bool

	ev     *eventBuf // keyspace events reported, published after the command
	evSink *Ctx      // where a helper context's events go (served waiters)
}

// Err writes an error reply and counts it for INFO errorstats.
func (ctx *Ctx) Err(msg string) {
	ctx.W.Error(msg)
	ctx.S.Stats.countError(msg)
	ctx.Cmd.stats.failed.Add(1)
}

// ErrArity writes Redis's wrong-number-of-arguments error.
func (ctx *Ctx) ErrArity() { ctx.Err(ctx.arityMsg()) }

func (ctx *Ctx) arityMsg() string {
	return "ERR wrong number of arguments for '" + ctx.Cmd.Name + "' command"
}

// Hit and Miss count keyspace lookups for INFO stats.
func (ctx *Ctx) Hit()  { ctx.S.Stats.Hits.Add(ctx.C.Stripe, 1) }
func (ctx *Ctx) Miss() { ctx.S.Stats.Misses.Add(ctx.C.Stripe, 1) }

// reject refuses the command before it runs (arity, authentication, OOM):
// an error reply counted in errorstats and as a rejected call, not a failed
// one, as Redis counts them.
func (ctx *Ctx) reject(msg string) {
	ctx.W.Error(msg)
	ctx.S.Stats.countError(msg)
	ctx.Cmd.stats.rejected.Add(1)
}
