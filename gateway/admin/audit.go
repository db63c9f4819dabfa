package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Entry is one audit record.
type Entry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	KeyID      *string         `json:"key_id"`
	Role       Role            `json:"role"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Agency     *string         `json:"agency"`
	RequestID  *string         `json:"request_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// Record writes one audit record. Call it with the transaction that makes
// the change, so the change and its record commit or vanish together.
// before and after are the object's public views; Redact runs over them
// anyway, so a secret added to a view later is still never written here.
func Record(ctx context.Context, tx pg.Querier, by Principal, action, objectType, objectID, agency string, before, after any) error {
	b, err := Redact(before)
	if err != nil {
		return fmt.Errorf("admin: audit %s: %w", action, err)
	}
	a, err := Redact(after)
	if err != nil {
		return fmt.Errorf("admin: audit %s: %w", action, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor, key_id, role, action, object_type, object_id, agency_code, request_id, before, after)
		VALUES ($1, nullif($2, ''), $3, $4, $5, $6, nullif($7, ''), nullif($8, ''), $9, $10)`,
		by.Name, by.KeyID, by.Role, action, objectType, objectID, agency, by.RequestID, b, a)
	if err != nil {
		return fmt.Errorf("admin: audit %s: %w", action, pg.Translate(err))
	}
	return nil
}

// Redacted replaces every secret value in an audit record.
const Redacted = "[redacted]"

// Redact renders v as JSON with the value of every secret-looking field
// replaced: names containing secret, password, token or hash, and names
// that are or end in "key" (secret_key, key1, api_key). Hints (a name
// ending in _hint or _last4, or "hint") are kept: they show four
// characters by design. nil stays SQL NULL.
func Redact(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(raw) == "null" {
		return nil, nil
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(redact(generic))
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if secretName(k) && val != nil {
				t[k] = Redacted
				continue
			}
			t[k] = redact(val)
		}
	case []any:
		for i := range t {
			t[i] = redact(t[i])
		}
	}
	return v
}

func secretName(name string) bool {
	n := strings.ToLower(name)
	if n == "hint" || strings.HasSuffix(n, "_hint") || strings.HasSuffix(n, "_last4") || strings.HasSuffix(n, "_id") {
		return false
	}
	for _, s := range []string{"secret", "password", "token", "hash", "checksum"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return n == "key" || strings.HasSuffix(n, "key") || strings.HasPrefix(n, "key") && len(n) <= 4
}

// Filter narrows GET /v1/admin/audit. Zero fields do not filter.
type Filter struct {
	Action     string
	ObjectType string
	ObjectID   string
	Agency     string
	KeyID      string
	Since      time.Time
	Until      time.Time
	// StartingAfter is the id of the last record of the previous page
	// (records come newest first).
	StartingAfter int64
	Limit         int
}

// Audit lists records newest first. Agency staff see only the records of
// their agencies; support and operators see all.
func Audit(ctx context.Context, db pg.Querier, by Principal, f Filter) (entries []Entry, hasMore bool, err error) {
	if f.Limit <= 0 || f.Limit > 100 {
		if f.Limit > 100 {
			return nil, false, invalid.Errors{{Name: "limit", Code: "out_of_range", Detail: "1 to 100"}}
		}
		f.Limit = 20
	}
	if f.Agency != "" && !by.Sees(f.Agency) {
		return nil, false, ErrForbidden
	}
	var scope []string
	if by.Scoped() {
		scope = by.Agencies
	}
	rows, err := db.Query(ctx, `
		SELECT id, at, actor, key_id, role, action, object_type, object_id, agency_code, request_id, before, after
		FROM audit_log
		WHERE ($1 = '' OR action = $1) AND ($2 = '' OR object_type = $2) AND ($3 = '' OR object_id = $3)
		  AND ($4 = '' OR agency_code = $4) AND ($5 = '' OR key_id = $5)
		  AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
		  AND ($8 = 0 OR id < $8)
		  AND ($9::text[] IS NULL OR agency_code = ANY($9))
		ORDER BY id DESC LIMIT $10`,
		f.Action, f.ObjectType, f.ObjectID, f.Agency, f.KeyID, nullTime(f.Since), nullTime(f.Until), f.StartingAfter, scope, f.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("admin: audit: %w", err)
	}
	entries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.KeyID, &e.Role, &e.Action, &e.ObjectType, &e.ObjectID, &e.Agency, &e.RequestID, &e.Before, &e.After)
		return e, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("admin: audit: %w", err)
	}
	if len(entries) > f.Limit {
		return entries[:f.Limit], true, nil
	}
	return entries, false, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
