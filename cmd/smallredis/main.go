// Command smallredis is a Redis-compatible in-memory cache server.
//
// Usage follows redis-server: an optional config file, then --directive
// value overrides:
//
//	smallredis [/path/to/redis.conf] [--port 2345] [--maxmemory 100mb] ...
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/smallredis/smallredis/internal/command"
	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/evictor"
	"github.com/smallredis/smallredis/internal/procs"
	"github.com/smallredis/smallredis/internal/server"
)

const usage = `Usage: smallredis [/path/to/redis.conf] [options]
       smallredis --version
       smallredis --help

Options are redis.conf directives given as --name value, for example:
  smallredis --port 2345 --bind 127.0.0.1 --maxmemory 100mb --maxmemory-policy allkeys-lru
  smallredis /etc/redis/redis.conf --loglevel verbose
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Parse(args)
	switch {
	case errors.Is(err, config.ErrVersion):
		fmt.Fprintf(stdout, "smallredis v=%s redis_version=%s go=%s\n", command.Version, command.RedisVersion, runtime.Version())
		return 0
	case errors.Is(err, config.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case err != nil:
		fmt.Fprintln(stderr, err)
		return 1
	}
	log, closeLog, err := newLogger(cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer closeLog()
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	if path := os.Getenv("SMALLREDIS_CPUPROFILE"); path != "" {
		// For performance work: profile the whole run, written at shutdown.
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if err := memoryBudget(cfg, log); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv := server.New(cfg, log)
	if os.Getenv("GOMAXPROCS") == "" {
		// One P until the load needs more (internal/procs explains why);
		// GOMAXPROCS in the environment pins the count instead.
		sizer := procs.New(procs.Limit())
		sizer.Start()
		stop := make(chan struct{})
		defer close(stop)
		go sizer.Run(stop)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for s := range sig {
			log.Info("received signal, shutting down", "signal", s.String())
			if srv.ShutdownOnSignal(s == syscall.SIGTERM) {
				return
			}
			// As Redis: the final save failed, so the server keeps running.
			log.Warn(s.String() + " received but errors trying to shut down the server, check the logs for more information")
		}
	}()
	log.Info("smallredis starting",
		"version", command.Version, "redis_version", command.RedisVersion,
		"port", cfg.Port(), "tls_port", cfg.TLSPort(), "bind", cfg.Bind(), "pid", os.Getpid(),
		"maxmemory", cfg.MaxMemory(), "maxmemory_policy", cfg.MaxMemoryPolicy(),
		"maxclients", cfg.MaxClients(), "databases", cfg.Databases(), "config_file", cfg.ConfigFile())
	if err := srv.Run(); err != nil {
		log.Error("server failed", "err", err)
		return 1
	}
	log.Info("smallredis stopped")
	return 0
}

// memoryBudget defaults maxmemory to a safe fraction of the container's
// memory limit when none is configured (maxmemory 0), and ties the Go
// runtime's memory limit to maxmemory, now and after CONFIG SET.
func memoryBudget(cfg *config.Config, log *slog.Logger) error {
	cg := evictor.CgroupMemoryLimit()
	if cg > 0 && cfg.MaxMemory() == 0 {
		mm := int64(float64(cg) * evictor.CgroupFraction)
		if err := cfg.Set([][2]string{{"maxmemory", strconv.FormatInt(mm, 10)}}); err != nil {
			return err
		}
		log.Warn("no maxmemory configured: defaulting to a fraction of the cgroup memory limit "+
			"(set maxmemory to override; CONFIG SET maxmemory 0 removes the limit)",
			"cgroup_limit", cg, "fraction", evictor.CgroupFraction, "maxmemory", mm)
	} else if cg > 0 && cfg.MaxMemory() > int64(float64(cg)*evictor.CgroupFraction) {
		log.Warn("maxmemory leaves little of the cgroup memory limit for the rest of the process; "+
			"the kernel may kill it before eviction keeps it in bounds",
			"maxmemory", cfg.MaxMemory(), "cgroup_limit", cg)
	}
	evictor.TieRuntime(cfg, cg, func(goLimit int64) {
		if goLimit == math.MaxInt64 {
			log.Info("go runtime memory limit off (no maxmemory, no cgroup limit)")
			return
		}
		log.Info("go runtime memory limit set", "limit", goLimit, "maxmemory", cfg.MaxMemory(), "cgroup_limit", cg)
	})
	return nil
}

// newLogger honours the loglevel and logfile directives.
func newLogger(cfg *config.Config, stdout io.Writer) (*slog.Logger, func(), error) {
	out, closeFn := stdout, func() {}
	if f := cfg.LogFile(); f != "" {
		fh, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("can't open the log file: %w", err)
		}
		out, closeFn = fh, func() { fh.Close() }
	}
	var level slog.Level
	switch cfg.LogLevel() {
	case "debug", "verbose":
		level = slog.LevelDebug
	case "warning":
		level = slog.LevelWarn
	case "nothing":
		level = slog.LevelError + 100
	default:
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level})), closeFn, nil
}
