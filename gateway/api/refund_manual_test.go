package api_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/refunds"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// A VietQR payment is refunded by a bank transfer an operator makes; the
// refund waits for them, then ends with `civicpay refunds complete|fail`
// (refunds.Complete, refunds.FailManual), postings and event included.
func TestManualRefundsEndByOperator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := gatewaytest.Start(t)
	id, _ := newPayment(t, g, "HS-2026-000990")
	if r, err := g.App.Settler.Settle(ctx, banks.Callback{Provider: "vietqr", TxnID: "casso:990", PaymentID: id,
		Amount: decimal.RequireFromString("135000"), Currency: "VND", Succeeded: true, Raw: []byte("{}")}); err != nil || r.Outcome != banks.OutcomeSettled {
		t.Fatalf("settle: %+v %v", r, err)
	}
	a := createRefund(t, g, id, "50000", "manual-a")
	b := createRefund(t, g, id, "85000", "manual-b")
	if _, err := refunds.Complete(ctx, g.Pool, g.App.Outbox, a, "FT26338000001"); !errors.Is(err, refunds.ErrNotManual) {
		t.Fatalf("completing a refund its job has not looked at = %v, want ErrNotManual", err)
	}
	w := refundWorker(g, nil) // no provider refunds through an API
	for _, r := range []string{a, b} {
		if runRefund(t, w, r) {
			t.Fatal("a manual refund snoozed")
		}
	}
	for _, r := range g.Do(t, "GET", "/v1/payments/"+id+"/refunds", g.Portal.TestKey, nil).JSON(t)["data"].([]any) {
		if m := r.(map[string]any); m["status"] != "pending" || m["failure_code"] != refunds.ManualRequired {
			t.Fatalf("manual refund listed as %v / %v", m["status"], m["failure_code"])
		}
	}

	for _, c := range []struct {
		name string
		do   func() error
		want error
	}{
		{"no reference", func() error { _, err := refunds.Complete(ctx, g.Pool, g.App.Outbox, a, "  "); return err }, nil},
		{"no reason", func() error { _, err := refunds.FailManual(ctx, g.Pool, g.App.Outbox, b, ""); return err }, nil},
		{"unknown refund", func() error {
			_, err := refunds.Complete(ctx, g.Pool, g.App.Outbox, "re_0000000000000000", "FT1")
			return err
		}, refunds.ErrNotFound},
	} {
		err := c.do()
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if s := refundState(t, g, id); s != [3]string{"succeeded", "0", "135000"} {
		t.Fatalf("refused operator commands moved the payment: %v", s)
	}

	done, err := refunds.Complete(ctx, g.Pool, g.App.Outbox, a, "FT26338000001")
	if err != nil || done.Status != refunds.Succeeded || done.FailureCode != nil {
		t.Fatalf("complete = %+v, %v", done, err)
	}
	if _, err := refunds.Complete(ctx, g.Pool, g.App.Outbox, a, "FT26338000002"); !errors.Is(err, refunds.ErrNotPending) {
		t.Fatalf("second complete = %v, want ErrNotPending", err)
	}
	failed, err := refunds.FailManual(ctx, g.Pool, g.App.Outbox, b, "beneficiary account closed")
	if err != nil || failed.Status != refunds.Failed || failed.FailureCode == nil || *failed.FailureCode != refunds.FailedByOperator {
		t.Fatalf("fail = %+v, %v", failed, err)
	}
	if _, err := refunds.FailManual(ctx, g.Pool, g.App.Outbox, a, "too late"); !errors.Is(err, refunds.ErrNotPending) {
		t.Fatalf("failing a completed refund = %v, want ErrNotPending", err)
	}
	if s := refundState(t, g, id); s != [3]string{"partially_refunded", "50000", "0"} {
		t.Fatalf("payment = %v, want partially_refunded 50000 0", s)
	}
	if n := g.Count(t, `SELECT count(*) FROM refunds WHERE id = $1 AND provider_ref = 'FT26338000001'`, a); n != 1 {
		t.Fatal("the bank reference was not kept")
	}
	if n := g.Count(t, `SELECT count(*) FROM refunds WHERE id = $1 AND failure_reason = 'beneficiary account closed'`, b); n != 1 {
		t.Fatal("the operator's reason was not kept")
	}
	for account, want := range map[string]int{"test:refunds_payable": 0, "test:provider_clearing:vietqr": 85000, "test:beneficiary:KBNN-HN": -85000} {
		if got := ledgerBalance(t, g, account); got != want {
			t.Errorf("%s = %d, want %d", account, got, want)
		}
	}
	for typ, want := range map[string]int{"refund.succeeded": 1, "refund.failed": 1} {
		if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = $2`, id, typ); n != want {
			t.Errorf("%s events = %d, want %d", typ, n, want)
		}
	}
	// The failed refund's amount can be refunded again.
	createRefund(t, g, id, "85000", "manual-c")
}
