package command

// Redis's error replies, byte for byte as Redis 7 sends them (without the
// leading '-'). The differential tests compare them exactly.
const (
	ErrSyntax          = "ERR syntax error"
	ErrWrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt          = "ERR value is not an integer or out of range"
	ErrNotFloat        = "ERR value is not a valid float"
	ErrOverflow        = "ERR increment or decrement would overflow"
	ErrNoSuchKey       = "ERR no such key"
	ErrInvalidDB       = "ERR DB index is out of range"
	ErrInvalidExpire   = "ERR invalid expire time in '%s' command"
	ErrNoAuth          = "NOAUTH Authentication required."
	ErrWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	ErrNoPass          = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrNoProto         = "NOPROTO unsupported protocol version"
	ErrOOM             = "OOM command not allowed when used memory > 'maxmemory'."
	ErrNoReplicas      = "NOREPLICAS Not enough good replicas to write."
	ErrMisconf         = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
	ErrStringTooLong   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrTimeout         = "ERR timeout is not an integer or out of range"
	ErrMaxClients      = "ERR max number of clients reached"
	ErrBitOffset       = "ERR bit offset is not an integer or out of range"
	ErrBitValue        = "ERR bit is not an integer or out of range"
	ErrSameObject      = "ERR source and destination objects are the same"
	ErrNegativeCount   = "ERR value is out of range, must be positive"
	ErrIncrFloatNaNInf = "ERR increment would produce NaN or Infinity"
	ErrDecrOverflow    = "ERR decrement would overflow"
	ErrOffsetRange     = "ERR offset is out of range"
	ErrLCSType         = "ERR The specified keys must contain string values"
	ErrLCSLenIdx       = "ERR If you want both the length and indexes, please just use IDX."
	ErrBitArg          = "ERR The bit argument must be 1 or 0."
	ErrBitfieldType    = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	ErrBitfieldRO      = "ERR BITFIELD_RO only supports the GET subcommand"
	ErrBitfieldOvf     = "ERR Invalid OVERFLOW type specified"
	ErrBitopNot        = "ERR BITOP NOT must be called with a single source key."
	ErrIntRange        = "ERR value is out of range, value must between -2147483648 and 2147483647"

	// ErrProtectedMode is sent to a non-local client in protected mode
	// before the connection is closed (Redis's typo "a an" included).
	ErrProtectedMode = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
	ErrDebugDisabled = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`
)

// Sets.
const (
	ErrSrandCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	ErrNumkeysPositive = "ERR numkeys should be greater than 0"
	ErrNumkeysTooMany  = "ERR Number of keys can't be greater than number of args"
	ErrLimitNegative   = "ERR LIMIT can't be negative"
)

// Lists.
const (
	ErrIndexRange     = "ERR index out of range"
	ErrRankZero       = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	ErrRankRange      = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	ErrCountNegative  = "ERR COUNT can't be negative"
	ErrMaxlenNegative = "ERR MAXLEN can't be negative"
	ErrCountPositive  = "ERR count should be greater than 0"
	ErrSortScore      = "ERR One or more scores can't be converted into double"
)

// errPrefix is the error code used for errorstats: the first word.
func errPrefix(msg string) string {
	for i := 0; i < len(msg); i++ {
		if msg[i] == ' ' {
			return msg[:i]
		}
	}
	return msg
}
