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

// Worker posts one event to its portal's webhook URL. River runs it, retries
// it with RetryDelay until events.MaxAttempts (about three days), and it
// marks the event dead on its last failed attempt.
type Worker struct {
	river.WorkerDefaults[events.DeliverArgs]
	Pool   *pgxpool.Pool
	Client *http.Client
	Log    *slog.Logger
	Now    func() time.Time
}

const loadSQL = `
SELECT e.data, e.delivery_status, coalesce(p.webhook_url, ''), p.webhook_secret
FROM events e JOIN portals p ON p.id = e.portal_id WHERE e.id = $1`

const markSQL = `
UPDATE events SET delivery_status = $2, attempts = attempts + 1, last_error = $3,
	delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
WHERE id = $1`

// Work delivers the event once.
func (w *Worker) Work(ctx context.Context, job *river.Job[events.DeliverArgs]) error {
	var body []byte
	var status, url, secret string
	err := w.Pool.QueryRow(ctx, loadSQL, job.Args.EventID).Scan(&body, &status, &url, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("event %s no longer exists", job.Args.EventID))
	}
	if err != nil {
		return err
	}
	if url == "" {
		_, err := w.Pool.Exec(ctx, markSQL, job.Args.EventID, "no_endpoint", nil)
		return err
	}
	derr := w.post(ctx, url, secret, body)
	next, msg := "delivered", (*string)(nil)
	if derr != nil {
		s := derr.Error()
		next, msg = "pending", &s
		if job.Attempt >= job.MaxAttempts {
			next = "dead"
		}
	}
	if derr != nil {
		w.Log.Warn("webhook delivery failed", "event", job.Args.EventID, "attempt", job.Attempt, "status", next, "err", derr)
		if _, err := w.Pool.Exec(ctx, markSQL, job.Args.EventID, next, msg); err != nil {
			return err
		}
		return derr
	}
	// Success: the event's state and the job's completion commit together,
	// one commit per delivery instead of two.
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, markSQL, job.Args.EventID, next, msg); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

func (w *Worker) post(ctx context.Context, url, secret string, body []byte) error {
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
	req.Header.Set(webhook.Header, webhook.Sign(secret, now, body))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
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
