package receipts

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func TestWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n    uint64
		want string
	}{
		{0, "Không đồng"},
		{1, "Một đồng"},
		{5, "Năm đồng"},
		{10, "Mười đồng"},
		{11, "Mười một đồng"},
		{14, "Mười bốn đồng"},
		{15, "Mười lăm đồng"},
		{20, "Hai mươi đồng"},
		{21, "Hai mươi mốt đồng"},
		{24, "Hai mươi bốn đồng"},
		{25, "Hai mươi lăm đồng"},
		{55, "Năm mươi lăm đồng"},
		{100, "Một trăm đồng"},
		{101, "Một trăm linh một đồng"},
		{105, "Một trăm linh năm đồng"},
		{110, "Một trăm mười đồng"},
		{111, "Một trăm mười một đồng"},
		{115, "Một trăm mười lăm đồng"},
		{121, "Một trăm hai mươi mốt đồng"},
		{1000, "Một nghìn đồng"},
		{1001, "Một nghìn không trăm linh một đồng"},
		{1010, "Một nghìn không trăm mười đồng"},
		{1021, "Một nghìn không trăm hai mươi mốt đồng"},
		{8000, "Tám nghìn đồng"},
		{10000, "Mười nghìn đồng"},
		{15000, "Mười lăm nghìn đồng"},
		{105000, "Một trăm linh năm nghìn đồng"},
		{135000, "Một trăm ba mươi lăm nghìn đồng"},
		{1_000_000, "Một triệu đồng"},
		{1_000_005, "Một triệu không trăm linh năm đồng"},
		{1_005_000, "Một triệu không trăm linh năm nghìn đồng"},
		{1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"},
		{21_000_000, "Hai mươi mốt triệu đồng"},
		{1_000_000_000, "Một tỷ đồng"},
		{1_000_000_001, "Một tỷ không trăm linh một đồng"},
		{2_500_000_000, "Hai tỷ năm trăm triệu đồng"},
		{5_000_000_000, "Năm tỷ đồng"},
		{1_000_000_000_000, "Một nghìn tỷ đồng"},
		{1_005_000_000_000, "Một nghìn không trăm linh năm tỷ đồng"},
		{125_000_000_000_000, "Một trăm hai mươi lăm nghìn tỷ đồng"},
		{999_999_999_999_999, "Chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"},
		{1_000_000_000_000_000, "Một triệu tỷ đồng"},
		{1_000_000_000_000_001, "Một triệu tỷ không trăm linh một đồng"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			t.Parallel()
			got, err := Words(decimal.NewFromUint64(c.n))
			if err != nil || got != c.want {
				t.Fatalf("Words(%d) = %q, %v; want %q", c.n, got, err, c.want)
			}
			back, err := ParseWords(got)
			if err != nil || back != c.n {
				t.Fatalf("ParseWords(%q) = %d, %v; want %d", got, back, err, c.n)
			}
		})
	}
}

func TestWordsRefusesWhatItCannotSpell(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"-1", "1.5", "1000000000000000000"} {
		if got, err := Words(decimal.RequireFromString(s)); !errors.Is(err, ErrWordsRange) {
			t.Errorf("Words(%s) = %q, %v; want ErrWordsRange", s, got, err)
		}
	}
}

func TestParseWordsVariantsAndNonsense(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"một trăm lẻ năm ngàn đồng", 105000, true},
		{"Hai mươi tư đồng", 24, true},
		{"hai tỉ đồng", 2_000_000_000, true},
		{"Mười năm đồng", 0, false},          // 15 is "mười lăm"
		{"Một trăm linh lăm đồng", 0, false}, // 105 is "linh năm"
		{"Hai mươi một đồng", 0, false},      // 21 is "hai mươi mốt"
		{"Mốt đồng", 0, false},
		{"Một nghìn linh một đồng", 0, false}, // an inner group says "không trăm"
		{"Một trăm", 0, false},
		{"đồng", 0, false},
		{"một một đồng", 0, false},
		{"một xu đồng", 0, false},
	}
	for _, c := range cases {
		got, err := ParseWords(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseWords(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if !c.ok && err == nil {
			t.Errorf("ParseWords(%q) = %d; want an error", c.in, got)
		}
	}
}

// FuzzWords spells every amount the fuzzer finds and reads it back.
func FuzzWords(f *testing.F) {
	for _, n := range []uint64{0, 1, 15, 21, 105, 1001, 1_250_000, 1_000_000_000_000, 999_999_999_999_999_999} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n uint64) {
		n %= MaxWords + 1
		w := WordsUint(n)
		back, err := ParseWords(w)
		if err != nil || back != n {
			t.Fatalf("ParseWords(Words(%d) = %q) = %d, %v", n, w, back, err)
		}
	})
}

// FuzzParseWords feeds arbitrary text to the parser: it must not panic,
// and whatever it accepts must spell the number it returns.
func FuzzParseWords(f *testing.F) {
	for _, s := range []string{"Một trăm linh năm nghìn đồng", "hai mươi tư đồng", "mười năm đồng", "một tỷ tỷ đồng"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseWords(s)
		if err != nil {
			return
		}
		if !sameWords(WordsUint(n), s) {
			t.Fatalf("ParseWords(%q) = %d, spelt %q", s, n, WordsUint(n))
		}
	})
}
