package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// An RDB file, as Redis 7.0's rdbSaveRio writes it: "REDIS" and the
// version in four digits, AUX fields, the function libraries, then per
// non-empty database SELECTDB and RESIZEDB followed by its keys (an
// optional EXPIRETIME_MS, the object's type byte, the key as a string, the
// value as in a DUMP payload), and EOF with the CRC64 of everything before
// it (0 when rdbchecksum is off).

// File opcodes, as Redis's rdb.h numbers them.
const (
	OpFunction2    = 245 // a function library's code (Redis 7.0 GA)
	OpFunction     = 246 // 7.0 release candidates' function format
	OpModuleAux    = 247
	OpIdle         = 248 // LRU idle time of the next key (seconds)
	OpFreq         = 249 // LFU counter of the next key
	OpAux          = 250
	OpResizeDB     = 251
	OpExpireTimeMs = 252
	OpExpireTime   = 253 // seconds, RDB versions before 3
	OpSelectDB     = 254
	OpEOF          = 255
)

// TypeSetListpack is Redis 7.2's (RDB 11) small set. We write RDB 10,
// where a small set is an intset or a plain set, but read it in files of
// newer servers.
const TypeSetListpack = 20

// MaxFileVersion is the newest RDB file version ReadFile reads: Redis
// 7.2's 11 (listpack sets, streams with consumers' active times) and
// 7.4's 12, as far as their values are of types we know (7.4's hashes
// with field TTLs are not).
const MaxFileVersion = 12

// FileWriter streams an RDB file.
type FileWriter struct {
	w   *bufio.Writer
	crc uint64
	sum bool
	err error
	buf []byte
}

// NewFileWriter starts a version 10 file on w with the given AUX fields;
// checksum false writes 0 for the CRC, as Redis with rdbchecksum no.
func NewFileWriter(w io.Writer, aux [][2]string, checksum bool) *FileWriter {
	f := &FileWriter{w: bufio.NewWriterSize(w, 64<<10), sum: checksum}
	f.write([]byte(fmt.Sprintf("REDIS%04d", Version)))
	for _, a := range aux {
		b := append(f.buf[:0], OpAux)
		b = AppendString(b, []byte(a[0]), false)
		b = AppendString(b, []byte(a[1]), false)
		f.put(b)
	}
	return f
}

func (f *FileWriter) write(b []byte) {
	if f.err != nil {
		return
	}
	if f.sum {
		f.crc = CRC64(f.crc, b)
	}
	_, f.err = f.w.Write(b)
}

// put writes b, built in f.buf, and keeps its array for the next.
func (f *FileWriter) put(b []byte) {
	f.write(b)
	f.buf = b[:0]
}

// Function writes a function library's code.
func (f *FileWriter) Function(code []byte, compress bool) {
	f.put(AppendString(append(f.buf[:0], OpFunction2), code, compress))
}

// SelectDB starts database db, of keys keys, expires of them with a TTL.
func (f *FileWriter) SelectDB(db int, keys, expires uint64) {
	b := AppendLen(append(f.buf[:0], OpSelectDB), uint64(db))
	b = AppendLen(append(b, OpResizeDB), keys)
	f.put(AppendLen(b, expires))
}

// Key writes a key: its deadline in Unix milliseconds (0: none) and obj,
// the type byte and value as a DUMP payload's body holds them.
func (f *FileWriter) Key(key []byte, expireAtMs int64, obj []byte) {
	if len(obj) == 0 {
		f.err = errors.New("rdb: empty object")
		return
	}
	f.put(appendKeyHead(f.buf[:0], key, expireAtMs, obj[0]))
	f.write(obj[1:]) // the caller's: not kept
}

// AppendKey appends to b what Key writes, for a caller that gathers keys
// in memory (under a lock) and writes them later with Raw.
func AppendKey(b, key []byte, expireAtMs int64, obj []byte) []byte {
	if len(obj) == 0 {
		return b
	}
	return append(appendKeyHead(b, key, expireAtMs, obj[0]), obj[1:]...)
}

func appendKeyHead(b, key []byte, expireAtMs int64, typ byte) []byte {
	if expireAtMs != 0 {
		b = binary.LittleEndian.AppendUint64(append(b, OpExpireTimeMs), uint64(expireAtMs))
	}
	return AppendString(append(b, typ), key, false)
}

// Raw writes what AppendKey gathered.
func (f *FileWriter) Raw(b []byte) { f.write(b) }

// Close writes EOF and the checksum and flushes; it returns the first
// error of the whole file.
func (f *FileWriter) Close() error {
	f.write([]byte{OpEOF})
	if f.err != nil {
		return f.err
	}
	// The checksum covers everything before it, EOF included.
	var sum [8]byte
	if f.sum {
		binary.LittleEndian.PutUint64(sum[:], f.crc)
	}
	if _, err := f.w.Write(sum[:]); err != nil {
		return err
	}
	return f.w.Flush()
}

// Loader receives what ReadFile reads. Slices alias the file's bytes.
type Loader struct {
	// Aux: an AUX field (redis-ver, ctime, …); may be nil.
	Aux func(key, val []byte)
	// Function: a function library's code.
	Function func(code []byte) error
	// Key: a key of database db, its deadline in Unix ms (0: none), its
	// value.
	Key func(db int, key []byte, expireAtMs int64, v *Value) error
	// Progress: the bytes of the file read so far, before each Key; may be nil.
	Progress func(offset int)
}

// ErrChecksum is a file whose CRC64 does not match its contents.
var ErrChecksum = errors.New("wrong RDB checksum: RDB CRC error") // Redis logs "RDB CRC error"

// ReadFile reads a whole RDB file (versions 1 to MaxFileVersion), as
// Redis's rdbLoad does, calling l for each thing in it in order, and
// checks its checksum (when the file has one that is not 0). Values are
// validated as RESTORE validates them; the first problem stops the load
// with an error naming its offset.
func ReadFile(data []byte, l Loader) error {
	if len(data) < 9 || string(data[:5]) != "REDIS" {
		return errors.New("wrong signature trying to load DB from file")
	}
	ver, err := strconv.Atoi(string(data[5:9]))
	if err != nil || ver < 1 || ver > MaxFileVersion {
		return fmt.Errorf("can't handle RDB format version %s", data[5:9])
	}
	b := data[9:]
	at := func() int { return len(data) - len(b) }
	bad := func(what string) error { return fmt.Errorf("short read or corrupt %s at offset %d", what, at()) }
	db := 0
	var expireAt int64
	for {
		if len(b) == 0 {
			return bad("file (no EOF)")
		}
		op := b[0]
		b = b[1:]
		switch op {
		case OpEOF:
			if ver >= 5 {
				if len(b) < 8 {
					return bad("checksum")
				}
				want := binary.LittleEndian.Uint64(b)
				if want != 0 && want != CRC64(0, data[:len(data)-len(b)]) {
					return ErrChecksum
				}
			}
			return nil
		case OpAux:
			k, rest, ok := ReadString(b)
			if !ok {
				return bad("AUX field")
			}
			v, rest, ok := ReadString(rest)
			if !ok {
				return bad("AUX field")
			}
			b = rest
			if l.Aux != nil {
				l.Aux(k, v)
			}
		case OpSelectDB:
			n, rest, ok := readPlainLen(b)
			if !ok || n > 1<<20 {
				return bad("SELECTDB")
			}
			db, b = int(n), rest
		case OpResizeDB:
			_, rest, ok := readPlainLen(b)
			if ok {
				_, rest, ok = readPlainLen(rest)
			}
			if !ok {
				return bad("RESIZEDB")
			}
			b = rest
		case OpExpireTimeMs:
			if len(b) < 8 {
				return bad("expire time")
			}
			expireAt, b = int64(binary.LittleEndian.Uint64(b)), b[8:]
		case OpExpireTime:
			if len(b) < 4 {
				return bad("expire time")
			}
			expireAt, b = int64(int32(binary.LittleEndian.Uint32(b)))*1000, b[4:]
		case OpIdle:
			_, rest, ok := readPlainLen(b)
			if !ok {
				return bad("IDLE")
			}
			b = rest
		case OpFreq:
			if len(b) < 1 {
				return bad("FREQ")
			}
			b = b[1:]
		case OpFunction2:
			code, rest, ok := ReadString(b)
			if !ok {
				return bad("function library")
			}
			b = rest
			if l.Function != nil {
				if err := l.Function(code); err != nil {
					return err
				}
			}
		case OpFunction:
			return fmt.Errorf("pre-GA function format at offset %d is not supported", at())
		case OpModuleAux:
			return fmt.Errorf("module data at offset %d: no modules here", at())
		default:
			key, rest, ok := ReadString(b)
			if !ok {
				return bad("key")
			}
			v, after, ok := decodeFileObject(op, rest)
			if !ok {
				if op == TypeModule || op == TypeModule2 {
					return fmt.Errorf("key %q at offset %d is a module value: no modules here", key, at())
				}
				return fmt.Errorf("bad value of key %q (type %d) at offset %d", key, op, at())
			}
			b = after
			if l.Progress != nil {
				l.Progress(at())
			}
			if l.Key != nil {
				if err := l.Key(db, key, expireAt, v); err != nil {
					return err
				}
			}
			expireAt = 0
		}
	}
}

// decodeFileObject decodes the value of type t at the start of rest: the
// types a DUMP payload may hold and, in files, Redis 7.2's listpack set
// and stream.
func decodeFileObject(t byte, rest []byte) (*Value, []byte, bool) {
	if t == TypeStreamListpack3 {
		s, after, ok := readStream(t, rest)
		return &Value{Kind: KindStream, Stream: s}, after, ok
	}
	if t == TypeSetListpack {
		blob, after, ok := ReadString(rest)
		if !ok {
			return nil, nil, false
		}
		var e Elems
		if !readListpack(blob, &e) || len(e.V) == 0 {
			return nil, nil, false
		}
		return &Value{Kind: KindSet, Elems: e.V}, after, true
	}
	return decodeTyped(t, rest)
}
