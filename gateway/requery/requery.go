// Package requery asks providers about orders they have not called back
// about. A wallet's notification can be lost — its retries give up while
// our endpoint is unreachable, a proxy drops it — and the order then stays
// paid at the provider and open here: the citizen has paid, the portal
// still shows the fee as owed. Periodically (on River's leader only) the
// gateway asks each provider for the status of its issued orders that are
// overdue a callback, and hands a paid answer to the settler as if it were
// the callback. The provider's transaction id is the same, so the callback,
// if it comes after all, is a duplicate that settles nothing. Bank
// transfers have no order to ask about: their payment code is looked for
// in the bank feeds' transaction lists instead (banks.TransferFinder), and
// a transfer found there settles under the feed's transaction id. A
// payment that expired meanwhile is settled as an exception, its money held
// in suspense for review, as a late callback would be.
package requery

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/gateway/settlement"
)

// Timing of the asking. An order is first asked about MinAge after it was
// issued (providers call back within seconds; most payers take a minute
// or two to pay), then with backoff — at least Again after the last
// question, and at least half the order's age at that question, so the
// gaps grow by half each time — while its payment is open or expired less
// than Grace ago; at most Batch orders per run. Config overrides the
// first three (tests and the fault probe run on a compressed clock).
const (
	MinAge = 2 * time.Minute
	Again  = 2 * time.Minute
	Grace  = time.Hour
	Batch  = 100
)

// Args is the periodic job.
type Args struct{}

// Kind names the job.
func (Args) Kind() string { return "requery_orders" }

// Settler is what settles a provider's answer: *settlement.Settler.
type Settler interface {
	Settle(ctx context.Context, cb banks.Callback) (settlement.Result, error)
}

// Config is what a run needs.
type Config struct {
	Pool     *pgxpool.Pool
	Settler  Settler
	Provider func(name string) (banks.Provider, bool)
	Log      *slog.Logger
	// MinAge, Again and Grace override the package's defaults when set.
	MinAge, Again, Grace time.Duration
}

func (c Config) timing() (minAge, again, grace time.Duration) {
	minAge, again, grace = MinAge, Again, Grace
	if c.MinAge > 0 {
		minAge = c.MinAge
	}
	if c.Again > 0 {
		again = c.Again
	}
	if c.Grace > 0 {
		grace = c.Grace
	}
	return minAge, again, grace
}

// Worker runs Run as a River job.
type Worker struct {
	river.WorkerDefaults[Args]
	Config
}

// Work asks about what is due.
func (w *Worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	st, err := Run(ctx, w.Config, time.Now())
	if st.Settled > 0 && w.Log != nil {
		w.Log.Warn("settled orders whose callbacks had not arrived", "count", st.Settled, "asked", st.Asked)
	}
	return err
}

// Stats counts one run.
type Stats struct {
	Asked   int // orders asked about
	Paid    int // of which the provider says were paid
	Settled int // of which the settler recorded now (not duplicates)
}

// dueSQL picks issued orders of open (or lately expired) payments that are
// overdue a callback and were not asked about lately, least recently asked
// first. $2 is now and $3 Again: an order asked at q is due again at
// q + max(Again, (q - issued) / 2).
const dueSQL = `
SELECT a.id, a.payment_id, a.provider, a.order_id, a.created_at, p.livemode, p.payment_code, ag.account_number
FROM payment_attempts a JOIN payments p ON p.id = a.payment_id JOIN agencies ag ON ag.code = p.agency_code
WHERE a.outcome = 'issued' AND a.created_at <= $1
  AND (a.queried_at IS NULL OR a.queried_at <= $2::timestamptz - greatest($3::interval, (a.queried_at - a.created_at) / 2))
  AND (p.status IN ('requires_payment_method', 'pending') OR (p.status = 'expired' AND p.expires_at > $4))
ORDER BY a.queried_at NULLS FIRST, a.created_at
LIMIT $5`

const markSQL = `UPDATE payment_attempts SET queried_at = $2 WHERE id = ANY($1)`

type order struct {
	attempt           int64
	payment, provider string
	orderID           string
	issued            time.Time
	livemode          bool
	code, account     string // bank transfers: the payment code and the receiving account
}

// Run asks once about the orders due at now.
func Run(ctx context.Context, cfg Config, now time.Time) (Stats, error) {
	var st Stats
	minAge, again, grace := cfg.timing()
	rows, err := cfg.Pool.Query(ctx, dueSQL, now.Add(-minAge), now, again, now.Add(-grace), Batch)
	if err != nil {
		return st, err
	}
	var due []order
	var ids []int64
	for rows.Next() {
		var o order
		if err := rows.Scan(&o.attempt, &o.payment, &o.provider, &o.orderID, &o.issued, &o.livemode, &o.code, &o.account); err != nil {
			rows.Close()
			return st, err
		}
		due, ids = append(due, o), append(ids, o.attempt)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if len(due) == 0 {
		return st, nil
	}
	// Marked first: a provider that hangs or fails is asked again only
	// after Again, not at every run.
	if _, err := cfg.Pool.Exec(ctx, markSQL, ids, now); err != nil {
		return st, err
	}
	var errs []error
	for _, o := range due {
		settled, paid, err := ask(ctx, cfg, o)
		st.Asked++
		if paid {
			st.Paid++
		}
		if settled {
			st.Settled++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}

// ask queries one order and settles it when the provider says it is paid.
// A provider that cannot be asked or does not answer is not an error of
// the run: the order is asked again later, and reconciliation has the
// last word.
func ask(ctx context.Context, cfg Config, o order) (settled, paid bool, err error) {
	p, ok := cfg.Provider(o.provider)
	if !ok {
		return false, false, nil
	}
	if f, ok := p.(banks.TransferFinder); ok {
		return findTransfer(ctx, cfg, f, o)
	}
	s, err := p.Query(ctx, o.orderID)
	if err != nil {
		if !errors.Is(err, banks.ErrUnsupported) && cfg.Log != nil {
			cfg.Log.Warn("order status query failed", "provider", o.provider, "order_id", o.orderID, "err", err)
		}
		return false, false, nil
	}
	if !s.Known || !s.Succeeded || !s.Final || s.TxnID == "" {
		return false, false, nil
	}
	raw, _ := json.Marshal(map[string]any{"source": "status_query", "order_id": o.orderID, "txn_id": s.TxnID, "amount": s.Amount})
	res, err := cfg.Settler.Settle(ctx, banks.Callback{
		Provider: o.provider, TxnID: s.TxnID, PaymentID: o.payment, OrderID: o.orderID,
		Amount: s.Amount, Currency: "VND", Succeeded: true, ResultCode: "status_query",
		Livemode: s.Livemode, Raw: raw,
	})
	if err != nil {
		return false, true, err
	}
	return !res.Duplicate, true, nil
}

// findTransfer looks for a bank transfer carrying the payment's code in
// the feeds' transaction lists (there is no order to ask about) and
// settles it as the feed's webhook would have: same transaction id, so the
// webhook, if it gets through after all, is a duplicate.
func findTransfer(ctx context.Context, cfg Config, f banks.TransferFinder, o order) (settled, paid bool, err error) {
	// The feeds filter by date in Vietnam time; a day earlier is safe
	// whatever the clocks say.
	cb, found, err := f.FindTransfer(ctx, o.code, o.account, o.issued.Add(-24*time.Hour))
	if err != nil {
		if cfg.Log != nil {
			cfg.Log.Warn("bank feed transaction list failed", "provider", o.provider, "payment_id", o.payment, "err", err)
		}
		return false, false, nil
	}
	if !found {
		return false, false, nil
	}
	res, err := cfg.Settler.Settle(ctx, cb)
	if err != nil {
		return false, true, err
	}
	return !res.Duplicate, true, nil
}
