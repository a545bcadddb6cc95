package command

import (
	"bytes"
	"math"
	"math/big"
	"strconv"

	"github.com/smallredis/smallredis/internal/num"
)

// Argument parsing shared by the command families. Each helper accepts
// exactly what the Redis 7.0 C function it mirrors accepts, because the
// differential tests compare error replies for inputs like "+1", " 1",
// "01" or "1e".

// parseInt parses b as Redis's string2ll does (getLongLongFromObject and
// friends): an optional '-', then digits without leading zeros, no
// spaces, no '+', nothing after the digits, within int64.
func parseInt(b []byte) (int64, bool) { return num.ParseInt(b) }

// parseFloat parses b as Redis's getDoubleFromObject does with strtod:
// no leading space, the whole input consumed, "inf"/"infinity" allowed,
// NaN rejected, and overflow or underflow to zero rejected.
func parseFloat(b []byte) (float64, bool) {
	if !isStrtodSyntax(b) {
		return 0, false
	}
	s := string(b)
	switch b[0] {
	case '+', '-':
		if isInfWord(b[1:]) {
			if b[0] == '-' {
				return math.Inf(-1), true
			}
			return math.Inf(1), true
		}
	default:
		if isInfWord(b) {
			return math.Inf(1), true
		}
	}
	if isHexFloat(b) && !hasHexExponent(b) {
		s += "p0" // strtod makes the binary exponent optional; Go does not
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	if f == 0 && hasNonZeroDigit(b) {
		return 0, false // underflow: strtod sets ERANGE and returns 0
	}
	return f, true
}

// eqFold reports whether b equals s ignoring ASCII case, as Redis's
// strcasecmp comparisons of option words do.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// isStrtodSyntax reports whether glibc's strtod would consume all of b
// and not produce NaN: [+-] then a decimal or hexadecimal number, or
// "inf"/"infinity" (any case).
func isStrtodSyntax(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == '+' || b[0] == '-' {
		b = b[1:]
	}
	if isInfWord(b) {
		return true
	}
	hex := len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')
	isDigit := isDecDigit
	expChar := byte('e')
	if hex {
		b = b[2:]
		isDigit = isHexDigit
		expChar = 'p'
	}
	i, digits := 0, 0
	for i < len(b) && isDigit(b[i]) {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		// "0x" alone parses as "0" followed by garbage "x".
		return false
	}
	if i < len(b) && (b[i]|0x20) == expChar {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && isDecDigit(b[i]) {
			i++
		}
		if i == j {
			return false // strtod stops before the exponent: trailing garbage
		}
	}
	return i == len(b)
}

func isInfWord(b []byte) bool { return eqFold(b, "inf") || eqFold(b, "infinity") }

func isDecDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool {
	return isDecDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f')
}

func isHexFloat(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	return len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')
}

func hasHexExponent(b []byte) bool {
	for _, c := range b {
		if c == 'p' || c == 'P' {
			return true
		}
	}
	return false
}

// hasNonZeroDigit reports whether the mantissa of a syntactically valid
// number has a non-zero digit, to tell "0e5" from an underflow.
func hasNonZeroDigit(b []byte) bool {
	if b[0] == '+' || b[0] == '-' {
		b = b[1:]
	}
	hex := isHexFloat(b)
	isDigit, expChar := isDecDigit, byte('e')
	if hex {
		b, isDigit, expChar = b[2:], isHexDigit, 'p'
	}
	for _, c := range b {
		if c|0x20 == expChar {
			return false
		}
		if c != '0' && isDigit(c) {
			return true
		}
	}
	return false
}

// Redis does INCRBYFLOAT and HINCRBYFLOAT in C long double, which on
// x86-64 is the x87 80-bit format: a 64-bit mantissa and a 15-bit
// exponent. Replies like "10.6" for 10.5+0.1 depend on that precision, so
// we emulate it with big.Float at 64 bits, rounding to nearest even as the
// FPU does.
const (
	ldPrec       = 64
	ldMaxChars   = 5 * 1024 // MAX_LONG_DOUBLE_CHARS: longer inputs are rejected
	ldMaxExp     = 16384    // |x| >= 2^16384 overflows (big.Float exponent convention)
	ldMinExp     = -16445   // |x| <= 2^-16446, half the smallest denormal, rounds to 0
	ldDecExpSpan = 5000     // decimal exponents beyond this are out of range either way
)

// parseLongDouble parses b as Redis's string2ld (strtold) does: like
// parseFloat, but in long double range and precision. "inf" is accepted
// (the caller's arithmetic then rejects it); NaN is not.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars || !isStrtodSyntax(b) {
		return nil, false
	}
	neg := b[0] == '-'
	if b[0] == '+' || b[0] == '-' {
		b = b[1:]
	}
	z := new(big.Float).SetPrec(ldPrec)
	if isInfWord(b) {
		return z.SetInf(neg), true
	}
	hex := isHexFloat(b)
	base, expChar := 10, byte('e')
	if hex {
		b, base, expChar = b[2:], 16, 'p'
	}
	var mant big.Int
	digits := make([]byte, 0, len(b))
	frac, exp, i := 0, int64(0), 0
	seenDot := false
	for ; i < len(b) && b[i]|0x20 != expChar; i++ {
		if b[i] == '.' {
			seenDot = true
			continue
		}
		digits = append(digits, b[i])
		if seenDot {
			frac++
		}
	}
	if i < len(b) {
		exp = parseExponent(b[i+1:])
	}
	digits = bytes.TrimLeft(digits, "0") // so len(digits) measures the magnitude
	mant.SetString(string(digits), base)
	if mant.Sign() == 0 {
		if neg {
			z.Neg(z)
		}
		return z, true
	}
	if hex {
		z.SetInt(&mant) // rounds to 64 bits; the binary exponent is exact
		shift := exp - 4*int64(frac)
		if e := shift + int64(z.MantExp(nil)); e > ldMaxExp || e < ldMinExp {
			return nil, false // also keeps the int conversion below exact
		}
		z.SetMantExp(z, int(shift))
	} else {
		e := exp - int64(frac)
		magnitude := e + int64(len(digits))
		if magnitude > ldDecExpSpan || magnitude < -ldDecExpSpan {
			return nil, false
		}
		var r big.Rat
		pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(e)), nil)
		if e >= 0 {
			r.SetInt(mant.Mul(&mant, pow))
		} else {
			r.SetFrac(&mant, pow)
		}
		z.SetRat(&r)
	}
	if !ldInRange(z) {
		return nil, false
	}
	if neg {
		z.Neg(z)
	}
	return z, true
}

// parseExponent parses strtod's decimal exponent, [+-]digits, saturating
// at ±2^40: anything that large is out of range unless the mantissa is 0.
func parseExponent(b []byte) int64 {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var e int64
	for _, c := range b {
		e = min(e*10+int64(c-'0'), 1<<40)
	}
	if neg {
		e = -e
	}
	return e
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// ldInRange reports whether a finite non-zero x neither overflows nor
// underflows the long double range.
func ldInRange(x *big.Float) bool {
	var m big.Float
	e := x.MantExp(&m)
	if e == ldMinExp {
		// Exactly half the smallest denormal ties to even: zero.
		return m.Abs(&m).Cmp(big.NewFloat(0.5)) != 0
	}
	return e <= ldMaxExp && e >= ldMinExp
}

// addLongDouble returns a+b in long double arithmetic, or false when the
// sum is NaN or infinite (Redis: "increment would produce NaN or
// Infinity").
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	z := new(big.Float).SetPrec(ldPrec).Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// appendLongDouble formats x as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf" with trailing zeros (and a bare '.') trimmed, and "-0" as "0".
func appendLongDouble(dst []byte, x *big.Float) []byte {
	start := len(dst)
	dst = x.Append(dst, 'f', 17)
	if bytes.IndexByte(dst[start:], '.') >= 0 {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// ldZero is a long double 0, what a missing key counts as.
func ldZero() *big.Float { return new(big.Float).SetPrec(ldPrec) }
