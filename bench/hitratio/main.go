// Command hitratio measures a cache server's hit ratio under cache-aside load:
// GET key, and on a miss SET key to a value of fixed size. It drives a
// Redis-compatible server (redis-server or smallredis) over loopback with a
// few pipelined connections and reports, per workload, the hit ratio and
// what the server held at the end (DBSIZE, evicted_keys, used_memory).
//
// Workloads (all deterministic for a given -seed):
//
//	zipf   Zipf(s) over -keys keys
//	scan   zipf, plus -scan-len never-seen cold keys after every -scan-every requests
//	loop   a cycle over -loop-factor × the number of values that fit in the cache
//	shift  zipf whose rank→key mapping rotates by -shift-by every -shift-every requests
//
// The pseudo-workload "calibrate" (needs -flushall) only prints how many
// values fit in the server's maxmemory.
//
// Usage:
//
//	go run ./bench/hitratio -addr 127.0.0.1:2345 -workload zipf,scan -requests 3000000 -flushall
//
// The server should be configured with maxmemory and an allkeys-* policy;
// nothing here configures it. With -flushall the program empties the server
// before each workload (and may, with -calibrate, fill it to measure how many
// values fit); without it, it only reads and writes keys "key:<12 digits>".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	addr       string
	workloads  []string
	warmup     int
	valueSize  int
	conns      int
	pipeline   int
	cacheKeys  int
	calibrate  bool
	loopFactor float64
	flushAll   bool
	jsonOut    bool
	timeout    time.Duration
	ioTimeout  time.Duration
	p          params
}

func main() {
	var o options
	var wl string
	flag.StringVar(&o.addr, "addr", "127.0.0.1:2345", "server address")
	flag.StringVar(&wl, "workload", "zipf", "comma-separated workloads: zipf, scan, loop, shift, all, or calibrate")
	flag.IntVar(&o.p.requests, "requests", 3_000_000, "requests per workload, warm-up included")
	flag.IntVar(&o.warmup, "warmup", 500_000, "first requests of each workload left out of the hit ratio")
	flag.IntVar(&o.p.keys, "keys", 1_000_000, "Zipf key space")
	flag.Float64Var(&o.p.s, "s", 0.99, "Zipf exponent")
	flag.Uint64Var(&o.p.seed, "seed", 1, "random seed (request streams and value bytes)")
	flag.IntVar(&o.valueSize, "value-size", 1024, "bytes per value")
	flag.IntVar(&o.conns, "conns", 4, "connections")
	flag.IntVar(&o.pipeline, "pipeline", 64, "GETs per pipelined batch and connection")
	flag.IntVar(&o.p.scanEvery, "scan-every", 200_000, "scan: Zipf requests between scans")
	flag.IntVar(&o.p.scanLen, "scan-len", 100_000, "scan: cold keys per scan")
	flag.IntVar(&o.p.shiftEvery, "shift-every", 500_000, "shift: requests between rotations of the popular keys")
	flag.IntVar(&o.p.shiftBy, "shift-by", 100_000, "shift: ranks to rotate by")
	flag.IntVar(&o.cacheKeys, "cache-keys", 0, "loop: values that fit in the cache (0: -calibrate, or INFO maxmemory / -value-size)")
	flag.BoolVar(&o.calibrate, "calibrate", false, "measure -cache-keys by filling the server until it evicts (needs -flushall)")
	flag.Float64Var(&o.loopFactor, "loop-factor", 1.1, "loop: cycle length as a multiple of -cache-keys")
	flag.BoolVar(&o.flushAll, "flushall", false, "FLUSHALL before each workload")
	flag.BoolVar(&o.jsonOut, "json", false, "print one JSON object per workload instead of text")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "stop a workload after this long and report what was done")
	flag.DurationVar(&o.ioTimeout, "io-timeout", 30*time.Second, "give up on a server that does not answer for this long")
	flag.Parse()
	if wl == "all" {
		o.workloads = workloads
	} else {
		o.workloads = strings.Split(wl, ",")
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "hitratio:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.warmup >= o.p.requests {
		return fmt.Errorf("-warmup %d leaves no measured requests of %d", o.warmup, o.p.requests)
	}
	if o.calibrate && !o.flushAll {
		return errors.New("-calibrate fills and empties the server: it needs -flushall")
	}
	admin, err := dial(o.addr, o.ioTimeout)
	if err != nil {
		return err
	}
	defer admin.Close()
	value := make([]byte, o.valueSize)
	vr := rand.New(rand.NewPCG(o.p.seed, 0xba1))
	for i := range value { // printable, not compressible
		value[i] = byte('!' + vr.IntN(94))
	}
	for _, w := range o.workloads {
		if w == "calibrate" {
			if err := printCalibration(admin, o, value); err != nil {
				return err
			}
			continue
		}
		p := o.p
		var loopNote string
		if w == "loop" {
			n, note, err := cacheKeys(admin, o, value)
			if err != nil {
				return fmt.Errorf("loop: %w", err)
			}
			p.loopKeys = int(math.Ceil(o.loopFactor * float64(n)))
			loopNote = fmt.Sprintf("%d keys = %.2f × %d values that fit (%s)", p.loopKeys, o.loopFactor, n, note)
		}
		seq, err := generate(w, p)
		if err != nil {
			return err
		}
		if o.flushAll {
			if _, err := admin.do("FLUSHALL"); err != nil {
				return fmt.Errorf("FLUSHALL: %w", err)
			}
		} else if n, err := admin.do("DBSIZE"); err == nil && n != int64(0) {
			fmt.Fprintf(os.Stderr, "hitratio: warning: server holds %v keys at the start of %s (use -flushall)\n", n, w)
		}
		before, err := admin.info()
		if err != nil {
			return fmt.Errorf("INFO: %w", err)
		}
		start := time.Now()
		c, err := drive(o, seq, value)
		elapsed := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		after, err := admin.info()
		if err != nil {
			return fmt.Errorf("INFO: %w", err)
		}
		dbsize := int64(-1)
		if v, err := admin.do("DBSIZE"); err == nil {
			dbsize, _ = v.(int64)
		}
		res := result{
			Workload: w, Requests: c.done, Measured: c.hotReq + c.coldReq, Warmup: o.warmup,
			HitRatio: pct(c.hotHit+c.coldHit, c.hotReq+c.coldReq), HotHitRatio: pct(c.hotHit, c.hotReq),
			Errors: c.errors, BadValues: c.badValues, SetErrors: c.setErrors,
			DBSize: dbsize, EvictedKeys: infoDelta(before, after, "evicted_keys"),
			UsedMemory: infoInt(after, "used_memory"), MaxMemory: infoInt(after, "maxmemory"),
			Policy: after["maxmemory_policy"], Seconds: elapsed.Seconds(), TimedOut: c.timedOut,
			Loop: loopNote, ValueSize: o.valueSize,
		}
		report(o, res)
	}
	return nil
}

// counters are one worker's tallies; only measured (post-warm-up) requests
// count toward hits, errors count always.
type counters struct {
	hotReq, hotHit, coldReq, coldHit int64
	errors, badValues, setErrors     int64
	done                             int64
	timedOut                         bool
}

func (c *counters) add(d counters) {
	c.hotReq += d.hotReq
	c.hotHit += d.hotHit
	c.coldReq += d.coldReq
	c.coldHit += d.coldHit
	c.errors += d.errors
	c.badValues += d.badValues
	c.setErrors += d.setErrors
	c.done += d.done
	c.timedOut = c.timedOut || d.timedOut
}

// drive runs seq against the server: each connection claims the next batch of
// -pipeline requests, pipelines their GETs, then pipelines a SET for every
// miss. Batches are claimed in stream order, so the server sees the stream
// reordered only within conns × pipeline requests.
func drive(o options, seq []uint32, value []byte) (counters, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var total counters
	var firstErr error
	var wg sync.WaitGroup
	for range o.conns {
		c, err := dial(o.addr, o.ioTimeout)
		if err != nil {
			cancel()
			wg.Wait()
			return total, err
		}
		wg.Go(func() {
			defer c.Close()
			var local counters
			err := worker(ctx, c, o, seq, value, &next, &local)
			mu.Lock()
			defer mu.Unlock()
			total.add(local)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	return total, firstErr
}

func worker(ctx context.Context, c *conn, o options, seq []uint32, value []byte, next *atomic.Int64, k *counters) error {
	b := int64(o.pipeline)
	misses := make([]uint32, 0, b)
	for {
		if ctx.Err() != nil {
			k.timedOut = true
			return nil
		}
		start := next.Add(b) - b
		if start >= int64(len(seq)) {
			return nil
		}
		end := min(start+b, int64(len(seq)))
		for _, id := range seq[start:end] {
			c.writeGet(uint64(id))
		}
		if err := c.flush(); err != nil {
			return err
		}
		misses = misses[:0]
		for i := start; i < end; i++ {
			id := seq[i]
			res, err := c.readGet(value)
			if err != nil {
				return err
			}
			measured := i >= int64(o.warmup)
			hit := res == getHit // a wrong value is reported, not counted as a hit
			switch res {
			case getMiss:
				misses = append(misses, id)
			case getBadValue:
				k.badValues++
			case getError:
				k.errors++
			}
			if measured {
				if isCold(id) {
					k.coldReq++
					if hit {
						k.coldHit++
					}
				} else {
					k.hotReq++
					if hit {
						k.hotHit++
					}
				}
			}
		}
		if len(misses) > 0 {
			for _, id := range misses {
				c.writeSet(uint64(id), value)
			}
			if err := c.flush(); err != nil {
				return err
			}
			for range misses {
				if err := c.readStatus(); err != nil {
					var se serverError
					if !errors.As(err, &se) {
						return err
					}
					k.setErrors++
				}
			}
		}
		k.done += end - start
	}
}

// cacheKeys returns how many values fit in the server's maxmemory, and how
// that number was obtained.
func cacheKeys(c *conn, o options, value []byte) (int, string, error) {
	if o.cacheKeys > 0 {
		return o.cacheKeys, "-cache-keys", nil
	}
	info, err := c.info()
	if err != nil {
		return 0, "", err
	}
	maxmem := infoInt(info, "maxmemory")
	if maxmem <= 0 {
		return 0, "", errors.New("server has no maxmemory: give -cache-keys")
	}
	if !o.calibrate {
		return int(maxmem) / o.valueSize, "INFO maxmemory / value size", nil
	}
	n, err := calibrate(c, o, value, maxmem)
	return n, "calibrated: DBSIZE once evicting", err
}

// printCalibration is the "calibrate" pseudo-workload: it reports how many
// values fit, so that a script can give every server the same loop.
func printCalibration(c *conn, o options, value []byte) error {
	if !o.flushAll {
		return errors.New("calibrate fills and empties the server: it needs -flushall")
	}
	o.calibrate = true
	n, note, err := cacheKeys(c, o, value)
	if err != nil {
		return err
	}
	if o.jsonOut {
		b, _ := json.Marshal(map[string]any{"workload": "calibrate", "cache_keys": n, "how": note})
		fmt.Println(string(b))
	} else {
		fmt.Printf("calibrate: %d values of %d bytes fit (%s)\n", n, o.valueSize, note)
	}
	return nil
}

// calibrate empties the server, SETs fresh keys until it has evicted for a
// while (20 % more keys than at the first eviction), takes DBSIZE as the
// number of values that fit, and empties the server again. Eviction shows as
// DBSIZE falling behind the keys written (no key has a TTL), so a server
// whose INFO lacks evicted_keys is measured all the same.
func calibrate(c *conn, o options, value []byte, maxmem int64) (int, error) {
	if _, err := c.do("FLUSHALL"); err != nil {
		return 0, err
	}
	defer c.do("FLUSHALL")
	limit := 4*maxmem/int64(o.valueSize) + 10_000
	const batch = 1000
	firstEviction := int64(-1)
	var dbsize, written int64
	for written < limit {
		for i := written; i < written+batch; i++ {
			c.writeSet(uint64(i), value)
		}
		if err := c.flush(); err != nil {
			return 0, err
		}
		for range batch {
			if err := c.readStatus(); err != nil {
				return 0, fmt.Errorf("calibrate: SET refused after %d keys of %d bytes (maxmemory %d): %w", written, o.valueSize, maxmem, err)
			}
		}
		written += batch
		v, err := c.do("DBSIZE")
		if err != nil {
			return 0, err
		}
		dbsize, _ = v.(int64)
		if firstEviction < 0 && dbsize < written {
			firstEviction = written
		}
		if firstEviction >= 0 && written >= firstEviction*6/5 {
			return int(dbsize), nil
		}
	}
	return 0, fmt.Errorf("calibrate: no eviction after %d SETs of %d bytes (maxmemory %d, DBSIZE %d)", written, o.valueSize, maxmem, dbsize)
}

// result is one workload's outcome; -json prints it as is.
type result struct {
	Workload    string  `json:"workload"`
	Requests    int64   `json:"requests"`
	Measured    int64   `json:"measured"`
	Warmup      int     `json:"warmup"`
	HitRatio    float64 `json:"hit_ratio"`     // percent, all measured requests
	HotHitRatio float64 `json:"hot_hit_ratio"` // percent, Zipf requests only (differs for scan)
	Errors      int64   `json:"errors"`
	BadValues   int64   `json:"bad_values"`
	SetErrors   int64   `json:"set_errors"`
	DBSize      int64   `json:"dbsize"`
	EvictedKeys int64   `json:"evicted_keys"` // during this workload; -1 if INFO lacks it
	UsedMemory  int64   `json:"used_memory"`
	MaxMemory   int64   `json:"maxmemory"`
	Policy      string  `json:"maxmemory_policy"`
	Seconds     float64 `json:"seconds"`
	TimedOut    bool    `json:"timed_out"`
	Loop        string  `json:"loop,omitempty"`
	ValueSize   int     `json:"value_size"`
}

func report(o options, r result) {
	if o.jsonOut {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
		return
	}
	fmt.Printf("workload %s: %d requests (first %d excluded), %.1f s, %.0f req/s\n",
		r.Workload, r.Requests, r.Warmup, r.Seconds, float64(r.Requests)/r.Seconds)
	if r.Workload == "scan" {
		fmt.Printf("  hit ratio  hot-only %.2f %%   overall %.2f %%\n", r.HotHitRatio, r.HitRatio)
	} else {
		fmt.Printf("  hit ratio  %.2f %%\n", r.HitRatio)
	}
	if r.Loop != "" {
		fmt.Printf("  loop       %s\n", r.Loop)
	}
	fmt.Printf("  server     dbsize %s  evicted_keys %s  used_memory %s  maxmemory %s  policy %s\n",
		na(r.DBSize), na(r.EvictedKeys), na(r.UsedMemory), na(r.MaxMemory), orNA(r.Policy))
	if r.Errors+r.BadValues+r.SetErrors > 0 || r.TimedOut {
		fmt.Printf("  problems   GET errors %d  wrong values %d  SET errors %d  timed out %v\n",
			r.Errors, r.BadValues, r.SetErrors, r.TimedOut)
	}
}

func pct(a, b int64) float64 {
	if b == 0 {
		return -1
	}
	return 100 * float64(a) / float64(b)
}

func infoInt(m map[string]string, k string) int64 {
	v, err := strconv.ParseInt(m[k], 10, 64)
	if err != nil {
		return -1
	}
	return v
}

func infoDelta(before, after map[string]string, k string) int64 {
	a, b := infoInt(before, k), infoInt(after, k)
	if a < 0 || b < 0 {
		return -1
	}
	return b - a
}

func na(v int64) string {
	if v < 0 {
		return "n/a"
	}
	return strconv.FormatInt(v, 10)
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
