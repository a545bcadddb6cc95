// Command maxmemory checks that a Redis-compatible server stays inside its
// memory budget under a write flood: several pipelined connections SET
// distinct keys with values of a fixed size until -total bytes of values were
// sent, while another connection samples INFO memory as often as it can and
// the process's resident set is read from /proc/PID/status.
//
// It reports the number of error replies (by kind), the highest used_memory
// any INFO sample showed and how far that was above maxmemory, the peak RSS
// (VmHWM) and the final RSS, evicted_keys and the write rate. With -check it
// exits 1 if the run breaks the budget:
//
//   - an error reply (with -expect-oom: a reply other than OK or -OOM, or
//     no -OOM at all, or GET and DEL failing afterwards);
//   - used_memory more than -max-overshoot above maxmemory in any sample;
//   - peak RSS above -rss-factor × maxmemory + -rss-slack.
//
// Usage (bench/maxmemory.sh starts the servers):
//
//	go run ./bench/maxmemory -addr 127.0.0.1:2345 -pid 1234 -total 2gb -check
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	addr         string
	pid          int
	total        int64
	valueSize    int
	conns        int
	pipeline     int
	interval     time.Duration
	prefix       string
	check        bool
	expectOOM    bool
	maxOvershoot int64
	rssFactor    float64
	rssSlack     int64
	jsonOut      bool
}

// result is what one run measured.
type result struct {
	Addr           string           `json:"addr"`
	Policy         string           `json:"maxmemory_policy"`
	MaxMemory      int64            `json:"maxmemory"`
	Sent           int64            `json:"sets_sent"`
	ValueBytes     int64            `json:"value_bytes_sent"`
	Seconds        float64          `json:"seconds"`
	SetsPerSec     float64          `json:"sets_per_sec"`
	OK             int64            `json:"ok_replies"`
	Errors         map[string]int64 `json:"error_replies"` // by first word
	FirstError     string           `json:"first_error,omitempty"`
	Samples        int              `json:"info_samples"`
	PeakUsed       int64            `json:"peak_used_memory"`
	PeakOvershoot  int64            `json:"peak_overshoot_bytes"` // max(used_memory − maxmemory) over samples
	OverSamples    int              `json:"samples_over_maxmemory"`
	FinalUsed      int64            `json:"final_used_memory"`
	PeakRSS        int64            `json:"peak_rss_bytes"` // VmHWM
	FinalRSS       int64            `json:"final_rss_bytes"`
	EvictedKeys    int64            `json:"evicted_keys"`
	DBSize         int64            `json:"dbsize"`
	ReadsAfter     string           `json:"reads_after,omitempty"` // with -expect-oom: GET/DEL check
	Failures       []string         `json:"failures,omitempty"`
	RSSBudget      int64            `json:"rss_budget_bytes"`
	OvershootLimit int64            `json:"overshoot_limit_bytes"`
}

func main() {
	var o options
	var total, slack, over string
	flag.StringVar(&o.addr, "addr", "127.0.0.1:6379", "server host:port")
	flag.IntVar(&o.pid, "pid", 0, "server process id, for VmHWM/VmRSS from /proc (0: not measured)")
	flag.StringVar(&total, "total", "2gb", "value bytes to write (k, m, g: powers of 1000; kb, mb, gb: of 1024)")
	flag.IntVar(&o.valueSize, "value", 1024, "value size in bytes")
	flag.IntVar(&o.conns, "conns", 4, "writing connections")
	flag.IntVar(&o.pipeline, "pipeline", 64, "SETs per pipelined batch")
	flag.DurationVar(&o.interval, "interval", 2*time.Millisecond, "pause between INFO memory samples")
	flag.StringVar(&o.prefix, "prefix", "mm:", "key prefix")
	flag.BoolVar(&o.check, "check", false, "exit 1 if the budget is broken")
	flag.BoolVar(&o.expectOOM, "expect-oom", false, "noeviction run: writes must get -OOM, GET and DEL must still work")
	flag.StringVar(&over, "max-overshoot", "64kb", "largest allowed used_memory − maxmemory in a sample")
	flag.Float64Var(&o.rssFactor, "rss-factor", 1.3, "peak RSS budget: rss-factor × maxmemory + rss-slack")
	flag.StringVar(&slack, "rss-slack", "32mb", "peak RSS budget constant")
	flag.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	flag.Parse()
	var err error
	if o.total, err = parseBytes(total); err == nil {
		if o.rssSlack, err = parseBytes(slack); err == nil {
			o.maxOvershoot, err = parseBytes(over)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "maxmemory:", err)
		os.Exit(1)
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
	} else {
		printText(r)
	}
	if o.check && len(r.Failures) > 0 {
		os.Exit(1)
	}
}

// parseBytes reads a redis.conf style memory size.
func parseBytes(s string) (int64, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad memory size %q", s)
	}
	return n * mult, nil
}

// conn is a minimal RESP client: write raw commands, read replies.
type conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 256<<10)}, nil
}

func appendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// reply reads one reply: simple strings, errors and integers as their text,
// bulk strings as their bytes, nil as nil. Arrays are not needed here.
func (c *conn) reply() (kind byte, val []byte, err error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 3 {
		return 0, nil, errors.New("short reply line")
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':':
		return kind, append([]byte(nil), body...), nil
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return 0, nil, err
		}
		if n < 0 {
			return kind, nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return 0, nil, err
		}
		return kind, buf[:n], nil
	}
	return 0, nil, fmt.Errorf("unexpected reply type %q", kind)
}

func (c *conn) do(args ...string) (byte, []byte, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	if _, err := c.w.Write(appendCommand(nil, bs...)); err != nil {
		return 0, nil, err
	}
	if err := c.w.Flush(); err != nil {
		return 0, nil, err
	}
	return c.reply()
}

// infoFields returns the name:value lines of an INFO reply.
func infoFields(c *conn, section string) (map[string]string, error) {
	kind, body, err := c.do("INFO", section)
	if err != nil {
		return nil, err
	}
	if kind != '$' {
		return nil, fmt.Errorf("INFO replied %q", body)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(body), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

func infoInt(m map[string]string, k string) int64 {
	n, _ := strconv.ParseInt(m[k], 10, 64)
	return n
}

// procStatus reads a "VmHWM:   123 kB" style field of /proc/PID/status in bytes.
func procStatus(pid int, field string) int64 {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

func run(o options) (*result, error) {
	ctl, err := dial(o.addr)
	if err != nil {
		return nil, err
	}
	defer ctl.c.Close()
	mem, err := infoFields(ctl, "memory")
	if err != nil {
		return nil, err
	}
	r := &result{Addr: o.addr, Policy: mem["maxmemory_policy"], MaxMemory: infoInt(mem, "maxmemory"), Errors: map[string]int64{}}
	if r.MaxMemory == 0 {
		return nil, errors.New("the server has no maxmemory")
	}
	r.RSSBudget = int64(o.rssFactor*float64(r.MaxMemory)) + o.rssSlack
	r.OvershootLimit = o.maxOvershoot
	stats0, err := infoFields(ctl, "stats")
	if err != nil {
		return nil, err
	}

	// Sampler: INFO memory on its own connection until the writers finish.
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	var sampleErr error
	go func() {
		defer sampler.Done()
		sc, err := dial(o.addr)
		if err != nil {
			sampleErr = err
			return
		}
		defer sc.c.Close()
		for {
			m, err := infoFields(sc, "memory")
			if err != nil {
				sampleErr = err
				return
			}
			used := infoInt(m, "used_memory")
			r.Samples++
			r.PeakUsed = max(r.PeakUsed, used)
			if d := used - r.MaxMemory; d > 0 {
				r.OverSamples++
				r.PeakOvershoot = max(r.PeakOvershoot, d)
			}
			select {
			case <-stop:
				return
			case <-time.After(o.interval):
			}
		}
	}()

	// Writers: each takes the next batch of key numbers.
	perBatch := int64(o.pipeline)
	nKeys := o.total / int64(o.valueSize)
	var next, ok, sent atomic.Int64
	var errMu sync.Mutex
	var writeErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(o.addr)
			if err != nil {
				errMu.Lock()
				writeErr = err
				errMu.Unlock()
				return
			}
			defer c.c.Close()
			val := bytes.Repeat([]byte("v"), o.valueSize)
			var buf, key []byte
			set := []byte("SET")
			for {
				first := next.Add(perBatch) - perBatch
				if first >= nKeys {
					return
				}
				n := min(perBatch, nKeys-first)
				buf = buf[:0]
				for i := first; i < first+n; i++ {
					key = strconv.AppendInt(append(key[:0], o.prefix...), i, 10)
					buf = appendCommand(buf, set, key, val)
				}
				_, err := c.w.Write(buf)
				if err == nil {
					err = c.w.Flush()
				}
				if err != nil {
					errMu.Lock()
					writeErr = err
					errMu.Unlock()
					return
				}
				for range n {
					kind, body, err := c.reply()
					if err != nil {
						errMu.Lock()
						writeErr = err
						errMu.Unlock()
						return
					}
					if kind == '+' {
						ok.Add(1)
						continue
					}
					word, _, _ := strings.Cut(string(body), " ")
					errMu.Lock()
					r.Errors[word]++
					if r.FirstError == "" {
						r.FirstError = string(body)
					}
					errMu.Unlock()
				}
				sent.Add(n)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	sampler.Wait()
	if writeErr != nil {
		return nil, writeErr
	}
	if sampleErr != nil {
		return nil, sampleErr
	}
	r.Sent, r.OK = sent.Load(), ok.Load()
	r.ValueBytes = r.Sent * int64(o.valueSize)
	r.Seconds = elapsed.Seconds()
	r.SetsPerSec = float64(r.Sent) / r.Seconds
	r.PeakRSS = procStatus(o.pid, "VmHWM")
	r.FinalRSS = procStatus(o.pid, "VmRSS")
	mem, err = infoFields(ctl, "memory")
	if err != nil {
		return nil, err
	}
	r.FinalUsed = infoInt(mem, "used_memory")
	r.PeakUsed = max(r.PeakUsed, r.FinalUsed)
	if d := r.FinalUsed - r.MaxMemory; d > r.PeakOvershoot {
		r.PeakOvershoot = d
	}
	stats, err := infoFields(ctl, "stats")
	if err != nil {
		return nil, err
	}
	r.EvictedKeys = infoInt(stats, "evicted_keys") - infoInt(stats0, "evicted_keys")
	if _, n, err := ctl.do("DBSIZE"); err == nil {
		r.DBSize, _ = strconv.ParseInt(string(n), 10, 64)
	}
	if o.expectOOM {
		r.ReadsAfter = readsStillWork(ctl, o.prefix)
	}
	judge(o, r)
	return r, nil
}

// readsStillWork checks, on a full noeviction server, that GET of a stored
// key and DEL still work and that DEL lets a SET through again.
func readsStillWork(c *conn, prefix string) string {
	kind, v, err := c.do("GET", prefix+"0")
	if err != nil || kind != '$' || v == nil {
		return fmt.Sprintf("GET of the first key: %c %q %v", kind, v, err)
	}
	// Free a few hundred keys' worth so the next SET fits.
	for i := range 512 {
		if kind, v, err := c.do("DEL", prefix+strconv.Itoa(i)); err != nil || kind != ':' {
			return fmt.Sprintf("DEL: %c %q %v", kind, v, err)
		}
	}
	if kind, v, err := c.do("SET", prefix+"after-del", "x"); err != nil || kind != '+' {
		return fmt.Sprintf("SET after DEL: %c %q %v", kind, v, err)
	}
	return "ok"
}

func judge(o options, r *result) {
	fail := func(f string, a ...any) { r.Failures = append(r.Failures, fmt.Sprintf(f, a...)) }
	if o.expectOOM {
		for k, n := range r.Errors {
			if k != "OOM" {
				fail("%d %s error replies (first: %s)", n, k, r.FirstError)
			}
		}
		if r.Errors["OOM"] == 0 {
			fail("no -OOM reply: the server never refused a write")
		}
		if r.ReadsAfter != "ok" {
			fail("after OOM: %s", r.ReadsAfter)
		}
	} else if len(r.Errors) > 0 {
		fail("%d error replies (first: %s)", r.Sent-r.OK, r.FirstError)
	}
	if r.PeakOvershoot > o.maxOvershoot {
		fail("used_memory reached %d, %d B above maxmemory (limit %d)", r.PeakUsed, r.PeakOvershoot, o.maxOvershoot)
	}
	if o.pid > 0 && r.PeakRSS > r.RSSBudget {
		fail("peak RSS %d B above the budget %d B", r.PeakRSS, r.RSSBudget)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func printText(r *result) {
	fmt.Printf("server %s: maxmemory %s, policy %s\n", r.Addr, mib(r.MaxMemory), r.Policy)
	fmt.Printf("  wrote %d SETs (%s of values) in %.1f s: %.0f SET/s; %d OK, errors %v\n",
		r.Sent, mib(r.ValueBytes), r.Seconds, r.SetsPerSec, r.OK, r.Errors)
	fmt.Printf("  %d INFO samples: peak used_memory %d (%+d B vs maxmemory, limit +%d), %d samples over\n",
		r.Samples, r.PeakUsed, r.PeakUsed-r.MaxMemory, r.OvershootLimit, r.OverSamples)
	if r.PeakRSS > 0 {
		fmt.Printf("  peak RSS (VmHWM) %s = %.2f × maxmemory (budget %s), final RSS %s\n",
			mib(r.PeakRSS), float64(r.PeakRSS)/float64(r.MaxMemory), mib(r.RSSBudget), mib(r.FinalRSS))
	}
	fmt.Printf("  evicted_keys %d, dbsize %d, final used_memory %d\n", r.EvictedKeys, r.DBSize, r.FinalUsed)
	if r.ReadsAfter != "" {
		fmt.Printf("  GET/DEL after OOM: %s\n", r.ReadsAfter)
	}
	if len(r.Failures) == 0 {
		fmt.Println("  PASS")
	}
	for _, f := range r.Failures {
		fmt.Println("  FAIL:", f)
	}
}
