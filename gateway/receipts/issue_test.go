package receipts_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/receipts"
	"github.com/civicpay/civicpay/gateway/settlement"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// pay creates a payment through the API; service GPLX-CAPDOI is 135,000
// đồng at KBNN-HN, HT-TRICHLUC 8,000 at KBNN-HCM.
func pay(t *testing.T, g *gatewaytest.Gateway, service, ref string) (id, clientToken string) {
	t.Helper()
	res := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, map[string]any{
		"service": service, "reference": ref, "payer": map[string]any{"name": "Nguyễn Văn An", "id_number": "001099012345"},
	}, "Idempotency-Key", ref)
	if res.Status != 201 {
		t.Fatalf("create payment: %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	return p["id"].(string), p["client_token"].(string)
}

func momo(paymentID, txn, amount string) banks.Callback {
	return banks.Callback{Provider: "momo", TxnID: txn, PaymentID: paymentID, OrderID: banks.OrderID(paymentID, 1),
		Amount: decimal.RequireFromString(amount), Currency: "VND", Succeeded: true, Raw: []byte(`{}`)}
}

// settler is a second gateway instance's settler on the same database,
// signing with its own key.
func settler(t *testing.T, g *gatewaytest.Gateway, issuer *receipts.Issuer) *settlement.Settler {
	s := &settlement.Settler{Pool: g.Pool, Outbox: g.App.Outbox, Log: quiet, Fees: func(string) banks.Fee { return banks.Fee{} }, Receipts: issuer}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go s.Run(ctx)
	return s
}

func TestSettlementIssuesSignedReceipt(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	ctx := context.Background()
	id, _ := pay(t, g, "GPLX-CAPDOI", "HS-2026-000123")
	res, err := g.App.Settler.SettleAll(ctx, momo(id, "MOMO-1", "135000"))
	if err != nil || res[0].Outcome != banks.OutcomeSettled {
		t.Fatalf("settle: %+v %v", res, err)
	}
	r, err := receipts.ForPayment(ctx, g.Pool, g.Portal.ID, false, id, "https://gw.example")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"number": "0000001", "agency_code": "KBNN-HN", "amount": "135000",
		"amount_words": "Một trăm ba mươi lăm nghìn đồng", "payer_id_masked": "********2345", "payer_name": "Nguyễn Văn An",
		"reference": "HS-2026-000123", "method": "momo", "provider_txn_id": "MOMO-1", "form": receipts.DefaultForm,
	}
	got := map[string]string{
		"number": r.Number, "agency_code": r.AgencyCode, "amount": r.Amount, "amount_words": r.AmountWords,
		"payer_id_masked": r.PayerID, "payer_name": r.PayerName, "reference": r.Reference, "method": r.Method,
		"provider_txn_id": r.ProviderTxnID, "form": r.Form,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if r.AgencyAddress == "" || r.AgencyTaxCode == "" {
		t.Errorf("agency address %q, tax code %q: the demo seed fills both", r.AgencyAddress, r.AgencyTaxCode)
	}
	if !strings.HasSuffix(r.PaidAt, "+07:00") || !strings.HasPrefix(r.Series, receipts.DefaultSeriesPrefix+"-") {
		t.Errorf("paid_at %q, series %q", r.PaidAt, r.Series)
	}
	if r.VerifyURL != "https://gw.example/verify/"+r.Series+"/0000001?agency=KBNN-HN" {
		t.Errorf("verify_url = %q", r.VerifyURL)
	}
	keys, err := receipts.Keys(ctx, g.Pool)
	if err != nil || len(keys) != 1 || keys[0].KeyID != r.KeyID {
		t.Fatalf("keys = %+v, %v; want the one key %s", keys, err, r.KeyID)
	}
	if err := receipts.Check(keys, r); err != nil {
		t.Fatalf("a fresh receipt does not verify: %v", err)
	}
	if n := g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'receipt.issued'`, id); n != 1 {
		t.Errorf("receipt.issued events = %d, want 1", n)
	}
	// A duplicate callback settles nothing, so it issues nothing.
	if _, err := g.App.Settler.SettleAll(ctx, momo(id, "MOMO-1", "135000")); err != nil {
		t.Fatal(err)
	}
	if n := g.Count(t, `SELECT count(*) FROM receipts WHERE payment_id = $1`, id); n != 1 {
		t.Errorf("receipts = %d, want 1", n)
	}
}

// TestNumbersGapFreeUnderConcurrentSettlers settles payments of two
// agencies from many goroutines on two gateway instances with their own
// keys, and finds every number of each series used exactly once.
func TestNumbersGapFreeUnderConcurrentSettlers(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	other := settler(t, g, receipts.NewIssuer(receipts.EphemeralSigner(), g.App.Outbox, "", quiet))
	ctx := context.Background()
	const n = 60
	cbs := make([]banks.Callback, n)
	for i := range cbs {
		service, amount := "GPLX-CAPDOI", "135000"
		if i%3 == 0 {
			service, amount = "HT-TRICHLUC", "8000"
		}
		id, _ := pay(t, g, service, fmt.Sprintf("HS-GAP-%04d", i))
		cbs[i] = momo(id, fmt.Sprintf("MOMO-GAP-%04d", i), amount)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, cb := range cbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := g.App.Settler
			if i%2 == 1 {
				s = other
			}
			if r, err := s.Settle(ctx, cb); err != nil || r.Outcome != banks.OutcomeSettled {
				errs <- fmt.Errorf("callback %d: %+v %v", i, r, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assertGapFree(t, g, map[string]int{"KBNN-HN": 40, "KBNN-HCM": 20})
	if n := g.Count(t, `SELECT count(DISTINCT key_id) FROM receipts`); n != 2 {
		t.Errorf("receipts signed by %d keys, want 2 (two instances)", n)
	}
}

func assertGapFree(t *testing.T, g *gatewaytest.Gateway, want map[string]int) {
	t.Helper()
	for agency, count := range want {
		var total, distinct, lo, hi, last int
		err := g.Pool.QueryRow(context.Background(), `
			SELECT count(*), count(DISTINCT number), min(number), max(number),
			       (SELECT last FROM receipt_counters c WHERE c.agency_code = $1)
			FROM receipts WHERE agency_code = $1`, agency).Scan(&total, &distinct, &lo, &hi, &last)
		if err != nil {
			t.Fatal(err)
		}
		if total != count || distinct != count || lo != 1 || hi != count || last != count {
			t.Errorf("%s: %d receipts, %d distinct numbers from %d to %d, counter at %d; want 1…%d once each",
				agency, total, distinct, lo, hi, last, count)
		}
	}
}

// TestRolledBackIssueLeavesNoGap issues in a transaction that rolls back
// (as a failed settlement group would), then issues again: the numbers
// start where they were. It also shows IssueFor as a follow-up for
// payments settled without receipts, and that it never issues twice.
func TestRolledBackIssueLeavesNoGap(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	bare := settler(t, g, nil) // settles without receipts
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		id, _ := pay(t, g, "GPLX-CAPDOI", fmt.Sprintf("HS-RB-%d", i))
		if _, err := bare.SettleAll(ctx, momo(id, fmt.Sprintf("MOMO-RB-%d", i), "135000")); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	issuer := g.App.Receipts
	tx, err := g.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := issuer.IssueFor(ctx, tx, ids); err != nil || len(got) != 3 {
		t.Fatalf("issue = %d receipts, %v", len(got), err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time there is nothing left to issue
		if err := pgx.BeginFunc(ctx, g.Pool, func(tx pgx.Tx) error {
			_, err := issuer.IssueFor(ctx, tx, ids)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	assertGapFree(t, g, map[string]int{"KBNN-HN": 3})
}

func TestReceiptsAreAppendOnlyForTheGateway(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	ctx := context.Background()
	id, _ := pay(t, g, "GPLX-CAPDOI", "HS-AO-1")
	if _, err := g.App.Settler.SettleAll(ctx, momo(id, "MOMO-AO-1", "135000")); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE receipts SET canonical = canonical || ' '`,
		`DELETE FROM receipts`,
	} {
		if _, err := g.Pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", sql, err)
		}
	}
}
