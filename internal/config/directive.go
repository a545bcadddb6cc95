package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// kind is how a directive's value is written, checked and shown.
type kind uint8

const (
	kindBool    kind = iota // yes|no
	kindInt                 // decimal integer within [min, max]
	kindMemory              // memory amount with units within [min, max]
	kindOctal               // octal integer within [min, max] (unixsocketperm)
	kindEnum                // one of a list of names, case-insensitive
	kindString              // any string, optionally checked
	kindSpecial             // parsed, shown and rewritten by its own functions
)

// flag describes how a directive may be used.
type flag uint16

const (
	// implemented: smallredis acts on the value. Any other known directive
	// is accepted, validated and shown by CONFIG GET, but loading it from
	// the file or command line adds a warning, since it has no effect.
	implemented  flag = 1 << iota
	immutable         // CONFIG SET refuses it
	protected         // CONFIG SET refuses it unless enable-protected-configs allows the client
	hidden            // CONFIG GET reports it only when asked by exact name
	sensitive         // its value must not be logged (SLOWLOG, MONITOR)
	multiArg          // several arguments in the file; a space-separated list in CONFIG SET
	emptyIsUnset      // "" means "not set": CONFIG REWRITE writes no line for it
	percent           // kindMemory that also takes "N%" (stored as -N)
	denyLoading       // CONFIG SET refuses it with -LOADING while the dataset loads (Redis's DENY_LOADING_CONFIG)
)

// directive is one configuration parameter: its name, type, default and
// limits. The table in table.go holds every parameter Redis 7.0 knows.
type directive struct {
	id       int // index into state
	name     string
	alias    string // old name still accepted (slaveof, hash-max-ziplist-entries, …)
	kind     kind
	flags    flag
	def      string // default, as CONFIG GET shows it
	min, max int64  // kindInt, kindMemory, kindOctal

	// kindEnum: the names in the order errors list them, or a function
	// giving them when they can grow (maxmemory-policy); canon maps a
	// synonym to the name CONFIG GET shows for it.
	enum   []string
	enumFn func() []string
	canon  map[string]string

	check func(v string) error // kindString, kindBool: extra validation
	clamp func(n int64) int64  // kindInt, kindMemory: adjust an accepted value (hz)

	// kindSpecial: parse turns arguments into the value (see set); rewrite,
	// if set, turns the value into redis.conf lines, nil meaning none.
	parse   func(cur string, args []string) (val string, num int64, err error)
	rewrite func(d *directive, val string) []confLine
}

// confLine is one line CONFIG REWRITE wants in the file. force means it must
// be written even where the file did not mention the directive, because the
// value differs from the default.
type confLine struct {
	text  string
	force bool
}

func (d *directive) is(f flag) bool { return d.flags&f != 0 }

func (d *directive) aka(alias string) *directive { d.alias = alias; return d }

func boolean(name string, def bool, f flag) *directive {
	v := "no"
	if def {
		v = "yes"
	}
	return &directive{name: name, kind: kindBool, flags: f, def: v}
}

func integer(name string, min, max, def int64, f flag) *directive {
	return &directive{name: name, kind: kindInt, flags: f, def: strconv.FormatInt(def, 10), min: min, max: max}
}

func memory(name string, min, max, def int64, f flag) *directive {
	return &directive{name: name, kind: kindMemory, flags: f, def: strconv.FormatInt(def, 10), min: min, max: max}
}

func enum(name, def string, names []string, f flag) *directive {
	return &directive{name: name, kind: kindEnum, flags: f, def: def, enum: names}
}

func str(name, def string, f flag) *directive {
	return &directive{name: name, kind: kindString, flags: f, def: def}
}

func special(name, def string, f flag,
	parse func(cur string, args []string) (string, int64, error),
	rewrite func(d *directive, val string) []confLine) *directive {
	return &directive{name: name, kind: kindSpecial, flags: f, def: def, parse: parse, rewrite: rewrite}
}

// Numeric limits of the C types Redis stores each parameter in.
const (
	intMax  = 1<<31 - 1
	intMin  = -1 << 31
	uintMax = 1<<32 - 1
	longMax = 1<<63 - 1
)

// set validates args for d and returns the value as CONFIG GET shows it and,
// for numeric, yes/no and enum kinds, as a number (enum: index in names).
// cur is the current value, for directives that merge (client-output-buffer-limit).
// The error text is Redis's, ready for "CONFIG SET failed … - <text>".
func (d *directive) set(cur string, args []string) (string, int64, error) {
	if d.kind == kindSpecial {
		return d.parse(cur, args)
	}
	v := args[0]
	switch d.kind {
	case kindBool:
		var n int64
		switch v = strings.ToLower(v); v {
		case "yes":
			n = 1
		case "no":
		default:
			return "", 0, errors.New("argument must be 'yes' or 'no'")
		}
		if d.check != nil {
			if err := d.check(v); err != nil {
				return "", 0, err
			}
		}
		return v, n, nil
	case kindInt:
		n, ok := string2ll(v)
		if !ok {
			return "", 0, errors.New("argument couldn't be parsed into an integer")
		}
		if err := d.bounds(n); err != nil {
			return "", 0, err
		}
		if d.clamp != nil {
			n = d.clamp(n)
		}
		return strconv.FormatInt(n, 10), n, nil
	case kindMemory:
		n, err := ParseMemory(v)
		if err != nil && d.is(percent) && len(v) > 1 && v[len(v)-1] == '%' {
			if p, ok := string2ll(v[:len(v)-1]); ok && p >= 0 {
				if -p < d.min {
					return "", 0, fmt.Errorf("percentage argument must be less or equal to %d", -d.min)
				}
				return v, -p, nil
			}
		}
		if err != nil {
			if d.is(percent) {
				return "", 0, errors.New("argument must be a memory or percent value")
			}
			return "", 0, errors.New("argument must be a memory value")
		}
		if err := d.bounds(n); err != nil {
			return "", 0, err
		}
		if d.clamp != nil {
			n = d.clamp(n)
		}
		return strconv.FormatInt(n, 10), n, nil
	case kindOctal:
		n, err := strconv.ParseInt(v, 8, 64)
		if err != nil {
			return "", 0, errors.New("argument couldn't be parsed as an octal number")
		}
		if n < d.min || n > d.max {
			return "", 0, fmt.Errorf("argument must be between %o and %o inclusive", d.min, d.max)
		}
		return strconv.FormatInt(n, 8), n, nil
	case kindEnum:
		names := d.names()
		for i, name := range names {
			if strings.EqualFold(name, v) {
				if c, ok := d.canon[name]; ok {
					name = c
				}
				return name, int64(i), nil
			}
		}
		return "", 0, errors.New("argument(s) must be one of the following: " + strings.Join(names, ", "))
	case kindString:
		if d.check != nil {
			if err := d.check(v); err != nil {
				return "", 0, err
			}
		}
		return v, 0, nil
	}
	panic("config: unknown kind for " + d.name)
}

func (d *directive) bounds(n int64) error {
	if n < d.min || n > d.max {
		return fmt.Errorf("argument must be between %d and %d inclusive", d.min, d.max)
	}
	return nil
}

func (d *directive) names() []string {
	if d.enumFn != nil {
		return d.enumFn()
	}
	return d.enum
}

// lines returns what CONFIG REWRITE writes for d holding val.
func (d *directive) lines(val string) []confLine {
	force := val != d.def
	switch d.kind {
	case kindSpecial:
		if d.rewrite != nil {
			return d.rewrite(d, val)
		}
	case kindMemory:
		if strings.HasSuffix(val, "%") {
			return []confLine{{d.name + " " + val, force}}
		}
		n, _ := strconv.ParseInt(val, 10, 64)
		return []confLine{{d.name + " " + formatMemoryConf(n), force}}
	case kindString:
		if val == "" && d.is(emptyIsUnset) {
			return nil
		}
		return []confLine{{d.name + " " + repr(val), force}}
	}
	return []confLine{{d.name + " " + val, force}}
}
