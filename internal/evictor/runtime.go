package evictor

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/smallredis/smallredis/internal/config"
)

// CgroupFraction is the share of a container's memory limit that maxmemory
// defaults to: the rest is for what used_memory does not count (arena space
// awaiting compaction, the garbage collector's headroom, connection buffers,
// the runtime), so that the kernel's OOM killer never has to act.
const CgroupFraction = 0.75

// CgroupMemoryLimit returns the memory limit of the cgroup (v2 memory.max or
// v1 memory.limit_in_bytes) this process runs in, the tightest along its
// path, or 0 when there is none.
func CgroupMemoryLimit() int64 {
	return cgroupLimit(os.ReadFile)
}

// cgroupLimit reads through readFile so tests can fake /proc and /sys.
func cgroupLimit(readFile func(string) ([]byte, error)) int64 {
	self, err := readFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	mounts, err := readFile("/proc/self/mountinfo")
	if err != nil {
		return 0
	}
	best := int64(0)
	for _, m := range cgroupMounts(mounts) {
		p, ok := cgroupPath(self, m.v2)
		if !ok || !strings.HasPrefix(p, m.root) {
			continue
		}
		rel := strings.TrimPrefix(p, m.root)
		file := "memory.limit_in_bytes"
		if m.v2 {
			file = "memory.max"
		}
		// The tightest limit from our cgroup up to the mount's root; in a
		// container whose cgroup namespace hides the path, the root's own.
		for dir := path.Join(m.point, rel); ; dir = path.Dir(dir) {
			if n := readLimit(readFile, path.Join(dir, file)); n > 0 && (best == 0 || n < best) {
				best = n
			}
			if dir == m.point || len(dir) <= len(m.point) {
				break
			}
		}
	}
	return best
}

type cgroupMount struct {
	root, point string
	v2          bool
}

// cgroupMounts finds the memory controller's mounts in /proc/self/mountinfo:
// "id parent major:minor root mountpoint options … - fstype source superopts".
func cgroupMounts(mountinfo []byte) []cgroupMount {
	var out []cgroupMount
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+3 > len(f) {
			continue
		}
		switch f[sep+1] {
		case "cgroup2":
			out = append(out, cgroupMount{root: f[3], point: f[4], v2: true})
		case "cgroup":
			for _, o := range strings.Split(f[sep+3], ",") {
				if o == "memory" {
					out = append(out, cgroupMount{root: f[3], point: f[4]})
				}
			}
		}
	}
	return out
}

// cgroupPath finds our cgroup in /proc/self/cgroup: the "0::path" line for
// v2, the line whose controllers include memory for v1.
func cgroupPath(self []byte, v2 bool) (string, bool) {
	for _, line := range strings.Split(string(self), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if v2 && parts[0] == "0" && parts[1] == "" {
			return parts[2], true
		}
		if !v2 {
			for _, c := range strings.Split(parts[1], ",") {
				if c == "memory" {
					return parts[2], true
				}
			}
		}
	}
	return "", false
}

// readLimit parses a limit file; "max" and v1's near-2^63 "unlimited" are 0.
func readLimit(readFile func(string) ([]byte, error), file string) int64 {
	b, err := readFile(file)
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= math.MaxInt64/2 {
		return 0
	}
	return n
}

// GoMemoryLimit is the Go runtime's soft memory limit for a maxmemory: room
// for the data, plus what used_memory does not count (a quarter of it for
// arena space awaiting compaction and the collector's own slack) and 24 MiB
// for buffers and the runtime, but never more than 90 % of the cgroup's limit
// (cgroup 0 = none). No maxmemory and no cgroup: no limit.
func GoMemoryLimit(maxmemory, cgroup int64) int64 {
	limit := int64(math.MaxInt64)
	if maxmemory > 0 {
		limit = maxmemory + maxmemory/4 + 24<<20
	}
	if cgroup > 0 {
		limit = min(limit, cgroup/10*9)
	}
	return limit
}

// TieRuntime sets the Go runtime's memory limit from maxmemory now and
// whenever CONFIG SET changes it, so the collector works harder as the
// process nears its budget rather than letting the heap double. It is
// process-wide: call it once, from main, not per server. report, if not
// nil, is told each limit set.
func TieRuntime(cfg *config.Config, cgroup int64, report func(goLimit int64)) {
	apply := func() {
		l := GoMemoryLimit(cfg.MaxMemory(), cgroup)
		debug.SetMemoryLimit(l)
		if report != nil {
			report(l)
		}
	}
	apply()
	cfg.OnChange("maxmemory", apply)
}
