package command

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smallredis/smallredis/internal/store"
)

// DEBUG POPULATE and DEBUG PPROF: loading many keys and profiling the
// running server, for performance work (bench/scale.sh uses both).

// cpuProfile is the CPU profile DEBUG PPROF CPU runs. The runtime allows
// one per process (SMALLREDIS_CPUPROFILE's included), so this is global.
var cpuProfile struct {
	mu    sync.Mutex // guards the fields below
	f     *os.File   // nil when no profile of ours runs
	timer *time.Timer
	path  string
}

// debugPprof: DEBUG PPROF CPU <seconds> <path> | DEBUG PPROF CPU STOP |
// DEBUG PPROF HEAP <path> | DEBUG PPROF GOROUTINE <path>.
//
// A CPU profile runs in the background so that the server keeps serving
// the load being profiled: the reply comes at once and the file is
// complete after <seconds> (or DEBUG PPROF CPU STOP, which answers once it
// is written). The heap profile is written before the reply, after a GC so
// that it shows live memory as of now.
func debugPprof(ctx *Ctx) {
	args := ctx.Args[2:]
	kind := strings.ToLower(string(args[0]))
	switch {
	case kind == "cpu" && len(args) == 2 && strings.EqualFold(string(args[1]), "stop"):
		if path, ok := stopCPUProfile(); ok {
			ctx.W.Bulk([]byte(path))
		} else {
			ctx.Err("ERR no CPU profile is running")
		}
	case kind == "cpu" && len(args) == 3:
		secs, err := strconv.ParseFloat(string(args[1]), 64)
		if err != nil || secs <= 0 || secs > 3600 {
			ctx.Err("ERR seconds must be a number in (0, 3600]")
			return
		}
		if err := startCPUProfile(string(args[2]), time.Duration(secs*float64(time.Second))); err != nil {
			ctx.Err("ERR " + err.Error())
			return
		}
		ctx.W.OK()
	case (kind == "heap" || kind == "goroutine") && len(args) == 2:
		if kind == "heap" {
			runtime.GC()
		}
		if err := writeProfile(kind, string(args[1])); err != nil {
			ctx.Err("ERR " + err.Error())
			return
		}
		ctx.W.OK()
	default:
		ctx.Err("ERR unknown subcommand or wrong number of arguments for 'pprof'. Try DEBUG HELP.")
	}
}

func startCPUProfile(path string, d time.Duration) error {
	cpuProfile.mu.Lock()
	defer cpuProfile.mu.Unlock()
	if cpuProfile.f != nil {
		return errString("a CPU profile is already running (DEBUG PPROF CPU STOP ends it)")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(path)
		return err // e.g. SMALLREDIS_CPUPROFILE's profile runs
	}
	cpuProfile.f, cpuProfile.path = f, path
	cpuProfile.timer = time.AfterFunc(d, func() { stopCPUProfile() })
	return nil
}

// stopCPUProfile ends DEBUG PPROF CPU's profile, if one runs, and returns
// the path it was written to.
func stopCPUProfile() (string, bool) {
	cpuProfile.mu.Lock()
	defer cpuProfile.mu.Unlock()
	if cpuProfile.f == nil {
		return "", false
	}
	cpuProfile.timer.Stop()
	pprof.StopCPUProfile()
	cpuProfile.f.Close()
	path := cpuProfile.path
	cpuProfile.f, cpuProfile.path, cpuProfile.timer = nil, "", nil
	return path, true
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type errString string

func (e errString) Error() string { return string(e) }

// debugPopulate: DEBUG POPULATE count [prefix] [size], as Redis: keys
// prefix:0 … prefix:count-1 (prefix "key") in the selected database, with
// values "value:N", cut or zero-padded to size bytes when size is given;
// keys that exist are left alone. Like Redis it runs as one command, so a
// large count holds its event loop for a while (about 1 s per million keys).
func debugPopulate(ctx *Ctx) {
	// Redis answers a count or size that is not a number as it answers a
	// negative one.
	n, ok := parseInt(ctx.Args[2])
	if !ok || n < 0 {
		ctx.Err(ErrNegativeCount)
		return
	}
	prefix := []byte("key")
	if len(ctx.Args) >= 4 {
		prefix = ctx.Args[3]
	}
	size := int64(-1)
	if len(ctx.Args) == 5 {
		if size, ok = parseInt(ctx.Args[4]); !ok || size < 0 {
			ctx.Err(ErrNegativeCount)
			return
		}
	}
	key := append(append([]byte(nil), prefix...), ':')
	kl := len(key)
	var val []byte
	for i := int64(0); i < n; i++ {
		key = strconv.AppendInt(key[:kl], i, 10)
		val = strconv.AppendInt(append(val[:0], "value:"...), i, 10)
		if size > 0 {
			val = padTo(val, int(size))
		}
		ctx.Update(key, func(e *store.Entry) {
			if !e.Exists() {
				e.SetStrExpire(val, 0)
			}
		})
		if i&1023 == 1023 {
			// Listeners (WATCH, notifications) get the changes in
			// batches rather than all 10 million at the end.
			ctx.S.KS.Drain()
		}
	}
	ctx.W.OK()
}

// padTo cuts or zero-pads b to n bytes (DEBUG POPULATE's size). Redis
// gives size 0 the unpadded value, and so does the caller.
func padTo(b []byte, n int) []byte {
	if len(b) >= n {
		return b[:n]
	}
	return append(b, make([]byte, n-len(b))...)
}
