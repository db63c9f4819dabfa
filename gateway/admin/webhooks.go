package admin

import (
	"context"
	"net"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/gateway/webhooks"
)

// CreatedEndpoint is a new endpoint with its first secret, shown once.
type CreatedEndpoint struct {
	webhooks.Endpoint
	Secret string `json:"secret"`
}

// Resolver checks live endpoint URLs at registration; nil is the system's.
var Resolver *net.Resolver

// WebhookEndpoints lists a portal's endpoints; operators and support.
func WebhookEndpoints(ctx context.Context, db pg.Querier, by Principal, portal string) ([]webhooks.Endpoint, error) {
	if err := by.Allow(false, ""); err != nil {
		return nil, err
	}
	if _, err := portals.Get(ctx, db, portal, false); err != nil {
		return nil, err
	}
	return webhooks.Endpoints(ctx, db, portal)
}

// WebhookEndpoint returns one endpoint; operators and support.
func WebhookEndpoint(ctx context.Context, db pg.Querier, by Principal, id string) (webhooks.Endpoint, error) {
	if err := by.Allow(false, ""); err != nil {
		return webhooks.Endpoint{}, err
	}
	return webhooks.GetEndpoint(ctx, db, id, false)
}

// CreateWebhookEndpoint registers an endpoint for a portal.
func CreateWebhookEndpoint(ctx context.Context, db pg.TxBeginner, by Principal, portal string, in webhooks.EndpointInput) (CreatedEndpoint, error) {
	if err := by.Allow(true, ""); err != nil {
		return CreatedEndpoint{}, err
	}
	var out CreatedEndpoint
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := portals.Get(ctx, tx, portal, false); err != nil {
			return err
		}
		e, secret, err := webhooks.CreateEndpoint(ctx, tx, portal, in, Resolver)
		if err != nil {
			return err
		}
		out = CreatedEndpoint{Endpoint: e, Secret: secret}
		return Record(ctx, tx, by, "webhook_endpoint.create", "webhook_endpoint", e.ID, "", nil, e)
	})
	return out, err
}

// UpdateWebhookEndpoint changes an endpoint's URL, event types or state.
func UpdateWebhookEndpoint(ctx context.Context, db pg.TxBeginner, by Principal, id string, in webhooks.EndpointInput) (webhooks.Endpoint, error) {
	if err := by.Allow(true, ""); err != nil {
		return webhooks.Endpoint{}, err
	}
	var out webhooks.Endpoint
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, err := webhooks.UpdateEndpoint(ctx, tx, id, in, Resolver)
		if err != nil {
			return err
		}
		out = after
		return Record(ctx, tx, by, "webhook_endpoint.update", "webhook_endpoint", id, "", before, after)
	})
	return out, err
}

// RotateWebhookSecret gives an endpoint a new secret; the old ones keep
// signing for overlap.
func RotateWebhookSecret(ctx context.Context, db pg.TxBeginner, by Principal, id string, overlap time.Duration, now time.Time) (CreatedEndpoint, error) {
	if err := by.Allow(true, ""); err != nil {
		return CreatedEndpoint{}, err
	}
	var out CreatedEndpoint
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, secret, err := webhooks.RotateSecret(ctx, tx, id, overlap, now)
		if err != nil {
			return err
		}
		out = CreatedEndpoint{Endpoint: after, Secret: secret}
		return Record(ctx, tx, by, "webhook_endpoint.rotate_secret", "webhook_endpoint", id, "", before, after)
	})
	return out, err
}
