// Package difftest is the differential harness: it sends the same command
// scripts to a real redis-server and to smallredis and compares the
// replies exactly. Scripts live in testdata/*.txt; every later feature
// adds scripts, not harness code.
//
// Script syntax, one command per line, quoted as redis-cli / inline
// commands are ("a b", 'c', "\x00"):
//
//	# comment
//	set k v              compare the replies exactly
//	@sorted smembers s   compare after sorting array elements (unordered replies)
//	@type ttl k          compare only the reply's type (timing-dependent values)
//	@approx 2 ttl k      integers may differ by at most 2
//	@noreply hello 3     send to both, do not compare (e.g. replies with ids)
//	@proto 3             switch both connections to RESP3 (HELLO 3), not compared
//	@sleep 1100          pause for that many milliseconds
//
// Each script starts on fresh connections after FLUSHALL, in RESP2, db 0.
package difftest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/resp"
)

// Step is one line of a script.
type Step struct {
	Line   int
	Mode   string // "", "sorted", "type", "approx", "noreply", "proto", "sleep"
	Param  int
	Args   []string
	Source string
}

// ParseScript reads a script file.
func ParseScript(path string) ([]Step, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var steps []Step
	for i, line := range strings.Split(string(data), "\n") {
		src := strings.TrimSpace(line)
		if src == "" || strings.HasPrefix(src, "#") {
			continue
		}
		st := Step{Line: i + 1, Source: src}
		rest := src
		if strings.HasPrefix(rest, "@") {
			word, after, _ := strings.Cut(rest, " ")
			st.Mode = word[1:]
			rest = strings.TrimSpace(after)
			switch st.Mode {
			case "approx", "proto", "sleep":
				n, after, _ := strings.Cut(rest, " ")
				if st.Param, err = strconv.Atoi(n); err != nil {
					return nil, fmt.Errorf("%s:%d: bad number %q", path, i+1, n)
				}
				rest = strings.TrimSpace(after)
			case "sorted", "type", "noreply":
			default:
				return nil, fmt.Errorf("%s:%d: unknown directive @%s", path, i+1, st.Mode)
			}
		}
		if rest != "" {
			var p resp.Parser
			args, _, err := p.Parse([]byte(rest + "\n"))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
			}
			for _, a := range args {
				st.Args = append(st.Args, string(a))
			}
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// Conn is a raw RESP connection that returns decoded replies.
type Conn struct {
	c net.Conn
	r *bufio.Reader
}

// Dial connects to addr.
func Dial(addr string) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, r: bufio.NewReaderSize(c, 1<<16)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Do sends one command and reads its reply.
func (c *Conn) Do(args ...string) (resp.Value, error) {
	_ = c.c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.c.Write(resp.AppendRequest(nil, args...)); err != nil {
		return resp.Value{}, err
	}
	return resp.ReadValue(c.r)
}

// Mismatch is one differing reply.
type Mismatch struct {
	Step        Step
	Redis, Ours string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("line %d: %s\n\tredis: %s\n\tours:  %s", m.Step.Line, m.Step.Source, m.Redis, m.Ours)
}

// Run executes steps against both servers and returns the mismatches.
func Run(redisAddr, oursAddr string, steps []Step) ([]Mismatch, error) {
	rc, err := Dial(redisAddr)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	oc, err := Dial(oursAddr)
	if err != nil {
		return nil, err
	}
	defer oc.Close()
	for _, c := range []*Conn{rc, oc} {
		if v, err := c.Do("FLUSHALL"); err != nil || v.Type == '-' {
			return nil, fmt.Errorf("FLUSHALL: %v %v", v, err)
		}
	}
	var out []Mismatch
	for _, st := range steps {
		switch st.Mode {
		case "sleep":
			time.Sleep(time.Duration(st.Param) * time.Millisecond)
			continue
		case "proto":
			for _, c := range []*Conn{rc, oc} {
				if _, err := c.Do("HELLO", strconv.Itoa(st.Param)); err != nil {
					return out, err
				}
			}
			continue
		}
		rv, err := rc.Do(st.Args...)
		if err != nil {
			return out, fmt.Errorf("line %d: redis: %v", st.Line, err)
		}
		ov, err := oc.Do(st.Args...)
		if err != nil {
			return out, fmt.Errorf("line %d: smallredis: %v", st.Line, err)
		}
		if !Same(st, rv, ov) {
			out = append(out, Mismatch{Step: st, Redis: rv.String(), Ours: ov.String()})
		}
	}
	return out, nil
}

// Same compares two replies under the step's mode.
func Same(st Step, a, b resp.Value) bool {
	switch st.Mode {
	case "noreply":
		return true
	case "type":
		return a.Type == b.Type && a.Null == b.Null
	case "approx":
		if a.Type != ':' || b.Type != ':' {
			return a.String() == b.String()
		}
		d := a.Int - b.Int
		return d >= -int64(st.Param) && d <= int64(st.Param)
	case "sorted":
		return sorted(a).String() == sorted(b).String()
	}
	return a.String() == b.String()
}

func sorted(v resp.Value) resp.Value {
	if len(v.Elems) == 0 {
		return v
	}
	el := make([]resp.Value, len(v.Elems))
	for i, e := range v.Elems {
		el[i] = sorted(e)
	}
	if v.Type == '%' {
		// Sort maps by pairs.
		type kv struct{ k, v resp.Value }
		pairs := make([]kv, 0, len(el)/2)
		for i := 0; i+1 < len(el); i += 2 {
			pairs = append(pairs, kv{el[i], el[i+1]})
		}
		sort.Slice(pairs, func(i, j int) bool { return pairs[i].k.String() < pairs[j].k.String() })
		for i, p := range pairs {
			el[2*i], el[2*i+1] = p.k, p.v
		}
	} else {
		sort.Slice(el, func(i, j int) bool { return el[i].String() < el[j].String() })
	}
	v.Elems = el
	return v
}

// Scripts lists the scripts in dir.
func Scripts(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "*.txt"))
}
