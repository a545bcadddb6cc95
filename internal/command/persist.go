package command

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smallredis/smallredis/internal/rdb"
	"github.com/smallredis/smallredis/internal/store"
)

// Snapshots: SAVE, BGSAVE and SHUTDOWN SAVE write the dataset to
// dir/dbfilename as Redis 7.0's RDB file (version 10, package rdb), which
// Redis loads, and a start loads that file when it exists, Redis's or
// ours. SAVE holds the world gate (nothing else runs), so its file is one
// instant. Without fork, BGSAVE writes from a background goroutine while
// commands run: every key's value is read whole, and each of the keyspace's
// shards at one instant, but two keys of different shards may be from
// different instants (a write during the save may be in the file or not).
// The file appears only complete: written to a temporary file, synced,
// renamed over the old one, as Redis does.
//
// Save points (the save directive) are not acted on: nothing saves on its
// own. Hash fields' TTLs (Redis 7.4) have no place in RDB 10: the fields
// are saved without them.

var persistCommands = []*Spec{
	{Name: "save", Arity: 1, Flags: Admin | NoScript | NoAsyncLoading | NoMulti | Atomic, ACL: aclAdmin, Handler: saveCmd},
	{Name: "bgsave", Arity: -1, Flags: Admin | NoScript | NoAsyncLoading, ACL: aclAdmin, Handler: bgsaveCmd},
}

// persistState is what INFO persistence and LASTSAVE report.
type persistState struct {
	mu         sync.Mutex // one save at a time
	bgRunning  atomic.Bool
	scheduled  atomic.Bool  // BGSAVE SCHEDULE during a save: one more after it
	bgStart    atomic.Int64 // Unix seconds
	lastSave   atomic.Int64 // Unix seconds of the last successful save (the start before any)
	lastOK     atomic.Bool  // the last BGSAVE succeeded (true before any)
	lastBgSecs atomic.Int64 // the last BGSAVE's duration, -1 before any
	saves      atomic.Int64
	dirtyAt    atomic.Int64 // KS.Changes() at the last successful save
	loaded     atomic.Int64 // keys the start loaded
	loadExpir  atomic.Int64 // keys the start found expired and skipped
}

func (p *persistState) init(start time.Time) {
	p.lastSave.Store(start.Unix())
	p.lastOK.Store(true)
	p.lastBgSecs.Store(-1)
}

// LastSave is LASTSAVE's answer.
func (s *Server) LastSave() int64 { return s.persist.lastSave.Load() }

// DirtySinceSave is INFO's rdb_changes_since_last_save.
func (s *Server) DirtySinceSave() int64 { return s.KS.Changes() - s.persist.dirtyAt.Load() }

// rdbPath is the file SAVE writes and a start loads.
func (s *Server) rdbPath() string { return filepath.Join(s.Cfg.Dir(), s.Cfg.DBFilename()) }

// saveCmd: SAVE
func saveCmd(ctx *Ctx) {
	if ctx.S.persist.bgRunning.Load() {
		ctx.Err("ERR Background save already in progress")
		return
	}
	if err := ctx.S.Save(); err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	ctx.W.OK()
}

// bgsaveCmd: BGSAVE [SCHEDULE]
func bgsaveCmd(ctx *Ctx) {
	if len(ctx.Args) > 2 || len(ctx.Args) == 2 && !strings.EqualFold(string(ctx.Args[1]), "schedule") {
		ctx.Err(ErrSyntax)
		return
	}
	s := ctx.S
	if !s.persist.bgRunning.CompareAndSwap(false, true) {
		if len(ctx.Args) == 2 {
			// One more after the running one, as Redis's.
			s.persist.scheduled.Store(true)
			ctx.W.Simple("Background saving scheduled")
			return
		}
		ctx.Err("ERR Background save already in progress")
		return
	}
	s.persist.bgStart.Store(time.Now().Unix())
	go s.bgsave()
	ctx.W.Simple("Background saving started")
}

func (s *Server) bgsave() {
	start := time.Now()
	err := s.Save()
	s.persist.lastBgSecs.Store(int64(time.Since(start).Round(time.Second) / time.Second))
	s.persist.lastOK.Store(err == nil)
	if err == nil {
		s.logger().Info("Background saving terminated with success")
	} else {
		s.logger().Warn("Background saving error", "err", err)
	}
	s.persist.bgRunning.Store(false)
	if s.persist.scheduled.Swap(false) && s.persist.bgRunning.CompareAndSwap(false, true) {
		s.persist.bgStart.Store(time.Now().Unix())
		go s.bgsave()
	}
}

// Save writes the dataset to the RDB file (SAVE, BGSAVE's goroutine,
// SHUTDOWN SAVE) and, on success, makes it the last save.
func (s *Server) Save() error {
	p := &s.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	dirty := s.KS.Changes()
	start := time.Now()
	keys, err := s.writeRDB(s.rdbPath(), start)
	if err != nil {
		s.logger().Warn("Failed saving the DB", "err", err)
		return err
	}
	p.dirtyAt.Store(dirty)
	p.lastSave.Store(start.Unix())
	p.saves.Add(1)
	s.logger().Info("DB saved on disk", "keys", keys, "file", s.rdbPath(), "took", time.Since(start))
	return nil
}

// writeRDB writes the file through a temporary one in the same directory.
func (s *Server) writeRDB(path string, now time.Time) (keys int, err error) {
	tmp := filepath.Join(filepath.Dir(path), "temp-"+strconv.Itoa(os.Getpid())+".rdb")
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), filepath.Dir(path), err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	ms := now.UnixMilli()
	aux := [][2]string{
		{"redis-ver", s.Cfg.RedisVersion()},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(now.Unix(), 10)},
		{"used-mem", strconv.FormatInt(s.KS.UsedMemory(), 10)},
		{"aof-base", "0"},
	}
	compress := s.Cfg.RDBCompression()
	w := rdb.NewFileWriter(f, aux, s.Cfg.RDBChecksum())
	for _, l := range s.Scripts.Libraries() {
		w.Function([]byte(l.Code), compress)
	}
	// A shard's keys are gathered in memory while it is read-locked and
	// written once it is released: its writers wait for the serializing,
	// not for the disk.
	var obj, pending []byte
	for i := range s.KS.Databases() {
		db := s.KS.DB(i)
		if db.Len() == 0 {
			continue
		}
		w.SelectDB(i, uint64(db.Len()), uint64(db.Expires()))
		db.EachEntry(ms, func(key []byte, e *store.Entry) bool {
			obj = appendObject(obj[:0], e, compress)
			pending = rdb.AppendKey(pending, key, e.ExpireAt(), obj)
			keys++
			return true
		}, func() {
			w.Raw(pending)
			if cap(pending) > 64<<20 {
				pending = nil // one huge shard does not pin its copy
			}
			pending = pending[:0]
		})
	}
	if err = w.Close(); err != nil {
		return 0, err
	}
	if err = f.Sync(); err != nil {
		return 0, err
	}
	if err = f.Close(); err != nil {
		return 0, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("error moving temp DB file %s on the final destination %s: %w", filepath.Base(tmp), filepath.Base(path), err)
	}
	return keys, nil
}

// LoadRDB loads dir/dbfilename into the (empty) keyspace, as a start does;
// a missing file is no error. Keys past their TTL are skipped, as a
// master's load skips them. A damaged file, or one holding what we do not
// have (modules, 7.4's hash field TTLs), is an error: the caller does not start, as Redis
// exits on a bad RDB rather than run without the data.
func (s *Server) LoadRDB() error {
	path := s.rdbPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	start := time.Now()
	now := start.UnixMilli()
	ctx := &Ctx{S: s, Now: now}
	var loaded, expired int64
	var codes []string
	err = rdb.ReadFile(data, rdb.Loader{
		Function: func(code []byte) error {
			codes = append(codes, string(code))
			return nil
		},
		Key: func(dbi int, key []byte, at int64, v *rdb.Value) error {
			if dbi >= s.KS.Databases() {
				return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", s.KS.Databases())
			}
			if at != 0 && at <= now {
				expired++
				return nil
			}
			t, obj, ok := buildValue(ctx, v)
			if !ok {
				return fmt.Errorf("bad value of key %q", key)
			}
			var dup bool
			s.KS.DB(dbi).Update(key, now, func(e *store.Entry) {
				if dup = e.Exists(); !dup {
					putValue(e, t, v, obj, at)
				}
			})
			if dup {
				return fmt.Errorf("duplicate key %q found in RDB file", key)
			}
			loaded++
			return nil
		},
	})
	if err == nil && len(codes) > 0 {
		if msg := s.Scripts.RestoreLibraries(codes, "APPEND"); msg != "" {
			err = errors.New(msg)
		}
	}
	if err != nil {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	s.KS.Drain()
	s.persist.dirtyAt.Store(s.KS.Changes())
	s.persist.loaded.Store(loaded)
	s.persist.loadExpir.Store(expired)
	s.logger().Info("DB loaded from disk", "file", path, "keys", loaded, "expired", expired, "took", time.Since(start))
	return nil
}
