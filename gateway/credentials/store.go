package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Provider describes what a provider's credentials are made of and where
// it is reached by default. An empty default means there is none we can
// vouch for: it must be given (VNPAY's production host is not in our
// sources; the bank feeds push to us and need no URL).
type Provider struct {
	Fields      []string
	LiveURL     string
	SandboxURL  string
	NeedsURL    bool
	Description string
}

// Providers are the providers whose credentials can be stored.
var Providers = map[string]Provider{
	"momo":    {Fields: []string{"partner_code", "access_key", "secret_key"}, LiveURL: "https://payment.momo.vn", SandboxURL: "https://test-payment.momo.vn", NeedsURL: true},
	"vnpay":   {Fields: []string{"tmn_code", "hash_secret"}, SandboxURL: "https://sandbox.vnpayment.vn", NeedsURL: true},
	"zalopay": {Fields: []string{"app_id", "key1", "key2"}, LiveURL: "https://openapi.zalopay.vn", SandboxURL: "https://sb-openapi.zalopay.vn", NeedsURL: true},
	"casso":   {Fields: []string{"checksum_key"}},
	"sepay":   {Fields: []string{"api_key"}},
}

// ErrNotFound is an agency, mode and provider without credentials.
var ErrNotFound = errors.New("no credentials for this agency, mode and provider")

// View is a credential record as answers show it: each field's last four
// characters, never more.
type View struct {
	Agency    string            `json:"agency"`
	Livemode  bool              `json:"livemode"`
	Provider  string            `json:"provider"`
	BaseURL   string            `json:"base_url"`
	Fields    map[string]string `json:"fields"`
	Active    bool              `json:"active"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Input sets a provider's credentials for an agency and mode: every field
// of the provider, and the base URL when it has no default for the mode.
type Input struct {
	Fields  map[string]string `json:"fields"`
	BaseURL string            `json:"base_url,omitempty"`
	Active  *bool             `json:"active,omitempty"`
}

func last4(s string) string {
	if len(s) <= 4 {
		return "…"
	}
	return "…" + s[len(s)-4:]
}

func aad(agency string, live bool, provider string) []byte {
	return fmt.Appendf(nil, "civicpay-credentials:%s:%v:%s", agency, live, provider)
}

func (in Input) validate(provider string, live bool) (string, error) {
	var e invalid.Errors
	p, ok := Providers[provider]
	if !ok {
		return "", invalid.Errors{{Name: "provider", Code: "unknown_provider", Detail: "momo, vnpay, zalopay, casso or sepay"}}
	}
	for _, f := range p.Fields {
		if v := in.Fields[f]; len(v) < 1 || len(v) > 500 {
			e.Add("fields."+f, "required", "1 to 500 characters")
		}
	}
	names := make([]string, 0, len(in.Fields))
	for f := range in.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if !slices.Contains(p.Fields, f) {
			e.Add("fields."+f, "unknown_field", "not a field of "+provider)
		}
	}
	base := in.BaseURL
	if base == "" {
		base = p.SandboxURL
		if live {
			base = p.LiveURL
		}
	}
	if p.NeedsURL {
		u, err := url.Parse(base)
		switch {
		case base == "":
			e.Add("base_url", "required", "this provider has no documented default for this mode; give its base URL")
		case err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && !live)):
			e.Add("base_url", "invalid_url", "an https URL (http only in test mode)")
		}
	}
	return base, e.Err()
}

// Set stores (or replaces) an agency's credentials for a provider and mode,
// sealed under ring; it returns the record before (nil when new) and after.
func Set(ctx context.Context, db pg.Querier, ring *Keyring, agency string, live bool, provider string, in Input) (before *View, after View, err error) {
	base, err := in.validate(provider, live)
	if err != nil {
		return nil, after, err
	}
	plain, err := json.Marshal(in.Fields)
	if err != nil {
		return nil, after, err
	}
	sealed, err := ring.Seal(plain, aad(agency, live, provider))
	if err != nil {
		return nil, after, err
	}
	hints := map[string]string{}
	for f, v := range in.Fields {
		hints[f] = last4(v)
	}
	if v, err := Get(ctx, db, agency, live, provider, true); err == nil {
		before = &v
	} else if !errors.Is(err, ErrNotFound) {
		return nil, after, err
	}
	active := in.Active == nil || *in.Active
	_, err = db.Exec(ctx, `
		INSERT INTO provider_credentials (agency_code, livemode, provider, base_url, hints, kek_id, wrapped_key, nonce, ciphertext, active, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
		ON CONFLICT (agency_code, livemode, provider) DO UPDATE SET base_url = EXCLUDED.base_url, hints = EXCLUDED.hints,
			kek_id = EXCLUDED.kek_id, wrapped_key = EXCLUDED.wrapped_key, nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext,
			active = EXCLUDED.active, updated_at = now()`,
		agency, live, provider, base, hints, sealed.KEKID, sealed.WrappedKey, sealed.Nonce, sealed.Ciphertext, active)
	if err != nil {
		return nil, after, pg.Translate(err)
	}
	after, err = Get(ctx, db, agency, live, provider, false)
	return before, after, err
}

const viewColumns = `agency_code, livemode, provider, base_url, hints, active, updated_at`

func scanView(row pgx.Row) (View, error) {
	var v View
	err := row.Scan(&v.Agency, &v.Livemode, &v.Provider, &v.BaseURL, &v.Fields, &v.Active, &v.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// Get returns one record's view; lock takes its row for a change.
func Get(ctx context.Context, db pg.Querier, agency string, live bool, provider string, lock bool) (View, error) {
	sql := `SELECT ` + viewColumns + ` FROM provider_credentials WHERE agency_code = $1 AND livemode = $2 AND provider = $3`
	if lock {
		sql += ` FOR UPDATE`
	}
	return scanView(db.QueryRow(ctx, sql, agency, live, provider))
}

// List returns an agency's records (both modes), by mode and provider.
func List(ctx context.Context, db pg.Querier, agency string) ([]View, error) {
	rows, err := db.Query(ctx, `SELECT `+viewColumns+` FROM provider_credentials WHERE agency_code = $1 ORDER BY livemode, provider`, agency)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (View, error) { return scanView(r) })
}

// Credentials are a record opened, for building an adapter.
type Credentials struct {
	View
	Secrets map[string]string
}

// Load opens one active record.
func Load(ctx context.Context, db pg.Querier, ring *Keyring, agency string, live bool, provider string) (Credentials, error) {
	var c Credentials
	var s Sealed
	err := db.QueryRow(ctx, `SELECT `+viewColumns+`, kek_id, wrapped_key, nonce, ciphertext FROM provider_credentials
		WHERE agency_code = $1 AND livemode = $2 AND provider = $3 AND active`, agency, live, provider).
		Scan(&c.Agency, &c.Livemode, &c.Provider, &c.BaseURL, &c.Fields, &c.Active, &c.UpdatedAt, &s.KEKID, &s.WrappedKey, &s.Nonce, &s.Ciphertext)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("credentials: load: %w", err)
	}
	plain, err := ring.Open(s, aad(agency, live, provider))
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(plain, &c.Secrets)
}

// RotateMaster re-wraps every record's data key from old to next in db (a
// transaction: all or none). Records already under next are left alone,
// so an interrupted rotation can simply be run again.
func RotateMaster(ctx context.Context, db pg.Querier, old, next *Keyring) (int, error) {
	rows, err := db.Query(ctx, `SELECT agency_code, livemode, provider, kek_id, wrapped_key, nonce, ciphertext FROM provider_credentials
		WHERE kek_id <> $1 FOR UPDATE`, next.ID())
	if err != nil {
		return 0, err
	}
	type rec struct {
		agency, provider string
		live             bool
		s                Sealed
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rec, error) {
		var x rec
		err := r.Scan(&x.agency, &x.live, &x.provider, &x.s.KEKID, &x.s.WrappedKey, &x.s.Nonce, &x.s.Ciphertext)
		return x, err
	})
	if err != nil {
		return 0, err
	}
	for _, x := range recs {
		s, err := next.Rewrap(x.s, old, aad(x.agency, x.live, x.provider))
		if err != nil {
			return 0, fmt.Errorf("credentials: %s %v %s: %w", x.agency, x.live, x.provider, err)
		}
		if _, err := db.Exec(ctx, `UPDATE provider_credentials SET kek_id = $4, wrapped_key = $5 WHERE agency_code = $1 AND livemode = $2 AND provider = $3`,
			x.agency, x.live, x.provider, s.KEKID, s.WrappedKey); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}

// LiveAgency says whether an agency has active live credentials for any
// provider (the live-mode gate).
func LiveAgency(ctx context.Context, db pg.Querier, agency string) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM provider_credentials WHERE agency_code = $1 AND livemode AND active)`, agency).Scan(&ok)
	return ok, err
}
