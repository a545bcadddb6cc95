package command

import (
	"strconv"

	"github.com/smallredis/smallredis/internal/acl"
)

// keyFlag is a Redis key-spec flag (COMMAND INFO key_specs).
type keyFlag uint16

const (
	ksRO keyFlag = 1 << iota
	ksRW
	ksOW
	ksRM
	ksAccess
	ksUpdate
	ksInsert
	ksDelete
	ksNotKey
	ksIncomplete
	ksVariableFlags
)

// keySpec is one of Redis's key specs for a command: where its keys start
// (an index, or after a keyword) and how many follow (a range, or a count
// argument). The table's FirstKey/KeysFunc say where a command's keys are;
// key specs (keyspecs_gen.go) say how each is used, which ACL selectors with
// %R~ and %W~ patterns need.
type keySpec struct {
	flags        keyFlag
	index        int
	keyword      string
	startFrom    int
	unknownBegin bool
	lastKey      int
	step         int
	limit        int
	keynum       bool
	keynumIdx    int
	firstKey     int
	unknownFind  bool
}

// laterKeySpecs are the key specs of the Redis 7.4 commands we have and
// 7.0 (which keyspecs_gen.go is read from) has not: the hash-field expiry
// commands, as Redis 7.4 declares them.
var laterKeySpecs = func() map[string][]keySpec {
	write := []keySpec{{flags: ksRW | ksUpdate, index: 1, step: 1}}
	read := []keySpec{{flags: ksRO | ksAccess, index: 1, step: 1}}
	return map[string][]keySpec{
		"hexpire": write, "hpexpire": write, "hexpireat": write, "hpexpireat": write, "hpersist": write,
		"httl": read, "hpttl": read, "hexpiretime": read, "hpexpiretime": read,
	}
}()

// keySpecsOf is the key specs of the command named name.
func keySpecsOf(name string) []keySpec {
	if ks, ok := redisKeySpecs[name]; ok {
		return ks
	}
	return laterKeySpecs[name]
}

// covers reports whether argument pos is one of the spec's keys in args.
func (ks *keySpec) covers(args [][]byte, pos int) bool {
	if ks.unknownBegin || ks.unknownFind {
		return false
	}
	argc := len(args)
	first := ks.index
	if ks.keyword != "" {
		first = 0
		start, end := ks.startFrom, argc-1
		if start <= 0 {
			start, end = argc+ks.startFrom, 1
		}
		for i := start; i != end; {
			if i >= argc || i < 1 {
				break
			}
			if eqFold(args[i], ks.keyword) {
				first = i + 1
				break
			}
			if start <= end {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return false
		}
	}
	step, last := ks.step, 0
	switch {
	case ks.keynum:
		if first+ks.keynumIdx >= argc {
			return false
		}
		n, err := strconv.Atoi(string(args[first+ks.keynumIdx]))
		if err != nil || n < 0 {
			return false
		}
		first += ks.firstKey
		last = first + (n-1)*max(step, 1)
	case ks.lastKey >= 0:
		last = first + ks.lastKey
	case ks.limit == 0:
		last = argc + ks.lastKey
	default:
		last = first + ((argc-first)/ks.limit + ks.lastKey)
	}
	if step <= 0 {
		step = 1
	}
	return pos >= first && pos <= last && (pos-first)%step == 0
}

// keyNeed is the access the key at args[pos] needs, as Redis's
// ACLSelectorCheckKey derives it from the key's flags: read to access its
// value, write to insert, delete or update it, neither (any pattern does)
// for a command that only names it, like EXISTS. A key no spec explains
// needs both.
func (s *Spec) keyNeed(args [][]byte, pos int) acl.Perm {
	var f keyFlag
	switch s.Name {
	case "set": // its GET option reads the old value
		f = ksUpdate
		for _, a := range args[3:] {
			if eqFold(a, "get") {
				f |= ksAccess
			}
		}
	case "sort", "sort_ro": // what follows the sorted key is STORE's
		f = ksUpdate
		if pos == 1 {
			f = ksAccess
		}
	case "bitfield": // read-only when every operation is a GET
		f = ksAccess
		for i := 2; i < len(args); i++ {
			rem := len(args) - i - 1
			switch {
			case eqFold(args[i], "get") && rem >= 2:
				i += 2
				continue
			case eqFold(args[i], "overflow") && rem >= 1:
				i++
				continue
			}
			f |= ksUpdate
			break
		}
	default:
		found := false
		for i := range s.keySpecs {
			if ks := &s.keySpecs[i]; ks.flags&ksNotKey == 0 && ks.covers(args, pos) {
				f |= ks.flags
				found = true
			}
		}
		if !found {
			return acl.ReadWrite
		}
	}
	var need acl.Perm
	if f&ksAccess != 0 {
		need |= acl.Read
	}
	if f&(ksInsert|ksDelete|ksUpdate) != 0 {
		need |= acl.Write
	}
	return need
}

// aclHasKeys reports whether the command's key arguments are keys for ACLs:
// SSUBSCRIBE's and SPUBLISH's are shard channels, which Redis's key specs
// mark not_key.
func aclHasKeys(s *Spec) bool {
	if s.FirstKey <= 0 && s.KeysFunc == nil {
		return false
	}
	specs := keySpecsOf(s.Name)
	if len(specs) == 0 {
		return true
	}
	for _, ks := range specs {
		if ks.flags&ksNotKey == 0 {
			return true
		}
	}
	return false
}
