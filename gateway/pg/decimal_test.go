package pg_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func TestDecimalScansWhatTextWould(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	for _, lit := range []string{"0", "1", "135000", "1000000", "10000", "99999999999999999999", "1.50", "-0.001",
		"12345678901234567890.123456789", "0.0000", "-250000"} {
		var fast, text decimal.Decimal
		if err := db.QueryRow(ctx, `SELECT $1::numeric, $1::numeric`, lit).Scan(pg.Decimal{D: &fast}, &text); err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if !fast.Equal(text) || fast.String() != text.String() {
			t.Errorf("%s: pg.Decimal %s (%s), via text %s (%s)", lit, fast, fast.String(), text, text.String())
		}
	}
	for _, bad := range []string{`SELECT NULL::numeric`, `SELECT 'NaN'::numeric`, `SELECT 'Infinity'::numeric`} {
		var d decimal.Decimal
		if err := db.QueryRow(ctx, bad).Scan(pg.Decimal{D: &d}); err == nil {
			t.Errorf("%s scanned as %s", bad, d)
		}
	}
}
