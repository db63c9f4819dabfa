package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

func TestRefundsNeverExceedWhatWasPaid(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	key := g.Portal.TestKey
	id := g.Do(t, "POST", "/v1/payments", key, feeBody("HS-2026-000950"), "Idempotency-Key", "rf").JSON(t)["id"].(string)

	refund := func(amount, idem string) gatewaytest.Response {
		return g.Do(t, "POST", "/v1/payments/"+id+"/refunds", key, map[string]any{"amount": amount, "reason": "dossier withdrawn"}, "Idempotency-Key", idem)
	}
	if res := refund("1000", "before-paid"); res.Status != 409 || res.JSON(t)["code"] != "payment_not_refundable" {
		t.Fatalf("refund of an unpaid payment = %d %s", res.Status, res.Body)
	}
	settle(t, g, id, "rf-1")

	// Five concurrent refunds of 50,000 on a 135,000 payment: two fit.
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = refund("50000", fmt.Sprintf("rf-%d", i)).Status
		}(i)
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, c := range codes {
		switch c {
		case 201:
			ok++
		case 422:
			refused++
		default:
			t.Fatalf("refund answered %d", c)
		}
	}
	if ok != 2 || refused != 3 {
		t.Fatalf("%d refunds accepted, %d refused; want 2 and 3", ok, refused)
	}
	if res := refund("35001", "too-much"); res.Status != 422 || res.JSON(t)["code"] != "refund_exceeds_paid" {
		t.Fatalf("over-refund = %d %s", res.Status, res.Body)
	}
	if res := refund("35000", "rest"); res.Status != 201 || res.JSON(t)["status"] != "pending" {
		t.Fatalf("refund of the rest = %d %s", res.Status, res.Body)
	}
	if replay := refund("35000", "rest"); replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("refund retry was not replayed")
	}
	for _, bad := range []string{`{"amount":"0"}`, `{"amount":"10.5"}`, `{"amount":35000}`, `{}`} {
		if res := g.Do(t, "POST", "/v1/payments/"+id+"/refunds", key, bad, "Idempotency-Key", bad); res.Status != 422 {
			t.Fatalf("%s = %d %s", bad, res.Status, res.Body)
		}
	}
	list := g.Do(t, "GET", "/v1/payments/"+id+"/refunds", key, nil).JSON(t)["data"].([]any)
	if len(list) != 3 {
		t.Fatalf("refunds listed = %d, want 3", len(list))
	}
	// Nothing is paid back yet: the whole amount is reserved, and the
	// status waits for the refunds to end.
	if n := g.Count(t, `SELECT count(*) FROM payments WHERE id = $1 AND amount_refund_pending = amount AND amount_refunded = 0 AND status = 'succeeded'`, id); n != 1 {
		t.Fatal("pending refunds are not the whole payment's reservation, or moved its status")
	}
	p := g.Do(t, "GET", "/v1/payments/"+id, key, nil).JSON(t)
	if p["status"] != "succeeded" || p["amount_refunded"] != "0" || p["amount_refund_pending"] != "135000" {
		t.Fatalf("payment with pending refunds = %v refunded %v pending %v", p["status"], p["amount_refunded"], p["amount_refund_pending"])
	}
	if n := g.Count(t, `SELECT count(*) FROM (SELECT 1 FROM postings HAVING coalesce(sum(amount), 0) <> 0) x`); n != 0 {
		t.Fatal("ledger does not balance")
	}
}

// A MoMo payment refunded through MoMo's refund API (the sandbox): the
// refund completes, the payment is partially refunded, and the ledger moves
// the money from the agency through refunds payable back to MoMo clearing.
func TestRefundThroughProvider(t *testing.T) {
	t.Parallel()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	g.StartWorkers(t)
	id, token := newPayment(t, g, "HS-2026-000960")
	qr := askQR(t, g, id, token, "momo")
	if _, err := sb.Pay(sandbox.PayRequest{Provider: "momo", QRPayload: qr["qr_payload"].(string)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "settlement", func() bool {
		return g.Count(t, `SELECT count(*) FROM payments WHERE id = $1 AND status = 'succeeded'`, id) == 1
	})
	res := g.Do(t, "POST", "/v1/payments/"+id+"/refunds", g.Portal.TestKey, map[string]any{"amount": "35000"}, "Idempotency-Key", "momo-refund")
	if res.Status != 201 || res.JSON(t)["provider"] != "momo" {
		t.Fatalf("refund = %d %s", res.Status, res.Body)
	}
	waitFor(t, "the refund to complete", func() bool {
		return g.Count(t, `SELECT count(*) FROM refunds WHERE payment_id = $1 AND status = 'succeeded'`, id) == 1
	})
	p := g.Do(t, "GET", "/v1/payments/"+id, g.Portal.TestKey, nil).JSON(t)
	if p["status"] != "partially_refunded" || p["amount_refunded"] != "35000" || p["amount_refund_pending"] != "0" {
		t.Fatalf("payment after refund = %v %v", p["status"], p["amount_refunded"])
	}
	balance := func(account string) int {
		return g.Count(t, `SELECT coalesce(sum(amount), 0)::int FROM postings WHERE account_id = $1`, account)
	}
	if b := balance("test:refunds_payable"); b != 0 {
		t.Fatalf("refunds payable = %d, want 0 once paid out", b)
	}
	if b := balance("test:beneficiary:KBNN-HN"); b != -100000 {
		t.Fatalf("agency is owed %d, want 100000", -b)
	}
	if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'refund.succeeded'`, id); n != 1 {
		t.Fatalf("refund.succeeded events = %d", n)
	}
}
