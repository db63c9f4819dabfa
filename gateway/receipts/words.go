package receipts

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// MaxWords is the largest amount Words spells: the API accepts at most 15
// digits, and a receipt must never show figures its words cannot match.
const MaxWords = 999_999_999_999_999_999

// ErrWordsRange is an amount Words cannot spell (negative, fractional or
// above MaxWords).
var ErrWordsRange = errors.New("receipts: amount cannot be written in words")

var digitWords = [10]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// Words spells a whole amount of đồng the way Vietnamese receipts print it
// ("Một triệu hai trăm năm mươi nghìn đồng"). The choices among accepted
// variants are fixed (docs/RECEIPTS.md): "linh" not "lẻ", "nghìn" not
// "ngàn", "bốn" not "tư" after twenty and up, and an inner group whose
// hundreds are zero says "không trăm", so the words can be read back to
// exactly one number.
func Words(amount decimal.Decimal) (string, error) {
	if amount.Sign() < 0 || !amount.IsInteger() || amount.GreaterThan(decimal.NewFromUint64(MaxWords)) {
		return "", fmt.Errorf("%w: %s", ErrWordsRange, amount.String())
	}
	return WordsUint(amount.BigInt().Uint64()), nil
}

// WordsUint is Words for an amount already known to be in range.
func WordsUint(n uint64) string {
	var b strings.Builder
	if n == 0 {
		b.WriteString("không")
	} else {
		spell(&b, n, false)
	}
	b.WriteString(" đồng")
	s := b.String()
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// spell writes n > 0. Above a billion the number is split at "tỷ" and the
// multiplier spelt recursively, which gives "nghìn tỷ" and "triệu tỷ".
// full says a higher part was already spoken, so the leading group is
// read in full ("không trăm linh năm").
func spell(b *strings.Builder, n uint64, full bool) {
	const billion = 1_000_000_000
	if n >= billion {
		spell(b, n/billion, full)
		b.WriteString(" tỷ")
		if rest := n % billion; rest > 0 {
			spell(b, rest, true)
		}
		return
	}
	groups := [3]uint64{n / 1_000_000, n / 1000 % 1000, n % 1000}
	scales := [3]string{" triệu", " nghìn", ""}
	for i, g := range groups {
		if g == 0 {
			continue
		}
		group(b, g, full)
		b.WriteString(scales[i])
		full = true
	}
}

// group writes one group of three digits, 0 < g < 1000.
func group(b *strings.Builder, g uint64, full bool) {
	h, t, u := g/100, g/10%10, g%10
	word := func(s string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	if h > 0 || full {
		word(digitWords[h])
		word("trăm")
	}
	switch {
	case t == 0 && u > 0 && (h > 0 || full):
		word("linh")
	case t == 1:
		word("mười")
	case t > 1:
		word(digitWords[t])
		word("mươi")
	}
	switch {
	case u == 0:
	case u == 1 && t > 1:
		word("mốt")
	case u == 5 && t > 0:
		word("lăm")
	default:
		word(digitWords[u])
	}
}

// ErrNotWords is text ParseWords cannot read as an amount.
var ErrNotWords = errors.New("receipts: not an amount in Vietnamese words")

var (
	digitOf = map[string]uint64{"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4,
		"năm": 5, "lăm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
	synonyms = map[string]string{"ngàn": "nghìn", "lẻ": "linh", "tỉ": "tỷ"}
)

// ParseWords reads an amount in words back to its number. It accepts the
// variants Words does not write ("lẻ", "ngàn", "tư", "tỉ") and refuses
// anything that does not spell exactly the number it yields, by spelling
// that number again and comparing; it exists to prove Words right, and to
// let a verifier check the words a receipt shows.
func ParseWords(s string) (uint64, error) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) < 2 || fields[len(fields)-1] != "đồng" {
		return 0, fmt.Errorf("%w: %q", ErrNotWords, s)
	}
	fields = fields[:len(fields)-1]
	var total, part, g uint64 // total: whole tỷ multiples; part: below a billion; g: the current group
	var pending uint64
	var havePending bool
	const limit = MaxWords
	for _, w := range fields {
		if alt, ok := synonyms[w]; ok {
			w = alt
		}
		if d, ok := digitOf[w]; ok {
			if havePending {
				return 0, fmt.Errorf("%w: two digits in a row in %q", ErrNotWords, s)
			}
			pending, havePending = d, true
			continue
		}
		switch w {
		case "trăm":
			g += pending * 100
		case "mươi":
			g += pending * 10
		case "mười":
			if havePending {
				return 0, fmt.Errorf("%w: %q", ErrNotWords, s)
			}
			g += 10
		case "linh":
			if havePending {
				return 0, fmt.Errorf("%w: %q", ErrNotWords, s)
			}
		case "nghìn", "triệu":
			g += flush(&pending, &havePending)
			scale := uint64(1000)
			if w == "triệu" {
				scale = 1_000_000
			}
			part += g * scale
			g = 0
		case "tỷ":
			g += flush(&pending, &havePending)
			if total > limit/1_000_000_000 {
				return 0, fmt.Errorf("%w: too large: %q", ErrNotWords, s)
			}
			total = (total + part + g) * 1_000_000_000
			part, g = 0, 0
		default:
			return 0, fmt.Errorf("%w: unknown word %q", ErrNotWords, w)
		}
		havePending = false
		pending = 0
	}
	g += flush(&pending, &havePending)
	n := total + part + g
	if n > limit || !sameWords(WordsUint(n), s) {
		return 0, fmt.Errorf("%w: %q does not spell %d", ErrNotWords, s, n)
	}
	return n, nil
}

func flush(pending *uint64, have *bool) uint64 {
	v := *pending
	*pending, *have = 0, false
	return v
}

// sameWords compares two spellings modulo the accepted variants.
func sameWords(a, b string) bool {
	norm := func(s string) string {
		f := strings.Fields(strings.ToLower(s))
		for i, w := range f {
			if alt, ok := synonyms[w]; ok {
				f[i] = alt
			}
			switch {
			case w == "tư" && i > 0 && f[i-1] == "mươi":
				f[i] = "bốn"
			case w == "bẩy":
				f[i] = "bảy"
			}
		}
		return strings.Join(f, " ")
	}
	return norm(a) == norm(b)
}
