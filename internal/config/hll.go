package config

var idHLLSparseMaxBytes = mustLookup("hll-sparse-max-bytes")

// HLLSparseMaxBytes is the longest a sparse HyperLogLog may grow (header
// included) before it is converted to the dense encoding.
func (c *Config) HLLSparseMaxBytes() int64 { return c.num(idHLLSparseMaxBytes) }
