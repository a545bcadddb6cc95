// Command pubsub measures pub/sub fan-out on a Redis-compatible server: one
// publisher sends -messages PUBLISHes (pipelined -pipeline at a time) of a
// -size byte payload to one channel that -subs subscribers read, and it
// reports the messages delivered per second (subscribers × messages over
// the time from the first PUBLISH until the last subscriber has them all).
//
// With -never-read, one more subscriber subscribes and then never reads:
// the server must disconnect it at its client-output-buffer-limit (pubsub
// class) while the others still get everything, and its memory must stay
// bounded; -pid makes the tool report the server's peak RSS (VmHWM) and
// RSS at the end, and -total sets the bytes published (e.g. 1gb) instead
// of -messages.
//
// Usage (bench/pubsub.sh starts the servers):
//
//	go run ./bench/pubsub -addr 127.0.0.1:2345 -subs 100 -messages 20000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	subs := flag.Int("subs", 100, "subscribers that read")
	messages := flag.Int("messages", 20000, "messages to publish")
	total := flag.String("total", "", "bytes to publish instead of -messages (e.g. 1gb)")
	size := flag.Int("size", 64, "payload bytes")
	pipeline := flag.Int("pipeline", 64, "PUBLISHes in flight")
	neverRead := flag.Bool("never-read", false, "add a subscriber that never reads")
	pid := flag.Int("pid", 0, "server pid, to report its RSS")
	flag.Parse()
	if *total != "" {
		n, err := parseBytes(*total)
		if err != nil {
			fatal(err)
		}
		*messages = int(n / int64(*size))
	}
	const channel = "bench"
	payload := strings.Repeat("x", *size)
	frame := fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(channel), channel, len(payload), payload)
	want := int64(len(frame)) * int64(*messages)

	var slow net.Conn
	if *neverRead {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fatal(err)
		}
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		subscribe(c, channel)
		slow = c
	}
	var wg sync.WaitGroup
	done := make([]time.Time, *subs)
	errs := make(chan error, *subs)
	for i := range *subs {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fatal(err)
		}
		r := subscribe(c, channel)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			buf := make([]byte, 256<<10)
			var got int64
			for got < want {
				_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
				n, err := r.Read(buf)
				got += int64(n)
				if err != nil {
					errs <- fmt.Errorf("subscriber %d: %d of %d bytes: %v", i, got, want, err)
					return
				}
			}
			done[i] = time.Now()
		}()
	}

	pub, err := net.Dial("tcp", *addr)
	if err != nil {
		fatal(err)
	}
	req := fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(channel), channel, len(payload), payload)
	pr := bufio.NewReaderSize(pub, 64<<10)
	var batch []byte
	start := time.Now()
	for sent := 0; sent < *messages; {
		n := min(*pipeline, *messages-sent)
		batch = batch[:0]
		for range n {
			batch = append(batch, req...)
		}
		if _, err := pub.Write(batch); err != nil {
			fatal(err)
		}
		for range n {
			line, err := pr.ReadString('\n')
			if err != nil || line[0] != ':' {
				fatal(fmt.Errorf("PUBLISH reply %q: %v", line, err))
			}
		}
		sent += n
	}
	pubDone := time.Since(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		fatal(err)
	}
	last := start
	for _, t := range done {
		if t.After(last) {
			last = t
		}
	}
	el := max(last.Sub(start), pubDone)
	fmt.Printf("subscribers %d, messages %d of %d B: published in %.2fs, delivered in %.2fs: %.0f messages/s delivered\n",
		*subs, *messages, *size, pubDone.Seconds(), el.Seconds(), float64(*subs)*float64(*messages)/el.Seconds())
	if slow != nil {
		// Whether the server still has it, by its address in CLIENT LIST
		// (what reaches the client after a close depends on the kernel).
		fmt.Printf("never-reading subscriber: disconnected by the server %v\n", !hasClient(*addr, slow.LocalAddr().String()))
	}
	if *pid > 0 {
		hwm, rss := procMem(*pid)
		fmt.Printf("server RSS: peak %d MiB, now %d MiB\n", hwm>>10, rss>>10)
	}
}

// hasClient reports whether CLIENT LIST shows a client from addr.
func hasClient(server, addr string) bool {
	c, err := net.Dial("tcp", server)
	if err != nil {
		fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CLIENT LIST\r\n")
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil || head[0] != '$' {
		fatal(fmt.Errorf("CLIENT LIST: %q %v", head, err))
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		fatal(err)
	}
	return strings.Contains(string(body), "addr="+addr+" ")
}

// subscribe sends SUBSCRIBE and reads its confirmation.
func subscribe(c net.Conn, channel string) *bufio.Reader {
	fmt.Fprintf(c, "*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n", len(channel), channel)
	r := bufio.NewReader(c)
	for range 6 { // *3, $9, subscribe, $n, channel, :1
		if _, err := r.ReadString('\n'); err != nil {
			fatal(err)
		}
	}
	return r
}

// procMem reads VmHWM and VmRSS (KiB) of pid.
func procMem(pid int) (hwm, rss int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = n
		case "VmRSS:":
			rss = n
		}
	}
	return hwm, rss
}

func parseBytes(s string) (int64, error) {
	s = strings.ToLower(s)
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "pubsub:", err)
	os.Exit(1)
}
