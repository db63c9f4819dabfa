package refunds

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Worker completes reserved refunds at their provider.
type Worker struct {
	river.WorkerDefaults[Args]
	Pool   *pgxpool.Pool
	Outbox *events.Outbox
	Log    *slog.Logger
	// Provider finds the provider a payment settled through; a provider
	// without a refund API leaves the refund pending for a manual transfer.
	Provider func(name string) (banks.Provider, bool)
}

const settledSQL = `
SELECT r.amount, r.provider, coalesce(c.order_id, ''), coalesce(c.provider_txn_id, ''), r.status
FROM refunds r LEFT JOIN provider_callbacks c ON c.payment_id = r.payment_id AND c.outcome = 'settled'
WHERE r.id = $1`

// Work asks the provider for the refund and records the answer.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	var req banks.RefundRequest
	var provider *string
	var status string
	req.RefundID = job.Args.RefundID
	if err := w.Pool.QueryRow(ctx, settledSQL, req.RefundID).Scan(&req.Amount, &provider, &req.OrderID, &req.TxnID, &status); err != nil {
		return err
	}
	if status != string(Pending) {
		return nil // already completed by an earlier run
	}
	p, ok := w.lookup(provider)
	if !ok {
		return w.finish(ctx, req.RefundID, false, "manual_refund_required", true)
	}
	res, err := p.Refund(ctx, req)
	switch {
	case errors.Is(err, banks.ErrUnsupported):
		return w.finish(ctx, req.RefundID, false, "manual_refund_required", true)
	case err != nil:
		return err // River retries with backoff; the provider dedupes on the refund id
	}
	return w.finish(ctx, req.RefundID, res.Succeeded, res.Code, false)
}

func (w *Worker) lookup(provider *string) (banks.Provider, bool) {
	if provider == nil || w.Provider == nil {
		return nil, false
	}
	return w.Provider(*provider)
}

const (
	completeSQL = `
UPDATE refunds SET status = $2, failure_code = $3, updated_at = now()
WHERE id = $1 AND status = 'pending' RETURNING ` + columns
	paidOutSQL = `
WITH e AS (
	INSERT INTO journal_entries (livemode, kind, payment_id, refund_id, memo)
	VALUES ($1, 'refund', $2, $3, $6) RETURNING id
)
INSERT INTO postings (entry_id, account_id, amount)
SELECT e.id, x.account, x.amount FROM e, (VALUES ($4::text, $5::numeric), ($7::text, -$5::numeric)) AS x(account, amount)`
	paymentAfterSQL = `
UPDATE payments SET status = CASE WHEN amount_refunded = amount THEN 'refunded'::payment_status ELSE 'partially_refunded'::payment_status END,
	updated_at = now() WHERE id = $1`
	releaseSQL = `UPDATE payments SET amount_refunded = amount_refunded - $2, updated_at = now() WHERE id = $1`
)

// finish records the provider's answer; manual leaves the refund pending.
func (w *Worker) finish(ctx context.Context, id string, ok bool, code string, manual bool) error {
	return pg.InTx(ctx, w.Pool, func(tx pgx.Tx) error {
		if manual {
			_, err := tx.Exec(ctx, `UPDATE refunds SET failure_code = $2, updated_at = now() WHERE id = $1 AND status = 'pending'`, id, code)
			return err
		}
		status, failure := Succeeded, &code
		if !ok {
			status = Failed
		} else {
			failure = nil
		}
		r, err := scan(tx.QueryRow(ctx, completeSQL, id, status, failure))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return w.post(ctx, tx, r, ok)
	})
}

// post pays the refund out of provider clearing, or reverses the reservation.
func (w *Worker) post(ctx context.Context, tx pgx.Tx, r Refund, ok bool) error {
	mode := modeOf(r.Livemode)
	payable := mode + ":refunds_payable"
	var agency string
	if err := tx.QueryRow(ctx, `SELECT agency_code FROM payments WHERE id = $1`, r.PaymentID).Scan(&agency); err != nil {
		return err
	}
	other, memo, typ := mode+":provider_clearing:"+deref(r.Provider), "refund paid out", events.RefundSucceeded
	if !ok {
		other, memo, typ = mode+":beneficiary:"+agency, "refund failed: reservation reversed", events.RefundFailed
	}
	if _, err := tx.Exec(ctx, paidOutSQL, r.Livemode, r.PaymentID, r.ID, payable, r.Amount, memo, other); err != nil {
		return err
	}
	var err error
	if ok {
		_, err = tx.Exec(ctx, paymentAfterSQL, r.PaymentID)
	} else {
		_, err = tx.Exec(ctx, releaseSQL, r.PaymentID, r.Amount)
	}
	if err != nil {
		return err
	}
	return w.Outbox.Emit(ctx, tx, refundEvent(r, typ))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
