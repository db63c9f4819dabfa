package paycode_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/civicpay/civicpay/banks/vietqr/paycode"
)

// code is a valid code; "CP7K9Q2XW4" (one character off) is not.
const code = "CP7K9Q2XT4"

func TestGenerate(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 2000 {
		c := paycode.Generate(nil)
		if !paycode.Valid(c) || strings.ContainsAny(c[2:], "01OIL") {
			t.Fatalf("Generate() = %q is not a valid code", c)
		}
		if seen[c] {
			t.Fatalf("duplicate %q after %d codes", c, len(seen))
		}
		seen[c] = true
	}
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	// 0xF8..0xFF are rejected (modulo bias), so only the trailing zeros count.
	r := bytes.NewReader(append(bytes.Repeat([]byte{0xFF}, 9), make([]byte, 23)...))
	if got := paycode.Generate(r); got != "CP22222222" {
		t.Fatalf("Generate = %q", got)
	}
}

func TestGeneratePanicsOnShortRead(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("Generate did not panic on a failing reader")
		}
	}()
	paycode.Generate(bytes.NewReader([]byte{1, 2, 3}))
}

func TestCheckCharacterDetectsTypos(t *testing.T) {
	t.Parallel()
	for range 200 {
		c := []byte(paycode.Generate(nil))
		for i := 2; i < len(c); i++ {
			for j := range len(paycode.Alphabet) {
				typo := append([]byte(nil), c...)
				typo[i] = paycode.Alphabet[j]
				if typo[i] != c[i] && paycode.Valid(string(typo)) {
					t.Fatalf("substitution %s → %s not detected", c, typo)
				}
			}
			for j := i + 1; j < len(c); j++ {
				swap := append([]byte(nil), c...)
				swap[i], swap[j] = swap[j], swap[i]
				if swap[i] != swap[j] && paycode.Valid(string(swap)) {
					t.Fatalf("transposition %s → %s not detected", c, swap)
				}
			}
		}
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		code:          true,
		"CP7K9Q2XW4":  false, // check character wrong
		"cp7k9q2xt4":  false, // not canonical
		"CP7K9Q2XT":   false,
		"CP7K9Q2XT44": false,
		"XX7K9Q2XT4":  false,
		"CP0K9Q2XT4":  false,
		"":            false,
	} {
		if got := paycode.Valid(in); got != want {
			t.Errorf("Valid(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		content string
		want    string // "" means not found
	}{
		{code, code},
		{"cp7k9q2xt4", code},
		{"cp7k9q2xt4 chuyen tien", code},
		{"MBVCB.1234567.CP7K9Q2XT4.CT tu 0123 toi 4567", code},
		{"IBFT CP 7K9Q 2XT4", code},
		{"Thanh toan CP-7K9Q-2XT4", code},
		{"Thanh toán CP.7K9Q.2XT4 lệ phí", code},
		{"C P 7 K 9 Q 2 X T 4", code},
		{"c-p_7k9q/2xt4", code},
		{"NGUYEN VAN A chuyen tien CP7K9Q2XT4", code},
		{"CP7K9Q2XT4-0123456789-FT24123", code},
		{"REM Tfr Ac: 1234 CP7K9Q2XT4 NGUYEN VAN A", code},
		{"ĐÓNG HỌC PHÍ cp7k9q2xt4", code},
		{"thanh toan\tCP7K9Q2XT4\n", code},
		{"MBVCB1234567CP7K9Q2XT4CT", code}, // glued: found by the lenient pass
		{"cp van chuge CP7K9Q2XT4", code},  // real code beats the stitched "CPVANCHUGE"
		{"cp van chuge", "CPVANCHUGE"},     // the residual 1-in-31 false positive the check cannot stop
		{"", ""},
		{"chuyen tien hoc phi", ""},
		{"CP7K9Q2XW4", ""},     // mangled: check character fails
		{"CP7K9Q2X", ""},       // truncated by the bank
		{"CP7K9Q2XT", ""},      // one short
		{"CP7K9Q2X    T4", ""}, // gap longer than maxGap
		{"CP7K9Q2XO4", ""},     // O is not in the alphabet
		{"CP7K0Q2XT4", ""},     // 0 is not in the alphabet
		{"CCCCPPPP", ""},
		{strings.Repeat("CP", 100), ""},
	}
	for _, tt := range tests {
		t.Run(tt.content, func(t *testing.T) {
			t.Parallel()
			got, ok := paycode.Find(tt.content)
			if ok != (tt.want != "") || got != tt.want {
				t.Fatalf("Find(%q) = %q, %v; want %q", tt.content, got, ok, tt.want)
			}
		})
	}
}

func ExampleFind() {
	fmt.Println(paycode.Find("IBFT cp 7k9q-2xt4 chuyen tien"))
	fmt.Println(paycode.Find("IBFT cp 7k9q-2xw4 chuyen tien"))
	// Output:
	// CP7K9Q2XT4 true
	//  false
}

func ExampleGenerate() {
	c := paycode.Generate(nil) // crypto/rand
	fmt.Println(len(c), paycode.Valid(c))
	// Output: 10 true
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{code, "IBFT CP 7K9Q 2XT4", "MBVCB.1234567.CP7K9Q2XT4.CT tu 0123 toi 4567", "cp van chuge", "CP7K9Q2XW4", "ĐÓNG PHÍ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		got, ok := paycode.Find(content)
		if ok != (got != "") || ok && !paycode.Valid(got) {
			t.Fatalf("Find(%q) = %q, %v", content, got, ok)
		}
		if _, ok := paycode.Find(content + " " + code); !ok {
			t.Fatalf("Find missed %s appended to %q", code, content)
		}
	})
}
