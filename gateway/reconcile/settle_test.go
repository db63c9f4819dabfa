package reconcile_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/gateway/reconcile"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// TestMissingTransfersAreSettled: transfers whose webhooks were all lost
// appear in the sandbox's report as missing at the gateway; settling the
// missing lines links them to their payments by payment code, confirms
// them in the feeds' transaction lists and settles them under the feed's
// transaction id; a wallet's line is confirmed by the wallet's status query.
// A line naming no payment becomes an exception; one whose
// transaction the feed does not confirm is left for the next run.
func TestMissingTransfersAreSettled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	// Every webhook is refused (wrong key) and never retried: the gateway records nothing.
	if err := sb.SetFault(sandbox.VietQR, sandbox.Fault{BadSignature: true, NoRetry: true}); err != nil {
		t.Fatal(err)
	}
	var ids, codes []string
	for i, feed := range []string{sandbox.FeedCasso, sandbox.FeedSePay, ""} {
		id, payload, code := bankOrder(t, g, fmt.Sprintf("HS-RECON-%d", i))
		ids, codes = append(ids, id), append(codes, code)
		if feed == "" {
			continue // the third is never paid
		}
		res, err := sb.Pay(sandbox.PayRequest{QRPayload: payload, Feed: feed})
		if err != nil || res.Callbacks[0].Status != 401 {
			t.Fatalf("pay = %+v, %v; want the webhook refused", res, err)
		}
	}
	// A MoMo order whose IPN is refused the same way: confirmed by MoMo's status query.
	if err := sb.SetFault(sandbox.MoMo, sandbox.Fault{BadSignature: true, NoRetry: true}); err != nil {
		t.Fatal(err)
	}
	momoID, momoURL := walletOrder(t, g, "HS-RECON-MOMO", "momo")
	ids = append(ids, momoID)
	if res, err := sb.Pay(sandbox.PayRequest{QRPayload: momoURL}); err != nil || res.Callbacks[0].Status == 204 {
		t.Fatalf("pay momo = %+v, %v; want the IPN refused", res, err)
	}
	now := time.Now().In(reconcile.ICT).Format("2006-01-02 15:04:05")
	report := append(sb.Report(time.Now()), []byte(
		"vietqr,sepay:990001,CPZZZZZZZZ,50000,success,"+now+"\n"+ // nobody's payment code
			"vietqr,casso:990002,"+codes[2]+",135000,success,"+now+"\n")...) // a transfer the feed never saw

	run := func() (reconcile.Result, []reconcile.Missing) {
		var missing []reconcile.Missing
		res, err := reconcile.Run(ctx, g.Pool, bytes.NewReader(report), reconcile.Options{Missing: func(m reconcile.Missing) { missing = append(missing, m) }})
		if err != nil {
			t.Fatal(err)
		}
		return res, missing
	}
	cfg := reconcile.SettleConfig{Pool: g.Pool, Settler: g.App.Settler, Provider: sb.Providers.Provider}
	res, missing := run()
	if res.MissingAtGateway != 5 || len(missing) != 5 {
		t.Fatalf("first run: %d missing at gateway, %d listed; want 5", res.MissingAtGateway, len(missing))
	}
	st, err := reconcile.SettleMissing(ctx, cfg, missing)
	if err != nil || st != (reconcile.Settled{Settled: 3, Unconfirmed: 1, Exceptions: 1}) {
		t.Fatalf("settled %+v, %v; want 3 settled, 1 unconfirmed, 1 exception", st, err)
	}
	for i, want := range []string{"succeeded", "succeeded", "pending", "succeeded"} {
		if s := g.Do(t, "GET", "/v1/payments/"+ids[i], g.Portal.TestKey, nil).JSON(t)["status"]; s != want {
			t.Errorf("payment %d is %v, want %s", i, s, want)
		}
	}
	if n := g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE provider_txn_id = 'sepay:990001' AND outcome = 'exception'`); n != 1 {
		t.Errorf("the unknown transfer is not held for review (%d rows)", n)
	}
	// Again: only the unconfirmed line is still missing, and stays so.
	res, missing = run()
	if res.MissingAtGateway != 1 || len(missing) != 1 {
		t.Fatalf("second run: %d missing at gateway, %d listed; want 1", res.MissingAtGateway, len(missing))
	}
	if st, err := reconcile.SettleMissing(ctx, cfg, missing); err != nil || st != (reconcile.Settled{Unconfirmed: 1}) {
		t.Fatalf("second settle %+v, %v", st, err)
	}
	if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = ANY($1)`, ids); n != 3 {
		t.Errorf("%d journal entries for the payments, want 3", n)
	}
}

// walletOrder creates a payment and asks for its QR by method: id, payload.
func walletOrder(t *testing.T, g *gatewaytest.Gateway, ref, method string) (id, payload string) {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{
		"service": "GPLX-CAPDOI", "reference": ref,
		"payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	}, "Idempotency-Key", ref)
	if res.Status != 201 {
		t.Fatalf("create = %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	qr := g.Do(t, "POST", "/v1/payments/"+p["id"].(string)+"/qr", p["client_token"].(string), map[string]string{"method": method})
	if qr.Status != 200 {
		t.Fatalf("qr = %d %s", qr.Status, qr.Body)
	}
	return p["id"].(string), qr.JSON(t)["qr_payload"].(string)
}

// bankOrder creates a payment and its bank_qr code: id, payload, payment code.
func bankOrder(t *testing.T, g *gatewaytest.Gateway, ref string) (id, payload, code string) {
	t.Helper()
	id, payload = walletOrder(t, g, ref, "bank_qr")
	if err := g.Pool.QueryRow(context.Background(), `SELECT payment_code FROM payments WHERE id = $1`, id).Scan(&code); err != nil {
		t.Fatal(err)
	}
	return id, payload, code
}
