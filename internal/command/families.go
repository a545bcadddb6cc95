package command

// DefaultTable is every command smallredis implements, family by family.
// Adding a command is one Spec in its family plus its handler and tests.
func DefaultTable() *Table {
	return NewTable(
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
	)
}
