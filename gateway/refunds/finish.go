package refunds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Outcome is a final answer for a pending refund.
type Outcome struct {
	Succeeded bool
	// Code is the failure code of a failed refund.
	Code string
	// Reference is the provider's, or the bank's, reference of the payout.
	Reference string
	// Reason is an operator's explanation of a failure.
	Reason string
}

// Locking the payment before the refund is the order Create takes too
// (payment, then refund rows), so completions and new refunds of the
// same payment queue behind each other instead of deadlocking.
const lockForFinishSQL = `
SELECT p.agency_code, r.status, coalesce(r.failure_code, '')
FROM refunds r JOIN payments p ON p.id = r.payment_id
WHERE r.id = $1 FOR UPDATE OF p, r`

const completeSQL = `
UPDATE refunds SET status = $2, failure_code = $3, provider_ref = coalesce($4, provider_ref),
	failure_reason = $5, updated_at = now()
WHERE id = $1 AND status = 'pending' RETURNING ` + columns

// Finish records a final answer for a pending refund: its status, the
// payout or the reversal of its reservation in the ledger, the payment's
// amounts and status, and the refund.succeeded or refund.failed event, in
// one transaction. A refund that is no longer pending is ErrNotPending and
// changes nothing, so a second answer can never pay or release it twice.
func Finish(ctx context.Context, db pg.TxBeginner, outbox *events.Outbox, id string, o Outcome) (Refund, error) {
	return finish(ctx, db, outbox, id, o, false)
}

// Complete records that an operator paid a manual refund back (a bank
// transfer for VietQR, or through the ZaloPay or VNPAY merchant portal),
// with the bank's reference of the transfer.
func Complete(ctx context.Context, db pg.TxBeginner, outbox *events.Outbox, id, reference string) (Refund, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" || len(reference) > 100 {
		return Refund{}, errors.New("refunds: a bank reference of 1 to 100 characters is required")
	}
	return finish(ctx, db, outbox, id, Outcome{Succeeded: true, Reference: reference}, true)
}

// FailedByOperator is the failure_code of a manual refund an operator
// gave up on; its reservation is released.
const FailedByOperator = "failed_by_operator"

// FailManual records that a manual refund will not be paid, releasing
// its reservation so the payment can be refunded again.
func FailManual(ctx context.Context, db pg.TxBeginner, outbox *events.Outbox, id, reason string) (Refund, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 500 {
		return Refund{}, errors.New("refunds: a reason of 1 to 500 characters is required")
	}
	return finish(ctx, db, outbox, id, Outcome{Code: FailedByOperator, Reason: reason}, true)
}

func finish(ctx context.Context, db pg.TxBeginner, outbox *events.Outbox, id string, o Outcome, manualOnly bool) (Refund, error) {
	var r Refund
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var agency, status, code string
		err := tx.QueryRow(ctx, lockForFinishSQL, id).Scan(&agency, &status, &code)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case status != string(Pending):
			return ErrNotPending
		case manualOnly && code != ManualRequired:
			return ErrNotManual
		}
		final, failure := Succeeded, nullable(o.Code)
		if !o.Succeeded {
			final = Failed
		} else {
			failure = nil
		}
		if r, err = scan(tx.QueryRow(ctx, completeSQL, id, final, failure, nullable(o.Reference), nullable(o.Reason))); err != nil {
			return err
		}
		return post(ctx, tx, outbox, r, agency, o.Succeeded)
	})
	if err != nil {
		return Refund{}, fmt.Errorf("refunds: finish %s: %w", id, err)
	}
	return r, nil
}

// post pays the refund out of provider clearing, or reverses the
// reservation, and moves the payment's amounts to match.
func post(ctx context.Context, tx pgx.Tx, outbox *events.Outbox, r Refund, agency string, ok bool) error {
	mode := modeOf(r.Livemode)
	payable := mode + ":refunds_payable"
	other, memo, typ := mode+":provider_clearing:"+deref(r.Provider), memoPaidOut, events.RefundSucceeded
	refunded := r.Amount
	if !ok {
		other, memo, typ = mode+":beneficiary:"+agency, memoReversed, events.RefundFailed
		refunded = decimal.Zero
	}
	if _, err := tx.Exec(ctx, refundEntrySQL, r.Livemode, r.PaymentID, r.ID, payable, r.Amount, other, memo); err != nil {
		return fmt.Errorf("postings: %w", err)
	}
	if _, err := tx.Exec(ctx, moveAmountsSQL, r.PaymentID, refunded, r.Amount.Neg()); err != nil {
		return fmt.Errorf("payment amounts: %w", err)
	}
	return outbox.Emit(ctx, tx, refundEvent(r, typ))
}

// Get returns a refund whoever owns it; for operators and workers only.
func Get(ctx context.Context, db pg.Querier, id string) (Refund, error) {
	r, err := scan(db.QueryRow(ctx, `SELECT `+columns+` FROM refunds WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Refund{}, ErrNotFound
	}
	return r, err
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
