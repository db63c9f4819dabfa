package paycode

import (
	"strings"

	"github.com/civicpay/civicpay/banks/vietqr"
)

// maxGap bounds the separators tolerated between two code characters in
// the lenient pass, so characters from unrelated words far apart are not
// stitched together.
const maxGap = 3

// Find extracts a code from bank-transfer content as it arrives from the
// bank feed: any case, diacritics, bank prefixes and suffixes, and
// separators ("IBFT CP 7K9Q 2XW4", "Thanh toan CP-7K9Q-2XW4",
// "MBVCB.1234567.CP7K9Q2XW4.CT tu ..."). It first looks for the code
// written contiguously and ending at a word boundary, and only then
// accepts separators inside it, so that a genuine code is preferred over
// one stitched together from ordinary words. Every candidate must pass
// the check character. It returns the canonical form.
func Find(content string) (code string, ok bool) {
	s := normalize(content)
	if code, ok := scan(s, false); ok {
		return code, true
	}
	return scan(s, true)
}

// normalize upper-cases and strips diacritics; what remains outside
// [0-9A-Z] only ever acts as a separator.
func normalize(s string) string {
	return strings.ToUpper(vietqr.StripDiacritics(s))
}

func scan(s string, lenient bool) (string, bool) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != Prefix[0] {
			continue
		}
		if code, ok := candidate(s, i+1, lenient); ok {
			return code, true
		}
	}
	return "", false
}

// candidate reads the rest of a code starting just after a 'C' at s[i-1].
func candidate(s string, i int, lenient bool) (string, bool) {
	i, ok := skipSeparators(s, i, lenient)
	if !ok || i >= len(s) || s[i] != Prefix[1] {
		return "", false
	}
	i++
	var digits [Length]int
	for n := range digits {
		if i, ok = skipSeparators(s, i, lenient); !ok || i >= len(s) {
			return "", false
		}
		d := strings.IndexByte(Alphabet, s[i])
		if d < 0 {
			return "", false
		}
		digits[n] = d
		i++
	}
	if !lenient && i < len(s) && isAlnum(s[i]) {
		return "", false
	}
	if !valid(digits) {
		return "", false
	}
	return encode(digits), true
}

// skipSeparators moves past up to maxGap separators in lenient mode and
// none in strict mode.
func skipSeparators(s string, i int, lenient bool) (int, bool) {
	if !lenient {
		return i, true
	}
	for n := 0; i < len(s) && !isAlnum(s[i]); n++ {
		if n == maxGap {
			return i, false
		}
		i++
	}
	return i, true
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}
