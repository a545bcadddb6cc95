package config

// The stream node limits (package stream), read by every XADD.
var (
	idStreamNodeMaxBytes   = mustLookup("stream-node-max-bytes")
	idStreamNodeMaxEntries = mustLookup("stream-node-max-entries")
)

// StreamNodeMaxBytes is the most bytes a stream node's listpack may hold (0: no limit).
func (c *Config) StreamNodeMaxBytes() int64 { return c.num(idStreamNodeMaxBytes) }

// StreamNodeMaxEntries is the most entries a stream node may hold (0: no limit).
func (c *Config) StreamNodeMaxEntries() int64 { return c.num(idStreamNodeMaxEntries) }
