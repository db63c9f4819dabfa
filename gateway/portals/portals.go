// Package portals manages the API clients (ministry and province portals):
// their secret keys, the agencies they may collect for, and their webhook
// endpoint. Keys are stored only as SHA-256 hashes.
package portals

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Principal is who an API request acts for.
type Principal struct {
	PortalID      string
	Livemode      bool
	Agencies      map[string]bool
	RatePerMinute int
}

// MayCollectFor says whether the portal may create payments for an agency.
func (p Principal) MayCollectFor(agency string) bool { return p.Agencies[agency] }

// Created is what creation shows once: the clear keys and webhook secret.
type Created struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	TestKey       string `json:"test_key"`
	LiveKey       string `json:"live_key"`
	WebhookSecret string `json:"webhook_secret"`
}

// ErrUnauthenticated is a missing, malformed, unknown or revoked key.
var ErrUnauthenticated = errors.New("missing or unknown API key")

// Create makes a portal with a test and a live key.
func Create(ctx context.Context, db pg.Querier, name, webhookURL string, agencies []string) (Created, error) {
	c := Created{ID: ids.Portal(), Name: name, TestKey: ids.New("sk_test", 32), LiveKey: ids.New("sk_live", 32), WebhookSecret: ids.New("whsec", 32)}
	var url *string
	if webhookURL != "" {
		url = &webhookURL
	}
	if _, err := db.Exec(ctx, `INSERT INTO portals (id, name, webhook_url, webhook_secret) VALUES ($1, $2, $3, $4)`,
		c.ID, name, url, c.WebhookSecret); err != nil {
		return c, pg.Translate(err)
	}
	for _, k := range []struct {
		key  string
		live bool
	}{{c.TestKey, false}, {c.LiveKey, true}} {
		sum := sha256.Sum256([]byte(k.key))
		if _, err := db.Exec(ctx, `INSERT INTO api_keys (id, portal_id, livemode, hint, hash) VALUES ($1, $2, $3, $4, $5)`,
			ids.New("key", 16), c.ID, k.live, k.key[:8]+"…"+k.key[len(k.key)-4:], sum[:]); err != nil {
			return c, pg.Translate(err)
		}
	}
	if _, err := db.Exec(ctx, `INSERT INTO portal_agencies (portal_id, agency_code) SELECT $1, unnest($2::text[])`, c.ID, agencies); err != nil {
		return c, pg.Translate(err)
	}
	return c, nil
}

// Authenticate resolves a bearer secret key. The lookup is by hash, so the
// comparison never touches the clear key and leaks nothing through timing.
func Authenticate(ctx context.Context, db pg.Querier, key string) (Principal, error) {
	if !strings.HasPrefix(key, "sk_test_") && !strings.HasPrefix(key, "sk_live_") || len(key) > 100 {
		return Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(key))
	var p Principal
	var agencies []string
	err := db.QueryRow(ctx, `
		SELECT k.portal_id, k.livemode, p.rate_per_minute,
		       coalesce((SELECT array_agg(agency_code) FROM portal_agencies WHERE portal_id = k.portal_id), '{}')
		FROM api_keys k JOIN portals p ON p.id = k.portal_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, sum[:]).Scan(&p.PortalID, &p.Livemode, &p.RatePerMinute, &agencies)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	p.Agencies = make(map[string]bool, len(agencies))
	for _, a := range agencies {
		p.Agencies[a] = true
	}
	return p, nil
}
