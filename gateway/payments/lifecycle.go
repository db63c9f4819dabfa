package payments

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/events"
)

const cancelSQL = `
UPDATE payments SET status = 'canceled', canceled_at = now(), updated_at = now()
WHERE id = $1 AND portal_id = $2 AND livemode = $3 AND status IN ('requires_payment_method', 'pending')
RETURNING ` + columns

// Cancel ends an open payment and emits payment.canceled, in tx. A payment
// that is already paid, failed, expired or canceled is a TransitionError.
func Cancel(ctx context.Context, tx pgx.Tx, out *events.Outbox, portalID string, livemode bool, id string) (Payment, error) {
	p, err := scan(tx.QueryRow(ctx, cancelSQL, id, portalID, livemode))
	if err == ErrNotFound {
		cur, err := Get(ctx, tx, portalID, livemode, id)
		if err != nil {
			return Payment{}, err
		}
		return Payment{}, &TransitionError{Status: cur.Status, Want: "only open payments can be canceled"}
	}
	if err != nil {
		return Payment{}, err
	}
	return p, out.Emit(ctx, tx, events.Event{Type: events.PaymentCanceled, PortalID: p.PortalID, Livemode: p.Livemode, PaymentID: p.ID, Object: p.EventView()})
}

// SKIP LOCKED lets several sweepers (or a sweeper and a settling callback)
// work side by side; a payment a callback holds is simply left for later.
const expireSQL = `
UPDATE payments SET status = 'expired', updated_at = now()
WHERE id IN (
	SELECT id FROM payments
	WHERE status IN ('requires_payment_method', 'pending') AND expires_at <= $1
	ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING ` + columns

// ExpireDue marks up to limit overdue open payments expired, emitting
// payment.expired for each, in tx. It returns how many it expired.
func ExpireDue(ctx context.Context, tx pgx.Tx, out *events.Outbox, now time.Time, limit int) (int, error) {
	rows, err := tx.Query(ctx, expireSQL, now, limit)
	if err != nil {
		return 0, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scan(r) })
	if err != nil {
		return 0, err
	}
	evs := make([]events.Event, len(list))
	for i, p := range list {
		evs[i] = events.Event{Type: events.PaymentExpired, PortalID: p.PortalID, Livemode: p.Livemode, PaymentID: p.ID, Object: p.EventView()}
	}
	return len(list), out.Emit(ctx, tx, evs...)
}
