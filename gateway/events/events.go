// Package events is the outbox: an event row and its River delivery job are
// written in the caller's transaction, so an event exists exactly when the
// change it describes committed, and is delivered even if the process dies
// right after the commit.
package events

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/civicpay/civicpay/gateway/ids"
)

// Types of events portals receive.
const (
	PaymentSucceeded = "payment.succeeded"
	PaymentFailed    = "payment.failed"
	PaymentExpired   = "payment.expired"
	PaymentCanceled  = "payment.canceled"
	RefundSucceeded  = "refund.succeeded"
	RefundFailed     = "refund.failed"
	PaymentException = "payment.exception"
	// PaymentAttemptFailed is a provider's decline of one attempt: the
	// payment stays payable by another method (last_attempt_error says why).
	PaymentAttemptFailed = "payment.attempt_failed"
)

// Event is one notification for a portal.
type Event struct {
	ID        string
	Type      string
	PortalID  string
	Livemode  bool
	PaymentID string
	// Object is the snapshot of the resource, marshalled as data.object.
	Object any
}

// DeliverArgs is the River job that posts one event to its portal.
type DeliverArgs struct {
	EventID string `json:"event_id"`
}

// Kind names the job for River.
func (DeliverArgs) Kind() string { return "deliver_event" }

// InsertOpts keeps deliveries on their own queue.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts}
}

// Queue is the River queue webhook deliveries run on.
const Queue = "webhooks"

// MaxAttempts with the backoff of RetryDelay spans about three days.
const MaxAttempts = 24

// Outbox writes events and their delivery jobs.
type Outbox struct {
	River *river.Client[pgx.Tx]
}

// An event for a portal without a webhook URL or an endpoint wanting it is stored (GET /v1/events
// serves it) but needs no delivery job: it is marked no_endpoint at once.
const insertEvents = `
INSERT INTO events (id, portal_id, livemode, type, payment_id, data, delivery_status)
SELECT e.id, e.portal_id, e.livemode, e.type, e.payment_id, e.data,
       CASE WHEN coalesce(p.webhook_url, '') <> '' OR EXISTS (
                 SELECT 1 FROM webhook_endpoints w WHERE w.portal_id = e.portal_id AND w.livemode = e.livemode AND w.enabled
                   AND (w.event_types = '{}' OR e.type = ANY (w.event_types)))
            THEN 'pending' ELSE 'no_endpoint' END
FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::text[], $6::json[])
     AS e(id, portal_id, livemode, type, payment_id, data)
JOIN portals p ON p.id = e.portal_id
RETURNING id, delivery_status = 'pending'`

// Emit records evs and enqueues their delivery inside tx.
func (o *Outbox) Emit(ctx context.Context, tx pgx.Tx, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	idsCol, portals, modes, types, payments, datas := make([]string, n), make([]string, n), make([]bool, n), make([]string, n), make([]*string, n), make([][]byte, n)
	now := time.Now().UTC()
	for i := range evs {
		e := &evs[i]
		if e.ID == "" {
			e.ID = ids.Event()
		}
		body, err := json.Marshal(Envelope(*e, now))
		if err != nil {
			return err
		}
		idsCol[i], portals[i], modes[i], types[i], datas[i] = e.ID, e.PortalID, e.Livemode, e.Type, body
		if e.PaymentID != "" {
			payments[i] = &e.PaymentID
		}
	}
	rows, err := tx.Query(ctx, insertEvents, idsCol, portals, modes, types, payments, datas)
	if err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	for rows.Next() {
		var id string
		var deliver bool
		if err := rows.Scan(&id, &deliver); err != nil {
			return err
		}
		if deliver {
			jobs = append(jobs, river.InsertManyParams{Args: DeliverArgs{EventID: id}})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(jobs) == 0 {
		return nil
	}
	_, err = o.River.InsertManyFastTx(ctx, tx, jobs)
	return err
}

// Envelope is the JSON body portals receive and GET /v1/events returns.
type EnvelopeBody struct {
	ID       string         `json:"id"`
	Object   string         `json:"object"`
	Type     string         `json:"type"`
	Created  int64          `json:"created"`
	Livemode bool           `json:"livemode"`
	Data     map[string]any `json:"data"`
}

// Envelope wraps an event's object the way it is stored and delivered.
func Envelope(e Event, created time.Time) EnvelopeBody {
	return EnvelopeBody{ID: e.ID, Object: "event", Type: e.Type, Created: created.Unix(), Livemode: e.Livemode, Data: map[string]any{"object": e.Object}}
}
