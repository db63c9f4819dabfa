// Package portals manages the API clients (ministry and province portals):
// their secret keys, the agencies they may collect for, and their webhook
// endpoint. Keys are stored only as SHA-256 hashes.
package portals

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Principal is who an API request acts for.
type Principal struct {
	PortalID      string
	KeyID         string
	Livemode      bool
	Agencies      map[string]bool
	RatePerMinute int
	// LiveAgencies are, for a live key, the allowed agencies with active
	// live provider credentials: the only ones a live payment may be for.
	LiveAgencies map[string]bool
	// ExpiresAt is when a rolled key stops working (zero: never); the
	// cache never keeps a key past it.
	ExpiresAt time.Time
}

// MayCollectFor says whether the portal may create payments for an agency
// (allowed, and active: an inactive agency is never in the map).
func (p Principal) MayCollectFor(agency string) bool { return p.Agencies[agency] }

// Live says whether a payment for agency can be paid in the key's mode:
// always in test mode (the sandbox), in live mode only when the agency has
// active live credentials (cached with the key, so within its TTL).
func (p Principal) Live(agency string) bool { return !p.Livemode || p.LiveAgencies[agency] }

// Created is what creation shows once: the clear keys and webhook secret.
type Created struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	TestKey       string `json:"test_key"`
	LiveKey       string `json:"live_key"`
	WebhookSecret string `json:"webhook_secret"`
}

// Portal is a portal as shown after creation: no secrets.
type Portal struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Agencies      []string  `json:"agencies"`
	RatePerMinute int       `json:"rate_per_minute"`
	WebhookURL    *string   `json:"webhook_url"`
	Active        bool      `json:"active"`
	CreatedAt     time.Time `json:"created_at"`
}

// NewPortal is a request for a portal.
type NewPortal struct {
	Name          string   `json:"name"`
	WebhookURL    string   `json:"webhook_url,omitempty"`
	Agencies      []string `json:"agencies"`
	RatePerMinute int      `json:"rate_per_minute,omitempty"`
}

var (
	// ErrUnauthenticated is a missing, malformed, unknown, expired or revoked key.
	ErrUnauthenticated = errors.New("missing or unknown API key")
	// ErrNotFound is an unknown portal.
	ErrNotFound = errors.New("no such portal")
)

func (n NewPortal) validate() error {
	var e invalid.Errors
	if l := len([]rune(n.Name)); l < 1 || l > 200 {
		e.Add("name", "invalid_length", "1 to 200 characters")
	}
	if n.WebhookURL != "" {
		if u, err := url.Parse(n.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			e.Add("webhook_url", "invalid_url", "an absolute http(s) URL")
		}
	}
	if len(n.Agencies) == 0 {
		e.Add("agencies", "required", "the agencies the portal may collect for")
	}
	if n.RatePerMinute < 0 || n.RatePerMinute > 1_000_000 {
		// (Update passes -1 for an explicit 0.)
		e.Add("rate_per_minute", "out_of_range", "1 to 1,000,000 (0: the default, 1200)")
	}
	return e.Err()
}

// Create makes a portal with a test and a live key (the demo seed's way).
func Create(ctx context.Context, db pg.Querier, name, webhookURL string, agencies []string) (Created, error) {
	return CreatePortal(ctx, db, NewPortal{Name: name, WebhookURL: webhookURL, Agencies: agencies})
}

// CreatePortal validates and makes a portal with a test and a live key.
func CreatePortal(ctx context.Context, db pg.Querier, n NewPortal) (Created, error) {
	if err := n.validate(); err != nil {
		return Created{}, err
	}
	if n.RatePerMinute == 0 {
		n.RatePerMinute = 1200
	}
	c := Created{ID: ids.Portal(), Name: n.Name, WebhookSecret: ids.New("whsec", 32)}
	var hook *string
	if n.WebhookURL != "" {
		hook = &n.WebhookURL
	}
	if _, err := db.Exec(ctx, `INSERT INTO portals (id, name, webhook_url, webhook_secret, rate_per_minute) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, n.Name, hook, c.WebhookSecret, n.RatePerMinute); err != nil {
		return c, pg.Translate(err)
	}
	for _, live := range []bool{false, true} {
		k, err := insertKey(ctx, db, c.ID, live, nil)
		if err != nil {
			return c, err
		}
		if live {
			c.LiveKey = k.Secret
		} else {
			c.TestKey = k.Secret
		}
	}
	if _, err := db.Exec(ctx, `INSERT INTO portal_agencies (portal_id, agency_code) SELECT $1, unnest($2::text[])`, c.ID, n.Agencies); err != nil {
		if errors.Is(pg.Translate(err), pg.ErrCheck) {
			return c, invalid.Errors{{Name: "agencies", Code: "unknown_agency", Detail: "every agency must exist (GET /v1/admin/agencies)"}}
		}
		return c, pg.Translate(err)
	}
	return c, nil
}

const portalColumns = `p.id, p.name, coalesce((SELECT array_agg(agency_code ORDER BY agency_code) FROM portal_agencies WHERE portal_id = p.id), '{}'),
	p.rate_per_minute, p.webhook_url, p.active, p.created_at`

func scanPortal(row pgx.Row) (Portal, error) {
	var p Portal
	err := row.Scan(&p.ID, &p.Name, &p.Agencies, &p.RatePerMinute, &p.WebhookURL, &p.Active, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	return p, err
}

// Get returns one portal; lock takes its row for an audited change.
func Get(ctx context.Context, db pg.Querier, id string, lock bool) (Portal, error) {
	sql := `SELECT ` + portalColumns + ` FROM portals p WHERE p.id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	return scanPortal(db.QueryRow(ctx, sql, id))
}

// List returns every portal, oldest first.
func List(ctx context.Context, db pg.Querier) ([]Portal, error) {
	rows, err := db.Query(ctx, `SELECT `+portalColumns+` FROM portals p ORDER BY p.created_at, p.id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Portal, error) { return scanPortal(r) })
}

// PortalPatch changes a portal; nil fields are kept.
type PortalPatch struct {
	Name          *string   `json:"name,omitempty"`
	WebhookURL    *string   `json:"webhook_url,omitempty"`
	Agencies      *[]string `json:"agencies,omitempty"`
	RatePerMinute *int      `json:"rate_per_minute,omitempty"`
}

// Update changes a portal's name, webhook URL (empty removes it), allowed
// agencies or rate limit, validated as at creation.
func Update(ctx context.Context, db pg.Querier, id string, in PortalPatch) (before, after Portal, err error) {
	if before, err = Get(ctx, db, id, true); err != nil {
		return before, after, err
	}
	n := NewPortal{Name: before.Name, Agencies: before.Agencies, RatePerMinute: before.RatePerMinute}
	if before.WebhookURL != nil {
		n.WebhookURL = *before.WebhookURL
	}
	if in.Name != nil {
		n.Name = *in.Name
	}
	if in.WebhookURL != nil {
		n.WebhookURL = *in.WebhookURL
	}
	if in.Agencies != nil {
		n.Agencies = *in.Agencies
	}
	if in.RatePerMinute != nil {
		n.RatePerMinute = *in.RatePerMinute
		if n.RatePerMinute == 0 {
			n.RatePerMinute = -1 // 0 means "default" only at creation
		}
	}
	if err = n.validate(); err != nil {
		return before, after, err
	}
	if _, err = db.Exec(ctx, `UPDATE portals SET name = $2, webhook_url = nullif($3, ''), rate_per_minute = $4 WHERE id = $1`,
		id, n.Name, n.WebhookURL, n.RatePerMinute); err != nil {
		return before, after, pg.Translate(err)
	}
	if in.Agencies != nil {
		if _, err = db.Exec(ctx, `DELETE FROM portal_agencies WHERE portal_id = $1 AND NOT (agency_code = ANY($2))`, id, n.Agencies); err != nil {
			return before, after, err
		}
		if _, err = db.Exec(ctx, `INSERT INTO portal_agencies (portal_id, agency_code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, id, n.Agencies); err != nil {
			if errors.Is(pg.Translate(err), pg.ErrCheck) {
				return before, after, invalid.Errors{{Name: "agencies", Code: "unknown_agency", Detail: "every agency must exist (GET /v1/admin/agencies)"}}
			}
			return before, after, err
		}
	}
	after, err = Get(ctx, db, id, false)
	return before, after, err
}

// SetActive switches a portal on or off: an inactive portal's keys all fail
// authentication (within the key cache's TTL on other instances).
func SetActive(ctx context.Context, db pg.Querier, id string, active bool) (before, after Portal, err error) {
	if before, err = Get(ctx, db, id, true); err != nil {
		return before, after, err
	}
	if _, err = db.Exec(ctx, `UPDATE portals SET active = $2 WHERE id = $1`, id, active); err != nil {
		return before, after, err
	}
	after, err = Get(ctx, db, id, false)
	return before, after, err
}
