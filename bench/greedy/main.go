// Command greedy measures what a client that never reads its replies costs a
// Redis-compatible server: it stores one -value-byte string, then one
// connection sends -gets GETs of it in one write and never reads, while
// -pingers other connections (so that at least one shares the greedy
// client's event loop) PING back to back. It reports:
//
//   - how long the server took to run all the GETs (INFO commandstats
//     cmdstat_get calls, polled) or to close the client at its limit;
//   - the PING latency on the other connections meanwhile (max, p99);
//   - the process's RSS before, at its peak (VmHWM), while the greedy client
//     holds its replies, and after it leaves (until it is back within 10 %
//     of where it started, or -settle passes).
//
// Usage (bench/greedy.sh starts the servers):
//
//	go run ./bench/greedy -addr 127.0.0.1:2345 -pid 1234
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type result struct {
	Gets          int     `json:"gets"`
	ValueBytes    int     `json:"value_bytes"`
	RunSeconds    float64 `json:"run_seconds"` // until every GET ran or the client was closed
	Closed        bool    `json:"closed_by_server"`
	Pings         int     `json:"pings"`
	PingMaxMs     float64 `json:"ping_max_ms"`
	PingP99Ms     float64 `json:"ping_p99_ms"`
	RSSBefore     int64   `json:"rss_before"`
	RSSHeld       int64   `json:"rss_held"` // while the greedy client is connected, after its GETs ran
	PeakRSS       int64   `json:"peak_rss"`
	RSSAfter      int64   `json:"rss_after"`
	SettleSeconds float64 `json:"settle_seconds"` // from the client leaving until RSS is within 10 % of before
	ClientLine    string  `json:"client_list_line,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	pid := flag.Int("pid", 0, "server process id (for RSS)")
	gets := flag.Int("gets", 50, "GETs the greedy client sends")
	value := flag.Int("value", 10<<20, "value size in bytes")
	pingers := flag.Int("pingers", 4, "connections sending PINGs meanwhile")
	hold := flag.Duration("hold", 2*time.Second, "how long the greedy client stays after its GETs ran")
	settle := flag.Duration("settle", 10*time.Second, "how long to wait for RSS to come back")
	jsonOut := flag.Bool("json", false, "print JSON")
	flag.Parse()
	r, err := run(*addr, *pid, *gets, *value, *pingers, *hold, *settle)
	if err != nil {
		fmt.Fprintln(os.Stderr, "greedy:", err)
		os.Exit(1)
	}
	if *jsonOut {
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	mib := func(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
	fmt.Printf("%d × GET of %d bytes: ran in %.2f s (closed by server: %v)\n", r.Gets, r.ValueBytes, r.RunSeconds, r.Closed)
	fmt.Printf("PING on %d other connections: %d pings, max %.1f ms, p99 %.1f ms\n", *pingers, r.Pings, r.PingMaxMs, r.PingP99Ms)
	fmt.Printf("RSS before %s, peak %s, held %s, after %s (back within 10 %% after %.1f s)\n",
		mib(r.RSSBefore), mib(r.PeakRSS), mib(r.RSSHeld), mib(r.RSSAfter), r.SettleSeconds)
	fmt.Println(r.ClientLine)
}

type conn struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

func request(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// do sends one command and returns its reply's first line, or a bulk
// reply's body.
func (c *conn) do(args ...string) (string, error) {
	if _, err := c.c.Write(request(args...)); err != nil {
		return "", err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if line[0] != '$' {
		return strings.TrimSpace(line), nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 0 {
		return "", err
	}
	buf := make([]byte, n+2)
	_, err = io.ReadFull(c.r, buf)
	return string(buf[:n]), err
}

func rss(pid int, field string) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

func getCalls(ctl *conn) (int, error) {
	info, err := ctl.do("INFO", "commandstats")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_get:calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n, nil
		}
	}
	return 0, nil
}

func run(addr string, pid, gets, value, pingers int, hold, settle time.Duration) (*result, error) {
	r := &result{Gets: gets, ValueBytes: value}
	ctl, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer ctl.c.Close()
	if _, err := ctl.do("SET", "greedy:value", strings.Repeat("x", value)); err != nil {
		return nil, err
	}
	if _, err := ctl.do("CONFIG", "RESETSTAT"); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond)
	r.RSSBefore = rss(pid, "VmRSS")

	var stop atomic.Bool
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for range pingers {
		p, err := dial(addr)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.c.Close()
			for !stop.Load() {
				t := time.Now()
				if _, err := p.do("PING"); err != nil {
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t))
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		}()
	}

	g, err := dial(addr)
	if err != nil {
		return nil, err
	}
	if _, err := g.do("CLIENT", "SETNAME", "greedy"); err != nil {
		return nil, err
	}
	var batch []byte
	for range gets {
		batch = append(batch, request("GET", "greedy:value")...)
	}
	start := time.Now()
	if _, err := g.c.Write(batch); err != nil {
		return nil, err
	}
	for {
		n, err := getCalls(ctl)
		if err != nil {
			return nil, err
		}
		list, _ := ctl.do("CLIENT", "LIST")
		line := ""
		for _, l := range strings.Split(list, "\n") {
			if strings.Contains(l, "name=greedy ") {
				line = strings.TrimSpace(l)
			}
		}
		if line == "" {
			r.Closed = true
		}
		if n >= gets || r.Closed {
			r.RunSeconds = time.Since(start).Seconds()
			r.ClientLine = line
			break
		}
		if time.Since(start) > time.Minute {
			return nil, errors.New("GETs did not run within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(hold)
	r.RSSHeld = rss(pid, "VmRSS")
	g.c.Close()
	left := time.Now()
	for {
		time.Sleep(100 * time.Millisecond)
		r.RSSAfter = rss(pid, "VmRSS")
		if r.RSSAfter <= r.RSSBefore*11/10 || time.Since(left) > settle {
			break
		}
	}
	r.SettleSeconds = time.Since(left).Seconds()
	r.PeakRSS = rss(pid, "VmHWM")
	stop.Store(true)
	wg.Wait()
	slices.Sort(lat)
	r.Pings = len(lat)
	if len(lat) > 0 {
		r.PingMaxMs = float64(lat[len(lat)-1].Microseconds()) / 1000
		r.PingP99Ms = float64(lat[len(lat)*99/100].Microseconds()) / 1000
	}
	_, _ = ctl.do("DEL", "greedy:value")
	return r, nil
}
