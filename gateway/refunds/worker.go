package refunds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/events"
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
	// Backoff is how long to wait before asking the provider again about
	// a refund whose answer was not final, after checks earlier asks;
	// nil is DefaultBackoff.
	Backoff func(checks int) time.Duration
}

// DefaultBackoff doubles from 30 s to an hour: a refund "processing" at a
// wallet usually ends in minutes, but one can take a day, and asking
// every hour costs nothing. The job is snoozed, not failed, so it never
// runs out of attempts before the provider answers.
func DefaultBackoff(checks int) time.Duration {
	d := 30 * time.Second
	for i := 0; i < checks && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

const loadSQL = `
SELECT r.amount, r.provider, r.status, coalesce(r.failure_code, ''),
	coalesce(c.order_id, ''), coalesce(c.provider_txn_id, '')
FROM refunds r LEFT JOIN provider_callbacks c ON c.payment_id = r.payment_id AND c.outcome = 'settled'
WHERE r.id = $1`

// claimSendSQL marks a refund as sent before it is: whoever sets
// requested_at sends; every later run, of this job or a duplicate of it,
// asks the provider first. A crash after the send cannot lead to a
// blind second send.
const claimSendSQL = `UPDATE refunds SET requested_at = now() WHERE id = $1 AND requested_at IS NULL`

const (
	checkedSQL = `UPDATE refunds SET checks = checks + 1, updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING checks`
	manualSQL  = `UPDATE refunds SET failure_code = $2, updated_at = now() WHERE id = $1 AND status = 'pending'`
)

// Work asks the provider for the refund, or about it, and records a final
// answer. Anything else (a timeout, a lost answer, a "processing" or
// duplicate code) leaves the refund pending and snoozes the job: only a
// final failure releases the reservation, since an unanswered refund may
// still be paid.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	id := job.Args.RefundID
	req := banks.RefundRequest{RefundID: id}
	var provider *string
	var status, code string
	if err := w.Pool.QueryRow(ctx, loadSQL, id).Scan(&req.Amount, &provider, &status, &code, &req.OrderID, &req.TxnID); err != nil {
		return fmt.Errorf("refunds: load %s: %w", id, err)
	}
	if status != string(Pending) || code == ManualRequired {
		return nil // completed by an earlier run, or waiting for an operator
	}
	p, ok := w.lookup(provider)
	if !ok {
		return w.manual(ctx, id)
	}
	res, err := w.ask(ctx, p, req)
	switch {
	case errors.Is(err, banks.ErrUnsupported):
		return w.manual(ctx, id)
	case err == nil && res.Final():
		_, err = Finish(ctx, w.Pool, w.Outbox, id, Outcome{Succeeded: res.Succeeded, Code: res.Code, Reference: res.ProviderRef})
		if errors.Is(err, ErrNotPending) {
			return nil
		}
		return err
	}
	var checks int
	if qerr := w.Pool.QueryRow(ctx, checkedSQL, id).Scan(&checks); errors.Is(qerr, pgx.ErrNoRows) {
		return nil // completed meanwhile by another run
	} else if qerr != nil {
		return fmt.Errorf("refunds: count check of %s: %w", id, qerr)
	}
	w.log().Warn("refund not final yet; asking again later", "refund", id, "provider", deref(provider),
		"code", res.Code, "pending", res.Pending, "not_found", res.NotFound, "error", err, "checks", checks)
	return river.JobSnooze(w.backoff(checks))
}

// ask sends the refund the first time and asks about it afterwards. A
// refund the provider says it never received is sent again under the same
// refund id, which the provider deduplicates, so it is paid at most once.
func (w *Worker) ask(ctx context.Context, p banks.Provider, req banks.RefundRequest) (banks.RefundResult, error) {
	tag, err := w.Pool.Exec(ctx, claimSendSQL, req.RefundID)
	if err != nil {
		return banks.RefundResult{}, fmt.Errorf("refunds: claim send: %w", err)
	}
	q, canAsk := p.(banks.RefundQuerier)
	if tag.RowsAffected() == 1 || !canAsk {
		return p.Refund(ctx, req)
	}
	res, err := q.QueryRefund(ctx, req)
	if err == nil && res.NotFound {
		return p.Refund(ctx, req)
	}
	return res, err
}

func (w *Worker) manual(ctx context.Context, id string) error {
	if _, err := w.Pool.Exec(ctx, manualSQL, id, ManualRequired); err != nil {
		return fmt.Errorf("refunds: mark %s manual: %w", id, err)
	}
	return nil
}

func (w *Worker) lookup(provider *string) (banks.Provider, bool) {
	if provider == nil || w.Provider == nil {
		return nil, false
	}
	return w.Provider(*provider)
}

func (w *Worker) backoff(checks int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(checks)
	}
	return DefaultBackoff(checks)
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
