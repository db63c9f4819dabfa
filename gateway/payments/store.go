package payments

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/pg"
)

const columns = `id, portal_id, livemode, service_code, agency_code, kind::text, reference, quote_id,
	coalesce(payer_name, ''), coalesce(payer_id_number, ''), coalesce(payer_tax_code, ''),
	amount, amount_refunded, amount_refund_pending, currency, description, status::text, payment_code, client_token,
	expires_at, return_url, metadata, failure_code, last_attempt_error, settled_provider, succeeded_at, canceled_at,
	created_at, updated_at`

func scan(row pgx.Row) (Payment, error) {
	var p Payment
	err := row.Scan(&p.ID, &p.PortalID, &p.Livemode, &p.Service, &p.Agency, &p.Kind, &p.Reference, &p.QuoteID,
		&p.Payer.Name, &p.Payer.IDNumber, &p.Payer.TaxCode,
		pg.Decimal{D: &p.Amount}, pg.Decimal{D: &p.AmountRefunded}, pg.Decimal{D: &p.AmountRefundPending}, &p.Currency, &p.Description, &p.Status, &p.PaymentCode, &p.ClientToken,
		&p.ExpiresAt, &p.ReturnURL, &p.Metadata, &p.FailureCode, &p.LastAttemptError, &p.SettledProvider, &p.SucceededAt, &p.CanceledAt,
		&p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	return p, err
}

const insertSQL = `
INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, quote_id,
	payer_name, payer_id_number, payer_tax_code, amount, description, payment_code, client_token,
	expires_at, return_url, metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, nullif($10, ''), nullif($11, ''), $12, $13, $14, $15, $16, $17, $18)
RETURNING ` + columns

func insert(ctx context.Context, db pg.Querier, p Payment) (Payment, error) {
	return scan(db.QueryRow(ctx, insertSQL, insertArgs(p)...))
}

// queueInsert is insert for a batch: *created is set when the batch runs.
func queueInsert(b *pgx.Batch, p Payment, created *Payment) {
	b.Queue(insertSQL, insertArgs(p)...).QueryRow(func(row pgx.Row) error {
		var err error
		*created, err = scan(row)
		return err
	})
}

func insertArgs(p Payment) []any {
	meta := p.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return []any{p.ID, p.PortalID, p.Livemode, p.Service, p.Agency, string(p.Kind), p.Reference, p.QuoteID,
		p.Payer.Name, p.Payer.IDNumber, p.Payer.TaxCode, p.Amount, p.Description, p.PaymentCode, p.ClientToken,
		p.ExpiresAt, p.ReturnURL, meta}
}

// Get returns a payment of the portal in the given mode; another portal's
// payment is reported as not found, so ids cannot be probed.
func Get(ctx context.Context, db pg.Querier, portalID string, livemode bool, id string) (Payment, error) {
	return scan(db.QueryRow(ctx, `SELECT `+columns+` FROM payments WHERE id = $1 AND portal_id = $2 AND livemode = $3`, id, portalID, livemode))
}

// GetByID returns a payment whoever owns it; for internal callers only.
func GetByID(ctx context.Context, db pg.Querier, id string) (Payment, error) {
	return scan(db.QueryRow(ctx, `SELECT `+columns+` FROM payments WHERE id = $1`, id))
}

// ClientTokenGrace is how long after expiry the widget may still read the
// payment, to show that it expired.
const ClientTokenGrace = 15 * time.Minute

// GetWithClientToken returns the payment a widget's client token is for.
func GetWithClientToken(ctx context.Context, db pg.Querier, id, token string, now time.Time) (Payment, error) {
	p, err := scan(db.QueryRow(ctx, `SELECT `+columns+` FROM payments WHERE client_token = $1`, token))
	if err != nil {
		return p, err
	}
	if p.ID != id {
		return Payment{}, ErrNotFound
	}
	if now.After(p.ExpiresAt.Add(ClientTokenGrace)) {
		return Payment{}, ErrTokenExpired
	}
	return p, nil
}

// ListParams filters and pages GET /v1/payments.
type ListParams struct {
	Status        *Status
	Agency        *string
	Kind          *string
	CreatedFrom   *time.Time
	CreatedTo     *time.Time
	Limit         int
	StartingAfter *string
}

// Keyset pagination on (created_at, id), newest first: stable under inserts
// and as fast on page 500 as on page 1.
const listSQL = `
WITH cursor AS (
	SELECT created_at, id FROM payments WHERE id = $9 AND portal_id = $1 AND livemode = $2
)
SELECT ` + columns + ` FROM payments
WHERE portal_id = $1 AND livemode = $2
  AND ($3::payment_status IS NULL OR status = $3)
  AND ($4::text IS NULL OR agency_code = $4)
  AND ($5::payment_kind IS NULL OR kind = $5)
  AND ($6::timestamptz IS NULL OR created_at >= $6)
  AND ($7::timestamptz IS NULL OR created_at < $7)
  AND ($9::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM cursor))
ORDER BY created_at DESC, id DESC
LIMIT $8`

// ErrBadCursor is a starting_after that is not one of the portal's payments.
var ErrBadCursor = errors.New("starting_after is not a payment of this portal")

// List returns one page and whether more follow.
func List(ctx context.Context, db pg.Querier, portalID string, livemode bool, p ListParams) ([]Payment, bool, error) {
	if p.StartingAfter != nil {
		if _, err := Get(ctx, db, portalID, livemode, *p.StartingAfter); err != nil {
			return nil, false, ErrBadCursor
		}
	}
	rows, err := db.Query(ctx, listSQL, portalID, livemode, p.Status, p.Agency, p.Kind, p.CreatedFrom, p.CreatedTo, p.Limit+1, p.StartingAfter)
	if err != nil {
		return nil, false, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scan(r) })
	if err != nil {
		return nil, false, err
	}
	more := len(list) > p.Limit
	if more {
		list = list[:p.Limit]
	}
	return list, more, nil
}

// ListByIDs returns the payments with the given ids, in no particular order.
func ListByIDs(ctx context.Context, db pg.Querier, ids []string) ([]Payment, error) {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM payments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scan(r) })
}

// Statuses returns the current status of each of the payments.
func Statuses(ctx context.Context, db pg.Querier, ids []string) (map[string]string, error) {
	rows, err := db.Query(ctx, `SELECT id, status::text FROM payments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string, len(ids))
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}
