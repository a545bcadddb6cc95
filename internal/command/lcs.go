package command

import "github.com/smallredis/smallredis/internal/store"

// readStrings copies the string values at keys, read together, for
// commands that need several at once, counting a hit or miss for each. A
// missing key reads as nil. If a key holds another type it replies with
// wrongType and returns false; lookAll says whether Redis looked up the
// remaining keys first (LCS) or stopped there (BITOP), which shows in the
// hit/miss counters.
func readStrings(ctx *Ctx, keys [][]byte, wrongType string, lookAll bool) ([][]byte, bool) {
	vals := make([][]byte, len(keys))
	bad := false
	ctx.Multi(keys, func(es []*store.Entry) {
		for i, e := range es {
			if !e.Exists() {
				ctx.Miss()
				continue
			}
			ctx.Hit()
			if e.Type() != store.TypeString {
				bad = true
				if !lookAll {
					return
				}
				continue
			}
			vals[i] = append([]byte(nil), e.Str()...)
		}
	})
	if bad {
		ctx.Err(wrongType)
		return nil, false
	}
	return vals, true
}

// lcsMaxCells bounds LCS's dynamic-programming table (4 bytes a cell, so
// 1 GiB). Redis tries any size and fails this way only when malloc does;
// we refuse earlier rather than let one command exhaust memory.
const lcsMaxCells = 1 << 28

// lcs: LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
func lcs(ctx *Ctx) {
	vals, ok := readStrings(ctx, ctx.Args[1:3], ErrLCSType, true)
	if !ok {
		return
	}
	a, b := vals[0], vals[1]
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for i := 3; i < len(ctx.Args); i++ {
		o := ctx.Args[i]
		switch {
		case eqFold(o, "idx"):
			getIdx = true
		case eqFold(o, "len"):
			getLen = true
		case eqFold(o, "withmatchlen"):
			withMatchLen = true
		case eqFold(o, "minmatchlen") && i+1 < len(ctx.Args):
			n, ok := parseInt(ctx.Args[i+1])
			if !ok {
				ctx.Err(ErrNotInt)
				return
			}
			minMatchLen = max(n, 0)
			i++
		default:
			ctx.Err(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		ctx.Err(ErrLCSLenIdx)
		return
	}
	if (int64(len(a))+1)*(int64(len(b))+1) > lcsMaxCells {
		ctx.Err("ERR Insufficient memory, failed allocating transient memory for LCS")
		return
	}

	// table[i*(len(b)+1)+j] is the LCS length of a[:i] and b[:j].
	w := len(b) + 1
	table := make([]uint32, (len(a)+1)*w)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				table[i*w+j] = table[(i-1)*w+j-1] + 1
			} else {
				table[i*w+j] = max(table[(i-1)*w+j], table[i*w+j-1])
			}
		}
	}
	total := table[len(a)*w+len(b)]
	if getLen {
		ctx.W.Int(int64(total))
		return
	}

	// Walk back from the end, as Redis does, collecting the LCS string
	// and the matching ranges (latest first).
	type match struct{ aStart, aEnd, bStart, bEnd int }
	var ranges []match
	result := make([]byte, total)
	idx := total
	cur := match{aStart: -1}
	i, j := len(a), len(b)
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if cur.aStart < 0 {
				cur = match{i - 1, i - 1, j - 1, j - 1}
			} else if cur.aStart == i && cur.bStart == j {
				cur.aStart--
				cur.bStart--
			} else {
				emit = true
			}
			if cur.aStart == 0 || cur.bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if table[(i-1)*w+j] > table[i*w+j-1] {
				i--
			} else {
				j--
			}
			if cur.aStart >= 0 {
				emit = true
			}
		}
		if emit {
			if n := cur.aEnd - cur.aStart + 1; minMatchLen == 0 || int64(n) >= minMatchLen {
				ranges = append(ranges, cur)
			}
			cur.aStart = -1
		}
	}
	if !getIdx {
		ctx.W.Bulk(result)
		return
	}
	ctx.W.Map(2)
	ctx.W.BulkString("matches")
	ctx.W.Array(len(ranges))
	for _, m := range ranges {
		if withMatchLen {
			ctx.W.Array(3)
		} else {
			ctx.W.Array(2)
		}
		ctx.W.Array(2)
		ctx.W.Int(int64(m.aStart))
		ctx.W.Int(int64(m.aEnd))
		ctx.W.Array(2)
		ctx.W.Int(int64(m.bStart))
		ctx.W.Int(int64(m.bEnd))
		if withMatchLen {
			ctx.W.Int(int64(m.aEnd - m.aStart + 1))
		}
	}
	ctx.W.BulkString("len")
	ctx.W.Int(int64(total))
}
