// Package refunds returns money of settled payments, in full or in part,
// never more than was paid in total, and never the same money twice.
//
// A refund is reserved first, in one transaction: the payment row is locked,
// its pending amount raised (a CHECK keeps refunded + pending ≤ amount), the
// refund row written, the agency's beneficiary account debited into refunds
// payable, and a River job queued. The job then asks the provider and, when
// the answer is final, completes the refund in a second transaction (Finish):
// it either pays the refund out of provider clearing or reverses the
// reservation. An answer that is not final (a timeout, a "processing" code, a
// duplicate) leaves the refund pending and the job asks the provider again
// later. A refund the provider cannot make through an API waits for an
// operator (Complete, FailManual; `civicpay refunds`). A crash between the
// two transactions leaves a queued job, not a lost refund.
package refunds

import (
	"context"
	"errors"
	"fmt"
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
	// ErrNotFound is a refund id that does not exist.
	ErrNotFound = errors.New("refund not found")
	// ErrNotPending is a refund that already succeeded or failed.
	ErrNotPending = errors.New("refund is no longer pending")
	// ErrNotManual is a refund an operator may not complete or fail: its
	// provider refunds through an API, or has not been asked yet.
	ErrNotManual = errors.New("refund is not waiting for a manual transfer")
)

// Args is the River job that completes a refund at its provider.
type Args struct {
	RefundID string `json:"refund_id"`
}

// Kind names the job.
func (Args) Kind() string { return "complete_refund" }

const columns = `id, payment_id, portal_id, livemode, amount, reason, status, provider, failure_code, created_at, updated_at`

// ManualRequired is the failure_code of a pending refund whose provider
// has no refund API: it waits for an operator to transfer the money and
// record the outcome (Complete or FailManual).
const ManualRequired = "manual_refund_required"

func scan(row pgx.Row) (Refund, error) {
	r := Refund{Object: "refund"}
	err := row.Scan(&r.ID, &r.PaymentID, &r.portalID, &r.Livemode, &r.Amount, &r.Reason, &r.Status, &r.Provider, &r.FailureCode, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

const lockPaymentSQL = `
SELECT status::text, amount - amount_refunded - amount_refund_pending, agency_code, settled_provider
FROM payments WHERE id = $1 AND portal_id = $2 AND livemode = $3 FOR UPDATE`

const insertRefundSQL = `
INSERT INTO refunds (id, payment_id, portal_id, livemode, amount, reason, status, provider)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING ` + columns

// moveAmountsSQL is the only statement that changes a payment's refunded
// ($2) and pending ($3) amounts, and so the one place its status follows
// from them: succeeded while nothing was paid back, partially_refunded
// while some was, refunded once all was. A pending refund changes no
// status; it only takes room (amount − refunded − pending) from later ones.
// Status is always in the SET list: the NOTIFY trigger that streams status
// changes fires only on UPDATE OF status (and then only if it changed).
const moveAmountsSQL = `
UPDATE payments SET
	amount_refunded = amount_refunded + $2,
	amount_refund_pending = amount_refund_pending + $3,
	status = CASE WHEN amount_refunded + $2 = 0 THEN 'succeeded'
	              WHEN amount_refunded + $2 < amount THEN 'partially_refunded'
	              ELSE 'refunded' END::payment_status,
	updated_at = now()
WHERE id = $1`

// Ledger postings of a refund, one journal entry each: the reservation
// moves the amount from what the agency is owed ($4, debited) into refunds
// payable ($6, credited); a payout moves it from refunds payable to the
// provider's clearing account; a failure reverses the reservation.
const refundEntrySQL = `
WITH e AS (
	INSERT INTO journal_entries (livemode, kind, payment_id, refund_id, memo)
	VALUES ($1, 'refund', $2, $3, $7) RETURNING id
)
INSERT INTO postings (entry_id, account_id, amount)
SELECT e.id, x.account, x.amount FROM e, (VALUES ($4::text, $5::numeric), ($6::text, -$5::numeric)) AS x(account, amount)`

// Memos of the refund entries, one per movement.
const (
	memoReserved = "refund reserved"
	memoPaidOut  = "refund paid out"
	memoReversed = "refund failed: reservation reversed"
)

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
		return Refund{}, fmt.Errorf("refunds: lock payment: %w", err)
	}
	if status != string(payments.Succeeded) && status != string(payments.PartiallyRefunded) {
		return Refund{}, ErrNotRefundable
	}
	if amount.GreaterThan(left) {
		return Refund{}, ErrExceedsPaid
	}
	r, err := scan(tx.QueryRow(ctx, insertRefundSQL, ids.Refund(), paymentID, portalID, livemode, amount, reason, provider))
	if err != nil {
		return Refund{}, pg.Translate(err)
	}
	if _, err := tx.Exec(ctx, moveAmountsSQL, paymentID, decimal.Zero, amount); err != nil {
		return Refund{}, pg.Translate(err)
	}
	mode := modeOf(livemode)
	if _, err := tx.Exec(ctx, refundEntrySQL, livemode, paymentID, r.ID, mode+":beneficiary:"+agency, amount, mode+":refunds_payable", memoReserved); err != nil {
		return Refund{}, fmt.Errorf("refunds: reserve postings: %w", err)
	}
	if _, err = rc.InsertTx(ctx, tx, Args{RefundID: r.ID}, &river.InsertOpts{MaxAttempts: 10}); err != nil {
		return Refund{}, fmt.Errorf("refunds: queue completion: %w", err)
	}
	return r, nil
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

// refundEvent is the refund.succeeded or refund.failed event of r.
func refundEvent(r Refund, typ string) events.Event {
	return events.Event{Type: typ, PortalID: r.portalID, Livemode: r.Livemode, PaymentID: r.PaymentID, Object: r}
}
