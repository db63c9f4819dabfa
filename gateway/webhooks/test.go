package webhooks

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/pg"
)

// TestResult is what a test delivery found.
type TestResult struct {
	EventID   string  `json:"event_id"`
	Delivered bool    `json:"delivered"`
	Error     *string `json:"error"`
}

// TestDelivery posts a signed webhook.test event to an endpoint now, with
// the same signing and (in live mode) the same address checks as a real
// delivery, so a portal can check its receiver before the first payment.
// Nothing is stored.
func TestDelivery(ctx context.Context, db pg.Querier, id string, testClient, liveClient *http.Client, now time.Time) (TestResult, error) {
	e, err := GetEndpoint(ctx, db, id, false)
	if err != nil {
		return TestResult{}, err
	}
	var secrets []string
	if err := db.QueryRow(ctx, `SELECT coalesce(array_agg(secret ORDER BY id), '{}') FROM webhook_secrets
		WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > now())`, id).Scan(&secrets); err != nil {
		return TestResult{}, err
	}
	r := TestResult{EventID: ids.Event()}
	body, err := json.Marshal(map[string]any{"id": r.EventID, "object": "event", "type": "webhook.test", "livemode": e.Livemode,
		"created": now.Unix(), "data": map[string]any{"object": map[string]any{"endpoint": e.ID}}})
	if err != nil {
		return r, err
	}
	client := testClient
	if e.Livemode {
		client = liveClient
		if client == nil {
			client = SafeClient(10 * time.Second)
		}
	}
	w := &Worker{Now: func() time.Time { return now }}
	if err := w.post(ctx, client, e.URL, secrets, body); err != nil {
		msg := err.Error()
		r.Error = &msg
		return r, nil
	}
	r.Delivered = true
	return r, nil
}
