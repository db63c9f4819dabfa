package vnd_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vnd"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" means error
	}{
		{"1", "1"},
		{"50000", "50000"},
		{"999999999999999", "999999999999999"},
		{"1000000000000000", ""}, // 16 digits
		{"", ""},
		{"0", ""},
		{"-0", ""},
		{"-5", ""},
		{"+5", ""},
		{"007", ""},
		{"1e9", ""},
		{"1E9", ""},
		{"1000.5", ""},
		{"1000.0", ""},
		{" 100", ""},
		{"100 ", ""},
		{"1,000", ""},
		{"١٢٣", ""}, // Arabic-Indic digits
		{"１２３", ""}, // fullwidth digits
		{"0x10", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := vnd.Parse(tt.in)
			if tt.want == "" {
				if err == nil || !errors.Is(err, vnd.ErrAmount) {
					t.Fatalf("Parse(%q) = %v, %v; want ErrAmount", tt.in, got, err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseNonNegative(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{"0": true, "10": true, "00": false, "-0": false, "": false} {
		_, err := vnd.ParseNonNegative(in)
		if (err == nil) != ok {
			t.Errorf("ParseNonNegative(%q) err = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d  decimal.Decimal
		ok bool
	}{
		{decimal.NewFromInt(10000), true},
		{decimal.New(5, 3), true}, // 5000 stored with exponent
		{decimal.RequireFromString("10000.00"), true},
		{decimal.RequireFromString("10000.5"), false},
		{decimal.Zero, false},
		{decimal.NewFromInt(-1), false},
		{decimal.New(1, 15), false},
	}
	for _, tt := range tests {
		if err := vnd.Check(tt.d); (err == nil) != tt.ok {
			t.Errorf("Check(%s) = %v, want ok=%v", tt.d, err, tt.ok)
		}
	}
	if n, err := vnd.Int64(decimal.New(5, 3)); err != nil || n != 5000 {
		t.Errorf("Int64 = %d, %v", n, err)
	}
}

func ExampleParse() {
	amount, err := vnd.Parse("50000")
	fmt.Println(amount, err)
	_, err = vnd.Parse("50000.00")
	fmt.Println(err)
	// Output:
	// 50000 <nil>
	// vnd: invalid amount "50000.00": not a plain decimal integer
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "50000", "0", "1e9", "-1", "1.5", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := vnd.Parse(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("Parse(%q) round-trips to %q", s, d.String())
		}
		if got, err := vnd.Format(d); err != nil || got != s {
			t.Fatalf("Format(Parse(%q)) = %q, %v", s, got, err)
		}
	})
}
