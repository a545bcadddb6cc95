package command

import (
	"bytes"
	"os"
	"strconv"
	"sync"

	"github.com/smallredis/smallredis/internal/evictor"
)

// checkStringLength reports whether a string of size bytes may grow by add
// (both non-negative), as Redis's checkStringLength: the result must fit
// proto-max-bulk-len, without overflowing. We also refuse a string larger
// than the machine's (or container's) memory: Redis would try to allocate
// it and abort, and the Go runtime would likewise die, beyond any
// recovery, when the kernel refuses the allocation. Redis's error text
// either way.
func (ctx *Ctx) checkStringLength(size, add int64) bool {
	limit := min(ctx.S.Cfg.ProtoMaxBulkLen(), memCeiling())
	if add > limit || size > limit-add {
		ctx.Err(ErrStringTooLong)
		return false
	}
	return true
}

// memCeiling is the host's physical memory, or the cgroup memory limit if
// lower: no single value can be larger.
var memCeiling = sync.OnceValue(func() int64 {
	total := int64(1) << 40 // unknown host: a bound the runtime can still address
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, ok := meminfoTotal(b); ok {
			total = kb << 10
		}
	}
	if cg := evictor.CgroupMemoryLimit(); cg > 0 {
		total = min(total, cg)
	}
	return total
})

// meminfoTotal reads MemTotal (kB) from /proc/meminfo.
func meminfoTotal(b []byte) (int64, bool) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("MemTotal:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		return kb, err == nil && kb > 0 && kb < 1<<50
	}
	return 0, false
}
