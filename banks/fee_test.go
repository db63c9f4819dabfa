package banks

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseFee(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, pct, fixed string
		bad            bool
	}{
		{"1.1%+1100", "1.1", "1100", false},
		{"1.5%", "1.5", "0", false},
		{"2000", "0", "2000", false},
		{" 0.8 % + 500 ", "0.8", "500", false},
		{"100%", "100", "0", false},
		{"101%", "", "", true},
		{"-1%", "", "", true},
		{"1%-100", "", "", true},
		{"1e2%", "", "", true},
		{"1.5", "", "", true}, // a fixed part must be whole đồng
		{"1%+", "", "", true},
		{"", "", "", true},
		{".5%", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			f, err := ParseFee(tt.in)
			if (err != nil) != tt.bad {
				t.Fatalf("ParseFee(%q) err = %v", tt.in, err)
			}
			if tt.bad {
				return
			}
			if !f.Percent.Equal(decimal.RequireFromString(tt.pct)) || !f.Fixed.Equal(decimal.RequireFromString(tt.fixed)) {
				t.Fatalf("ParseFee(%q) = %s", tt.in, f)
			}
			if back, err := ParseFee(f.String()); err != nil || !back.Percent.Equal(f.Percent) || !back.Fixed.Equal(f.Fixed) {
				t.Fatalf("round trip of %s = %s, %v", f, back, err)
			}
		})
	}
}

func FuzzParseFee(f *testing.F) {
	f.Add("1.1%+1100")
	f.Add("2000")
	f.Add("1e3%+-1")
	f.Fuzz(func(t *testing.T, s string) {
		fee, err := ParseFee(s)
		if err != nil {
			return
		}
		if fee.Percent.IsNegative() || fee.Percent.GreaterThan(hundred) || fee.Fixed.IsNegative() || !fee.Fixed.IsInteger() {
			t.Fatalf("ParseFee(%q) = %s", s, fee)
		}
		amount := decimal.NewFromInt(135000)
		if got := fee.For(amount); got.IsNegative() || got.GreaterThan(amount) || !got.IsInteger() {
			t.Fatalf("fee %s on %s = %s", fee, amount, got)
		}
	})
}
