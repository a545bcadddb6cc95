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
// Save points (the save directive) are Redis's: the cron starts a BGSAVE
// once a point's seconds have passed since the last save with at least its
// changes made (SaveCron), retrying a failed one after 5 seconds; with
// points configured SHUTDOWN and SIGTERM save first, FLUSHALL writes the
// emptied dataset, and a failed BGSAVE refuses writes (and PING) with
// MISCONF until a save succeeds, while stop-writes-on-bgsave-error is yes.
// Hash fields' TTLs (Redis 7.4) have no place in RDB 10: the fields are
// saved without them.

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
	lastTry    atomic.Int64 // Unix seconds of the last BGSAVE's start
	abort      atomic.Bool  // the running BGSAVE stops (FLUSHALL, SHUTDOWN)
	saves      atomic.Int64
	dirtyAt    atomic.Int64 // KS.Changes() at the last successful save
	loaded     atomic.Int64 // keys the start loaded
	loadExpir  atomic.Int64 // keys the start found expired and skipped

	// state: stateLoading while the start loads the file (loading.go),
	// stateDown once the final save of a shutdown is written (every command
	// reads it, so it sits by lastOK, which every write reads too).
	state       atomic.Uint32
	loadStart   atomic.Int64 // Unix seconds
	loadTotal   atomic.Int64 // the file's bytes
	loadDone    atomic.Int64 // bytes read so far
	loadUsedMem atomic.Int64 // the file's used-mem AUX field
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
	ctx.S.persist.saves.Add(1) // as Redis's rdb_saves: attempts
	if err := ctx.S.Save(); err != nil {
		ctx.Err("ERR") // as Redis's shared.err: the reason is in the log
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
	if !s.startBgsave() {
		if len(ctx.Args) == 2 {
			// One more after the running one, as Redis's.
			s.persist.scheduled.Store(true)
			ctx.W.Simple("Background saving scheduled")
			return
		}
		ctx.Err("ERR Background save already in progress")
		return
	}
	ctx.W.Simple("Background saving started")
}

// startBgsave starts a background save unless one runs; rdb_saves counts
// it, as Redis counts every SAVE and BGSAVE attempted.
func (s *Server) startBgsave() bool {
	p := &s.persist
	if !p.bgRunning.CompareAndSwap(false, true) {
		return false
	}
	now := time.Now().Unix()
	p.bgStart.Store(now)
	p.lastTry.Store(now)
	p.saves.Add(1)
	go s.bgsave()
	return true
}

func (s *Server) bgsave() {
	start := time.Now()
	err := s.save(true, true)
	s.persist.lastBgSecs.Store(int64(time.Since(start).Round(time.Second) / time.Second))
	switch {
	case errors.Is(err, errSaveAborted):
		// As a child Redis kills (SIGUSR1): neither a success nor an error.
		s.logger().Warn("Background saving terminated: stopped for a FLUSHALL or SHUTDOWN")
	case err == nil:
		s.logger().Info("Background saving terminated with success")
	default:
		s.persist.lastOK.Store(false)
		s.logger().Warn("Background saving error", "err", err)
	}
	s.persist.bgRunning.Store(false)
	if s.persist.scheduled.Swap(false) {
		s.startBgsave()
	}
}

// errSaveAborted is a BGSAVE stopped by FLUSHALL or SHUTDOWN.
var errSaveAborted = errors.New("background save aborted")

// SaveCron starts a BGSAVE when a save point is reached, as Redis's
// serverCron: a point's seconds passed since the last successful save with
// at least its changes made since, and the last BGSAVE either succeeded or
// started more than 5 seconds ago (a failing disk is retried, not
// hammered). The server's cron calls it once a second (the points count
// whole seconds).
func (s *Server) SaveCron(now int64) {
	p := &s.persist
	if p.bgRunning.Load() || !s.Cfg.HasSavePoints() {
		return
	}
	if !p.lastOK.Load() && now-p.lastTry.Load() <= bgsaveRetryDelay {
		return
	}
	// The dirty counter reads every shard: only once a point is due.
	dirty := int64(-1)
	for _, sp := range s.Cfg.SavePoints() {
		if now-p.lastSave.Load() <= sp.Seconds {
			continue
		}
		if dirty < 0 {
			dirty = s.DirtySinceSave()
		}
		if dirty >= sp.Changes {
			s.logger().Info(fmt.Sprintf("%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds))
			s.startBgsave()
			return
		}
	}
}

// bgsaveRetryDelay is Redis's CONFIG_BGSAVE_RETRY_DELAY, in seconds.
const bgsaveRetryDelay = 5

// writesDenied is Redis's writeCommandsDeniedByDiskError for RDB: the last
// BGSAVE failed while save points are configured and
// stop-writes-on-bgsave-error is on. One atomic load when saves succeed.
func (s *Server) writesDenied() bool {
	return !s.persist.lastOK.Load() && s.Cfg.StopWritesOnBgsaveError() && s.Cfg.HasSavePoints()
}

// stopBgsave makes a running BGSAVE give up (FLUSHALL and SHUTDOWN, where
// Redis kills its child): the save that follows need not wait for it to
// finish writing a file it would replace.
func (s *Server) stopBgsave() {
	if s.persist.bgRunning.Load() {
		s.persist.abort.Store(true)
	}
}

// Save writes the dataset to the RDB file (SAVE, SHUTDOWN's final save)
// and, on success, makes it the last save.
func (s *Server) Save() error { return s.save(true, false) }

// flushSaved is FLUSHALL's save with save points configured, as Redis's
// flushAllDataAndResetRDB: the emptied dataset (functions only) is written
// at once, without reading the shards (the keyspace is empty at this
// instant, and EXEC or a script may be holding the world); no change is
// left unsaved.
func (s *Server) flushSaved() {
	if !s.Cfg.HasSavePoints() {
		return
	}
	s.stopBgsave()
	_ = s.save(false, false) // a failure is logged; FLUSHALL still answers OK, as Redis's
}

// save writes the file: the dataset (data) or no keys, stopping early when
// asked to (bg: BGSAVE's).
func (s *Server) save(data, bg bool) error {
	p := &s.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	// A request to stop a BGSAVE is for the one that held the lock until
	// now (it has returned) or for this one if it is it and still runs.
	p.abort.Store(false)
	var stop *atomic.Bool
	if bg {
		stop = &p.abort
	}
	dirty := s.KS.Changes()
	start := time.Now()
	keys, err := s.writeRDB(s.rdbPath(), start, data, stop)
	if err != nil {
		if !errors.Is(err, errSaveAborted) {
			s.logger().Warn("Failed saving the DB", "err", err)
		}
		return err
	}
	p.dirtyAt.Store(dirty)
	p.lastSave.Store(start.Unix())
	p.lastOK.Store(true)
	s.logger().Info("DB saved on disk", "keys", keys, "file", s.rdbPath(), "took", time.Since(start))
	return nil
}

// saveDelay is the hidden rdb-key-save-delay for a shard's n keys (Redis's
// test knob: each key a save writes takes that long, as keyLoadDelay), slept
// once the shard is unlocked, so only the save slows down, as Redis's child
// does; a BGSAVE told to stop stops sleeping.
func (s *Server) saveDelay(n int, stop *atomic.Bool) {
	d := s.Cfg.RDBKeySaveDelay()
	if d == 0 || n == 0 {
		return
	}
	total := time.Duration(d) * time.Microsecond * time.Duration(n)
	if d < 0 {
		total = time.Duration(n/int(-d)) * time.Microsecond
	}
	for end := time.Now().Add(total); time.Now().Before(end); {
		if stop != nil && stop.Load() {
			return
		}
		time.Sleep(min(time.Until(end), 10*time.Millisecond))
	}
}

// writeRDB writes the file through a temporary one in the same directory.
func (s *Server) writeRDB(path string, now time.Time, data bool, stop *atomic.Bool) (keys int, err error) {
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
		if !data || db.Len() == 0 {
			continue
		}
		if stop != nil && stop.Load() {
			return 0, errSaveAborted
		}
		w.SelectDB(i, uint64(db.Len()), uint64(db.Expires()))
		// Every key the keyspace holds, past its TTL or not, as Redis's
		// save writes its dict: a load skips (and counts) the expired.
		shardKeys := 0
		db.EachEntry(0, func(key []byte, e *store.Entry) bool {
			obj = appendObject(obj[:0], e, compress)
			pending = rdb.AppendKey(pending, key, e.ExpireAt(), obj)
			keys++
			shardKeys++
			return stop == nil || keys&1023 != 0 && shardKeys != 1 || !stop.Load()
		}, func() {
			s.saveDelay(shardKeys, stop)
			shardKeys = 0
			w.Raw(pending)
			if cap(pending) > 64<<20 {
				pending = nil // one huge shard does not pin its copy
			}
			pending = pending[:0]
		})
	}
	if stop != nil && stop.Load() {
		return 0, errSaveAborted
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
func (s *Server) LoadRDB(stop <-chan struct{}) error {
	defer s.endLoading()
	path := s.rdbPath()
	data, done, err := mapRDB(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	defer done()
	start := time.Now()
	now := start.UnixMilli()
	p := &s.persist
	p.loadStart.Store(start.Unix())
	p.loadTotal.Store(int64(len(data)))
	p.loadDone.Store(0)
	p.loadUsedMem.Store(0)
	ctx := &Ctx{S: s, Now: now}
	var read int64
	// Counted as they load, as Redis's INFO shows them during a load.
	p.loaded.Store(0)
	p.loadExpir.Store(0)
	var codes []string
	err = rdb.ReadFile(data, rdb.Loader{
		Aux: func(k, v []byte) {
			if string(k) == "used-mem" {
				n, _ := strconv.ParseInt(string(v), 10, 64)
				p.loadUsedMem.Store(n)
			}
		},
		Progress: func(off int) { p.loadDone.Store(int64(off)) },
		Function: func(code []byte) error {
			codes = append(codes, string(code))
			return nil
		},
		Key: func(dbi int, key []byte, at int64, v *rdb.Value) error {
			select {
			case <-stop:
				return ErrLoadStopped
			default:
			}
			read++
			if d := s.Cfg.KeyLoadDelay(); d != 0 {
				keyLoadDelay(d, read)
			}
			if dbi >= s.KS.Databases() {
				return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", s.KS.Databases())
			}
			if at != 0 && at <= now {
				p.loadExpir.Add(1)
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
					e.Unrecorded()
				}
			})
			if dup {
				return fmt.Errorf("duplicate key %q found in RDB file", key)
			}
			p.loaded.Add(1)
			return nil
		},
	})
	if err == nil && len(codes) > 0 {
		if msg := s.Scripts.RestoreLibraries(codes, "APPEND"); msg != "" {
			err = errors.New(msg)
		}
	}
	if errors.Is(err, ErrLoadStopped) {
		return err
	}
	if err != nil {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	s.persist.dirtyAt.Store(s.KS.Changes())
	s.logger().Info("DB loaded from disk", "file", path, "keys", p.loaded.Load(), "expired", p.loadExpir.Load(), "took", time.Since(start))
	return nil
}
