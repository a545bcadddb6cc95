package stream

// What DUMP, RESTORE, the RDB file and DEBUG DIGEST need beyond the
// commands' API (package rdb writes and reads the payload itself).

// Encoding is OBJECT ENCODING's name for a stream.
func (s *Stream) Encoding() string { return "stream" }

// SetFirst sets the recorded first-entry ID as a payload carries it: Redis
// keeps the saved one (and a load of the older RDB_TYPE_STREAM_LISTPACKS
// leaves an empty stream's at Max), so DUMP writes back what was loaded.
func (s *Stream) SetFirst(id ID) { s.first = id }
