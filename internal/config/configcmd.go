package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/smallredis/smallredis/internal/glob"
)

// sortedNames is every name and alias in byte order: the order Get lists
// the parameters a pattern matches.
var sortedNames = func() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// Get implements CONFIG GET: the parameters matching any of the patterns,
// each once, as name/value pairs. A pattern with no glob characters
// ("*?[") is looked up directly, case-insensitively, and reported under the
// name as given (as Redis does), hidden parameters included; a glob pattern
// is matched case-insensitively against every name and alias except hidden
// ones. Pairs come pattern by pattern, each pattern's matches in name order.
func (c *Config) Get(patterns ...string) [][2]string {
	st := c.cur.Load()
	seen := make(map[string]bool)
	var out [][2]string
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			lp := strings.ToLower(p)
			if d := byName[lp]; d != nil && !seen[lp] {
				seen[lp] = true
				out = append(out, [2]string{p, st.val[d.id]})
			}
			continue
		}
		pat := []byte(p)
		for _, n := range sortedNames {
			d := byName[n]
			if d.is(hidden) || seen[n] || !glob.Match(pat, []byte(n), true) {
				continue
			}
			seen[n] = true
			out = append(out, [2]string{n, st.val[d.id]})
		}
	}
	return out
}

// Set implements CONFIG SET name value [name value …]: all pairs are
// checked and applied together, or none is. The error's text is Redis's
// reply without the leading '-':
//
//	ERR Unknown option or number of arguments for CONFIG SET - 'x'
//	ERR CONFIG SET failed (possibly related to argument 'x') - can't set immutable config
//	ERR CONFIG SET failed (possibly related to argument 'x') - duplicate parameter
//	ERR CONFIG SET failed (possibly related to argument 'x') - argument must be a memory value
//
// As in Redis the first problem found wins: the name as given for unknown,
// immutable, protected and duplicate parameters, the parameter's own name
// (lower case; an alias stays an alias) for a bad value. A value is one
// string; parameters that take a list (save, bind, …) split it on single
// spaces. dir and dbfilename are protected: refused unless
// enable-protected-configs is "yes" (Set is SetFrom for a client that is
// not local). OnApply functions vet the new values (see there); OnChange
// hooks of the parameters whose value changed run before Set returns.
func (c *Config) Set(pairs [][2]string) error { return c.SetFrom(pairs, false) }

// ErrLoading is Redis's reply to what may not run while the dataset loads.
const ErrLoading = "LOADING Redis is loading the dataset in memory"

// SetLoading says whether the dataset is being loaded: meanwhile CONFIG SET
// refuses dir, appendonly and repl-diskless-load, as Redis does.
func (c *Config) SetLoading(on bool) { c.loading.Store(on) }

// SetFrom is Set for a client that local says is or is not on a loopback
// address or a unix socket: with enable-protected-configs "local" only a
// local client may set protected parameters.
func (c *Config) SetFrom(pairs [][2]string, local bool) error {
	c.mu.Lock()
	old := c.cur.Load()
	ds := make([]*directive, len(pairs))
	seen := make(map[string]bool, len(pairs))
	loading := c.loading.Load()
	for i, p := range pairs {
		name := strings.ToLower(p[0])
		d := byName[name]
		var reason string
		switch {
		case d == nil:
			c.mu.Unlock()
			return fmt.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", p[0])
		case d.is(immutable):
			reason = "can't set immutable config"
		case d.is(protected) && !Allows(old.val[idProtectedConfigs], local):
			reason = "can't set protected config"
		case loading && d.is(denyLoading):
			// As Redis: the loading error wins, clients retry on it.
			c.mu.Unlock()
			return errors.New(ErrLoading)
		case seen[name]:
			reason = "duplicate parameter"
		}
		if reason != "" {
			c.mu.Unlock()
			return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", p[0], reason)
		}
		seen[name] = true
		ds[i] = d
	}
	next := old.clone()
	for i, p := range pairs {
		d := ds[i]
		args := []string{p[1]}
		if d.is(multiArg) {
			args = nil // like Redis's sdssplitlen, "" splits into no arguments
			if p[1] != "" {
				args = strings.Split(p[1], " ")
			}
		}
		val, n, err := d.set(next.val[d.id], args)
		if err != nil {
			c.mu.Unlock()
			return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s",
				strings.ToLower(p[0]), err)
		}
		next.val[d.id], next.num[d.id] = val, n
	}
	var run []func()
	changed := make(map[int]bool, len(ds))
	for _, d := range ds {
		// The number too: notify-keyspace-events shows "AKE" with n or without.
		if (next.val[d.id] != old.val[d.id] || next.num[d.id] != old.num[d.id]) && !changed[d.id] { // an alias may name d twice
			changed[d.id] = true
			run = append(run, c.hooks[d.id]...)
		}
	}
	c.cur.Store(next)
	if name, err := c.apply(pairs, changed, old); err != nil {
		c.mu.Unlock()
		return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, err)
	}
	c.mu.Unlock()
	for _, fn := range run {
		fn()
	}
	return nil
}

// Allows reports whether a yes/no/local setting (enable-debug-command,
// enable-protected-configs) lets a client do the protected action: "yes"
// lets everyone, "local" only local clients, "no" nobody.
func Allows(setting string, local bool) bool {
	return setting == "yes" || setting == "local" && local
}

// ErrNoConfigFile is Rewrite's error when the server started without a
// configuration file; its text is Redis's reply.
var ErrNoConfigFile = errors.New("ERR The server is running without a config file")
