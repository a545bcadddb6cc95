// Command parse measures how a Redis-compatible server copes with requests
// that are large or slow to arrive, one case per run (bench/parse.sh runs
// each against redis-server and smallredis):
//
//   - manyargs: one request of -n one-byte arguments (ECHO x x …, refused
//     for its arity once parsed): the time from its first byte sent to the
//     reply, and the longest PING stall seen by -probes other clients;
//   - del: DEL of -n keys (that exist, set first), timed the same way;
//   - bigvalue: SET of one -size byte value, timed the same way;
//   - trickle: -conns clients each send a -prefill byte partial multibulk,
//     then one more argument every -interval, never finishing it, for
//     -seconds; reports the server's CPU use (from /proc/-pid/stat) and the
//     PING latency (p50, p99, max) of another client pinging every 10 ms.
//
// Output is one line of key=value pairs.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	mode := flag.String("case", "manyargs", "manyargs, del, bigvalue or trickle")
	n := flag.Int("n", 4_000_000, "arguments (manyargs) or keys (del)")
	size := flag.Int("size", 300<<20, "value size (bigvalue)")
	probes := flag.Int("probes", 4, "PING clients watching for stalls")
	conns := flag.Int("conns", 20, "trickling clients")
	prefill := flag.Int("prefill", 1<<20, "bytes each trickling client sends at once")
	interval := flag.Duration("interval", 250*time.Millisecond, "one 7-byte argument per client this often")
	seconds := flag.Int("seconds", 10, "trickle duration")
	pid := flag.Int("pid", 0, "server pid (trickle CPU)")
	flag.Parse()
	var err error
	switch *mode {
	case "manyargs":
		req := fmt.Appendf(nil, "*%d\r\n$4\r\nECHO\r\n", *n)
		for i := 1; i < *n; i++ {
			req = append(req, "$1\r\nx\r\n"...)
		}
		err = timed(*addr, req, *probes)
	case "del":
		err = del(*addr, *n, *probes)
	case "bigvalue":
		req := fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", *size)
		req = append(req, make([]byte, *size)...)
		req = append(req, "\r\n"...)
		err = timed(*addr, req, *probes)
	case "trickle":
		err = trickle(*addr, *conns, *prefill, *interval, time.Duration(*seconds)*time.Second, *pid)
	default:
		err = fmt.Errorf("unknown case %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parse:", err)
		os.Exit(1)
	}
}

// timed sends req on one connection and reports how long until its reply,
// and the longest PING round trip the probe clients saw meanwhile.
func timed(addr string, req []byte, probes int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := make(chan struct{})
	maxStall := startProbes(addr, probes, stop)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	go func() { _, _ = c.Write(req) }()
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Minute))
	line, err := r.ReadString('\n')
	took := time.Since(start)
	close(stop)
	if err != nil {
		return err
	}
	fmt.Printf("seconds=%.3f max_ping_ms=%.1f reply=%q\n", took.Seconds(), float64(maxStall())/1e6, strings.TrimSpace(line))
	return nil
}

// startProbes runs PING clients in a loop until stop is closed; the
// returned function waits for them and gives the longest round trip.
func startProbes(addr string, n int, stop chan struct{}) func() time.Duration {
	var wg sync.WaitGroup
	var worst atomic.Int64
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				c.Write([]byte("PING\r\n"))
				c.SetReadDeadline(time.Now().Add(time.Minute))
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
				if d := int64(time.Since(t0)); d > worst.Load() {
					worst.Store(d)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	return func() time.Duration { wg.Wait(); return time.Duration(worst.Load()) }
}

// del sets n keys, then times one DEL of all of them.
func del(addr string, n, probes int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	r := bufio.NewReader(c)
	w := bufio.NewWriterSize(c, 1<<16)
	go func() {
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$10\r\n%010d\r\n$1\r\nv\r\n", i)
		}
		w.Flush()
	}()
	for i := 0; i < n; i++ {
		if _, err := r.ReadString('\n'); err != nil {
			return err
		}
	}
	c.Close()
	req := fmt.Appendf(nil, "*%d\r\n$3\r\nDEL\r\n", n+1)
	for i := 0; i < n; i++ {
		req = fmt.Appendf(req, "$10\r\n%010d\r\n", i)
	}
	return timed(addr, req, probes)
}

// trickle holds conns unfinished multibulks open, growing slowly, and
// measures the server's CPU and another client's PING latency.
func trickle(addr string, conns, prefill int, interval, dur time.Duration, pid int) error {
	head := []byte("*2000000000\r\n$4\r\nECHO\r\n")
	fill := slices.Repeat([]byte("$1\r\nx\r\n"), prefill/7)
	var cs []net.Conn
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write(append(head, fill...)); err != nil {
			return err
		}
		cs = append(cs, c)
	}
	time.Sleep(time.Second) // let the prefill land
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent atomic.Int64
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the clients over the interval.
			time.Sleep(interval * time.Duration(i) / time.Duration(len(cs)))
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				if _, err := c.Write([]byte("$1\r\nx\r\n")); err != nil {
					return
				}
				sent.Add(7)
			}
		}()
	}
	p, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer p.Close()
	pr := bufio.NewReader(p)
	cpu0 := cpuTicks(pid)
	start := time.Now()
	var lat []time.Duration
	for time.Since(start) < dur {
		t0 := time.Now()
		p.Write([]byte("PING\r\n"))
		p.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := pr.ReadString('\n'); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cpu1 := cpuTicks(pid)
	close(stop)
	wg.Wait()
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / 1e6 }
	cpu := float64(cpu1-cpu0) / 100 / elapsed.Seconds() * 100 // USER_HZ is 100
	fmt.Printf("cpu_pct=%.1f bytes_per_s=%.0f ping_p50_ms=%.2f ping_p99_ms=%.2f ping_max_ms=%.2f pings=%d\n",
		cpu, float64(sent.Load())/elapsed.Seconds(), q(0.5), q(0.99), q(1), len(lat))
	return nil
}

// cpuTicks is utime+stime of pid in clock ticks, or 0 without a pid.
func cpuTicks(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}
