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
//	@shape latency latest
//	                     compare the reply's shape: types, nulls and lengths
//	                     at every level, and its strings; numbers (times,
//	                     latencies, counts) may differ
//	@approx 2 ttl k      integers may differ by at most 2
//	@fields cmd,qbuf client info
//	                     compare only these key=value fields of each line
//	                     of a CLIENT LIST/INFO-style reply
//	@noreply hello 3     send to both, do not compare (e.g. replies with ids)
//	@proto 3             switch the connection to RESP3 (HELLO 3), not compared
//	@sleep 1100          pause for that many milliseconds
//	@info rdb_changes_since_last_save
//	                     compare how much an INFO field changed since the
//	                     previous @info of that field (the first sets the
//	                     baseline): server-wide counters differ in absolute
//	                     value, their steps must not
//	@needs eval          skip the rest of the script (Run returns a
//	                     *MissingError) when smallredis does not know the
//	                     command yet: scripts for a feature still in review
//
// Several connections: a line may start with a connection name and ">"
// ("B> get k"); lines without one run on connection A. A named connection
// is opened on first use (RESP2, db 0) on both servers, so it is a second
// client of each. For commands that block (CLIENT PAUSE, DEBUG SLEEP,
// later BLPOP):
//
//	B> @send set k v     send without reading the reply; it stays pending
//	B> @blocked 100      compare whether a reply arrived within 100 ms
//	                     (default 100), without reading it: "still blocked"
//	B> @recv             read the oldest pending reply (waiting up to 5 s,
//	                     or the given ms: "@recv 2000") and compare it
//
// Client-side caching's RESP3 pushes (invalidate, tracking-redir-broken)
// are not replies: whenever a reply is read, those before it are set
// aside (other pushes, such as pub/sub's, are read as replies), and
//
//	A> @pushes           waits up to 50 ms (or "@pushes 200") for more, then
//	                     compares every push set aside on A since the last
//	                     @pushes, in order, and forgets them
//
// An argument "$id:B" stands for connection B's client ID on each server
// (CLIENT TRACKING … REDIRECT $id:B).
//
// A connection the server closed (CLIENT KILL, QUIT) replies
// "(connection closed)" from then on, which is compared like a reply.
// After the last line, every connection must have read all it was sent
// (a message nobody @recv'd puts each later line of its connection out of
// step): unread replies on one server only are a mismatch, on both an
// error in the script.
// Each script starts on fresh connections after FLUSHALL, in RESP2, db 0.
package difftest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/smallredis/smallredis/internal/resp"
)

// Step is one line of a script.
type Step struct {
	Line   int
	Conn   string // the connection it runs on: "A" unless the line names one
	Mode   string // "", "sorted", "type", "shape", "approx", "fields", "noreply", "proto", "sleep", "info", "send", "recv", "blocked", "pushes"
	Param  int
	Fields []string // @fields' field names
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
		st := Step{Line: i + 1, Source: src, Conn: "A"}
		rest := src
		if name, after, ok := strings.Cut(rest, ">"); ok && isConnName(name) && (after == "" || after[0] == ' ') {
			st.Conn, rest = name, strings.TrimSpace(after)
		}
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
			case "recv", "blocked", "pushes":
				st.Param = map[string]int{"recv": 5000, "blocked": 100, "pushes": 50}[st.Mode]
				if rest != "" {
					if st.Param, err = strconv.Atoi(rest); err != nil {
						return nil, fmt.Errorf("%s:%d: bad number %q", path, i+1, rest)
					}
					rest = ""
				}
			case "fields":
				names, after, _ := strings.Cut(rest, " ")
				st.Fields = strings.Split(names, ",")
				rest = strings.TrimSpace(after)
			case "sorted", "type", "shape", "noreply", "send", "info", "needs":
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
		switch {
		case st.Mode == "info" && len(st.Args) != 1:
			return nil, fmt.Errorf("%s:%d: @info takes one INFO field name", path, i+1)
		case st.Mode == "needs" && len(st.Args) != 1:
			return nil, fmt.Errorf("%s:%d: @needs takes one command name", path, i+1)
		case st.Mode != "proto" && st.Mode != "sleep" && st.Mode != "recv" && st.Mode != "blocked" && st.Mode != "pushes" && len(st.Args) == 0:
			return nil, fmt.Errorf("%s:%d: no command", path, i+1)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// isConnName reports whether s can name a connection: a short word of
// letters, digits and underscores.
func isConnName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Conn is a raw RESP connection that returns decoded replies.
type Conn struct {
	c      net.Conn
	r      *bufio.Reader
	closed bool         // the server closed it: every later reply is "(connection closed)"
	pushes []resp.Value // RESP3 pushes read before replies, for @pushes
	ahead  []resp.Value // replies read while looking for pushes, returned first
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
	if err := c.Send(args...); err != nil {
		return resp.Value{}, err
	}
	return c.Recv(20 * time.Second)
}

// Send sends one command without reading its reply.
func (c *Conn) Send(args ...string) error {
	if c.closed {
		return nil
	}
	_ = c.c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	_, err := c.c.Write(resp.AppendRequest(nil, args...))
	if isClosed(err) {
		c.closed = true
		return nil
	}
	return err
}

// Recv reads the next reply, waiting up to d.
func (c *Conn) Recv(d time.Duration) (resp.Value, error) {
	if c.closed {
		return closedValue, nil
	}
	if len(c.ahead) > 0 {
		v := c.ahead[0]
		c.ahead = c.ahead[1:]
		return v, nil
	}
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	for {
		v, err := resp.ReadValue(c.r)
		if isClosed(err) {
			c.closed = true
			return closedValue, nil
		}
		if err == nil && isAside(v) {
			c.pushes = append(c.pushes, v)
			continue
		}
		return v, err
	}
}

// isAside reports whether v is a push of client-side caching, which the
// scripts compare with @pushes rather than as a reply.
func isAside(v resp.Value) bool {
	if v.Type != '>' || len(v.Elems) == 0 {
		return false
	}
	k := v.Elems[0].Str
	return k == "invalidate" || k == "tracking-redir-broken"
}

// Pushes waits up to d for push messages and returns those set aside so
// far, forgetting them. A reply arriving meanwhile is returned among them:
// nobody asked for it.
func (c *Conn) Pushes(d time.Duration) ([]resp.Value, error) {
	deadline := time.Now().Add(d)
	for !c.closed {
		_ = c.c.SetReadDeadline(deadline)
		if _, err := c.r.Peek(1); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if isClosed(err) {
				c.closed = true
				break
			}
			return nil, err
		}
		v, err := resp.ReadValue(c.r)
		if err != nil {
			return nil, err
		}
		c.pushes = append(c.pushes, v)
	}
	out := c.pushes
	c.pushes = nil
	return out, nil
}

// Waiting reports whether no reply has arrived within d (the command
// before is still blocked), without consuming one.
func (c *Conn) Waiting(d time.Duration) (bool, error) {
	if c.closed {
		return false, nil
	}
	if len(c.ahead) > 0 {
		return false, nil
	}
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	b, err := c.r.Peek(1)
	for err == nil && b[0] == '>' {
		// A tracking push is not the reply waited for.
		var v resp.Value
		if v, err = resp.ReadValue(c.r); err == nil {
			if !isAside(v) {
				c.ahead = append(c.ahead, v)
				return false, nil
			}
			c.pushes = append(c.pushes, v)
			b, err = c.r.Peek(1)
		}
	}
	var ne net.Error
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &ne) && ne.Timeout():
		return true, nil
	case isClosed(err):
		c.closed = true
		return false, nil
	}
	return false, err
}

// closedValue stands for the replies of a connection the server closed.
var closedValue = resp.Value{Type: '-', Str: "(connection closed)"}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// Mismatch is one differing reply.
type Mismatch struct {
	Step        Step
	Redis, Ours string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("line %d: %s\n\tredis: %s\n\tours:  %s", m.Step.Line, m.Step.Source, m.Redis, m.Ours)
}

// pair is one named connection to each server.
type pair struct{ redis, ours *Conn }

// Run executes steps against both servers and returns the mismatches.
func Run(redisAddr, oursAddr string, steps []Step) (out []Mismatch, err error) {
	conns := map[string]*pair{}
	defer func() {
		for _, p := range conns {
			p.redis.Close()
			p.ours.Close()
		}
	}()
	conn := func(name string) (*pair, error) {
		if p := conns[name]; p != nil {
			return p, nil
		}
		rc, err := Dial(redisAddr)
		if err != nil {
			return nil, err
		}
		oc, err := Dial(oursAddr)
		if err != nil {
			rc.Close()
			return nil, err
		}
		p := &pair{rc, oc}
		conns[name] = p
		return p, nil
	}
	a, err := conn("A")
	if err != nil {
		return nil, err
	}
	for _, c := range []*Conn{a.redis, a.ours} {
		if v, err := c.Do("FLUSHALL"); err != nil || v.Type == '-' {
			return nil, fmt.Errorf("FLUSHALL: %v %v", v, err)
		}
	}
	// ids caches "$id:NAME" arguments: the named connection's CLIENT ID on
	// redis (0) and on ours (1).
	ids := map[string][2]string{}
	subst := func(args []string, side int) ([]string, error) {
		var out []string
		for i, a := range args {
			name, ok := strings.CutPrefix(a, "$id:")
			if !ok {
				continue
			}
			id, ok := ids[name]
			if !ok {
				q, err := conn(name)
				if err != nil {
					return nil, err
				}
				for j, c := range []*Conn{q.redis, q.ours} {
					v, err := c.Do("CLIENT", "ID")
					if err != nil {
						return nil, err
					}
					id[j] = strconv.FormatInt(v.Int, 10)
				}
				ids[name] = id
			}
			if out == nil {
				out = append([]string(nil), args...)
			}
			out[i] = id[side]
		}
		if out == nil {
			return args, nil
		}
		return out, nil
	}
	type base struct{ redis, ours int64 }
	infoBase := map[string]base{}
	for _, st := range steps {
		if st.Mode == "sleep" {
			time.Sleep(time.Duration(st.Param) * time.Millisecond)
			continue
		}
		p, err := conn(st.Conn)
		if err != nil {
			return out, fmt.Errorf("line %d: %v", st.Line, err)
		}
		both := func(what string, f func(c *Conn) error) error {
			if err := f(p.redis); err != nil {
				return fmt.Errorf("line %d: redis: %s: %v", st.Line, what, err)
			}
			if err := f(p.ours); err != nil {
				return fmt.Errorf("line %d: smallredis: %s: %v", st.Line, what, err)
			}
			return nil
		}
		var rv, ov resp.Value
		switch st.Mode {
		case "proto":
			if err := both("HELLO", func(c *Conn) error { _, err := c.Do("HELLO", strconv.Itoa(st.Param)); return err }); err != nil {
				return out, err
			}
			continue
		case "send":
			if err := both("send", func(c *Conn) error { return c.Send(st.Args...) }); err != nil {
				return out, err
			}
			continue
		case "blocked":
			var r, o bool
			if r, err = p.redis.Waiting(time.Duration(st.Param) * time.Millisecond); err == nil {
				o, err = p.ours.Waiting(time.Duration(st.Param) * time.Millisecond)
			}
			if err != nil {
				return out, fmt.Errorf("line %d: %v", st.Line, err)
			}
			if r != o {
				out = append(out, Mismatch{Step: st, Redis: "blocked " + strconv.FormatBool(r), Ours: "blocked " + strconv.FormatBool(o)})
			}
			continue
		case "pushes":
			d := time.Duration(st.Param) * time.Millisecond
			var r, o []resp.Value
			if r, err = p.redis.Pushes(d); err == nil {
				o, err = p.ours.Pushes(d)
			}
			if err != nil {
				return out, fmt.Errorf("line %d: %v", st.Line, err)
			}
			rs, ours := pushList(r), pushList(o)
			if rs != ours {
				out = append(out, Mismatch{Step: st, Redis: rs, Ours: ours})
			}
			continue
		case "recv":
			d := time.Duration(st.Param) * time.Millisecond
			if rv, err = p.redis.Recv(d); err != nil {
				return out, fmt.Errorf("line %d: redis: %v", st.Line, err)
			}
			if ov, err = p.ours.Recv(d); err != nil {
				return out, fmt.Errorf("line %d: smallredis: %v", st.Line, err)
			}
		case "needs":
			v, err := p.ours.Do("COMMAND", "INFO", st.Args[0])
			if err != nil {
				return out, fmt.Errorf("line %d: smallredis: %v", st.Line, err)
			}
			if len(v.Elems) != 1 || v.Elems[0].Null {
				return out, &MissingError{Command: st.Args[0]}
			}
			continue
		case "info":
			field := st.Args[0]
			var r, o int64
			if r, err = infoInt(p.redis, field); err != nil {
				return out, fmt.Errorf("line %d: redis: %v", st.Line, err)
			}
			if o, err = infoInt(p.ours, field); err != nil {
				return out, fmt.Errorf("line %d: smallredis: %v", st.Line, err)
			}
			if b, ok := infoBase[field]; ok && r-b.redis != o-b.ours {
				out = append(out, Mismatch{Step: st, Redis: fmt.Sprintf("%+d", r-b.redis), Ours: fmt.Sprintf("%+d", o-b.ours)})
			}
			infoBase[field] = base{r, o}
			continue
		default:
			ra, err := subst(st.Args, 0)
			if err != nil {
				return out, fmt.Errorf("line %d: %v", st.Line, err)
			}
			oa, err := subst(st.Args, 1)
			if err != nil {
				return out, fmt.Errorf("line %d: %v", st.Line, err)
			}
			if rv, err = p.redis.Do(ra...); err != nil {
				return out, fmt.Errorf("line %d: redis: %v", st.Line, err)
			}
			if ov, err = p.ours.Do(oa...); err != nil {
				return out, fmt.Errorf("line %d: smallredis: %v", st.Line, err)
			}
		}
		if !Same(st, rv, ov) {
			out = append(out, Mismatch{Step: st, Redis: rv.String(), Ours: ov.String()})
		}
	}
	if len(steps) == 0 {
		return out, nil
	}
	return unread(out, conns, steps[len(steps)-1].Line+1)
}

// unread checks, once a script has run, that no connection has replies or
// messages it did not read. A message left unread makes every later line of
// its connection take an older message for its reply: the script compares
// whatever happens to line up, and a command's reply no longer shows that
// it ran, so the lines after it race it. line is where the check is
// reported (after the last line).
func unread(out []Mismatch, conns map[string]*pair, line int) ([]Mismatch, error) {
	names := make([]string, 0, len(conns))
	for name := range conns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := conns[name]
		r, err := p.redis.Unread(unreadWait)
		if err != nil {
			return out, fmt.Errorf("end of script: %s: redis: %v", name, err)
		}
		o, err := p.ours.Unread(unreadWait)
		if err != nil {
			return out, fmt.Errorf("end of script: %s: smallredis: %v", name, err)
		}
		switch {
		case r && o:
			return out, fmt.Errorf("end of script: connection %s has replies or messages the script did not read, on both servers: its lines are out of step with what they compare", name)
		case r != o:
			st := Step{Line: line, Conn: name, Source: name + "> (end of script)"}
			out = append(out, Mismatch{Step: st, Redis: "unread " + strconv.FormatBool(r), Ours: "unread " + strconv.FormatBool(o)})
		}
	}
	return out, nil
}

// unreadWait is how long the end-of-script check waits for a reply still
// in flight.
const unreadWait = 5 * time.Millisecond

// Unread reports whether a reply or message arrives within d that nobody
// read (tracking pushes set aside for @pushes do not count).
func (c *Conn) Unread(d time.Duration) (bool, error) {
	if c.closed {
		return false, nil
	}
	waiting, err := c.Waiting(d)
	return !waiting && !c.closed, err
}

// MissingError is Run's answer to "@needs cmd" when smallredis lacks cmd.
type MissingError struct{ Command string }

func (e *MissingError) Error() string { return "smallredis has no " + e.Command + " command yet" }

func pushList(vs []resp.Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// infoInt reads an integer field of INFO.
func infoInt(c *Conn, field string) (int64, error) {
	v, err := c.Do("INFO", "everything")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(v.Str, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(val, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO has no field %q", field)
}

// Same compares two replies under the step's mode.
func Same(st Step, a, b resp.Value) bool {
	switch st.Mode {
	case "noreply":
		return true
	case "type":
		return a.Type == b.Type && a.Null == b.Null
	case "shape":
		return sameShape(a, b)
	case "approx":
		if a.Type != ':' || b.Type != ':' {
			return a.String() == b.String()
		}
		d := a.Int - b.Int
		return d >= -int64(st.Param) && d <= int64(st.Param)
	case "sorted":
		return sorted(a).String() == sorted(b).String()
	case "fields":
		return a.Type == b.Type && pickFields(a.Str, st.Fields) == pickFields(b.Str, st.Fields)
	}
	return a.String() == b.String()
}

// pickFields keeps, line by line, the named key=value fields of s.
func pickFields(s string, names []string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var kept []string
		for _, f := range strings.Fields(line) {
			k, _, _ := strings.Cut(f, "=")
			if slices.Contains(names, k) {
				kept = append(kept, f)
			}
		}
		out = append(out, strings.Join(kept, " "))
	}
	return strings.Join(out, "\n")
}

// sameShape reports whether a and b have the same types, nulls and lengths
// at every level and the same strings, whatever their numbers.
func sameShape(a, b resp.Value) bool {
	if a.Type != b.Type || a.Null != b.Null || len(a.Elems) != len(b.Elems) {
		return false
	}
	switch a.Type {
	case ':', ',', '(':
	default:
		if a.Str != b.Str {
			return false
		}
	}
	for i := range a.Elems {
		if !sameShape(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
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
