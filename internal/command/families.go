package command

import (
	"slices"

	"github.com/smallredis/smallredis/internal/config"
)

// DefaultTable is every command smallredis implements, family by family.
// Adding a command is one Spec in its family plus its handler and tests.
func DefaultTable() *Table {
	return NewTable(families()...)
}

func families() [][]*Spec {
	return [][]*Spec{
		connectionCommands,
		serverCommands,
		latencyCommands,
		introspectionCommands,
		stringCommands,
		bitmapCommands,
		keyCommands,
		dumpCommands,
		persistCommands,
		expireCommands,
		memoryCommands,
		setCommands,
		hashCommands,
		listCommands,
		zsetCommands,
		streamCommands,
		hllCommands,
		geoCommands,
		scriptingCommands,
		functionCommands,
		transactionCommands,
		pubsubCommands,
		replicationCommands,
		aclCommands,
	}
}

// rename-command lines are checked against the table's names (config
// cannot know them).
func init() {
	names := map[string]bool{}
	for _, fam := range families() {
		for _, s := range fam {
			names[s.Name] = true
		}
	}
	config.CommandExists = func(name string) bool { return names[name] }
}

// Rename applies the configuration's rename-command lines, as Redis's
// config loading does to its command table: the command answers to its new
// name only (and not at all when that is ""), in clients, MULTI and
// scripts; COMMAND, INFO commandstats and ACL rules still name it by its
// own name, as Redis's fullname. Config.Parse has checked the lines.
func (t *Table) Rename(renames [][2]string) {
	for _, r := range renames {
		s := t.byName[r[0]]
		if s == nil {
			continue
		}
		delete(t.byName, r[0])
		if r[1] != "" {
			t.byName[r[1]] = s
			continue
		}
		t.sorted = slices.DeleteFunc(t.sorted, func(x *Spec) bool { return x == s })
	}
}
