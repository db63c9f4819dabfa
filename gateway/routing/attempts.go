package routing

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Attempt outcomes, as the payment_attempts CHECK constraint lists them.
const (
	OutcomePending     = "pending"
	OutcomeIssued      = "issued"
	OutcomeFailed      = "failed"
	OutcomeBreakerOpen = "breaker_open"
	OutcomeTimeout     = "timeout"
)

// Attempt is one try at one provider: a row of payment_attempts.
type Attempt struct {
	ID          int64
	PaymentID   string
	Number      int
	Provider    string
	Method      string
	OrderID     string
	Outcome     string
	QRPayload   string
	Deeplink    string
	PayURL      string
	ProviderRef string
	CreatedAt   time.Time
}

const nextAttemptSQL = `SELECT coalesce(max(attempt), 0) + 1 FROM payment_attempts WHERE payment_id = $1`

// insertAttemptSQL claims an attempt number; a concurrent claim of the same
// number (another gateway instance) inserts nothing and the caller takes
// the next number, so two attempts can never share an order id.
const insertAttemptSQL = `
INSERT INTO payment_attempts (payment_id, attempt, provider, method, order_id, outcome)
VALUES ($1, $2, $3, $4, $5, 'pending')
ON CONFLICT DO NOTHING
RETURNING id, created_at`

// maxClaims bounds the retries of a contended attempt number.
const maxClaims = 5

// InsertAttempt records a pending attempt, committed before the provider
// is called: if the gateway dies mid-call the row still says an order may
// exist at that provider under that order id.
func InsertAttempt(ctx context.Context, db pg.Querier, paymentID, provider, method string) (Attempt, error) {
	for range maxClaims {
		var n int
		if err := db.QueryRow(ctx, nextAttemptSQL, paymentID).Scan(&n); err != nil {
			return Attempt{}, err
		}
		a := Attempt{PaymentID: paymentID, Number: n, Provider: provider, Method: method, OrderID: banks.OrderID(paymentID, n), Outcome: OutcomePending}
		err := db.QueryRow(ctx, insertAttemptSQL, paymentID, n, provider, method, a.OrderID).Scan(&a.ID, &a.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		return a, pg.Translate(err)
	}
	return Attempt{}, pg.ErrRetry
}

const countAttemptsSQL = `SELECT count(*) FROM payment_attempts WHERE payment_id = $1`

// CountAttempts is how many attempts a payment has had; routing bounds it.
func CountAttempts(ctx context.Context, db pg.Querier, paymentID string) (int, error) {
	var n int
	err := db.QueryRow(ctx, countAttemptsSQL, paymentID).Scan(&n)
	return n, err
}

const finishAttemptSQL = `
UPDATE payment_attempts
SET outcome = $2, latency_ms = $3, error = $4, qr_payload = $5, deeplink = $6, pay_url = $7,
    provider_ref = $8, fee = $9, updated_at = now()
WHERE id = $1 AND outcome = 'pending'`

// Result is how an attempt ended.
type Result struct {
	Outcome string
	Latency time.Duration
	Err     error
	Issued  banks.Issued
	Fee     decimal.Decimal
}

// maxErrorText keeps stored errors readable; adapters' errors carry no
// secrets, but a long one is noise.
const maxErrorText = 500

// FinishAttempt records the outcome of a pending attempt.
func FinishAttempt(ctx context.Context, db pg.Querier, id int64, r Result) error {
	var errText *string
	if r.Err != nil {
		s := r.Err.Error()
		if len(s) > maxErrorText {
			s = s[:maxErrorText]
		}
		errText = &s
	}
	var fee *decimal.Decimal
	if r.Outcome == OutcomeIssued {
		fee = &r.Fee
	}
	_, err := db.Exec(ctx, finishAttemptSQL, id, r.Outcome, r.Latency.Milliseconds(), errText,
		opt(r.Issued.QRPayload), opt(r.Issued.Deeplink), opt(r.Issued.PayURL), opt(r.Issued.ProviderRef), fee)
	return pg.Translate(err)
}

const issuedAttemptsSQL = `
SELECT id, attempt, provider, method, order_id, coalesce(qr_payload, ''), coalesce(deeplink, ''),
       coalesce(pay_url, ''), coalesce(provider_ref, ''), created_at
FROM payment_attempts WHERE payment_id = $1 AND outcome = 'issued'
ORDER BY attempt DESC`

// IssuedAttempts lists a payment's issued attempts, newest first.
func IssuedAttempts(ctx context.Context, db pg.Querier, paymentID string) ([]Attempt, error) {
	rows, err := db.Query(ctx, issuedAttemptsSQL, paymentID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attempt, error) {
		a := Attempt{PaymentID: paymentID, Outcome: OutcomeIssued}
		err := row.Scan(&a.ID, &a.Number, &a.Provider, &a.Method, &a.OrderID, &a.QRPayload, &a.Deeplink,
			&a.PayURL, &a.ProviderRef, &a.CreatedAt)
		return a, err
	})
}

const orderCreatedSQL = `SELECT created_at FROM payment_attempts WHERE order_id = $1`

// OrderCreatedAt is when an order was issued, for providers whose status
// query must name the order's date (VNPAY, ZaloPay).
func OrderCreatedAt(ctx context.Context, db pg.Querier, orderID string) (time.Time, error) {
	var t time.Time
	err := db.QueryRow(ctx, orderCreatedSQL, orderID).Scan(&t)
	return t, err
}

// markPendingSQL is the first issued attempt's effect on the payment; a
// payment already pending (or settled meanwhile) is left alone.
const markPendingSQL = `
UPDATE payments SET status = 'pending', updated_at = now()
WHERE id = $1 AND status = 'requires_payment_method'`

// MarkPending moves a payment to pending once a provider has issued.
func MarkPending(ctx context.Context, db pg.Querier, paymentID string) error {
	_, err := db.Exec(ctx, markPendingSQL, paymentID)
	return pg.Translate(err)
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
