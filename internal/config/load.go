package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/smallredis/smallredis/internal/acl"
)

// CompatVersion is the Redis version whose configuration this package
// follows; it appears in fatal configuration errors as Redis prints them.
const CompatVersion = "7.0.15"

// ParseError is a fatal error in the configuration file or command line.
// Its message reproduces Redis's, for example:
//
//	*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
//	Reading the configuration file /etc/redis.conf, at line 3
//	>>> 'foo bar'
//	Bad directive or wrong number of arguments
type ParseError struct {
	File   string // configuration file, or "" for the command line
	Line   int    // 1-based line in File, or position in the arguments of the --directive
	Text   string // the offending line, as Redis quotes it
	Reason string // Redis's reason
}

func (e *ParseError) Error() string {
	where := "Reading the configuration file " + e.File + fmt.Sprintf(", at line %d", e.Line)
	if e.File == "" {
		where = fmt.Sprintf("Reading the command line, at argument %d", e.Line)
	}
	return fmt.Sprintf("*** FATAL CONFIG FILE ERROR (Redis %s) ***\n%s\n>>> '%s'\n%s",
		CompatVersion, where, e.Text, e.Reason)
}

// Parse builds the configuration from redis-server style arguments (without
// the program name): an optional configuration file path first (any first
// argument not starting with "-"), then "--directive value…" overrides,
// which are applied after the file and so win over it. A directive's values
// run until the next argument starting with "--", except that a directive
// always takes the argument right after it ("--requirepass --x" sets the
// password "--x"); "--save" directly followed by another "--" option or by
// nothing means `save ""`. "--port 6380" given as one argument also works.
//
// As with redis-server, a first argument of -v or --version returns
// ErrVersion and -h or --help returns ErrHelp (elsewhere they are just
// unknown directives); the caller prints what it wants and exits. Reading the
// configuration from standard input ("-") is not supported.
//
// In the file, as in redis.conf: one directive per line, names
// case-insensitive, '#' starts a comment line, values may be quoted with
// "…" (escapes \n \r \t \b \a \\ \" \xHH) or '…'. A directive given twice
// takes the last value, except that save lines add up and
// client-output-buffer-limit lines set one class each. include is
// supported, glob patterns included; user lines are kept (Config.Users),
// so are rename-command lines (Config.Renames); loadmodule, module
// parameters and the "sentinel" line are accepted with a warning.
// Errors are *ParseError or, for a file that cannot be read, a plain error
// worded as Redis's.
func Parse(args []string) (*Config, error) {
	c := &Config{}
	l := &loader{st: defaults(), warned: map[string]bool{}}
	j := 0
	if len(args) > 0 {
		switch args[0] {
		case "-v", "--version":
			return nil, ErrVersion
		case "-h", "--help":
			return nil, ErrHelp
		}
		if !strings.HasPrefix(args[0], "-") {
			abs, err := filepath.Abs(args[0])
			if err != nil {
				return nil, err
			}
			c.file = abs
			j = 1
		}
	}
	opts, err := commandLine(args, j)
	if err != nil {
		return nil, err
	}
	if c.file != "" {
		if err := l.loadFile(c.file, 0); err != nil {
			return nil, err
		}
	}
	for _, o := range opts {
		text := o.argv[0]
		if o.bare {
			text = repr(text)
		}
		for _, v := range o.argv[1:] {
			text += " " + repr(v)
		}
		if err := l.apply(where{line: o.pos, text: text}, o.argv, 0); err != nil {
			return nil, err
		}
	}
	c.warnings = l.warnings
	c.users = l.users
	c.renames = l.renames
	c.cur.Store(l.st)
	return c, nil
}

// option is one --directive from the command line with its values.
type option struct {
	pos  int // 1-based position of the --directive argument
	argv []string
	bare bool // named by a value, not a --directive (quoted in errors, as Redis)
}

// commandLine groups args[j:] into options the way redis-server's main does.
func commandLine(args []string, j int) ([]option, error) {
	var opts []option
	handled := true // the last directive has at least one value
	for ; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "-" && (j == 0 || j == len(args)-1):
			return nil, errors.New("reading the configuration from standard input is not supported")
		case handled && strings.HasPrefix(a, "--"):
			toks, err := splitArgs(a[2:])
			if err != nil || len(toks) == 0 {
				reason := "Bad directive or wrong number of arguments"
				if err != nil {
					reason = err.Error()
				}
				return nil, &ParseError{Line: j + 1, Text: a[2:], Reason: reason}
			}
			o := option{pos: j + 1, argv: toks}
			handled = len(toks) > 1
			if !handled && strings.EqualFold(toks[0], "save") &&
				(j == len(args)-1 || strings.HasPrefix(args[j+1], "--")) {
				o.argv = append(o.argv, "")
				handled = true
			}
			if !handled && strings.EqualFold(toks[0], "sentinel") &&
				j < len(args)-1 && strings.HasPrefix(args[j+1], "--") {
				handled = true
			}
			opts = append(opts, o)
		default:
			if len(opts) == 0 {
				// As Redis: values before any --directive start a line of
				// their own, the first naming the directive
				// (redis-server redis.conf loglevel verbose).
				opts = append(opts, option{pos: j + 1, argv: []string{a}, bare: true})
				handled = true
				continue
			}
			opts[len(opts)-1].argv = append(opts[len(opts)-1].argv, a)
			handled = true
		}
	}
	return opts, nil
}

// maxIncludeDepth bounds include nesting, which would otherwise loop
// forever on a file including itself.
const maxIncludeDepth = 16

// loader applies directives, in order, to a snapshot being built.
type loader struct {
	st       *state
	warned   map[string]bool // directives already warned about
	warnings []string
	saveSeen bool       // a save line replaced the default; later ones add to it
	users    [][]string // user lines' arguments, for the ACLs
	renames  [][2]string
	// The command names rename-command lines have taken away and given
	// (lower case), over the table's own (CommandExists).
	renamedAway, renamedTo map[string]bool
}

// CommandExists reports whether the command table has a top-level command
// of that (lower-case) name, for rename-command's checks. Package command
// sets it; this package knows no commands. Nil accepts every name.
var CommandExists func(name string) bool

// commandExists is whether name is a command, after the earlier renames.
func (l *loader) commandExists(name string) bool {
	if l.renamedTo[name] {
		return true
	}
	return !l.renamedAway[name] && (CommandExists == nil || CommandExists(name))
}

// rename is a rename-command line, checked as Redis checks it while
// loading: the command must exist (under its current name), the new name
// must not, and "" removes the command.
func (l *loader) rename(w where, from, to string) error {
	from, to = strings.ToLower(from), strings.ToLower(to)
	if !l.commandExists(from) {
		return w.fail("No such command in rename-command")
	}
	if l.renamedAway == nil {
		l.renamedAway, l.renamedTo = map[string]bool{}, map[string]bool{}
	}
	delete(l.renamedTo, from)
	l.renamedAway[from] = true
	if to != "" {
		if l.commandExists(to) {
			return w.fail("Target command name already exists")
		}
		l.renamedTo[to] = true
		delete(l.renamedAway, to)
	}
	l.renames = append(l.renames, [2]string{from, to})
	return nil
}

// where locates a directive for errors and warnings.
type where struct {
	file string // "" for the command line
	line int
	text string
}

func (w where) String() string {
	if w.file == "" {
		return fmt.Sprintf("command line argument %d", w.line)
	}
	return fmt.Sprintf("%s:%d", w.file, w.line)
}

func (w where) fail(reason string) error {
	return &ParseError{File: w.file, Line: w.line, Text: w.text, Reason: reason}
}

func (l *loader) loadFile(path string, depth int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Fatal error, can't open config file '%s': %s", path, strerror(err))
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.Trim(line, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		w := where{file: path, line: i + 1, text: line}
		argv, err := splitArgs(line)
		if err != nil {
			return w.fail(err.Error())
		}
		if len(argv) == 0 {
			continue
		}
		if err := l.apply(w, argv, depth); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) warn(w where, name, what string) {
	if l.warned[name] {
		return
	}
	l.warned[name] = true
	l.warnings = append(l.warnings, fmt.Sprintf("%s: '%s' %s", w, name, what))
}

// deprecated directives Redis 7.0 still accepts with one argument and ignores.
var deprecated = map[string]bool{
	"list-max-ziplist-entries": true, "list-max-ziplist-value": true, "lua-replicate-commands": true,
}

// apply sets one directive, argv[0] being its name.
func (l *loader) apply(w where, argv []string, depth int) error {
	name := strings.ToLower(argv[0])
	if d := byName[name]; d != nil {
		if !d.is(multiArg) && len(argv) != 2 {
			return w.fail("wrong number of arguments")
		}
		args := argv[1:]
		if d.is(multiArg) && len(args) == 1 && args[0] != "" {
			// As Redis: one argument to a many-argument directive is split
			// at spaces (save "900 1 300 10", --save "60 1"); an empty one
			// stays (save "" is no save points).
			toks, err := splitArgs(args[0])
			if err != nil {
				return w.fail(err.Error())
			}
			args = toks
		}
		if d.id == idSave {
			if l.saveSeen && !(len(args) == 1 && args[0] == "") {
				args = append(strings.Fields(l.st.val[idSave]), args...)
			}
			l.saveSeen = true
		}
		val, n, err := d.set(l.st.val[d.id], args)
		if err != nil {
			return w.fail(err.Error())
		}
		l.st.val[d.id], l.st.num[d.id] = val, n
		if !d.is(implemented) {
			l.warn(w, d.name, "is not implemented by smallredis: accepted and ignored")
		}
		return nil
	}
	argc := len(argv)
	switch {
	case deprecated[name] && argc == 2:
	case name == "include" && argc == 2:
		return l.include(w, argv[1], depth)
	case name == "user" && argc >= 2:
		for _, u := range l.users {
			if u[0] == argv[1] {
				return w.fail("Error in user declaration '" + argv[1] + "': Duplicate user found. A user can only be defined once in config files")
			}
		}
		if bad, err := acl.CheckRules(argv[2:]); err != nil {
			// Redis names argv[bad], the rule's index in the whole line:
			// two arguments before the rule it means.
			return w.fail("Error in user declaration '" + argv[bad] + "': " + err.Error())
		}
		l.users = append(l.users, argv[1:])
	case name == "rename-command" && argc == 3:
		return l.rename(w, argv[1], argv[2])
	case name == "loadmodule" && argc >= 2:
		l.warn(w, name, "is not supported by smallredis: ignored")
	case strings.Contains(name, "."):
		if argc < 2 {
			return w.fail("Module config specified without value")
		}
		l.warn(w, name, "is a module parameter, and smallredis has no modules: ignored")
	case name == "sentinel":
		if argc != 1 {
			return w.fail("sentinel directive while not in sentinel mode")
		}
		l.warn(w, name, "is not supported by smallredis: ignored")
	default:
		return w.fail("Bad directive or wrong number of arguments")
	}
	return nil
}

// include loads another file, or every file matching a glob pattern (none
// matching is fine, as in Redis, so an empty conf.d can be included).
func (l *loader) include(w where, pattern string, depth int) error {
	if depth >= maxIncludeDepth {
		return w.fail(fmt.Sprintf("include nesting deeper than %d", maxIncludeDepth))
	}
	files := []string{pattern}
	if strings.ContainsAny(pattern, "*?[") {
		var err error
		if files, err = filepath.Glob(pattern); err != nil {
			return w.fail(err.Error())
		}
	}
	for _, f := range files {
		if err := l.loadFile(f, depth+1); err != nil {
			return err
		}
	}
	return nil
}
