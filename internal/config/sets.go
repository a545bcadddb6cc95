package config

// The set encoding thresholds (package set), read by every set write.
var (
	idSetMaxIntsetEntries   = mustLookup("set-max-intset-entries")
	idSetMaxListpackEntries = mustLookup("set-max-listpack-entries")
	idSetMaxListpackValue   = mustLookup("set-max-listpack-value")
)

// SetMaxIntsetEntries is the most members a set of integers keeps in an intset.
func (c *Config) SetMaxIntsetEntries() int64 { return c.num(idSetMaxIntsetEntries) }

// SetMaxListpackEntries is the most members a small set keeps in a listpack.
func (c *Config) SetMaxListpackEntries() int64 { return c.num(idSetMaxListpackEntries) }

// SetMaxListpackValue is the longest member (bytes) a listpack set may hold.
func (c *Config) SetMaxListpackValue() int64 { return c.num(idSetMaxListpackValue) }
