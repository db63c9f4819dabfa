// Package maintenance holds the periodic jobs: expiring overdue payments and
// pruning old idempotency keys. River runs them on its elected leader only,
// so two gateway instances do not sweep twice.
package maintenance

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/idempotency"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/pg"
)

// ExpireArgs is the periodic sweep of overdue payments.
type ExpireArgs struct{}

// Kind names the job.
func (ExpireArgs) Kind() string { return "expire_payments" }

// ExpireWorker marks overdue open payments expired, in bounded batches, each
// batch with its payment.expired events in one transaction.
type ExpireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	Pool   *pgxpool.Pool
	Outbox *events.Outbox
	Log    *slog.Logger
}

// batch bounds one sweep transaction; rounds bounds one job run.
const batch, rounds = 500, 20

// Work expires what is due.
func (w *ExpireWorker) Work(ctx context.Context, _ *river.Job[ExpireArgs]) error {
	total, err := ExpireNow(ctx, w.Pool, w.Outbox, time.Now())
	if total > 0 && w.Log != nil {
		w.Log.Info("expired overdue payments", "count", total)
	}
	return err
}

// ExpireNow runs sweeps until nothing is due (or the round bound is hit).
func ExpireNow(ctx context.Context, pool *pgxpool.Pool, out *events.Outbox, now time.Time) (int, error) {
	total := 0
	for i := 0; i < rounds; i++ {
		var n int
		err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
			var err error
			n, err = payments.ExpireDue(ctx, tx, out, now, batch)
			return err
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
	return total, nil
}

// PruneArgs is the periodic removal of idempotency keys past retention.
type PruneArgs struct{}

// Kind names the job.
func (PruneArgs) Kind() string { return "prune_idempotency_keys" }

// PruneWorker deletes old idempotency keys.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Pool *pgxpool.Pool
}

// Work prunes.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	_, err := idempotency.Prune(ctx, w.Pool, time.Now())
	return err
}
