package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseMemory parses a memory amount as redis.conf writes it: digits and an
// optional case-insensitive unit, with no blanks and no sign. Units follow
// Redis: b (or none) = 1, k = 1000, kb = 1024, m = 1000², mb = 1024²,
// g = 1000³, gb = 1024³. Like Redis, an empty number counts as 0 (so "" and
// "mb" are 0) and leading zeros are allowed. Unlike Redis, which wraps at
// 2⁶⁴, a value above math.MaxInt64 is an error.
func ParseMemory(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, fmt.Errorf("config: invalid memory value %q", s)
	}
	if i == 0 {
		return 0, nil
	}
	v, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil || v > math.MaxInt64/mul {
		return 0, fmt.Errorf("config: memory value %q out of range", s)
	}
	return int64(v * mul), nil
}

// FormatMemoryHuman formats a byte count the way INFO's *_human fields do
// (Redis's bytesToHuman): "0B", "1023B", "512.00K", "1.00M", "3.50G", with
// binary multiples up to P.
func FormatMemoryHuman(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return strconv.FormatInt(n, 10) + "B"
	case n < k*k:
		return strconv.FormatFloat(float64(n)/k, 'f', 2, 64) + "K"
	case n < k*k*k:
		return strconv.FormatFloat(float64(n)/(k*k), 'f', 2, 64) + "M"
	case n < k*k*k*k:
		return strconv.FormatFloat(float64(n)/(k*k*k), 'f', 2, 64) + "G"
	case n < k*k*k*k*k:
		return strconv.FormatFloat(float64(n)/(k*k*k*k), 'f', 2, 64) + "T"
	case n < k*k*k*k*k*k:
		return strconv.FormatFloat(float64(n)/(k*k*k*k*k), 'f', 2, 64) + "P"
	default:
		return strconv.FormatInt(n, 10) + "B"
	}
}

// formatMemoryConf writes a byte count for redis.conf the way CONFIG REWRITE
// does: in gb, mb or kb when it divides evenly, else in plain bytes.
func formatMemoryConf(n int64) string {
	const k = 1024
	switch {
	case n != 0 && n%(k*k*k) == 0:
		return strconv.FormatInt(n/(k*k*k), 10) + "gb"
	case n != 0 && n%(k*k) == 0:
		return strconv.FormatInt(n/(k*k), 10) + "mb"
	case n != 0 && n%k == 0:
		return strconv.FormatInt(n/k, 10) + "kb"
	default:
		return strconv.FormatInt(n, 10)
	}
}
