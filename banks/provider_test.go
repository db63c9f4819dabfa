package banks

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestOrderIDRoundTrip(t *testing.T) {
	t.Parallel()
	id := "pay_AbC123def456GHI789jkl012"
	for _, tc := range []struct{ order, want string }{
		{OrderID(id, 1), id},
		{OrderID(id, 12), id},
		{"261123_" + OrderID(id, 3), id},
	} {
		if got := PaymentIDOf(tc.order); got != tc.want {
			t.Fatalf("PaymentIDOf(%q) = %q, want %q", tc.order, got, tc.want)
		}
	}
}

func TestFee(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	for _, tc := range []struct {
		pct, fixed, amount, want string
	}{
		{"1.1", "0", "135000", "1485"},
		{"0.5", "0", "1", "0"},   // 0.005 rounds down
		{"0.5", "0", "100", "1"}, // 0.5 rounds half up
		{"1.5", "1100", "10000", "1250"},
		{"0", "2000", "1000", "1000"}, // capped at the amount
	} {
		f := Fee{Percent: d(tc.pct), Fixed: d(tc.fixed)}
		if got := f.For(d(tc.amount)); !got.Equal(d(tc.want)) {
			t.Fatalf("%s%% + %s on %s = %s, want %s", tc.pct, tc.fixed, tc.amount, got, tc.want)
		}
	}
}
