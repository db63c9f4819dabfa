package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/gateway/refunds"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// refundWorker is the gateway's refund worker, run by hand so a test
// decides when each try happens instead of waiting out a backoff.
func refundWorker(g *gatewaytest.Gateway, lookup func(string) (banks.Provider, bool)) *refunds.Worker {
	return &refunds.Worker{Pool: g.Pool, Outbox: g.App.Outbox, Provider: lookup,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Backoff: func(int) time.Duration { return time.Minute }}
}

// runRefund runs the refund's job once, as River would, and reports
// whether it snoozed (the provider's answer was not final).
func runRefund(t *testing.T, w *refunds.Worker, id string) (snoozed bool) {
	t.Helper()
	err := w.Work(context.Background(), &river.Job[refunds.Args]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: refunds.Args{RefundID: id}})
	var snooze *rivertype.JobSnoozeError
	if errors.As(err, &snooze) {
		return true
	}
	if err != nil {
		t.Fatalf("refund job: %v", err)
	}
	return false
}

func createRefund(t *testing.T, g *gatewaytest.Gateway, paymentID, amount, key string) string {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments/"+paymentID+"/refunds", g.Portal.TestKey, map[string]any{"amount": amount}, "Idempotency-Key", key)
	if res.Status != 201 || res.JSON(t)["status"] != "pending" {
		t.Fatalf("refund of %s = %d %s", amount, res.Status, res.Body)
	}
	return res.JSON(t)["id"].(string)
}

// refundState is the payment's status, refunded and pending amounts as
// the API shows them.
func refundState(t *testing.T, g *gatewaytest.Gateway, id string) [3]string {
	t.Helper()
	p := g.Do(t, "GET", "/v1/payments/"+id, g.Portal.TestKey, nil).JSON(t)
	return [3]string{p["status"].(string), p["amount_refunded"].(string), p["amount_refund_pending"].(string)}
}

func refundStatus(t *testing.T, g *gatewaytest.Gateway, id string) string {
	t.Helper()
	r, err := refunds.Get(context.Background(), g.Pool, id)
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Status)
}

// momoPaid is a 135,000 payment paid with MoMo in the sandbox.
func momoPaid(t *testing.T, g *gatewaytest.Gateway, sb *gatewaytest.Sandbox, ref string) string {
	t.Helper()
	id, token := newPayment(t, g, ref)
	qr := askQR(t, g, id, token, "momo")
	if _, err := sb.Pay(sandbox.PayRequest{Provider: "momo", QRPayload: qr["qr_payload"].(string)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "settlement", func() bool {
		return g.Count(t, `SELECT count(*) FROM payments WHERE id = $1 AND status = 'succeeded'`, id) == 1
	})
	return id
}

func setFault(t *testing.T, sb *gatewaytest.Sandbox, f sandbox.Fault) {
	t.Helper()
	if err := sb.SetFault("momo", f); err != nil {
		t.Fatal(err)
	}
}

func ledgerBalance(t *testing.T, g *gatewaytest.Gateway, account string) int {
	t.Helper()
	return g.Count(t, `SELECT coalesce(sum(amount), 0)::int FROM postings WHERE account_id = $1`, account)
}

// The case: 135,000 paid; refund A of 50,000 succeeds, refund B of
// 85,000 fails. The payment must read partially refunded 50,000, and the
// 85,000 must be refundable again; once it is, the payment is refunded.
func TestFailedRefundGivesItsAmountBack(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	w := refundWorker(g, sb.Providers.Provider)
	id := momoPaid(t, g, sb, "HS-2026-000970")

	a := createRefund(t, g, id, "50000", "a")
	if s := refundState(t, g, id); s != [3]string{"succeeded", "0", "50000"} {
		t.Fatalf("with A pending: %v, want succeeded 0 50000", s)
	}
	if runRefund(t, w, a) || refundStatus(t, g, a) != "succeeded" {
		t.Fatalf("refund A = %s", refundStatus(t, g, a))
	}
	setFault(t, sb, sandbox.Fault{RefundDecline: true})
	b := createRefund(t, g, id, "85000", "b")
	if s := refundState(t, g, id); s != [3]string{"partially_refunded", "50000", "85000"} {
		t.Fatalf("with B pending: %v", s)
	}
	if runRefund(t, w, b) || refundStatus(t, g, b) != "failed" {
		t.Fatalf("refund B = %s", refundStatus(t, g, b))
	}
	if s := refundState(t, g, id); s != [3]string{"partially_refunded", "50000", "0"} {
		t.Fatalf("after B failed: %v, want partially_refunded 50000 0", s)
	}
	setFault(t, sb, sandbox.Fault{})
	c := createRefund(t, g, id, "85000", "c")
	// A pending refund of everything that is left does not make it refunded.
	if s := refundState(t, g, id); s != [3]string{"partially_refunded", "50000", "85000"} {
		t.Fatalf("with C pending: %v", s)
	}
	if res := g.Do(t, "POST", "/v1/payments/"+id+"/refunds", g.Portal.TestKey, map[string]any{"amount": "1"}, "Idempotency-Key", "d"); res.Status != 422 {
		t.Fatalf("refund beyond the reservations = %d %s", res.Status, res.Body)
	}
	if runRefund(t, w, c) || refundStatus(t, g, c) != "succeeded" {
		t.Fatalf("refund C = %s", refundStatus(t, g, c))
	}
	if s := refundState(t, g, id); s != [3]string{"refunded", "135000", "0"} {
		t.Fatalf("after C: %v, want refunded 135000 0", s)
	}
	for account, want := range map[string]int{"test:refunds_payable": 0, "test:beneficiary:KBNN-HN": 0, "test:provider_clearing:momo": 0} {
		if got := ledgerBalance(t, g, account); got != want {
			t.Errorf("%s = %d, want %d", account, got, want)
		}
	}
	for typ, want := range map[string]int{"refund.succeeded": 2, "refund.failed": 1} {
		if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = $2`, id, typ); n != want {
			t.Errorf("%s events = %d, want %d", typ, n, want)
		}
	}
}
