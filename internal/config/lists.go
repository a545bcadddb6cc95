package config

// The list encoding limits (package list), read by every list write.
var (
	idListMaxListpackSize = mustLookup("list-max-listpack-size")
	idListCompressDepth   = mustLookup("list-compress-depth")
)

// ListMaxListpackSize is list-max-listpack-size: a node's limit, in entries
// when positive, in bytes (-1 4 KB … -5 64 KB) when negative.
func (c *Config) ListMaxListpackSize() int64 { return c.num(idListMaxListpackSize) }

// ListCompressDepth is list-compress-depth (accepted; lists are not
// compressed).
func (c *Config) ListCompressDepth() int64 { return c.num(idListCompressDepth) }
