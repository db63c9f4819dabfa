// Package webhooks delivers events to portals (a River job per event),
// signed as package webhook describes.
package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/civicpay/civicpay/gateway/events"

	"github.com/civicpay/civicpay/webhook"
)

// Worker posts one event to each of its portal's targets: the portal's own
// webhook URL and every enabled endpoint of the event's mode that wants
// its type. River runs it, retries it with RetryDelay until
// events.MaxAttempts (about three days), and it marks the event dead on
// its last failed attempt. A retry goes only to the targets that have not
// answered 2xx yet.
type Worker struct {
	river.WorkerDefaults[events.DeliverArgs]
	Pool *pgxpool.Pool
	// Client posts test-mode events (http and localhost allowed).
	Client *http.Client
	// LiveClient posts live-mode events; nil is SafeClient, which refuses
	// private addresses at every connection and follows no redirect.
	LiveClient *http.Client
	Log        *slog.Logger
	Now        func() time.Time
}

const loadSQL = `SELECT data, delivery_status, livemode FROM events WHERE id = $1`

// targetsSQL lists where the event still has to go, each with the secrets
// that sign it (several during an endpoint's secret rotation).
const targetsSQL = `
SELECT t.id, t.url, t.secrets FROM (
	SELECT 'portal' AS id, p.webhook_url AS url, ARRAY[p.webhook_secret] AS secrets
	FROM events e JOIN portals p ON p.id = e.portal_id
	WHERE e.id = $1 AND coalesce(p.webhook_url, '') <> ''
	UNION ALL
	SELECT w.id, w.url, coalesce((SELECT array_agg(s.secret ORDER BY s.id) FROM webhook_secrets s
	                              WHERE s.endpoint_id = w.id AND (s.expires_at IS NULL OR s.expires_at > now())), '{}')
	FROM events e JOIN webhook_endpoints w ON w.portal_id = e.portal_id AND w.livemode = e.livemode
	WHERE e.id = $1 AND w.enabled AND (w.event_types = '{}' OR e.type = ANY (w.event_types))
) t
WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = $1 AND d.endpoint_id = t.id)`

const markSQL = `
UPDATE events SET delivery_status = $2, attempts = attempts + 1, last_error = $3,
	delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
WHERE id = $1`

const deliveredSQL = `INSERT INTO webhook_deliveries (event_id, endpoint_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`

type target struct {
	id, url string
	secrets []string
}

// Work delivers the event once to every target still waiting for it.
func (w *Worker) Work(ctx context.Context, job *river.Job[events.DeliverArgs]) error {
	var body []byte
	var status string
	var live bool
	err := w.Pool.QueryRow(ctx, loadSQL, job.Args.EventID).Scan(&body, &status, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("event %s no longer exists", job.Args.EventID))
	}
	if err != nil {
		return err
	}
	rows, err := w.Pool.Query(ctx, targetsSQL, job.Args.EventID)
	if err != nil {
		return err
	}
	targets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (target, error) {
		var t target
		err := r.Scan(&t.id, &t.url, &t.secrets)
		return t, err
	})
	if err != nil {
		return err
	}
	if len(targets) == 0 && status != "pending" {
		return nil // delivered meanwhile (a redelivery raced this job)
	}
	if len(targets) == 0 && job.Attempt == 1 && !w.reachedBefore(ctx, job.Args.EventID) {
		_, err := w.Pool.Exec(ctx, markSQL, job.Args.EventID, "no_endpoint", nil)
		return err
	}
	client := w.Client
	if live {
		client = w.LiveClient
		if client == nil {
			client = SafeClient(10 * time.Second)
		}
	}
	var failures []error
	for _, t := range targets {
		if err := w.post(ctx, client, t.url, t.secrets, body); err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", t.id, err))
			continue
		}
		if _, err := w.Pool.Exec(ctx, deliveredSQL, job.Args.EventID, t.id); err != nil {
			return err
		}
	}
	if derr := errors.Join(failures...); derr != nil {
		s := derr.Error()
		next := "pending"
		if job.Attempt >= job.MaxAttempts {
			next = "dead"
		}
		w.Log.Warn("webhook delivery failed", "event", job.Args.EventID, "attempt", job.Attempt, "status", next, "err", derr)
		if _, err := w.Pool.Exec(ctx, markSQL, job.Args.EventID, next, &s); err != nil {
			return err
		}
		return derr
	}
	// Success: the event's state and the job's completion commit together,
	// one commit per delivery instead of two.
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, markSQL, job.Args.EventID, "delivered", nil); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

func (w *Worker) reachedBefore(ctx context.Context, event string) bool {
	var n int
	_ = w.Pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE event_id = $1`, event).Scan(&n)
	return n > 0
}

func (w *Worker) post(ctx context.Context, client *http.Client, url string, secrets []string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "civicpay-webhooks/1")
	req.Header.Set(webhook.Header, webhook.SignAll(secrets, now, body))
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, MaxResponse))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("portal answered %d", res.StatusCode)
	}
	return nil
}

// NextRetry backs off exponentially from 10 s, capped at 6 h, with ±25 %
// jitter so a recovering portal is not hit by every retry at once.
func (w *Worker) NextRetry(job *river.Job[events.DeliverArgs]) time.Time {
	return time.Now().Add(RetryDelay(job.Attempt))
}

// RetryDelay is the wait after the nth failed attempt.
func RetryDelay(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 6*time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/2)) - d/4
	return d + jitter
}
