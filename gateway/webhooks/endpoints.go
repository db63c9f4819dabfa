package webhooks

import (
	"context"
	"errors"
	"net"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Overlaps of a secret rotation: the old secret signs alongside the new
// one for this long, so a portal can deploy the new secret without
// missing an event.
const (
	DefaultOverlap = 24 * time.Hour
	MaxOverlap     = 7 * 24 * time.Hour
)

// EventTypes are the types an endpoint may subscribe to.
var EventTypes = []string{events.PaymentSucceeded, events.PaymentAttemptFailed, events.PaymentFailed, events.PaymentExpired,
	events.PaymentCanceled, events.PaymentException, events.RefundSucceeded, events.RefundFailed}

var (
	// ErrEndpointNotFound is an unknown webhook endpoint.
	ErrEndpointNotFound = errors.New("no such webhook endpoint")
)

// Endpoint is a webhook endpoint as shown after creation: its secrets as
// hints (last four characters) only.
type Endpoint struct {
	ID         string       `json:"id"`
	PortalID   string       `json:"portal"`
	Livemode   bool         `json:"livemode"`
	URL        string       `json:"url"`
	EventTypes []string     `json:"event_types"`
	Enabled    bool         `json:"enabled"`
	Secrets    []SecretHint `json:"secrets"`
	CreatedAt  time.Time    `json:"created_at"`
}

// SecretHint is one signing secret of an endpoint, without the secret.
type SecretHint struct {
	Hint      string     `json:"hint"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// EndpointInput creates an endpoint (url required) or changes one (nil
// fields are kept).
type EndpointInput struct {
	URL        *string   `json:"url,omitempty"`
	EventTypes *[]string `json:"event_types,omitempty"`
	Enabled    *bool     `json:"enabled,omitempty"`
	Livemode   *bool     `json:"livemode,omitempty"`
}

func (in EndpointInput) apply(ctx context.Context, e Endpoint, creating bool, resolver *net.Resolver) (Endpoint, error) {
	var errs invalid.Errors
	if in.Livemode != nil {
		if !creating && *in.Livemode != e.Livemode {
			errs.Add("livemode", "immutable", "an endpoint's mode cannot change")
		}
		e.Livemode = *in.Livemode
	}
	switch {
	case in.URL != nil:
		if err := CheckURL(ctx, *in.URL, e.Livemode, resolver); err != nil {
			errs.Add("url", "invalid_url", err.Error())
		}
		e.URL = *in.URL
	case creating:
		errs.Add("url", "required", "where events are POSTed")
	}
	if in.EventTypes != nil {
		for _, t := range *in.EventTypes {
			if !slices.Contains(EventTypes, t) {
				errs.Add("event_types", "unknown_event_type", "one of the event types (an empty list: all)")
				break
			}
		}
		e.EventTypes = *in.EventTypes
	}
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	return e, errs.Err()
}

func newSecret() (secret, hint string) {
	s := ids.New("whsec", 32)
	return s, "whsec_…" + s[len(s)-4:]
}

// CreateEndpoint registers an endpoint for a portal and mode; its first
// secret is returned once.
func CreateEndpoint(ctx context.Context, db pg.Querier, portal string, in EndpointInput, resolver *net.Resolver) (Endpoint, string, error) {
	e, err := in.apply(ctx, Endpoint{ID: ids.New("we", 16), PortalID: portal, Enabled: true}, true, resolver)
	if err != nil {
		return e, "", err
	}
	if _, err := db.Exec(ctx, `INSERT INTO webhook_endpoints (id, portal_id, livemode, url, event_types, enabled) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, portal, e.Livemode, e.URL, e.EventTypes, e.Enabled); err != nil {
		if errors.Is(pg.Translate(err), pg.ErrCheck) {
			return e, "", invalid.Errors{{Name: "portal", Code: "unknown_portal", Detail: "no such portal"}}
		}
		return e, "", pg.Translate(err)
	}
	secret, hint := newSecret()
	if _, err := db.Exec(ctx, `INSERT INTO webhook_secrets (endpoint_id, secret, hint) VALUES ($1, $2, $3)`, e.ID, secret, hint); err != nil {
		return e, "", err
	}
	e, err = GetEndpoint(ctx, db, e.ID, false)
	return e, secret, err
}

const endpointColumns = `e.id, e.portal_id, e.livemode, e.url, e.event_types, e.enabled, e.created_at,
	coalesce((SELECT json_agg(json_build_object('hint', s.hint, 'created_at', s.created_at, 'expires_at', s.expires_at) ORDER BY s.id)
	          FROM webhook_secrets s WHERE s.endpoint_id = e.id AND (s.expires_at IS NULL OR s.expires_at > now())), '[]')`

func scanEndpoint(row pgx.Row) (Endpoint, error) {
	var e Endpoint
	err := row.Scan(&e.ID, &e.PortalID, &e.Livemode, &e.URL, &e.EventTypes, &e.Enabled, &e.CreatedAt, &e.Secrets)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, ErrEndpointNotFound
	}
	return e, err
}

// GetEndpoint returns one endpoint; lock takes its row for a change.
func GetEndpoint(ctx context.Context, db pg.Querier, id string, lock bool) (Endpoint, error) {
	sql := `SELECT ` + endpointColumns + ` FROM webhook_endpoints e WHERE e.id = $1`
	if lock {
		sql += ` FOR UPDATE OF e`
	}
	return scanEndpoint(db.QueryRow(ctx, sql, id))
}

// Endpoints lists a portal's endpoints, oldest first.
func Endpoints(ctx context.Context, db pg.Querier, portal string) ([]Endpoint, error) {
	rows, err := db.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.portal_id = $1 ORDER BY e.created_at, e.id`, portal)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Endpoint, error) { return scanEndpoint(r) })
}

// UpdateEndpoint changes an endpoint's URL, event types or enabled flag.
func UpdateEndpoint(ctx context.Context, db pg.Querier, id string, in EndpointInput, resolver *net.Resolver) (before, after Endpoint, err error) {
	if before, err = GetEndpoint(ctx, db, id, true); err != nil {
		return before, after, err
	}
	if after, err = in.apply(ctx, before, false, resolver); err != nil {
		return before, after, err
	}
	if _, err = db.Exec(ctx, `UPDATE webhook_endpoints SET url = $2, event_types = $3, enabled = $4 WHERE id = $1`,
		id, after.URL, after.EventTypes, after.Enabled); err != nil {
		return before, after, err
	}
	after, err = GetEndpoint(ctx, db, id, false)
	return before, after, err
}

// ValidOverlap checks a rotation's overlap.
func ValidOverlap(d time.Duration) error {
	if d < 0 || d > MaxOverlap {
		return invalid.Errors{{Name: "overlap_seconds", Code: "out_of_range", Detail: "0 to 604800 (7 days); default 86400"}}
	}
	return nil
}

// RotateSecret adds a new secret and lets the current ones sign for
// overlap more; the new secret is returned once.
func RotateSecret(ctx context.Context, db pg.Querier, id string, overlap time.Duration, now time.Time) (before, after Endpoint, secret string, err error) {
	if err = ValidOverlap(overlap); err != nil {
		return before, after, "", err
	}
	if before, err = GetEndpoint(ctx, db, id, true); err != nil {
		return before, after, "", err
	}
	if _, err = db.Exec(ctx, `UPDATE webhook_secrets SET expires_at = $2 WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2)`,
		id, now.Add(overlap)); err != nil {
		return before, after, "", err
	}
	secret, hint := newSecret()
	if _, err = db.Exec(ctx, `INSERT INTO webhook_secrets (endpoint_id, secret, hint) VALUES ($1, $2, $3)`, id, secret, hint); err != nil {
		return before, after, "", err
	}
	after, err = GetEndpoint(ctx, db, id, false)
	return before, after, secret, err
}
