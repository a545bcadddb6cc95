package command

import (
	"math"

	"github.com/smallredis/smallredis/internal/store"
	"github.com/smallredis/smallredis/internal/stream"
)

// streamCommands operate on streams (package stream), with Redis 7.0's
// semantics and replies: entries, trimming, reading (XREAD, blocking with
// BLOCK), and consumer groups (stream_group.go).
var streamCommands = []*Spec{
	{Name: "xadd", Arity: -5, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteFast, Handler: xadd},
	{Name: "xlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamReadFast, Handler: xlen},
	{Name: "xrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamReadSlow, Handler: xrange},
	{Name: "xrevrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamReadSlow, Handler: xrevrange},
	{Name: "xdel", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteFast, Handler: xdel},
	{Name: "xtrim", Arity: -4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteSlow, Handler: xtrim},
	{Name: "xread", Arity: -4, Flags: ReadOnly | Blocking, ACL: aclStreamReadBlocking, Handler: xread, KeysFunc: xreadKeys},
	{Name: "xreadgroup", Arity: -7, Flags: Write | Blocking, ACL: aclStreamWriteBlocking, Handler: xreadgroup, KeysFunc: xreadKeys},
	{Name: "xsetid", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteFast, Handler: xsetid},
	{Name: "xack", Arity: -4, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteFast, Handler: xack},
	{Name: "xpending", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamReadSlow, Handler: xpending},
	{Name: "xclaim", Arity: -6, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteFast, Handler: xclaim},
	{Name: "xautoclaim", Arity: -6, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, ACL: aclStreamWriteFast, Handler: xautoclaim},
	{Name: "xgroup", Arity: -2, ACL: aclStreamSlow, Subs: []*Spec{
		{Name: "create", Arity: -5, Flags: Write | DenyOOM, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamWriteSlow, Handler: xgroupCreate},
		{Name: "setid", Arity: -5, Flags: Write, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamWriteSlow, Handler: xgroupSetID},
		{Name: "destroy", Arity: 4, Flags: Write, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamWriteSlow, Handler: xgroupDestroy},
		{Name: "createconsumer", Arity: 5, Flags: Write | DenyOOM, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamWriteSlow, Handler: xgroupCreateConsumer},
		{Name: "delconsumer", Arity: 5, Flags: Write, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamWriteSlow, Handler: xgroupDelConsumer},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: aclStreamHelp, Handler: xgroupHelp},
	}},
	{Name: "xinfo", Arity: -2, ACL: aclStreamSlow, Subs: []*Spec{
		{Name: "stream", Arity: -3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamReadSlow, Handler: xinfoStream},
		{Name: "groups", Arity: 3, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamReadSlow, Handler: xinfoGroups},
		{Name: "consumers", Arity: 4, Flags: ReadOnly, FirstKey: 2, LastKey: 2, Step: 1, ACL: aclStreamReadSlow, Handler: xinfoConsumers},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: aclStreamHelp, Handler: xinfoHelp},
	}},
}

var (
	aclStreamReadFast      = []string{"read", "stream", "fast"}
	aclStreamReadSlow      = []string{"read", "stream", "slow"}
	aclStreamWriteFast     = []string{"write", "stream", "fast"}
	aclStreamWriteSlow     = []string{"write", "stream", "slow"}
	aclStreamSlow          = []string{"slow"}
	aclStreamHelp          = []string{"slow", "stream"}
	aclStreamReadBlocking  = []string{"read", "stream", "slow", "blocking"}
	aclStreamWriteBlocking = []string{"write", "stream", "slow", "blocking"}
)

const (
	errStreamID       = "ERR Invalid stream ID specified as stream command argument"
	errXAddZero       = "ERR The ID specified in XADD must be greater than 0-0"
	errXAddSmaller    = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXAddExhausted  = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errXAddTooLarge   = "ERR Elements are too large to be stored"
	errXTrimBoth      = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errXMaxLenNeg     = "ERR The MAXLEN argument must be >= 0."
	errXLimitNeg      = "ERR The LIMIT argument must be >= 0."
	errXLimitNoTrim   = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errXTrimNoStrat   = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errXLimitNoApprox = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errXStartInterval = "ERR invalid start ID for the interval"
	errXEndInterval   = "ERR invalid end ID for the interval"
)

func streamLimits(ctx *Ctx) stream.Limits {
	c := ctx.S.Cfg
	return stream.Limits{
		NodeMaxBytes:   int(min(c.StreamNodeMaxBytes(), math.MaxInt32)),
		NodeMaxEntries: int(min(c.StreamNodeMaxEntries(), math.MaxInt32)),
	}
}

// streamOf is the stream a key holds; the caller has checked the type.
func streamOf(e *store.Entry) *stream.Stream { return e.Obj().(*stream.Stream) }

// streamRead is readTyped for a stream: nil when missing; ok false after WRONGTYPE.
func streamRead(ctx *Ctx, e *store.Entry) (*stream.Stream, bool) {
	exists, ok := readTyped(ctx, e, store.TypeStream)
	if !ok || !exists {
		return nil, ok
	}
	return streamOf(e), true
}

// streamWrite is writeTyped for a stream.
func streamWrite(ctx *Ctx, e *store.Entry) (*stream.Stream, bool) {
	exists, ok := writeTyped(ctx, e, store.TypeStream)
	if !ok || !exists {
		return nil, ok
	}
	return streamOf(e), true
}

// parseStreamID is streamGenericParseIDOrReply: "-" and "+" unless strict.
func parseStreamID(ctx *Ctx, b []byte, missingSeq uint64, strict bool) (stream.ID, bool) {
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			ctx.Err(errStreamID)
			return stream.ID{}, false
		}
		if b[0] == '-' {
			return stream.ID{}, true
		}
		return stream.Max, true
	}
	id, _, ok := stream.Parse(b, missingSeq)
	if !ok {
		ctx.Err(errStreamID)
	}
	return id, ok
}

// parseIntervalID reads a range bound, "(" making it exclusive.
func parseIntervalID(ctx *Ctx, b []byte, missingSeq uint64) (id stream.ID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = parseStreamID(ctx, b[1:], missingSeq, true)
		return id, true, ok
	}
	id, ok = parseStreamID(ctx, b, missingSeq, false)
	return id, false, ok
}

// parseRangeStart reads a range's start ("(" exclusive: the next ID),
// with an incomplete ID's sequence 0.
func parseRangeStart(ctx *Ctx, b []byte) (stream.ID, bool) {
	id, excl, ok := parseIntervalID(ctx, b, 0)
	if ok && excl {
		if id, ok = id.Next(); !ok {
			ctx.Err(errXStartInterval)
		}
	}
	return id, ok
}

// parseRangeEnd reads a range's end ("(" exclusive: the previous ID),
// with an incomplete ID's sequence the largest.
func parseRangeEnd(ctx *Ctx, b []byte) (stream.ID, bool) {
	id, excl, ok := parseIntervalID(ctx, b, math.MaxUint64)
	if ok && excl {
		if id, ok = id.Prev(); !ok {
			ctx.Err(errXEndInterval)
		}
	}
	return id, ok
}

// writeStreamID writes id as a bulk string.
func writeStreamID(ctx *Ctx, id stream.ID) {
	var buf [48]byte
	ctx.W.Bulk(id.Append(buf[:0]))
}

// writeEntry writes [id, [field, value, …]].
func writeEntry(ctx *Ctx, id stream.ID, fv [][]byte) {
	ctx.W.Array(2)
	writeStreamID(ctx, id)
	ctx.W.Array(len(fv))
	for _, b := range fv {
		ctx.W.Bulk(b)
	}
}

// trimArgs parses XADD's and XTRIM's options from Args[2:]; for XADD it
// returns the index of the ID argument, with the ID. ok false after an
// error reply.
type addArgs struct {
	trim     stream.TrimArgs
	noMk     bool
	id       stream.ID
	idGiven  bool
	seqGiven bool
	idPos    int
}

func parseAddTrim(ctx *Ctx, xadd bool) (a addArgs, ok bool) {
	args := ctx.Args
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			a.idPos = i
			goto done
		case (eqFold(opt, "maxlen") || eqFold(opt, "minid")) && more > 0:
			if a.trim.Strategy != stream.TrimNone {
				ctx.Err(errXTrimBoth)
				return a, false
			}
			a.trim.Approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.trim.Approx = next[0] == '~'
				i++
			}
			if eqFold(opt, "maxlen") {
				n, ok := parseInt(args[i+1])
				if !ok {
					ctx.Err(ErrNotInt)
					return a, false
				}
				if n < 0 {
					ctx.Err(errXMaxLenNeg)
					return a, false
				}
				a.trim.Strategy, a.trim.MaxLen = stream.TrimMaxLen, n
			} else {
				id, ok := parseStreamID(ctx, args[i+1], 0, true)
				if !ok {
					return a, false
				}
				a.trim.Strategy, a.trim.MinID = stream.TrimMinID, id
			}
			i++
		case eqFold(opt, "limit") && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return a, false
			}
			if n < 0 {
				ctx.Err(errXLimitNeg)
				return a, false
			}
			a.trim.Limit, limitGiven = n, true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			a.noMk = true
		case xadd:
			id, seqGiven, ok := parseAddID(opt)
			if !ok {
				ctx.Err(errStreamID)
				return a, false
			}
			a.id, a.seqGiven, a.idGiven, a.idPos = id, seqGiven, true, i
			goto done
		default:
			ctx.Err(ErrSyntax)
			return a, false
		}
	}
	a.idPos = i
done:
	if a.trim.Limit != 0 && a.trim.Strategy == stream.TrimNone {
		ctx.Err(errXLimitNoTrim)
		return a, false
	}
	if !xadd && a.trim.Strategy == stream.TrimNone {
		ctx.Err(errXTrimNoStrat)
		return a, false
	}
	if limitGiven {
		if !a.trim.Approx {
			ctx.Err(errXLimitNoApprox)
			return a, false
		}
	} else if a.trim.Approx {
		l := 100 * ctx.S.Cfg.StreamNodeMaxEntries()
		if l <= 0 {
			l = 10000
		}
		a.trim.Limit = min(l, 1000000)
	} else {
		a.trim.Limit = 0
	}
	return a, true
}

// parseAddID is XADD's strict ID: "ms-seq", "ms" or "ms-*" (seqGiven false).
func parseAddID(b []byte) (stream.ID, bool, bool) {
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		return stream.ID{}, false, false
	}
	if n := len(b); n >= 2 && b[n-1] == '*' && b[n-2] == '-' {
		id, _, ok := stream.Parse(b[:n-2], 0)
		return id, false, ok
	}
	id, _, ok := stream.Parse(b, 0)
	return id, true, ok
}

// xadd: XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
func xadd(ctx *Ctx) {
	a, ok := parseAddTrim(ctx, true)
	if !ok {
		return
	}
	fv := ctx.Args[a.idPos+1:]
	if len(fv) < 2 || len(fv)%2 == 1 {
		ctx.ErrArity()
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		ctx.Err(errXAddZero)
		return
	}
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		s, ok := streamWrite(ctx, e)
		if !ok {
			return
		}
		if s == nil {
			if a.noMk {
				ctx.W.Null()
				return
			}
			s = stream.New()
			e.SetObj(store.TypeStream, s)
		}
		if s.LastID() == stream.Max {
			ctx.Err(errXAddExhausted)
			return
		}
		var id stream.ID
		switch {
		case a.idGiven && a.seqGiven:
			id = a.id
		case a.idGiven:
			id = a.id
			if s.LastID().Ms == a.id.Ms {
				if s.LastID().Seq == math.MaxUint64 {
					ctx.Err(errXAddTooLarge) // Redis's errno is not EDOM here
					return
				}
				id = stream.ID{Ms: a.id.Ms, Seq: s.LastID().Seq + 1}
			}
		default:
			id, _ = s.NextAutoID(uint64(store.WallMs(store.Mono())))
		}
		if !s.LastID().Less(id) {
			ctx.Err(errXAddSmaller)
			return
		}
		tot := 0
		for _, b := range fv {
			tot += len(b)
		}
		if tot > 1<<30 {
			ctx.Err(errXAddTooLarge)
			return
		}
		s.Add(id, fv, streamLimits(ctx))
		writeStreamID(ctx, id)
		ctx.Notify(EvStream, "xadd", key)
		if a.trim.Strategy != stream.TrimNone && s.Trim(a.trim) > 0 {
			ctx.Notify(EvStream, "xtrim", key)
		}
		ctx.signalPushed(key, e)
	})
}

// xlen: XLEN key
func xlen(ctx *Ctx) {
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		s, ok := streamRead(ctx, e)
		switch {
		case !ok:
		case s == nil:
			ctx.W.Int(0)
		default:
			ctx.W.Int(int64(s.Len()))
		}
	})
}

// xrange: XRANGE key start end [COUNT count]
func xrange(ctx *Ctx) { xrangeGeneric(ctx, false) }

// xrevrange: XREVRANGE key end start [COUNT count]
func xrevrange(ctx *Ctx) { xrangeGeneric(ctx, true) }

func xrangeGeneric(ctx *Ctx, rev bool) {
	startArg, endArg := ctx.Args[2], ctx.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := parseRangeStart(ctx, startArg)
	if !ok {
		return
	}
	end, ok := parseRangeEnd(ctx, endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(ctx.Args); j++ {
		if eqFold(ctx.Args[j], "count") && j+1 < len(ctx.Args) {
			n, ok := parseInt(ctx.Args[j+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		ctx.Err(ErrSyntax)
		return
	}
	ctx.View(ctx.Args[1], func(e *store.Entry) {
		s, ok := streamRead(ctx, e)
		switch {
		case !ok:
		case s == nil:
			ctx.W.Array(0)
		case count == 0:
			ctx.W.NullArray()
		default:
			replyRange(ctx, s, start, end, max(count, 0), rev)
		}
	})
}

// replyRange writes the entries of [start, end], at most count (0: all).
func replyRange(ctx *Ctx, s *stream.Stream, start, end stream.ID, count int64, rev bool) int {
	at := ctx.W.Mark()
	n := 0
	s.Range(start, end, rev, func(id stream.ID, fv [][]byte) bool {
		writeEntry(ctx, id, fv)
		n++
		return count == 0 || int64(n) < count
	})
	ctx.W.SetArray(at, n)
	return n
}

// xdel: XDEL key id [id ...]
func xdel(ctx *Ctx) {
	ids := make([]stream.ID, 0, len(ctx.Args)-2)
	for _, b := range ctx.Args[2:] {
		id, ok := parseStreamID(ctx, b, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	streamRemove(ctx, "xdel", func(s *stream.Stream) (n int64) {
		for _, id := range ids {
			if s.Delete(id) {
				n++
			}
		}
		return n
	})
}

// xtrim: XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func xtrim(ctx *Ctx) {
	a, ok := parseAddTrim(ctx, false)
	if !ok {
		return
	}
	streamRemove(ctx, "xtrim", func(s *stream.Stream) int64 { return s.Trim(a.trim) })
}

// streamRemove is XDEL's and XTRIM's write: remove takes entries out of
// the stream at ctx.Args[1], the reply is how many (0 for a missing key),
// and event is sent when there were any.
func streamRemove(ctx *Ctx, event string, remove func(*stream.Stream) int64) {
	key := ctx.Args[1]
	ctx.Update(key, func(e *store.Entry) {
		s, ok := streamWrite(ctx, e)
		switch {
		case !ok:
			return
		case s == nil:
			ctx.W.Int(0)
			return
		}
		n := remove(s)
		if n > 0 {
			ctx.Notify(EvStream, event, key)
		}
		ctx.W.Int(n)
	})
}

// xreadKeys finds XREAD's and XREADGROUP's keys: the first half of what
// follows STREAMS.
func xreadKeys(args [][]byte) []int {
	for i := 1; i < len(args); i++ {
		if eqFold(args[i], "streams") {
			n := (len(args) - i - 1) / 2
			keys := make([]int, n)
			for j := range keys {
				keys[j] = i + 1 + j
			}
			return keys
		}
	}
	return nil
}
