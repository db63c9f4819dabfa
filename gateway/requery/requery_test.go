package requery_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/sandbox"
	"github.com/civicpay/civicpay/gateway/requery"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// TestPaidOrderWithoutCallbackIsSettledOnce pays a wallet order whose
// callback is held back, asks the provider (as the periodic job does) and
// expects the payment settled once; when the callback arrives after all it
// is a duplicate that settles nothing.
func TestPaidOrderWithoutCallbackIsSettledOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ method, provider, feed string }{
		{"momo", "momo", ""}, {"zalopay", "zalopay", ""}, {"vnpay", "vnpay", ""},
		// Bank transfers: found in the reporting feed's transaction list.
		{"bank_qr", "vietqr", sandbox.FeedCasso}, {"bank_qr", "vietqr", sandbox.FeedSePay},
	} {
		method := tc.method
		t.Run(tc.provider+tc.feed, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
			cfg := requery.Config{Pool: g.Pool, Settler: g.App.Settler, Provider: sb.Providers.Provider}
			id, payload := order(t, g, "HS-REQ-"+strings.ToUpper(tc.provider+tc.feed), method)
			// Too soon to ask: nothing is due.
			if st, err := requery.Run(ctx, cfg, time.Now()); err != nil || st.Asked != 0 {
				t.Fatalf("run before MinAge = %+v, %v", st, err)
			}
			if err := sb.SetFault(tc.provider, sandbox.Fault{Late: sandbox.Duration(3 * time.Second)}); err != nil {
				t.Fatal(err)
			}
			paid, err := sb.Pay(sandbox.PayRequest{QRPayload: payload, Feed: tc.feed})
			if err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(requery.MinAge + time.Second)
			st, err := requery.Run(ctx, cfg, later)
			if err != nil || st != (requery.Stats{Asked: 1, Paid: 1, Settled: 1}) {
				t.Fatalf("run = %+v, %v; want one order asked, paid and settled", st, err)
			}
			if s := g.Do(t, "GET", "/v1/payments/"+id, g.Portal.TestKey, nil).JSON(t)["status"]; s != "succeeded" {
				t.Fatalf("payment is %v after the query", s)
			}
			// Settled: not asked again.
			if st, err := requery.Run(ctx, cfg, later.Add(requery.Again)); err != nil || st.Asked != 0 {
				t.Fatalf("second run = %+v, %v", st, err)
			}
			// The callback arrives after all, and is recognised.
			deadline := time.Now().Add(15 * time.Second)
			for !strings.Contains(metrics(t, g.URL), `civicpay_callbacks_total{outcome="duplicate",provider="`+tc.provider+`"} 1`) {
				if time.Now().After(deadline) {
					t.Fatal("the held-back callback never arrived as a duplicate")
				}
				time.Sleep(100 * time.Millisecond)
			}
			if n := g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1`, id); n != 1 {
				t.Errorf("%d journal entries for the payment, want 1", n)
			}
			if n := g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE payment_id = $1`, id); n != 1 {
				t.Errorf("%d recorded callbacks for the payment, want 1", n)
			}
			if n := g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE payment_id = $1 AND provider_txn_id = $2`, id, paid.TxnID); tc.feed != "" && n != 1 {
				t.Errorf("the transfer was not recorded under the feed's transaction id %s", paid.TxnID)
			}
		})
	}
}

// TestUnpaidAndUnqueryableOrdersSettleNothing: an order nobody paid, and a
// bank transfer (which has no order to ask about), are asked once per
// Again and change nothing.
func TestUnpaidAndUnqueryableOrdersSettleNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	cfg := requery.Config{Pool: g.Pool, Settler: g.App.Settler, Provider: sb.Providers.Provider}
	for i, method := range []string{"momo", "bank_qr"} {
		order(t, g, "HS-UNPAID-000"+string(rune('1'+i)), method)
	}
	issued := g.Count(t, `SELECT count(*) FROM payment_attempts WHERE outcome = 'issued'`)
	later := time.Now().Add(requery.MinAge + time.Second)
	st, err := requery.Run(ctx, cfg, later)
	if err != nil || st.Asked != issued || st.Paid != 0 || st.Settled != 0 {
		t.Fatalf("run = %+v, %v; want %d asked, none paid", st, err, issued)
	}
	if st, err := requery.Run(ctx, cfg, later.Add(time.Second)); err != nil || st.Asked != 0 {
		t.Fatalf("run again at once = %+v, %v; want nothing asked before Again", st, err)
	}
	if st, err := requery.Run(ctx, cfg, later.Add(requery.Again)); err != nil || st.Asked != issued {
		t.Fatalf("run after Again = %+v, %v; want %d asked", st, err, issued)
	}
	if n := g.Count(t, `SELECT count(*) FROM journal_entries`); n != 0 {
		t.Errorf("%d journal entries, want none", n)
	}
}

// order creates a payment and asks for its QR code by method, which
// issues the provider's order; it returns the payment id and the payload.
func order(t *testing.T, g *gatewaytest.Gateway, ref, method string) (id, payload string) {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{
		"service": "GPLX-CAPDOI", "reference": ref,
		"payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	}, "Idempotency-Key", ref)
	if res.Status != 201 {
		t.Fatalf("create = %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	id = p["id"].(string)
	qr := g.Do(t, "POST", "/v1/payments/"+id+"/qr", p["client_token"].(string), map[string]string{"method": method})
	if qr.Status != 200 {
		t.Fatalf("qr %s = %d %s", method, qr.Status, qr.Body)
	}
	return id, qr.JSON(t)["qr_payload"].(string)
}

func metrics(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestAskingBacksOff: an order still unpaid is asked about less and less
// often — at least half its age at the last question goes by before the
// next (until its payment has been expired for the grace period).
func TestAskingBacksOff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g, sb := gatewaytest.StartWithSandbox(t, gatewaytest.SandboxOptions{})
	cfg := requery.Config{Pool: g.Pool, Settler: g.App.Settler, Provider: sb.Providers.Provider}
	order(t, g, "HS-BACKOFF-0001", "bank_qr")
	issued := time.Now()
	for _, step := range []struct {
		at    time.Duration // after issue
		asked int
	}{
		{requery.MinAge + time.Second, 1},
		{22 * time.Minute, 1},             // 20 min since the last question
		{25 * time.Minute, 0},             // Again has passed, but the order is 22 min old: wait 11
		{33*time.Minute + time.Second, 1}, // 11 min after the last
		{45 * time.Minute, 0},             // 33 min old at the last question: wait 16.5
		{50 * time.Minute, 1},
	} {
		st, err := requery.Run(ctx, cfg, issued.Add(step.at))
		if err != nil || st.Asked != step.asked {
			t.Fatalf("run %v after issue = %+v, %v; want %d asked", step.at, st, err, step.asked)
		}
	}
}
