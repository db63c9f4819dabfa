package vietqr

import (
	"strings"
	"unicode/utf8"
)

// MaxPurpose is the 62.08 length VietQR apps honour; longer text is cut
// or refused by some banks.
const MaxPurpose = 25

// vietnamese maps every precomposed Vietnamese letter to its base letter.
// A hand table instead of x/text/unicode/norm keeps the wasm build small.
var vietnamese = [...]struct {
	base    byte
	letters string
}{
	{'a', "àáảãạăằắẳẵặâầấẩẫậ"},
	{'A', "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"},
	{'e', "èéẻẽẹêềếểễệ"},
	{'E', "ÈÉẺẼẸÊỀẾỂỄỆ"},
	{'i', "ìíỉĩị"},
	{'I', "ÌÍỈĨỊ"},
	{'o', "òóỏõọôồốổỗộơờớởỡợ"},
	{'O', "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"},
	{'u', "ùúủũụưừứửữự"},
	{'U', "ÙÚỦŨỤƯỪỨỬỮỰ"},
	{'y', "ỳýỷỹỵ"},
	{'Y', "ỲÝỶỸỴ"},
	{'d', "đ"},
	{'D', "ĐÐ"}, // Ð (U+00D0) is a common look-alike typed for Đ
}

// StripDiacritics turns Vietnamese text into its unaccented form
// ("Nguyễn Đức" → "Nguyen Duc"), the way banks render transfer content.
// Combining marks U+0300–U+036F are dropped so decomposed (NFD) input from
// some keyboards and banking apps ends up the same as precomposed input.
// Other non-ASCII runes are kept; callers decide what to do with them.
func StripDiacritics(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r >= 0x300 && r <= 0x36F:
			// combining diacritical mark: drop
		default:
			if c, ok := baseLetter(r); ok {
				b.WriteByte(c)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func baseLetter(r rune) (byte, bool) {
	for _, g := range vietnamese {
		if strings.ContainsRune(g.letters, r) {
			return g.base, true
		}
	}
	return 0, false
}

// Purpose makes arbitrary text acceptable to Build as 62.08: diacritics
// stripped, anything that is not printable ASCII dropped, surrounding space
// trimmed, then cut to MaxPurpose characters. Truncation can cut a payment
// code in half, so put the code first.
func Purpose(s string) string {
	s = StripDiacritics(s)
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > MaxPurpose {
		s = strings.TrimRight(s[:MaxPurpose], " ")
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return s != ""
}
