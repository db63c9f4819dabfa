package settlement_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/routing"
)

// issue records an issued attempt at provider with the fee agreed then, as
// POST /qr does, and returns its order id.
func (f *fixture) issue(t *testing.T, paymentID, provider string, fee int64) string {
	t.Helper()
	ctx := context.Background()
	a, err := routing.InsertAttempt(ctx, f.g.Pool, paymentID, provider, provider)
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.FinishAttempt(ctx, f.g.Pool, a.ID, routing.Result{Outcome: routing.OutcomeIssued, Fee: decimal.NewFromInt(fee)}); err != nil {
		t.Fatal(err)
	}
	if err := routing.MarkPending(ctx, f.g.Pool, paymentID); err != nil {
		t.Fatal(err)
	}
	return a.OrderID
}

func decline(paymentID, orderID, txn, code string) banks.Callback {
	return banks.Callback{Provider: "momo", TxnID: txn, PaymentID: paymentID, OrderID: orderID,
		Amount: decimal.NewFromInt(135000), Currency: "VND", ResultCode: code, Message: "Giao dịch bị từ chối bởi người dùng.", Raw: []byte(`{}`)}
}

// transfer is a bank-feed report of a transfer to the demo agency's account.
func (f *fixture) transfer(feed, id, code, amount, bankRef string, booked time.Time) banks.Callback {
	var account string
	f.g.Pool.QueryRow(context.Background(), `SELECT account_number FROM agencies WHERE code = 'KBNN-HN'`).Scan(&account)
	return banks.Callback{Provider: "vietqr", TxnID: feed + ":" + id, PaymentCode: code, Account: account,
		Amount: decimal.RequireFromString(amount), Currency: "VND", Succeeded: true, BookedAt: booked, BankRef: bankRef, Raw: []byte(`{}`)}
}

func (f *fixture) status(t *testing.T, id string) string {
	t.Helper()
	var s string
	if err := f.g.Pool.QueryRow(context.Background(), `SELECT status::text FROM payments WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) events(t *testing.T, id, typ string) int {
	t.Helper()
	return f.g.Count(t, `SELECT count(*) FROM events WHERE payment_id = $1 AND type = $2`, id, typ)
}

// One payment, two callbacks in one group: the one received first acts,
// the other is judged after it, in the same transaction.
func TestTwoCallbacksForOnePaymentInOneGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()

	// The audit's case: a MoMo decline and a short transfer together.
	short, code := f.pay(t, "HS-TWO-000001")
	order := f.issue(t, short, "momo", 1485)
	res, err := f.settler.SettleAll(ctx, decline(short, order, "d-1", "1006"), f.transfer("casso", "1", code, "100000", "FT001", now))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != banks.OutcomeFailed || res[1].Outcome != banks.OutcomeException || res[1].Reason != "amount_mismatch" {
		t.Fatalf("decline + short transfer: %+v", res)
	}
	if s := f.status(t, short); s != "requires_payment_method" {
		t.Fatalf("payment after a decline and a short transfer is %s", s)
	}
	if n := f.g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1 AND kind = 'settlement'`, short); n != 0 {
		t.Fatalf("settlement entries = %d, want 0", n)
	}
	if f.events(t, short, "payment.failed") != 0 || f.events(t, short, "payment.attempt_failed") != 1 || f.events(t, short, "payment.exception") != 1 {
		t.Fatal("want one attempt_failed and one exception event, no payment.failed")
	}

	// A correct transfer first, a decline second: paid once, the decline
	// ignored; the other order gives the same money the same end.
	for i, first := range []bool{true, false} {
		id, code := f.pay(t, "HS-TWO-00001"+string(rune('2'+i)))
		order := f.issue(t, id, "momo", 1485)
		pay := f.transfer("sepay", "7"+string(rune('0'+i)), code, "135000", "FT10"+string(rune('0'+i)), now)
		dec := decline(id, order, "d-2"+string(rune('0'+i)), "1006")
		cbs := []banks.Callback{pay, dec}
		if !first {
			cbs = []banks.Callback{dec, pay}
		}
		if _, err := f.settler.SettleAll(ctx, cbs...); err != nil {
			t.Fatal(err)
		}
		if s := f.status(t, id); s != "succeeded" {
			t.Fatalf("transfer first=%v: payment is %s", first, s)
		}
		if n := f.g.Count(t, `SELECT count(*) FROM journal_entries WHERE payment_id = $1 AND kind = 'settlement'`, id); n != 1 {
			t.Fatalf("transfer first=%v: %d settlement entries", first, n)
		}
		if f.events(t, id, "payment.succeeded") != 1 || f.events(t, id, "payment.failed") != 0 {
			t.Fatalf("transfer first=%v: wrong events", first)
		}
	}
	f.ledgerBalanced(t)
}

func TestDeclineFailsTheAttemptNotThePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.pay(t, "HS-DEC-000001")
	first := f.issue(t, id, "momo", 1485)
	second := f.issue(t, id, "momo", 1485)

	// A decline of an attempt that is no longer current changes only it.
	if r, err := f.settler.Settle(ctx, decline(id, first, "d-1", "1006")); err != nil || r.Outcome != banks.OutcomeFailed {
		t.Fatalf("old attempt's decline: %+v %v", r, err)
	}
	if s := f.status(t, id); s != "pending" {
		t.Fatalf("payment after an old attempt's decline is %s, want pending", s)
	}
	// The current attempt's decline sends the payment back to the citizen.
	if r, err := f.settler.Settle(ctx, decline(id, second, "d-2", "1006")); err != nil || r.Outcome != banks.OutcomeFailed {
		t.Fatalf("current attempt's decline: %+v %v", r, err)
	}
	if s := f.status(t, id); s != "requires_payment_method" {
		t.Fatalf("payment after its current attempt's decline is %s", s)
	}
	var lastErr string
	f.g.Pool.QueryRow(ctx, `SELECT last_attempt_error->>'code' FROM payments WHERE id = $1`, id).Scan(&lastErr)
	if lastErr != "1006" || f.events(t, id, "payment.attempt_failed") != 1 {
		t.Fatalf("last_attempt_error code %q, attempt_failed events %d", lastErr, f.events(t, id, "payment.attempt_failed"))
	}
	if n := f.g.Count(t, `SELECT count(*) FROM payment_attempts WHERE payment_id = $1 AND outcome = 'failed'`, id); n != 2 {
		t.Fatalf("failed attempts = %d, want 2", n)
	}
	// The same decline again (a replayed VNPAY return URL, say) changes nothing.
	if r, err := f.settler.Settle(ctx, decline(id, second, "d-2", "1006")); err != nil || !r.Duplicate {
		t.Fatalf("replayed decline: %+v %v", r, err)
	}
	// Money for the open payment settles it, whatever happened before.
	third := f.issue(t, id, "momo", 1485)
	ok := momo(id, "paid-1", "135000")
	ok.OrderID = third
	if r, err := f.settler.Settle(ctx, ok); err != nil || r.Outcome != banks.OutcomeSettled {
		t.Fatalf("payment after declines: %+v %v", r, err)
	}
	f.ledgerBalanced(t)
}

func TestTooManyDeclinesFailThePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.pay(t, "HS-DEC-000002")
	for i := range 5 {
		order := f.issue(t, id, "momo", 1485)
		if _, err := f.settler.Settle(ctx, decline(id, order, "d-"+string(rune('a'+i)), "1006")); err != nil {
			t.Fatal(err)
		}
		want := "requires_payment_method"
		if i == 4 {
			want = "failed"
		}
		if s := f.status(t, id); s != want {
			t.Fatalf("after %d declines the payment is %s, want %s", i+1, s, want)
		}
	}
	if f.events(t, id, "payment.failed") != 1 || f.events(t, id, "payment.attempt_failed") != 4 {
		t.Fatal("want four attempt_failed events and one payment.failed")
	}
}

func TestSameTransferFromTwoFeedsIsOneCallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	for i, together := range []bool{false, true} {
		id, code := f.pay(t, "HS-FEED-00000"+string(rune('1'+i)))
		ref := "FT2633" + string(rune('0'+i))
		casso, sepay := f.transfer("casso", "55"+string(rune('0'+i)), code, "135000", ref, now), f.transfer("sepay", "99"+string(rune('0'+i)), code, "135000", ref, now)
		var res []settleResult
		if together {
			rs, err := f.settler.SettleAll(ctx, casso, sepay)
			if err != nil {
				t.Fatal(err)
			}
			res = []settleResult{{rs[0].Outcome, rs[0].Duplicate}, {rs[1].Outcome, rs[1].Duplicate}}
		} else {
			for _, cb := range []banks.Callback{casso, sepay} {
				r, err := f.settler.Settle(ctx, cb)
				if err != nil {
					t.Fatal(err)
				}
				res = append(res, settleResult{r.Outcome, r.Duplicate})
			}
		}
		if res[0] != (settleResult{banks.OutcomeSettled, false}) || res[1] != (settleResult{banks.OutcomeSettled, true}) {
			t.Fatalf("together=%v: %+v, want settled then a duplicate with the same outcome", together, res)
		}
		if n := f.g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE payment_id = $1`, id); n != 1 {
			t.Fatalf("together=%v: %d callbacks recorded", together, n)
		}
		if n := f.g.Count(t, `SELECT count(*) FROM callback_reports r JOIN provider_callbacks c ON c.id = r.callback_id WHERE c.payment_id = $1`, id); n != 1 {
			t.Fatalf("together=%v: %d further reports recorded, want 1", together, n)
		}
	}
	if n := f.g.Count(t, `SELECT count(*) FROM provider_callbacks WHERE outcome = 'exception'`); n != 0 {
		t.Fatalf("%d exceptions, want none", n)
	}
	f.ledgerBalanced(t)
}

type settleResult struct {
	outcome banks.Outcome
	dup     bool
}

// Settlement judges a transfer by when the bank booked it.
func TestBookedTimeDecidesExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	expiredAt := now.Add(-time.Hour)
	tests := []struct {
		name, status string
		expires      time.Time
		booked       time.Time
		want         banks.Outcome
		reason       string
	}{
		{"booked in time, reported after the sweep", "expired", expiredAt, expiredAt.Add(-time.Minute), banks.OutcomeSettled, ""},
		{"booked after expiry, before the sweep", "pending", expiredAt, expiredAt.Add(time.Minute), banks.OutcomeException, "payment_expired"},
		{"booked after expiry, after the sweep", "expired", expiredAt, expiredAt.Add(time.Minute), banks.OutcomeException, "payment_expired"},
		{"booked in time, reported past the grace", "expired", now.Add(-25 * time.Hour), now.Add(-26 * time.Hour), banks.OutcomeException, "payment_expired"},
	}
	for i, tt := range tests {
		id, code := f.pay(t, "HS-BOOK-00000"+string(rune('1'+i)))
		if _, err := f.g.Pool.Exec(ctx, `UPDATE payments SET status = $2, expires_at = $3 WHERE id = $1`, id, tt.status, tt.expires); err != nil {
			t.Fatal(err)
		}
		r, err := f.settler.Settle(ctx, f.transfer("casso", "b"+string(rune('0'+i)), code, "135000", "FTB"+string(rune('0'+i)), tt.booked))
		if err != nil || r.Outcome != tt.want || r.Reason != tt.reason {
			t.Fatalf("%s: %+v %v, want %s %s", tt.name, r, err, tt.want, tt.reason)
		}
	}
	f.ledgerBalanced(t)
}

// The fee posted is the one agreed when the attempt was issued, not the
// provider's price today (the fixture's settler charges 1.1 %).
func TestFeeComesFromTheIssuedAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id, _ := f.pay(t, "HS-FEE-000001")
	order := f.issue(t, id, "momo", 2000)
	cb := momo(id, "fee-1", "135000")
	cb.OrderID = order
	if r, err := f.settler.Settle(ctx, cb); err != nil || r.Outcome != banks.OutcomeSettled {
		t.Fatalf("%+v %v", r, err)
	}
	var fees decimal.Decimal
	f.g.Pool.QueryRow(ctx, `SELECT sum(p.amount) FROM postings p JOIN journal_entries e ON e.id = p.entry_id
		WHERE e.payment_id = $1 AND p.account_id = 'test:provider_fees:momo'`, id).Scan(&fees)
	if fees.String() != "2000" {
		t.Fatalf("fee posted %s, want the attempt's 2000", fees)
	}
	f.ledgerBalanced(t)
}
