// Package refunds returns money of settled payments, in full or in part,
// never more than was paid in total.
//
// A refund is reserved first, in one transaction: the payment row is locked,
// its refunded amount raised (a CHECK keeps it ≤ the amount), the refund row
// written, the agency's beneficiary account debited into refunds payable,
// and a River job queued. The job then asks the provider and, in a second
// transaction, either pays the refund out of provider clearing or reverses
// the reservation. A crash between the two leaves a queued job, not a lost
// refund.
package refunds

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Status of a refund.
type Status string

const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
)

// Refund is one return of money.
type Refund struct {
	ID          string          `json:"id"`
	Object      string          `json:"object"`
	PaymentID   string          `json:"payment"`
	Livemode    bool            `json:"livemode"`
	Amount      decimal.Decimal `json:"amount"`
	Reason      *string         `json:"reason"`
	Status      Status          `json:"status"`
	Provider    *string         `json:"provider"`
	FailureCode *string         `json:"failure_code"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	portalID    string
}

var (
	// ErrNotRefundable is a payment that has not succeeded.
	ErrNotRefundable = errors.New("only succeeded payments can be refunded")
	// ErrExceedsPaid is a refund larger than what is left to refund.
	ErrExceedsPaid = errors.New("refund exceeds the amount paid minus earlier refunds")
)

// Args is the River job that completes a refund at its provider.
type Args struct {
	RefundID string `json:"refund_id"`
}

// Kind names the job.
func (Args) Kind() string { return "complete_refund" }

const columns = `id, payment_id, portal_id, livemode, amount, reason, status, provider, failure_code, created_at, updated_at`

func scan(row pgx.Row) (Refund, error) {
	r := Refund{Object: "refund"}
	err := row.Scan(&r.ID, &r.PaymentID, &r.portalID, &r.Livemode, &r.Amount, &r.Reason, &r.Status, &r.Provider, &r.FailureCode, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

const lockPaymentSQL = `
SELECT status::text, amount - amount_refunded, agency_code, settled_provider
FROM payments WHERE id = $1 AND portal_id = $2 AND livemode = $3 FOR UPDATE`

const reserveSQL = `
WITH r AS (
	INSERT INTO refunds (id, payment_id, portal_id, livemode, amount, reason, status, provider)
	VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING ` + columns + `
), pay AS (
	UPDATE payments SET amount_refunded = amount_refunded + $5, updated_at = now() WHERE id = $2
), e AS (
	INSERT INTO journal_entries (livemode, kind, payment_id, refund_id, memo)
	VALUES ($4, 'refund', $2, $1, 'refund reserved') RETURNING id
), p AS (
	INSERT INTO postings (entry_id, account_id, amount)
	SELECT e.id, x.account, x.amount FROM e, (VALUES ($8::text, $5::numeric), ($9::text, -$5::numeric)) AS x(account, amount)
)
SELECT ` + columns + ` FROM r`

// Create reserves a refund of amount on one of the portal's payments and
// queues its completion, in tx.
func Create(ctx context.Context, tx pgx.Tx, rc *river.Client[pgx.Tx], portalID string, livemode bool, paymentID string, amount decimal.Decimal, reason *string) (Refund, error) {
	var status, agency string
	var left decimal.Decimal
	var provider *string
	err := tx.QueryRow(ctx, lockPaymentSQL, paymentID, portalID, livemode).Scan(&status, &left, &agency, &provider)
	if errors.Is(err, pgx.ErrNoRows) {
		return Refund{}, payments.ErrNotFound
	}
	if err != nil {
		return Refund{}, err
	}
	if status != string(payments.Succeeded) && status != string(payments.PartiallyRefunded) {
		return Refund{}, ErrNotRefundable
	}
	if amount.GreaterThan(left) {
		return Refund{}, ErrExceedsPaid
	}
	mode := modeOf(livemode)
	r, err := scan(tx.QueryRow(ctx, reserveSQL, ids.Refund(), paymentID, portalID, livemode, amount, reason, provider,
		mode+":beneficiary:"+agency, mode+":refunds_payable"))
	if err != nil {
		return Refund{}, pg.Translate(err)
	}
	_, err = rc.InsertTx(ctx, tx, Args{RefundID: r.ID}, &river.InsertOpts{MaxAttempts: 10})
	return r, err
}

func modeOf(live bool) string {
	if live {
		return "live"
	}
	return "test"
}

// List returns a payment's refunds.
func List(ctx context.Context, db pg.Querier, portalID string, livemode bool, paymentID string) ([]Refund, error) {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM refunds WHERE payment_id = $1 AND portal_id = $2 AND livemode = $3 ORDER BY created_at`, paymentID, portalID, livemode)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Refund, error) { return scan(r) })
}

// Emit helper for the worker.
func refundEvent(r Refund, typ string) events.Event {
	return events.Event{Type: typ, PortalID: r.portalID, Livemode: r.Livemode, PaymentID: r.PaymentID, Object: r}
}
