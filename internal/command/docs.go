package command

// redisDoc returns Redis's documentation for a command (docs_gen.go), or
// a minimal entry for commands Redis does not have.
func redisDoc(name string) Doc {
	if d, ok := redisDocs[name]; ok {
		return d
	}
	return Doc{Summary: "smallredis extension", Since: "0.1.0", Group: "server", Complexity: "O(1)"}
}
