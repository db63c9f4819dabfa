package events

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Stored is an event as GET /v1/events returns it: the delivered body plus
// its delivery state.
type Stored struct {
	json.RawMessage
	DeliveryStatus string
	Attempts       int
	LastError      *string
	DeliveredAt    *time.Time
}

// MarshalJSON adds the delivery state to the event body.
func (s Stored) MarshalJSON() ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(s.RawMessage, &m); err != nil {
		return nil, err
	}
	m["delivery"] = map[string]any{"status": s.DeliveryStatus, "attempts": s.Attempts, "last_error": s.LastError, "delivered_at": s.DeliveredAt}
	return json.Marshal(m)
}

// ErrNotFound is an event that does not exist for this portal.
var ErrNotFound = errors.New("no such event")

const listSQL = `
SELECT data, delivery_status, attempts, last_error, delivered_at, id FROM events
WHERE portal_id = $1 AND livemode = $2
  AND ($3::text IS NULL OR type = $3)
  AND ($4::text IS NULL OR payment_id = $4)
  AND ($5::text IS NULL OR seq < (SELECT seq FROM events WHERE id = $5 AND portal_id = $1))
ORDER BY seq DESC LIMIT $6`

// List pages a portal's events, newest first.
func List(ctx context.Context, db pg.Querier, portalID string, livemode bool, typ, payment, after *string, limit int) ([]Stored, bool, *string, error) {
	rows, err := db.Query(ctx, listSQL, portalID, livemode, typ, payment, after, limit+1)
	if err != nil {
		return nil, false, nil, err
	}
	defer rows.Close()
	var out []Stored
	var lastID string
	var ids []string
	for rows.Next() {
		var s Stored
		var raw []byte
		if err := rows.Scan(&raw, &s.DeliveryStatus, &s.Attempts, &s.LastError, &s.DeliveredAt, &lastID); err != nil {
			return nil, false, nil, err
		}
		s.RawMessage = raw
		out = append(out, s)
		ids = append(ids, lastID)
	}
	if err := rows.Err(); err != nil {
		return nil, false, nil, err
	}
	more := len(out) > limit
	var next *string
	if more {
		out, ids = out[:limit], ids[:limit]
		next = &ids[limit-1]
	}
	return out, more, next, nil
}

const redeliverSQL = `
UPDATE events SET delivery_status = 'pending', last_error = NULL
WHERE id = $1 AND portal_id = $2 AND livemode = $3 RETURNING id`

// Redeliver queues one more delivery of an event, in tx.
func (o *Outbox) Redeliver(ctx context.Context, tx pgx.Tx, portalID string, livemode bool, id string) error {
	var got string
	if err := tx.QueryRow(ctx, redeliverSQL, id, portalID, livemode).Scan(&got); errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	// A redelivery goes to every target again, those reached before too.
	if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE event_id = $1`, id); err != nil {
		return err
	}
	_, err := o.River.InsertTx(ctx, tx, DeliverArgs{EventID: id}, nil)
	return err
}
