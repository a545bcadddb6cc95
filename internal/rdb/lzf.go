package rdb

import "sync"

// LZF as liblzf 3.6 writes it in the configuration Redis builds (HLOG 16,
// VERY_FAST, a fresh hash table per call): the same input gives the same
// bytes as Redis's, so our DUMP of a long string equals Redis's.
//
// The stream is a sequence of runs: a control byte below 32 is a literal
// run of ctrl+1 bytes; otherwise its top 3 bits are a back-reference length
// (7: one more length byte follows) and its low 5 bits with the next byte
// the offset-1 of the reference.

const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = 1<<8 + 1<<3
)

// lzfTable is the hash table of positions. Slots carry the epoch of the call
// that wrote them, so a pooled table needs no clearing between calls.
type lzfTable struct {
	slot  [lzfHSize]uint64 // epoch<<32 | position
	epoch uint32
}

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

func lzfIndex(h uint32) uint32 { return (h>>(3*8-lzfHLog) - h*5) & (lzfHSize - 1) }

// Compress writes in's LZF compression into out and returns its length, 0
// when it does not fit out (len(out) is the most it may take).
func Compress(in, out []byte) int {
	if len(in) == 0 || len(out) == 0 {
		return 0
	}
	t := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(t)
	t.epoch++
	if t.epoch == 0 { // wrapped: old slots could look current
		t.slot = [lzfHSize]uint64{}
		t.epoch = 1
	}
	tag := uint64(t.epoch) << 32
	lookup := func(h uint32, ip int) (ref int, ok bool) {
		s := &t.slot[lzfIndex(h)]
		old := *s
		*s = tag | uint64(ip)
		if old>>32 != uint64(t.epoch) {
			return 0, false
		}
		return int(uint32(old)), true
	}
	set := func(h uint32, ip int) { t.slot[lzfIndex(h)] = tag | uint64(ip) }

	end, oend := len(in), len(out)
	ip, op := 0, 1 // op 0 is the first run's control byte
	lit := 0
	hval := uint32(in[0])<<8 | uint32(at(in, 1))
	for ip < end-2 {
		hval = hval<<8 | uint32(in[ip+2])
		ref, ok := lookup(hval, ip)
		if ok && ref < ip && ip-ref-1 < lzfMaxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			off := ip - ref - 1
			n := 2
			maxlen := min(end-ip-n, lzfMaxRef)
			if op+3+1 >= oend {
				nolit := 0
				if lit == 0 {
					nolit = 1
				}
				if op-nolit+3+1 >= oend {
					return 0
				}
			}
			out[op-lit-1] = byte(lit - 1) // stop the literal run
			if lit == 0 {
				op-- // no literals: drop the empty run
			}
			n = matchLen(in, ref, ip, maxlen)
			n -= 2 // n is now the match length - 1
			ip++
			if n < 7 {
				out[op] = byte(off>>8 + n<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(n - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start a run
			ip += n + 1
			if ip >= end-2 {
				break
			}
			// VERY_FAST: hash the last two positions of the match.
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			set(hval, ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			set(hval, ip)
			ip++
			continue
		}
		if op >= oend {
			return 0
		}
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > oend {
		return 0
	}
	for ip < end {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return op
}

// matchLen extends a match of 3 bytes as liblzf does, including its
// unrolled first 16 steps, which do not check maxlen (so a match near the
// end may come out longer than maxlen, never longer than what matched).
func matchLen(in []byte, ref, ip, maxlen int) int {
	n := 2
	if maxlen > 16 {
		for range 16 {
			n++
			if in[ref+n] != in[ip+n] {
				return n
			}
		}
	}
	for {
		n++
		if n >= maxlen || in[ref+n] != in[ip+n] {
			return n
		}
	}
}

func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// Decompress expands LZF data that must come to exactly size bytes.
func Decompress(in []byte, size int) ([]byte, bool) {
	out := make([]byte, 0, size)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > size {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1F)<<8 - 1 - int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > size {
			return nil, false
		}
		if ref+n <= len(out) {
			out = append(out, out[ref:ref+n]...)
			continue
		}
		for j := 0; j < n; j++ { // overlapping: a run repeating itself
			out = append(out, out[ref+j])
		}
	}
	return out, len(out) == size
}
