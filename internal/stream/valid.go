package stream

import (
	"encoding/binary"

	"github.com/smallredis/smallredis/internal/lpcodec"
)

// safeSkip is skip with bounds checks: the element at p must fit before
// the end byte and carry a matching backlen.
func safeSkip(lp []byte, p int) (int, bool) {
	end := len(lp) - 1
	if p >= end || lp[p] > 0xF4 {
		return 0, false
	}
	c := lp[p]
	if (c >= 0xE0 && c < 0xF0 && p+1 >= end) || (c == 0xF0 && p+5 > end) {
		return 0, false // the length itself runs past the end
	}
	n := encSize(lp, p)
	q := p + n + lpcodec.BacklenSize(n)
	if n <= 0 || q > end || q < p {
		return 0, false
	}
	if prev(lp, q) != p {
		return 0, false
	}
	return q, true
}

// safeInt reads an integer element at p.
func safeInt(lp []byte, p int) (int64, int, bool) {
	q, ok := safeSkip(lp, p)
	if !ok {
		return 0, 0, false
	}
	_, v, isInt, _ := decodeAt(lp, p)
	if !isInt {
		return 0, 0, false
	}
	return v, q, true
}

// ValidNode reports whether lp is a well-formed stream node for master:
// the listpack's framing, the master entry, and each entry's flags, IDs
// (increasing, not below master), fields and lp-count, with the master
// counters matching the entries.
func ValidNode(master ID, lp []byte) bool {
	if len(lp) < lpHeader+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != lpEnd {
		return false
	}
	elems := 0
	live, p, ok := safeInt(lp, lpHeader)
	if !ok || live < 0 {
		return false
	}
	dead, p, ok := safeInt(lp, p)
	if !ok || dead < 0 {
		return false
	}
	nf, p, ok := safeInt(lp, p)
	if !ok || nf < 0 || nf > int64(len(lp)) {
		return false
	}
	elems += 3
	for range nf {
		if p, ok = safeSkip(lp, p); !ok {
			return false
		}
		elems++
	}
	zero, p, ok := safeInt(lp, p)
	if !ok || zero != 0 {
		return false
	}
	elems++
	var gotLive, gotDead int64
	var last ID
	firstEntry := true
	for p < len(lp)-1 {
		var flags, ms, seq int64
		if flags, p, ok = safeInt(lp, p); !ok || flags < 0 || flags > 3 {
			return false
		}
		if ms, p, ok = safeInt(lp, p); !ok {
			return false
		}
		if seq, p, ok = safeInt(lp, p); !ok {
			return false
		}
		id := ID{master.Ms + uint64(ms), master.Seq + uint64(seq)}
		if id.Less(master) || (!firstEntry && !last.Less(id)) {
			return false
		}
		firstEntry, last = false, id
		var k int64
		if flags&flagSameFields != 0 {
			k = nf
		} else {
			var n int64
			if n, p, ok = safeInt(lp, p); !ok || n < 0 || n > int64(len(lp)) {
				return false
			}
			k = 2 * n
		}
		for range k {
			if p, ok = safeSkip(lp, p); !ok {
				return false
			}
		}
		var lc int64
		if lc, p, ok = safeInt(lp, p); !ok {
			return false
		}
		if flags&flagSameFields == 0 {
			if lc != 3+1+k {
				return false
			}
		} else if lc != 3+nf {
			return false
		}
		elems += int(lc) + 1
		if flags&flagDeleted != 0 {
			gotDead++
		} else {
			gotLive++
		}
	}
	if gotLive != live || gotDead != dead {
		return false
	}
	if c := lpCount(lp); c != 65535 && c != elems {
		return false
	}
	return gotLive+gotDead > 0
}
