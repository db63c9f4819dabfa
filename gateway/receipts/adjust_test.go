package receipts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/receipts"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func TestAdjustmentsReferenceTheReceiptAndNeverEditIt(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	ctx := context.Background()
	id, _ := pay(t, g, "GPLX-CAPDOI", "HS-ADJ-1")
	unpaid, _ := pay(t, g, "GPLX-CAPDOI", "HS-ADJ-2")
	if _, err := g.App.Settler.SettleAll(ctx, momo(id, "MOMO-ADJ-1", "135000")); err != nil {
		t.Fatal(err)
	}
	before, err := receipts.ForPayment(ctx, g.Pool, g.Portal.ID, false, id, "")
	if err != nil {
		t.Fatal(err)
	}
	adjust := func(payment, refund, amount string) (receipts.Adjustment, error) {
		var a receipts.Adjustment
		err := pgx.BeginFunc(ctx, g.Pool, func(tx pgx.Tx) error {
			var err error
			a, err = g.App.Receipts.Adjust(ctx, tx, payment, refund, decimal.RequireFromString(amount))
			return err
		})
		return a, err
	}
	steps := []struct {
		payment, refund, amount string
		kind, remaining         string
		err                     error
	}{
		{id, "re_first", "35000", receipts.KindAdjustment, "100000", nil},
		{id, "re_first", "35000", receipts.KindAdjustment, "100000", nil}, // the same refund again: the same adjustment
		{id, "re_toomuch", "100001", "", "", receipts.ErrExceedsReceipt},
		{id, "re_zero", "0", "", "", receipts.ErrBadAmount},
		{unpaid, "re_unpaid", "1000", "", "", receipts.ErrNotFound},
		{id, "re_rest", "100000", receipts.KindCancellation, "0", nil},
	}
	var first receipts.Adjustment
	for i, s := range steps {
		a, err := adjust(s.payment, s.refund, s.amount)
		if !errors.Is(err, s.err) {
			t.Fatalf("step %d: err = %v, want %v", i, err, s.err)
		}
		if err != nil {
			continue
		}
		if a.Kind != s.kind || a.Remaining != s.remaining || a.Receipt != before.ID || a.ReceiptNumber != before.Number {
			t.Errorf("step %d: %+v", i, a.AdjustmentFields)
		}
		if i == 0 {
			first = a
		} else if s.refund == "re_first" && (a.ID != first.ID || a.Signature != first.Signature) {
			t.Errorf("a repeated refund made a second adjustment %s (first %s)", a.ID, first.ID)
		}
	}
	after, err := receipts.ForPayment(ctx, g.Pool, g.Portal.ID, false, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if after.Canonical != before.Canonical || after.Signature != before.Signature || len(after.Adjustments) != 2 {
		t.Fatalf("receipt changed or adjustments missing: %d adjustments", len(after.Adjustments))
	}
	keys, err := receipts.Keys(ctx, g.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if err := receipts.Check(keys, after); err != nil {
		t.Fatalf("adjusted receipt does not verify: %v", err)
	}
	if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'receipt.adjusted'`, id); n != 2 {
		t.Errorf("receipt.adjusted events = %d, want 2", n)
	}
}
