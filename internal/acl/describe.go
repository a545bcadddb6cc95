package acl

import (
	"math"
	"slices"
	"strings"
)

// describe is the selector's rules, keys and channels first, as ACL LIST
// writes them.
func (s *selector) describe() string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + string(c) + " ")
		}
	}
	b.WriteString(s.describeCommands())
	return b.String()
}

// describeCommands renders the command bits as rules that rebuild them
// exactly, the way Redis does so ACL LIST reads the same: +@all or -@all
// (by whether the selector was granted everything), then greedily the
// category that best fits what is left, then single commands for the
// difference. Each rule is replayed on a scratch selector as it is
// written, so the final fix-ups know what the categories got wrong.
func (s *selector) describeCommands() string {
	cat := s.catalog
	var rules []string
	fake := newSelector(cat, false, false)
	additive := !s.bit(cat.futureBit())
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		fake.setAll(true)
	}
	// temp starts as the selector and has each chosen category undone, so
	// the next pick measures only what is still unexplained.
	temp := &selector{cmds: slices.Clone(s.cmds), catalog: cat}
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, math.MaxInt, 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(1 << j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		bit := uint32(1) << best
		fake.changeCategory(bit, additive)
		temp.changeCategory(bit, !additive)
		if additive {
			rules = append(rules, "+@"+Categories[best])
		} else {
			rules = append(rules, "-@"+Categories[best])
		}
		applied[best] = true
	}
	// Single commands, each parent before its subcommands.
	var fix func(cmds []*Command)
	fix = func(cmds []*Command) {
		for _, cmd := range cmds {
			user, got := s.bit(cmd.ID), fake.bit(cmd.ID)
			if user != got {
				if user {
					rules = append(rules, "+"+cmd.Name)
				} else {
					rules = append(rules, "-"+cmd.Name)
				}
				fake.change(cmd, user)
			}
			fix(cmd.Subs)
			if !user {
				for _, a := range s.firstArgs[cmd.ID] {
					rules = append(rules, "+"+cmd.Name+"|"+a)
				}
			}
		}
	}
	fix(cat.top)
	return strings.Join(rules, " ")
}

// countCategory counts the commands of a category the selector allows and
// denies.
func (s *selector) countCategory(bit uint32) (on, off int) {
	s.catalog.walk(func(cmd *Command) {
		if cmd.Cats&bit != 0 {
			if s.bit(cmd.ID) {
				on++
			} else {
				off++
			}
		}
	})
	return on, off
}
