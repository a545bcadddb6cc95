// Package glob matches byte strings against Redis glob-style patterns (KEYS,
// SCAN MATCH, PSUBSCRIBE, CONFIG GET …) with the semantics of Redis's
// stringmatchlen, quirks included. It knows nothing of keys or commands.
//
// Pattern elements:
//
//	"*"      any sequence of bytes
//	"?"      any single byte
//	"[abc]"  one byte of the set; "[^abc]" one byte not in it
//	"[a-z]"  a byte range; reversed ranges such as "[z-a]" are swapped
//	`\x`     the byte x literally (also inside brackets)
//
// Redis quirks reproduced on purpose, because clients see them:
//   - an empty string matches only the empty pattern ("*" does not match "";
//     Redis's KEYS and SCAN special-case a lone "*" before matching, and
//     callers here should do the same);
//   - a trailing "\" matches a literal backslash;
//   - an unclosed "[" takes the rest of the pattern as its set, so "[" alone
//     never matches and "[^" matches any single byte;
//   - in a set, "\x" is compared case-sensitively even when nocase is set,
//     and the byte after "-" is taken literally, so "[a-]" is the range ']'..'a'
//     and does not close the set;
//   - range bounds compare as C chars, which are signed on amd64 Linux (where
//     Redis is normally built), so bytes ≥ 0x80 sort below ASCII in ranges;
//   - a pattern whose 1001st group of stars is followed by anything never
//     matches (Redis's recursion limit against abusive patterns).
package glob

// maxStarGroups mirrors Redis's nesting limit: each star group recurses one
// level deeper there, and a call nested more than 1000 deep reports no match.
const maxStarGroups = 1000

// Match reports whether s matches pattern. nocase folds ASCII letters.
// It does not allocate and runs in O(len(pattern)·len(s)) time: like the
// skipLongerMatches optimisation of Redis 7, it only ever backtracks to the
// most recent star, because whatever an earlier star could absorb the later
// one can absorb too, so "*a*a*a…b" against a long string is not exponential.
func Match(pattern, s []byte, nocase bool) bool {
	if len(s) == 0 {
		return len(pattern) == 0
	}
	p, i := 0, 0
	// Backtrack point: the pattern position just after the latest star group,
	// the string position that star currently stops at, and its ordinal.
	backP, backI, backStars := -1, 0, 0
	stars := 0
	for {
		if i == len(s) {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
		} else if p < len(pattern) {
			if pattern[p] == '*' {
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				stars++
				if stars > maxStarGroups {
					return false
				}
				backP, backI, backStars = p, i, stars
				continue
			}
			if ok, next := matchOne(pattern, p, s[i], nocase); ok {
				p = next
				i++
				continue
			}
		}
		// Mismatch: let the latest star absorb one more byte. Everything after
		// a star group starts with an element that needs a byte, so there is
		// nothing to try once the star would absorb the whole rest.
		if backP < 0 {
			return false
		}
		backI++
		if backI == len(s) {
			return false
		}
		p, i, stars = backP, backI, backStars
	}
}

// matchOne matches the single non-star element at pattern[p] against c and
// returns where the next element starts.
func matchOne(pattern []byte, p int, c byte, nocase bool) (bool, int) {
	switch pattern[p] {
	case '?':
		return true, p + 1
	case '[':
		return matchSet(pattern, p+1, c, nocase)
	case '\\':
		if p+1 < len(pattern) {
			p++
		}
	}
	return equal(pattern[p], c, nocase), p + 1
}

// matchSet matches c against the set starting at pattern[q] (just after the
// "[") and returns where the next element starts: after the closing "]", or
// the end of the pattern if the set is unclosed.
func matchSet(pattern []byte, q int, c byte, nocase bool) (bool, int) {
	n := len(pattern)
	negate := q < n && pattern[q] == '^'
	if negate {
		q++
	}
	match := false
	for q < n {
		switch {
		case pattern[q] == '\\' && n-q >= 2:
			q++
			if pattern[q] == c {
				match = true
			}
		case pattern[q] == ']':
			return match != negate, q + 1
		case n-q >= 3 && pattern[q+1] == '-':
			lo, hi, x := int8(pattern[q]), int8(pattern[q+2]), int8(c)
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, x = lower(lo), lower(hi), lower(x)
			}
			if x >= lo && x <= hi {
				match = true
			}
			q += 2
		default:
			if equal(pattern[q], c, nocase) {
				match = true
			}
		}
		q++
	}
	return match != negate, n
}

func equal(a, b byte, nocase bool) bool {
	if a == b {
		return true
	}
	return nocase && lower(int8(a)) == lower(int8(b))
}

// lower is C's tolower in the "C" locale, which Redis uses for LC_CTYPE.
func lower(c int8) int8 {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// IsLiteral reports whether pattern has no special bytes, so that
// Match(pattern, s, false) is exactly bytes.Equal(pattern, s) and SCAN/KEYS
// can look the key up instead of iterating.
func IsLiteral(pattern []byte) bool {
	for _, c := range pattern {
		switch c {
		case '*', '?', '[', '\\':
			return false
		}
	}
	return true
}
