package settlement_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/settlement"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

type fixture struct {
	g       *gatewaytest.Gateway
	settler *settlement.Settler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	g := gatewaytest.Start(t)
	return &fixture{g: g, settler: newSettler(t, g)}
}

func newSettler(t *testing.T, g *gatewaytest.Gateway) *settlement.Settler {
	s := &settlement.Settler{
		Pool: g.Pool, Outbox: g.Deps.Outbox, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fees: func(string) banks.Fee { return banks.Fee{Percent: decimal.RequireFromString("1.1")} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go s.Run(ctx)
	return s
}

// pay creates a payment of the fixed 135,000 đồng service through the API.
func (f *fixture) pay(t *testing.T, ref string) (id, code string) {
	t.Helper()
	res := f.g.Do(t, "POST", "/v1/payments", f.g.Portal.TestKey, map[string]any{
		"service": "GPLX-CAPDOI", "reference": ref, "payer": map[string]any{"name": "Trần Thị B", "id_number": "079199012345"},
	}, "Idempotency-Key", ref)
	if res.Status != 201 {
		t.Fatalf("create payment: %d %s", res.Status, res.Body)
	}
	p := res.JSON(t)
	return p["id"].(string), p["payment_code"].(string)
}

func momo(paymentID, txn, amount string) banks.Callback {
	return banks.Callback{Provider: "momo", TxnID: txn, PaymentID: paymentID, OrderID: banks.OrderID(paymentID, 1),
		Amount: decimal.RequireFromString(amount), Currency: "VND", Succeeded: true, Raw: []byte(`{}`)}
}

func (f *fixture) ledgerBalanced(t *testing.T) {
	t.Helper()
	if n := f.g.Count(t, `SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount) <> 0) x`); n != 0 {
		t.Fatalf("%d unbalanced entries", n)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM (SELECT 1 FROM postings HAVING coalesce(sum(amount), 0) <> 0) x`); n != 0 {
		t.Fatal("postings do not sum to zero")
	}
}

func TestSettleOnceUnderConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := newSettler(t, f.g) // a second gateway instance on the same database
	id, _ := f.pay(t, "HS-DUP-000001")
	ctx := context.Background()
	// With an endpoint, the event gets exactly one delivery job.
	if _, err := f.g.Pool.Exec(ctx, `UPDATE portals SET webhook_url = 'http://127.0.0.1:9/hooks'`); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	results := make([]settlement.Result, 100)
	errs := make([]error, 100)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := f.settler
			if i%2 == 1 {
				s = other
			}
			results[i], errs[i] = s.Settle(ctx, momo(id, "4088878653", "135000"))
		}(i)
	}
	wg.Wait()
	settledNow := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("callback %d: %v", i, errs[i])
		}
		if r.Outcome != banks.OutcomeSettled || r.PaymentID != id {
			t.Fatalf("callback %d: %+v", i, r)
		}
		if !r.Duplicate {
			settledNow++
		}
	}
	if settledNow != 1 {
		t.Fatalf("%d callbacks claim to have settled, want 1", settledNow)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1`, id); n != 1 {
		t.Fatalf("journal entries = %d, want 1", n)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = 'payment.succeeded'`, id); n != 1 {
		t.Fatalf("succeeded events = %d, want 1", n)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'deliver_event'`); n != 1 {
		t.Fatalf("delivery jobs = %d, want 1", n)
	}
	var status string
	var beneficiary, clearing, fees decimal.Decimal
	f.g.Pool.QueryRow(ctx, `SELECT status::text FROM payments WHERE id = $1`, id).Scan(&status)
	f.g.Pool.QueryRow(ctx, `SELECT sum(amount) FROM postings WHERE account_id = 'test:beneficiary:KBNN-HN'`).Scan(&beneficiary)
	f.g.Pool.QueryRow(ctx, `SELECT sum(amount) FROM postings WHERE account_id = 'test:provider_clearing:momo'`).Scan(&clearing)
	f.g.Pool.QueryRow(ctx, `SELECT sum(amount) FROM postings WHERE account_id = 'test:provider_fees:momo'`).Scan(&fees)
	// 1.1 % of 135,000 = 1,485 exactly.
	if status != "succeeded" || beneficiary.String() != "-135000" || clearing.String() != "133515" || fees.String() != "1485" {
		t.Fatalf("status %s, beneficiary %s, clearing %s, fees %s", status, beneficiary, clearing, fees)
	}
	f.ledgerBalanced(t)
}

func TestExceptionsAreKeptNotSettled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	wrongAmount, _ := f.pay(t, "HS-EXC-000001")
	canceled, _ := f.pay(t, "HS-EXC-000002")
	if res := f.g.Do(t, "POST", "/v1/payments/"+canceled+"/cancel", f.g.Portal.TestKey, nil); res.Status != 200 {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	declinedOnce, _ := f.pay(t, "HS-EXC-000003")
	f.issue(t, declinedOnce, "momo", 0)
	declined := momo(declinedOnce, "fail-1", "135000")
	declined.Succeeded = false

	tests := []struct {
		name   string
		cb     banks.Callback
		want   banks.Outcome
		reason string
	}{
		{"wrong amount", momo(wrongAmount, "t-1", "135001"), banks.OutcomeException, "amount_mismatch"},
		{"unknown reference", momo("pay_000000000000000000000000", "t-2", "135000"), banks.OutcomeException, "unknown_reference"},
		{"canceled payment", momo(canceled, "t-3", "135000"), banks.OutcomeException, "payment_canceled"},
		{"declined by wallet", declined, banks.OutcomeFailed, ""},
		// A decline fails the attempt, not the payment: money that comes
		// afterwards settles it.
		{"paid after a declined attempt", momo(declinedOnce, "t-4", "135000"), banks.OutcomeSettled, ""},
	}
	for _, tt := range tests { // in order: the last depends on the one before
		r, err := f.settler.Settle(ctx, tt.cb)
		if err != nil || r.Outcome != tt.want || r.Reason != tt.reason {
			t.Fatalf("%s: %+v %v, want %s %s", tt.name, r, err, tt.want, tt.reason)
		}
	}
	var status string
	f.g.Pool.QueryRow(ctx, `SELECT status::text FROM payments WHERE id = $1`, wrongAmount).Scan(&status)
	if status != "requires_payment_method" {
		t.Fatalf("wrong-amount payment is %s", status)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE outcome = 'exception' AND review_status = 'open'`); n != 3 {
		t.Fatalf("open exceptions = %d, want 3", n)
	}
	var suspense decimal.Decimal
	f.g.Pool.QueryRow(ctx, `SELECT sum(amount) FROM postings WHERE account_id = 'test:suspense'`).Scan(&suspense)
	if suspense.String() != "-405001" { // 135001 + 2 × 135000 held for review
		t.Fatalf("suspense = %s", suspense)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM journal_entries WHERE kind = 'settlement'`); n != 1 {
		t.Fatalf("settlement entries = %d, want 1", n)
	}
	f.ledgerBalanced(t)
}

func TestBatchOfManyPayments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const n = 60
	ids := make([]string, n)
	for i := range ids {
		ids[i], _ = f.pay(t, fmt.Sprintf("HS-BAT-%06d", i))
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := f.settler.Settle(ctx, momo(id, fmt.Sprintf("txn-%d", i), "135000")); err != nil || r.Outcome != banks.OutcomeSettled {
				t.Errorf("payment %d: %+v %v", i, r, err)
			}
		}()
	}
	wg.Wait()
	if c := f.g.Count(t, `SELECT count(*) FROM payments WHERE status = 'succeeded'`); c != n {
		t.Fatalf("succeeded = %d, want %d", c, n)
	}
	if c := f.g.Count(t, `SELECT count(*) FROM journal_entries WHERE kind = 'settlement'`); c != n {
		t.Fatalf("entries = %d, want %d", c, n)
	}
	// The portal has no webhook URL: events are kept for GET /v1/events but
	// cost no delivery job.
	if c := f.g.Count(t, `SELECT count(*) FROM events WHERE delivery_status = 'no_endpoint'`); c != n {
		t.Fatalf("events without an endpoint = %d, want %d", c, n)
	}
	if c := f.g.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'deliver_event'`); c != 0 {
		t.Fatalf("delivery jobs = %d, want 0", c)
	}
	f.ledgerBalanced(t)
}

func TestLedgerInvariantsHeldByDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.pay(t, "HS-LED-000001")
	if _, err := f.settler.Settle(ctx, momo(id, "led-1", "135000")); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE postings SET amount = amount + 1`,
		`DELETE FROM postings`,
		`DELETE FROM journal_entries`,
		`TRUNCATE postings CASCADE`,
		`WITH e AS (INSERT INTO journal_entries (livemode, kind) VALUES (false, 'exception') RETURNING id)
		 INSERT INTO postings (entry_id, account_id, amount) SELECT id, 'test:suspense', 10 FROM e
		 UNION ALL SELECT id, 'test:provider_clearing:momo', -9 FROM e`,
		`WITH e AS (INSERT INTO journal_entries (livemode, kind) VALUES (false, 'exception') RETURNING id)
		 INSERT INTO postings (entry_id, account_id, amount) SELECT id, 'test:suspense', 0 FROM e`,
		`INSERT INTO journal_entries (livemode, kind, payment_id) VALUES (false, 'settlement', '` + id + `')`,
	} {
		if _, err := f.g.Pool.Exec(ctx, stmt); err == nil {
			t.Fatalf("the database accepted: %s", stmt)
		}
	}
	f.ledgerBalanced(t)
}

// The database holds the ledger append-only against the gateway's own
// runtime role too: grants, not only triggers an owner could disable.
func TestRuntimeRoleMayOnlyAppendToTheLedger(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.pay(t, "HS-ROLE-000001")
	if _, err := f.settler.Settle(ctx, momo(id, "role-1", "135000")); err != nil {
		t.Fatal(err)
	}
	tx, err := f.g.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE civicpay_runtime`); err != nil {
		t.Fatal(err)
	}
	try := func(stmt string) error {
		if _, err := tx.Exec(ctx, `SAVEPOINT s`); err != nil {
			t.Fatal(err)
		}
		_, err := tx.Exec(ctx, stmt)
		if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`); rerr != nil {
			t.Fatal(rerr)
		}
		return err
	}
	for _, stmt := range []string{
		`UPDATE postings SET amount = amount`,
		`DELETE FROM postings`,
		`TRUNCATE postings CASCADE`,
		`ALTER TABLE postings DISABLE TRIGGER postings_append_only`,
		`UPDATE journal_entries SET memo = ''`,
		`DELETE FROM journal_entries`,
		`ALTER TABLE journal_entries DISABLE TRIGGER ALL`,
		`UPDATE ledger_accounts SET name = ''`,
	} {
		var pgErr *pgconn.PgError
		if err := try(stmt); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Fatalf("runtime role: %s gave %v, want insufficient_privilege (42501)", stmt, err)
		}
	}
	for _, stmt := range []string{
		`SELECT count(*) FROM postings`,
		`WITH e AS (INSERT INTO journal_entries (livemode, kind) VALUES (false, 'exception') RETURNING id)
		 INSERT INTO postings (entry_id, account_id, amount) SELECT id, 'test:suspense', 10 FROM e
		 UNION ALL SELECT id, 'test:provider_clearing:momo', -10 FROM e`,
		`UPDATE payments SET updated_at = now() WHERE id = '` + id + `'`,
	} {
		if err := try(stmt); err != nil {
			t.Fatalf("runtime role: %s: %v", stmt, err)
		}
	}
}
