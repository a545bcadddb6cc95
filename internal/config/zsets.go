package config

// The sorted set encoding thresholds (package zset), read by every zset write.
var (
	idZSetMaxListpackEntries = mustLookup("zset-max-listpack-entries")
	idZSetMaxListpackValue   = mustLookup("zset-max-listpack-value")
)

// ZSetMaxListpackEntries is the most members a small sorted set keeps in a listpack.
func (c *Config) ZSetMaxListpackEntries() int64 { return c.num(idZSetMaxListpackEntries) }

// ZSetMaxListpackValue is the longest member (bytes) a listpack sorted set may hold.
func (c *Config) ZSetMaxListpackValue() int64 { return c.num(idZSetMaxListpackValue) }
