package config

import (
	"github.com/smallredis/smallredis/internal/sdsargs"

	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Parameters whose values are lists or flags: each has a parse function
// (args → value as CONFIG GET shows it) and a rewrite function (value →
// redis.conf lines), matching Redis's special configs one for one.

var errWrongArgs = errors.New("wrong number of arguments")

func parseBind(_ string, args []string) (string, int64, error) {
	if len(args) > 16 {
		return "", 0, errors.New("Too many bind addresses specified.")
	}
	if len(args) == 1 && args[0] == "" {
		return "", 0, nil
	}
	return strings.Join(args, " "), 0, nil
}

func rewriteBind(d *directive, val string) []confLine {
	if val == d.def {
		return nil
	}
	if val == "" {
		val = `""`
	}
	return []confLine{{"bind " + val, true}}
}

func parseSave(_ string, args []string) (string, int64, error) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return "", 0, errors.New("Invalid save parameters")
	}
	out := make([]string, len(args))
	for j, a := range args {
		n, ok := strtoll(a)
		if !ok || j%2 == 0 && n < 1 || j%2 == 1 && n < 0 {
			return "", 0, errors.New("Invalid save parameters")
		}
		out[j] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), 0, nil
}

func rewriteSave(_ *directive, val string) []confLine {
	f := strings.Fields(val)
	if len(f) == 0 {
		return []confLine{{`save ""`, true}}
	}
	var out []confLine
	for i := 0; i+1 < len(f); i += 2 {
		out = append(out, confLine{"save " + f[i] + " " + f[i+1], true})
	}
	return out
}

// outputBufferClasses are the client classes of client-output-buffer-limit,
// as CONFIG GET names them.
var outputBufferClasses = []string{"normal", "slave", "pubsub"}

func parseOutputBufferLimit(cur string, args []string) (string, int64, error) {
	if len(args)%4 != 0 {
		return "", 0, errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	vals := strings.Fields(cur) // normal h s sec slave h s sec pubsub h s sec
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch strings.ToLower(args[j]) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		}
		if class < 0 {
			return "", 0, errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, herr := ParseMemory(args[j+1])
		soft, serr := ParseMemory(args[j+2])
		secs, ok := strtoll(args[j+3])
		if herr != nil || serr != nil || !ok || secs < 0 {
			return "", 0, errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		vals[class*4+1] = strconv.FormatInt(hard, 10)
		vals[class*4+2] = strconv.FormatInt(soft, 10)
		vals[class*4+3] = strconv.FormatInt(secs, 10)
	}
	return strings.Join(vals, " "), 0, nil
}

func rewriteOutputBufferLimit(d *directive, val string) []confLine {
	cur, def := strings.Fields(val), strings.Fields(d.def)
	var out []confLine
	for c := range outputBufferClasses {
		class := cur[c*4]
		if class == "slave" {
			class = "replica"
		}
		hard, _ := strconv.ParseInt(cur[c*4+1], 10, 64)
		soft, _ := strconv.ParseInt(cur[c*4+2], 10, 64)
		force := strings.Join(cur[c*4:c*4+4], " ") != strings.Join(def[c*4:c*4+4], " ")
		out = append(out, confLine{fmt.Sprintf("%s %s %s %s %s",
			d.name, class, formatMemoryConf(hard), formatMemoryConf(soft), cur[c*4+3]), force})
	}
	return out
}

func parseOOMScoreAdjValues(_ string, args []string) (string, int64, error) {
	if len(args) != 3 {
		return "", 0, errWrongArgs
	}
	out := make([]string, 3)
	for i, a := range args {
		n, ok := strtoll(a)
		if !ok || n < -2000 || n > 2000 {
			return "", 0, errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), 0, nil
}

func rewriteOOMScoreAdjValues(d *directive, val string) []confLine {
	return []confLine{{d.name + " " + val, val != d.def}}
}

func parsePercentiles(_ string, args []string) (string, int64, error) {
	if len(args) == 1 && args[0] == "" {
		return "", 0, nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || a == "" || sdsargs.IsSpace(a[0]) || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", 0, errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if f < 0 || f > 100 {
			return "", 0, errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		// Redis prints "%f" and trims trailing zeros.
		s := strconv.FormatFloat(f, 'f', 6, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		out[i] = s
	}
	return strings.Join(out, " "), 0, nil
}

func rewritePercentiles(d *directive, val string) []confLine {
	if val == "" {
		val = `""`
	}
	return []confLine{{d.name + " " + val, true}}
}

// Keyspace notification classes, as notify-keyspace-events spells them.
const (
	notifyKeyspace = 1 << iota // K
	notifyKeyevent             // E
	notifyGeneric              // g
	notifyString               // $
	notifyList                 // l
	notifySet                  // s
	notifyHash                 // h
	notifyZset                 // z
	notifyExpired              // x
	notifyEvicted              // e
	notifyStream               // t
	notifyKeyMiss              // m
	notifyModule               // d
	notifyNew                  // n
	notifyAll      = notifyGeneric | notifyString | notifyList | notifySet | notifyHash |
		notifyZset | notifyExpired | notifyEvicted | notifyStream | notifyModule // A
)

// notifyOrder is the order Redis prints the classes in (after "A" or not).
var notifyOrder = []struct {
	c    byte
	flag int64
}{
	{'g', notifyGeneric}, {'$', notifyString}, {'l', notifyList}, {'s', notifySet},
	{'h', notifyHash}, {'z', notifyZset}, {'x', notifyExpired}, {'e', notifyEvicted},
	{'t', notifyStream}, {'d', notifyModule}, {'n', notifyNew},
}

func parseNotify(_ string, args []string) (string, int64, error) {
	var flags int64
	for i := 0; i < len(args[0]); i++ {
		switch args[0][i] {
		case 'A':
			flags |= notifyAll
		case 'K':
			flags |= notifyKeyspace
		case 'E':
			flags |= notifyKeyevent
		case 'm':
			flags |= notifyKeyMiss
		default:
			f := int64(0)
			for _, o := range notifyOrder {
				if o.c == args[0][i] {
					f = o.flag
				}
			}
			if f == 0 {
				return "", 0, errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
			flags |= f
		}
	}
	// Like Redis, "A" hides n even when it is set.
	var b []byte
	if flags&notifyAll == notifyAll {
		b = append(b, 'A')
	} else {
		for _, o := range notifyOrder {
			if flags&o.flag != 0 {
				b = append(b, o.c)
			}
		}
	}
	if flags&notifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if flags&notifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if flags&notifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b), flags, nil
}

func rewriteNotify(d *directive, val string) []confLine {
	return []confLine{{d.name + " " + repr(val), val != ""}}
}

func parseReplicaOf(_ string, args []string) (string, int64, error) {
	if len(args) != 2 {
		return "", 0, errWrongArgs
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return "", 0, nil
	}
	port, ok := strtoll(args[1])
	if !ok || port < 0 || port > 65535 {
		return "", 0, errors.New("Invalid master port")
	}
	return args[0] + " " + strconv.FormatInt(port, 10), 0, nil
}

func rewriteReplicaOf(d *directive, val string) []confLine {
	if val == "" {
		return nil
	}
	return []confLine{{d.name + " " + val, true}}
}

// parseDir checks that the directory exists, as Redis's chdir does, and
// stores it as an absolute path; a relative path is taken from the current
// dir value, as successive chdirs would. Nothing here changes the process's
// working directory: users of Dir join it to their file names.
func parseDir(cur string, args []string) (string, int64, error) {
	p := args[0]
	if !filepath.IsAbs(p) && cur != "" {
		p = filepath.Join(cur, p)
	}
	p, err := filepath.Abs(p)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(p); err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
	}
	if err != nil {
		return "", 0, errors.New(strerror(err))
	}
	return p, 0, nil
}

func rewriteDir(d *directive, val string) []confLine {
	return []confLine{{d.name + " " + repr(val), true}}
}

// shutdownFlags are the names shutdown-on-sigint/sigterm accept, in the
// order Redis lists them; "default" is no flag.
var shutdownFlags = []string{"default", "save", "nosave", "now", "force"}

func parseShutdownFlags(_ string, args []string) (string, int64, error) {
	if len(args) == 0 {
		args = []string{""}
	}
	var flags int64
	for _, a := range args {
		i := 0
		for i < len(shutdownFlags) && !strings.EqualFold(a, shutdownFlags[i]) {
			i++
		}
		if i == len(shutdownFlags) {
			return "", 0, errors.New("argument(s) must be one of the following: " + strings.Join(shutdownFlags, ", "))
		}
		if i > 0 {
			flags |= 1 << (i - 1)
		}
	}
	if flags&3 == 3 {
		return "", 0, errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	if flags == 0 {
		return "default", 0, nil
	}
	var names []string
	for i, n := range shutdownFlags[1:] {
		if flags&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, " "), flags, nil
}

var procTitleVars = map[string]bool{
	"title": true, "listen-addr": true, "server-mode": true, "port": true,
	"tls-port": true, "unixsocket": true, "config-file": true,
}

func checkProcTitleTemplate(v string) error {
	bad := errors.New("template format is invalid or contains unknown variables")
	if strings.TrimSpace(v) == "" {
		return bad
	}
	for p := v; ; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			return nil
		}
		p = p[i+1:]
		if p == "" {
			return bad
		}
		if p[0] == '{' { // "{{" is a literal brace
			p = p[1:]
			continue
		}
		j := strings.IndexByte(p, '}')
		if j < 0 || !procTitleVars[p[:j]] {
			return bad
		}
		p = p[j+1:]
	}
}

func checkHostname(v string) error {
	if len(v) >= 256 {
		return errors.New("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// checkActiveDefrag refuses activedefrag yes as a Redis built without its own
// jemalloc does (Debian's, which the differential tests run against): there
// is nothing here to defragment.
func checkActiveDefrag(v string) error {
	if v == "yes" {
		return errors.New("Active defragmentation cannot be enabled: it requires a Redis server compiled " +
			"with a modified Jemalloc like the one shipped by default with the Redis source distribution")
	}
	return nil
}

// strtoll reads an integer the lenient way C's strtoll does where Redis
// uses it (save, buffer limits, ports): leading blanks and a sign are fine,
// an empty string is 0, trailing junk is not; out-of-range values saturate.
func strtoll(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" {
		return 0, s == ""
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		n = math.MaxUint64 // only a range error is left
	}
	switch {
	case neg && n >= 1<<63:
		return math.MinInt64, true
	case neg:
		return -int64(n), true
	case n > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(n), true
}

// strerror renders an OS error the way C's strerror does ("No such file or
// directory"), which is what Redis puts in its replies.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// parseRedisVersion accepts a version as Redis prints its own: three
// dot-separated numbers.
func parseRedisVersion(_ string, args []string) (string, int64, error) {
	v := args[0]
	parts := strings.Split(v, ".")
	ok := len(parts) == 3
	for _, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 255 || p != strconv.Itoa(n) {
			ok = false
		}
	}
	if !ok {
		return "", 0, errors.New("argument must be a version such as 7.4.0")
	}
	return v, 0, nil
}

// checkPprofAddr accepts pprof-addr: a port, or host:port.
func checkPprofAddr(v string) error {
	if v == "" {
		return nil
	}
	host, port := "", v
	if strings.Contains(v, ":") {
		var err error
		if host, port, err = net.SplitHostPort(v); err != nil {
			return errors.New("argument must be a port or host:port")
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || host != "" && strings.ContainsAny(host, " /") {
		return errors.New("argument must be a port or host:port")
	}
	return nil
}
