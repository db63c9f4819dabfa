package portals

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Grace periods of a rolled key: long enough to deploy the new key
// everywhere, short enough that a leaked key does not linger.
const (
	DefaultGrace = 24 * time.Hour
	MaxGrace     = 7 * 24 * time.Hour
)

var (
	// ErrKeyNotFound is an unknown API key id.
	ErrKeyNotFound = errors.New("no such API key")
	// ErrKeyInactive is a roll of a key that is revoked, expired or
	// already rolled.
	ErrKeyInactive = errors.New("the key is revoked, expired or already rolled")
)

// APIKey is a portal's key as shown after creation: a hint with the last
// four characters, never the key.
type APIKey struct {
	ID         string     `json:"id"`
	PortalID   string     `json:"portal"`
	Livemode   bool       `json:"livemode"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	RolledTo   *string    `json:"rolled_to"`
}

// CreatedKey is a new key with its secret, shown once.
type CreatedKey struct {
	APIKey
	Secret string `json:"secret"`
}

func insertKey(ctx context.Context, db pg.Querier, portal string, live bool, expires *time.Time) (CreatedKey, error) {
	prefix := "sk_test"
	if live {
		prefix = "sk_live"
	}
	secret := ids.New(prefix, 32)
	sum := sha256.Sum256([]byte(secret))
	k := CreatedKey{Secret: secret, APIKey: APIKey{ID: ids.New("key", 16), PortalID: portal, Livemode: live,
		Hint: secret[:8] + "…" + secret[len(secret)-4:], ExpiresAt: expires}}
	err := db.QueryRow(ctx, `INSERT INTO api_keys (id, portal_id, livemode, hint, hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`,
		k.ID, portal, live, k.Hint, sum[:], expires).Scan(&k.CreatedAt)
	if errors.Is(pg.Translate(err), pg.ErrCheck) {
		return k, ErrNotFound
	}
	return k, pg.Translate(err)
}

// CreateKey adds a key to a portal (a second live key, say, for a second
// deployment), optionally expiring at expires (a contractor's key).
func CreateKey(ctx context.Context, db pg.Querier, portal string, live bool, expires *time.Time, now time.Time) (CreatedKey, error) {
	if expires != nil && !expires.After(now) {
		return CreatedKey{}, invalid.Errors{{Name: "expires_at", Code: "in_the_past", Detail: "a time in the future, or none"}}
	}
	if _, err := Get(ctx, db, portal, false); err != nil {
		return CreatedKey{}, err
	}
	return insertKey(ctx, db, portal, live, expires)
}

const keyColumns = `id, portal_id, livemode, hint, created_at, expires_at, last_used_at, revoked_at, rolled_to`

func scanKey(row pgx.Row) (APIKey, error) {
	var k APIKey
	err := row.Scan(&k.ID, &k.PortalID, &k.Livemode, &k.Hint, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt, &k.RevokedAt, &k.RolledTo)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, ErrKeyNotFound
	}
	return k, err
}

// GetKey returns one key; lock takes its row for a change.
func GetKey(ctx context.Context, db pg.Querier, id string, lock bool) (APIKey, error) {
	sql := `SELECT ` + keyColumns + ` FROM api_keys WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	return scanKey(db.QueryRow(ctx, sql, id))
}

// Keys lists a portal's keys, oldest first.
func Keys(ctx context.Context, db pg.Querier, portal string) ([]APIKey, error) {
	if _, err := Get(ctx, db, portal, false); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE portal_id = $1 ORDER BY created_at, id`, portal)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) { return scanKey(r) })
}

// ValidGrace checks a roll's grace period.
func ValidGrace(grace time.Duration) error {
	if grace < 0 || grace > MaxGrace {
		return invalid.Errors{{Name: "grace_period_seconds", Code: "out_of_range", Detail: "0 to 604800 (7 days); default 86400"}}
	}
	return nil
}

// RollKey makes a new key of the same portal and mode and lets the old one
// work for grace more (never longer than it would have anyway).
func RollKey(ctx context.Context, db pg.Querier, id string, grace time.Duration, now time.Time) (before, after APIKey, fresh CreatedKey, err error) {
	if err = ValidGrace(grace); err != nil {
		return before, after, fresh, err
	}
	if before, err = GetKey(ctx, db, id, true); err != nil {
		return before, after, fresh, err
	}
	if before.RevokedAt != nil || before.RolledTo != nil || before.ExpiresAt != nil && !before.ExpiresAt.After(now) {
		return before, after, fresh, ErrKeyInactive
	}
	if fresh, err = insertKey(ctx, db, before.PortalID, before.Livemode, nil); err != nil {
		return before, after, fresh, err
	}
	until := now.Add(grace)
	if before.ExpiresAt != nil && before.ExpiresAt.Before(until) {
		until = *before.ExpiresAt
	}
	if _, err = db.Exec(ctx, `UPDATE api_keys SET expires_at = $2, rolled_to = $3 WHERE id = $1`, id, until, fresh.ID); err != nil {
		return before, after, fresh, err
	}
	after, err = GetKey(ctx, db, id, false)
	return before, after, fresh, err
}

// RevokeKey stops a key now (on other instances within the cache's TTL).
func RevokeKey(ctx context.Context, db pg.Querier, id string) (before, after APIKey, err error) {
	if before, err = GetKey(ctx, db, id, true); err != nil {
		return before, after, err
	}
	if _, err = db.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id); err != nil {
		return before, after, err
	}
	after, err = GetKey(ctx, db, id, false)
	return before, after, err
}

// Authenticate resolves a bearer secret key. The lookup is by hash, so the
// comparison never touches the clear key and leaks nothing through timing.
// A key works while it is not revoked, not past its expiry (a rolled key's
// grace period) and its portal is active; it collects only for active
// agencies. last_used_at is written at most once a minute per key, and
// through the cache at most once per TTL.
func Authenticate(ctx context.Context, db pg.Querier, key string) (Principal, error) {
	if !strings.HasPrefix(key, "sk_test_") && !strings.HasPrefix(key, "sk_live_") || len(key) > 100 {
		return Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(key))
	var p Principal
	var agencies []string
	var expires *time.Time
	var live []string
	err := db.QueryRow(ctx, `
		WITH k AS (
			SELECT k.id, k.portal_id, k.livemode, k.expires_at, p.rate_per_minute
			FROM api_keys k JOIN portals p ON p.id = k.portal_id
			WHERE k.hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND p.active),
		used AS (UPDATE api_keys SET last_used_at = now()
			WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
		SELECT k.id, k.portal_id, k.livemode, k.expires_at, k.rate_per_minute,
		       coalesce((SELECT array_agg(pa.agency_code) FROM portal_agencies pa JOIN agencies a ON a.code = pa.agency_code
		                 WHERE pa.portal_id = k.portal_id AND a.active), '{}'),
		       coalesce((SELECT array_agg(DISTINCT c.agency_code) FROM provider_credentials c JOIN portal_agencies pa
		                   ON pa.agency_code = c.agency_code AND pa.portal_id = k.portal_id
		                 WHERE k.livemode AND c.livemode AND c.active), '{}')
		FROM k`, sum[:]).Scan(&p.KeyID, &p.PortalID, &p.Livemode, &expires, &p.RatePerMinute, &agencies, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("portals: authenticate: %w", err)
	}
	if expires != nil {
		p.ExpiresAt = *expires
	}
	p.Agencies = make(map[string]bool, len(agencies))
	for _, a := range agencies {
		p.Agencies[a] = true
	}
	p.LiveAgencies = make(map[string]bool, len(live))
	for _, a := range live {
		p.LiveAgencies[a] = true
	}
	return p, nil
}
