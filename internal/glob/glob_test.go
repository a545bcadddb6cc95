package glob

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		nocase     bool
		want       bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, false}, // Redis: empty string matches only the empty pattern
		{"**", "", false, false},
		{"*", "anything", false, true},
		{"a*", "a", false, true},
		{"a**", "a", false, true},
		{"*a", "a", false, true},
		{"*a", "ba", false, true},
		{"*a", "ab", false, false},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "hllo", false, true},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[a-b]llo", "hcllo", false, false},
		{"[z-a]", "m", false, true}, // reversed range
		{"[z-a]", "A", false, false},
		{"[z-a]", "M", true, true},
		{"[A-z]", "_", false, true}, // '_' lies between 'Z' and 'a'
		{"[A-z]", "_", true, false}, // bounds are lowered first: a..z
		{"[Z-a]", "z", true, false}, // lowered to z..a and not swapped again
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"[H]ello", "hello", true, true},
		{`[\H]ello`, "hello", true, false}, // escaped set member ignores nocase
		{`\H`, "h", true, true},            // an escape outside a set does not
		{`\*`, "*", false, true},
		{`\*`, "a", false, false},
		{`a\`, `a\`, false, true}, // trailing backslash is literal
		{`\`, `\`, false, true},
		{`[\]]`, "]", false, true},
		{`[\`, `\`, false, true}, // unclosed set holding a backslash
		{"[", "[", false, false},
		{"[", "", false, false},
		{"[^", "x", false, true},
		{"[^", "xy", false, false},
		{"[abc", "b", false, true}, // unclosed set takes the rest
		{"[abc", "b]", false, false},
		{"[]", "]", false, false},
		{"[]a]", "a]", false, false},
		{"[]a]", "]", false, false},
		{"[]a]", "xa]", false, false},
		{"x[]a]", "x", false, false},
		{"[^]", "q", false, true},
		{"[a-]", "]", false, true}, // range a..']' swapped; the ']' is used up
		{"[a-]", "b", false, false},
		{"[a-]x]", "^", false, true},
		{"[a-]x]", "x", false, true},
		{"[a-]x]", "^x", false, false},
		{"[a-", "-", false, true},
		{"[-a]", "-", false, true},
		{"[\xff-a]", "\x80", false, false}, // signed chars: -1..'a' holds no high byte but 0xff
		{"[\xff-a]", "\xfe", false, false},
		{"[\xff-a]", "\xff", false, true},
		{"[\x80-\xff]", "\x90", false, true},
		{"[a-\x80]", "\x81", false, true}, // -128..'a'
		{"*[", "a", false, false},
		{"a*b*c", "abc", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbYcZ", false, false},
		{"*.*", "a.b", false, true},
		{"user:*:name", "user:42:name", false, true},
		{"user:*:name", "user:42:nam", false, false},
		{"*?", "a", false, true},
		{"*??", "a", false, false},
		{"?*", "a", false, true},
	}
	for _, tt := range tests {
		if got := Match([]byte(tt.pattern), []byte(tt.s), tt.nocase); got != tt.want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
		if got := refMatch([]byte(tt.pattern), []byte(tt.s), tt.nocase); got != tt.want {
			t.Errorf("refMatch(%q, %q, nocase=%v) = %v, want %v (reference disagrees with the table)", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
	}
}

func TestStarGroupLimit(t *testing.T) {
	s := []byte(strings.Repeat("a", 1200))
	p1000 := []byte(strings.Repeat("a*", 1000)) // 1000 star groups, the last one trailing
	if !Match(p1000, s, false) {
		t.Error("1000 star groups should match")
	}
	p1001 := []byte(strings.Repeat("*a", 1001))
	if Match(p1001, s, false) {
		t.Error("a 1001st non-trailing star group must not match (Redis nesting limit)")
	}
	p1001t := []byte(strings.Repeat("a*", 1001)) // 1001st group is trailing: no recursion in Redis
	if !Match(p1001t, s, false) {
		t.Error("a trailing 1001st star group should match")
	}
}

func TestPathologicalIsFast(t *testing.T) {
	s := bytes.Repeat([]byte("a"), 20000)
	p := []byte(strings.Repeat("*a", 30) + "*b")
	start := time.Now()
	if Match(p, s, false) {
		t.Fatal("unexpected match")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("pathological pattern took %v", d)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	p := []byte("*user:[0-9]*:na?e\\*")
	s := []byte("prefix:user:12345:name*")
	allocs := testing.AllocsPerRun(100, func() {
		if !Match(p, s, true) {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Fatalf("Match allocates %v times per call", allocs)
	}
}

func TestIsLiteral(t *testing.T) {
	for p, want := range map[string]bool{
		"": true, "foo": true, "a]b": true, "^-": true,
		"a*": false, "?": false, "[a]": false, `\x`: false,
	} {
		if got := IsLiteral([]byte(p)); got != want {
			t.Errorf("IsLiteral(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestExhaustive compares Match with the naive reference on every short
// pattern over an alphabet dense in special bytes.
func TestExhaustive(t *testing.T) {
	palpha := []byte(`aB*?[]^-\`)
	salpha := []byte(`abB-]\`)
	maxP, maxS := 4, 3
	if testing.Short() {
		maxP = 3
	}
	pats := allStrings(palpha, maxP)
	strs := allStrings(salpha, maxS)
	for _, p := range pats {
		for _, s := range strs {
			for _, nocase := range []bool{false, true} {
				if got, want := Match(p, s, nocase), refMatch(p, s, nocase); got != want {
					t.Fatalf("Match(%q, %q, nocase=%v) = %v, reference says %v", p, s, nocase, got, want)
				}
			}
		}
	}
}

// TestRandomAgainstRegexp checks random patterns of the plain subset (no
// escapes or unclosed sets) against Go's regexp.
func TestRandomAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 500
	}
	for range n {
		nocase := rng.IntN(2) == 0
		pat, re := randomPattern(rng, nocase)
		rx := regexp.MustCompile(re)
		for range 20 {
			s := randomString(rng)
			if len(s) == 0 {
				continue // Redis quirk, covered by the table
			}
			if got, want := Match(pat, s, nocase), rx.Match(s); got != want {
				t.Fatalf("Match(%q, %q, nocase=%v) = %v, regexp %s says %v", pat, s, nocase, got, re, want)
			}
		}
	}
}

func randomPattern(rng *rand.Rand, nocase bool) ([]byte, string) {
	var pat []byte
	var re strings.Builder
	re.WriteString(`(?s)^`)
	if nocase {
		re.WriteString(`(?i)`)
	}
	for range rng.IntN(8) {
		switch rng.IntN(6) {
		case 0:
			pat = append(pat, '*')
			re.WriteString(`.*`)
		case 1:
			pat = append(pat, '?')
			re.WriteString(`.`)
		case 2, 3:
			c := "abcAB"[rng.IntN(5)]
			pat = append(pat, c)
			re.WriteByte(c)
		case 4:
			set := []byte{"abc"[rng.IntN(3)], "abcB"[rng.IntN(4)]}
			neg := rng.IntN(2) == 0
			pat = append(pat, '[')
			re.WriteByte('[')
			if neg {
				pat = append(pat, '^')
				re.WriteByte('^')
			}
			pat = append(pat, set...)
			re.Write(set)
			pat = append(pat, ']')
			re.WriteByte(']')
		case 5:
			lo, hi := "abc"[rng.IntN(3)], "abc"[rng.IntN(3)]
			pat = append(pat, '[', lo, '-', hi, ']')
			if lo > hi {
				lo, hi = hi, lo
			}
			re.WriteString("[" + string(lo) + "-" + string(hi) + "]")
		}
	}
	re.WriteString(`$`)
	return pat, re.String()
}

func randomString(rng *rand.Rand) []byte {
	s := make([]byte, rng.IntN(8))
	for i := range s {
		s[i] = "abcABx"[rng.IntN(6)]
	}
	return s
}

func allStrings(alpha []byte, maxLen int) [][]byte {
	out := [][]byte{{}}
	prev := [][]byte{{}}
	for range maxLen {
		var next [][]byte
		for _, p := range prev {
			for _, c := range alpha {
				next = append(next, append(append([]byte{}, p...), c))
			}
		}
		out = append(out, next...)
		prev = next
	}
	return out
}

// The reference tokenizes the whole pattern first and then matches by plain
// exponential recursion: a structure unlike Match's, so that a bug in Match's
// single-backtrack-point loop does not hide behind the same bug here.

type token struct {
	star   bool
	any    bool
	lit    byte
	isSet  bool
	negate bool
	items  []setItem
}

type setItem struct {
	escaped bool
	lo, hi  byte // lo == hi for a single byte
	isRange bool
}

func tokenize(p []byte) []token {
	var toks []token
	for i := 0; i < len(p); {
		switch c := p[i]; {
		case c == '*':
			toks = append(toks, token{star: true})
			i++
		case c == '?':
			toks = append(toks, token{any: true})
			i++
		case c == '\\' && i+1 < len(p):
			toks = append(toks, token{lit: p[i+1]})
			i += 2
		case c == '[':
			tok := token{isSet: true}
			i++
			if i < len(p) && p[i] == '^' {
				tok.negate = true
				i++
			}
			for {
				rest := len(p) - i
				if rest == 0 {
					break
				}
				if p[i] == '\\' && rest >= 2 {
					tok.items = append(tok.items, setItem{escaped: true, lo: p[i+1], hi: p[i+1]})
					i += 2
					continue
				}
				if p[i] == ']' {
					i++
					break
				}
				if rest >= 3 && p[i+1] == '-' {
					tok.items = append(tok.items, setItem{isRange: true, lo: p[i], hi: p[i+2]})
					i += 3
					continue
				}
				tok.items = append(tok.items, setItem{lo: p[i], hi: p[i]})
				i++
			}
			toks = append(toks, tok)
		default:
			toks = append(toks, token{lit: c})
			i++
		}
	}
	return toks
}

func cLower(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func signed(b byte) int { return int(int8(b)) }

func (t token) matches(c byte, nocase bool) bool {
	switch {
	case t.any:
		return true
	case t.isSet:
		in := false
		for _, it := range t.items {
			switch {
			case it.escaped:
				in = in || it.lo == c
			case it.isRange:
				lo, hi, x := signed(it.lo), signed(it.hi), signed(c)
				if lo > hi {
					lo, hi = hi, lo
				}
				if nocase {
					lo, hi, x = cLower(lo), cLower(hi), cLower(x)
				}
				in = in || (x >= lo && x <= hi)
			default:
				in = in || it.lo == c || (nocase && cLower(signed(it.lo)) == cLower(signed(c)))
			}
		}
		return in != t.negate
	default:
		return t.lit == c || (nocase && cLower(signed(t.lit)) == cLower(signed(c)))
	}
}

func refMatch(p, s []byte, nocase bool) bool {
	if len(s) == 0 {
		return len(p) == 0
	}
	return refRec(tokenize(p), s, nocase)
}

func refRec(toks []token, s []byte, nocase bool) bool {
	if len(toks) == 0 {
		return len(s) == 0
	}
	if toks[0].star {
		for k := 0; k <= len(s); k++ {
			if refRec(toks[1:], s[k:], nocase) {
				return true
			}
		}
		return false
	}
	return len(s) > 0 && toks[0].matches(s[0], nocase) && refRec(toks[1:], s[1:], nocase)
}

func BenchmarkMatch(b *testing.B) {
	p := []byte("user:*:session:[0-9]*")
	s := []byte("user:123456789:session:42")
	for b.Loop() {
		Match(p, s, false)
	}
}

func BenchmarkMatchPathological(b *testing.B) {
	p := []byte(strings.Repeat("*a", 20) + "*b")
	s := bytes.Repeat([]byte("a"), 1000)
	for b.Loop() {
		Match(p, s, false)
	}
}
