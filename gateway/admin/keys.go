package admin

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

// KeyPrefix starts every admin key, so a leaked one is recognisable (and
// a portal key sent to the admin API is refused without a lookup).
const KeyPrefix = "ak_"

// Key is an admin key as shown after creation: never the secret, only a
// hint ending in its last four characters.
type Key struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Agencies   []string   `json:"agencies"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// CreatedKey is what creation shows once: the key with its secret.
type CreatedKey struct {
	Key
	Secret string `json:"secret"`
}

// NewKey is a request for an admin key.
type NewKey struct {
	Name     string   `json:"name"`
	Role     Role     `json:"role"`
	Agencies []string `json:"agencies"`
}

func (n NewKey) validate() error {
	var e invalid.Errors
	if l := len([]rune(n.Name)); l < 1 || l > 100 {
		e.Add("name", "invalid_length", "1 to 100 characters")
	}
	switch {
	case !n.Role.Valid():
		e.Add("role", "invalid_role", "operator, agency_staff or support")
	case n.Role == AgencyStaff && len(n.Agencies) == 0:
		e.Add("agencies", "required", "an agency_staff key acts for at least one agency")
	case n.Role != AgencyStaff && len(n.Agencies) > 0:
		e.Add("agencies", "not_allowed", "only agency_staff keys are limited to agencies")
	}
	return e.Err()
}

// Hint shows the prefix and last four characters of a secret.
func Hint(secret string) string {
	if len(secret) < 12 {
		return "…"
	}
	return secret[:7] + "…" + secret[len(secret)-4:]
}

// Bootstrap makes the first operator key. It refuses when any admin key
// exists (revoked ones included): afterwards keys are made with a key, so
// whoever can reach the database cannot quietly mint another operator.
func Bootstrap(ctx context.Context, db pg.TxBeginner, name string) (CreatedKey, error) {
	var out CreatedKey
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admin_keys)`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return ErrBootstrapped
		}
		var err error
		out, err = insertKey(ctx, tx, Principal{Name: "cli:bootstrap", Role: Operator}, NewKey{Name: name, Role: Operator}, true)
		if errors.Is(err, pg.ErrConflict) {
			return ErrBootstrapped // a concurrent bootstrap won
		}
		return err
	})
	return out, err
}

// CreateKey makes an admin key; only operators may.
func CreateKey(ctx context.Context, db pg.TxBeginner, by Principal, n NewKey) (CreatedKey, error) {
	if by.Role != Operator {
		return CreatedKey{}, ErrForbidden
	}
	if err := n.validate(); err != nil {
		return CreatedKey{}, err
	}
	var out CreatedKey
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		out, err = insertKey(ctx, tx, by, n, false)
		return err
	})
	return out, err
}

func insertKey(ctx context.Context, tx pgx.Tx, by Principal, n NewKey, bootstrap bool) (CreatedKey, error) {
	if err := n.validate(); err != nil {
		return CreatedKey{}, err
	}
	secret := ids.New("ak", 40)
	sum := sha256.Sum256([]byte(secret))
	k := CreatedKey{Secret: secret, Key: Key{ID: ids.New("akey", 16), Name: n.Name, Role: n.Role, Agencies: n.Agencies, Hint: Hint(secret)}}
	if k.Agencies == nil {
		k.Agencies = []string{}
	}
	var createdBy *string
	if by.KeyID != "" {
		createdBy = &by.KeyID
	}
	if err := tx.QueryRow(ctx, `INSERT INTO admin_keys (id, name, role, hint, hash, bootstrap, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
		k.ID, k.Name, k.Role, k.Hint, sum[:], bootstrap, createdBy).Scan(&k.CreatedAt); err != nil {
		return k, pg.Translate(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO admin_key_agencies (key_id, agency_code) SELECT $1, unnest($2::text[])`, k.ID, k.Agencies); err != nil {
		if errors.Is(pg.Translate(err), pg.ErrCheck) {
			return k, invalid.Errors{{Name: "agencies", Code: "unknown_agency", Detail: "every agency must exist"}}
		}
		return k, pg.Translate(err)
	}
	return k, Record(ctx, tx, by, "admin_key.create", "admin_key", k.ID, "", nil, k.Key)
}

// RevokeKey stops an admin key at once (admin keys are not cached).
func RevokeKey(ctx context.Context, db pg.TxBeginner, by Principal, id string) (Key, error) {
	if by.Role != Operator {
		return Key{}, ErrForbidden
	}
	var out Key
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, err := getKey(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if before.RevokedAt != nil {
			out = before
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE admin_keys SET revoked_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if out, err = getKey(ctx, tx, id, false); err != nil {
			return err
		}
		return Record(ctx, tx, by, "admin_key.revoke", "admin_key", id, "", before, out)
	})
	return out, err
}

const keyColumns = `k.id, k.name, k.role, coalesce((SELECT array_agg(agency_code ORDER BY agency_code) FROM admin_key_agencies WHERE key_id = k.id), '{}'),
	k.hint, k.created_at, k.last_used_at, k.revoked_at`

func scanKey(row pgx.Row) (Key, error) {
	var k Key
	err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Agencies, &k.Hint, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

func getKey(ctx context.Context, q pg.Querier, id string, lock bool) (Key, error) {
	sql := `SELECT ` + keyColumns + ` FROM admin_keys k WHERE k.id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	k, err := scanKey(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return k, ErrKeyNotFound
	}
	return k, err
}

// Keys lists the admin keys, oldest first; only operators and support may.
func Keys(ctx context.Context, db pg.Querier, by Principal) ([]Key, error) {
	if by.Role == AgencyStaff {
		return nil, ErrForbidden
	}
	rows, err := db.Query(ctx, `SELECT `+keyColumns+` FROM admin_keys k ORDER BY k.created_at, k.id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Key, error) { return scanKey(r) })
}

// Authenticate resolves an admin key. Admin calls are rare, so keys are not
// cached: a revoked key fails on its next request. last_used_at is written
// at most once a minute per key.
func Authenticate(ctx context.Context, db pg.Querier, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) > 100 {
		return Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(secret))
	var p Principal
	err := db.QueryRow(ctx, `
		WITH k AS (SELECT id, name, role FROM admin_keys WHERE hash = $1 AND revoked_at IS NULL),
		     used AS (UPDATE admin_keys SET last_used_at = now()
		              WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
		SELECT k.id, k.name, k.role, coalesce((SELECT array_agg(agency_code ORDER BY agency_code) FROM admin_key_agencies WHERE key_id = k.id), '{}')
		FROM k`, sum[:]).Scan(&p.KeyID, &p.Name, &p.Role, &p.Agencies)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("admin: authenticate: %w", err)
	}
	return p, nil
}
