// Command scale loads a Redis-compatible server with string keys named as
// redis-benchmark names them with -r (key:%012d), so that a later
// `redis-benchmark -t get -r N` hits every key: SET key:<from> … key:<n-1>
// with -size byte values, pipelined over -conns connections.
//
// DEBUG POPULATE would be faster, but its keys are key:<n> without the
// zero padding redis-benchmark uses, so its GETs would all miss.
//
// Usage (bench/scale.sh runs it):
//
//	go run ./bench/scale -addr 127.0.0.1:2345 -keys 10000000 [-from 10000]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	keys := flag.Int("keys", 1000000, "load keys up to key:<keys-1>")
	from := flag.Int("from", 0, "first key to load (those below are assumed loaded)")
	size := flag.Int("size", 64, "value size in bytes")
	conns := flag.Int("conns", 4, "connections")
	pipeline := flag.Int("pipeline", 1000, "SETs in flight per connection")
	flag.Parse()

	start := time.Now()
	val := bytes.Repeat([]byte("x"), *size)
	errs := make(chan error, *conns)
	var wg sync.WaitGroup
	for c := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := load(*addr, *from+c, *keys, *conns, *pipeline, val); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
	n := max(*keys-*from, 0)
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "loaded %d keys in %.1f s (%.0f k/s)\n", n, d.Seconds(), float64(n)/d.Seconds()/1000)
}

// load SETs keys first, first+step, … below end, pipelining batches of
// pipeline commands and checking every reply is +OK.
func load(addr string, first, end, step, pipeline int, val []byte) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	w := bufio.NewWriterSize(nc, 256<<10)
	r := bufio.NewReaderSize(nc, 64<<10)
	var key []byte
	for i := first; i < end; {
		sent := 0
		for ; sent < pipeline && i < end; i += step {
			key = fmt.Appendf(key[:0], "key:%012d", i)
			fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%s\r\n", len(key), key, strconv.Itoa(len(val)))
			w.Write(val)
			w.WriteString("\r\n")
			sent++
		}
		if err := w.Flush(); err != nil {
			return err
		}
		for range sent {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return err
			}
			if string(line) != "+OK\r\n" {
				return fmt.Errorf("SET: %q", line)
			}
		}
	}
	return nil
}
