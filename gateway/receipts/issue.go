package receipts

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/pg"
)

// Events portals receive about receipts.
const (
	EventIssued   = "receipt.issued"
	EventAdjusted = "receipt.adjusted"
)

// Issuer issues and adjusts receipts inside the caller's transaction.
type Issuer struct {
	Signer *Signer
	Outbox *events.Outbox
	// PublicURL prefixes the verification links receipts carry.
	PublicURL string
	Log       *slog.Logger
	// Now is the clock of issued_at; tests move it.
	Now func() time.Time

	registered atomic.Bool
}

// NewIssuer returns an issuer signing with s (an ephemeral key, loudly
// logged, when s is nil: settlement must not stop for want of a key, and
// what the ephemeral key signs stays verifiable because its public half is
// stored).
func NewIssuer(s *Signer, outbox *events.Outbox, publicURL string, log *slog.Logger) *Issuer {
	if log == nil {
		log = slog.Default()
	}
	if s == nil {
		s = EphemeralSigner()
		log.Warn("no receipt signing key configured (CIVICPAY_RECEIPT_KEY_FILE): receipts are signed with an ephemeral key that changes at every restart; run 'civicpay receipts keygen FILE' and configure it",
			"key_id", s.ID())
	}
	return &Issuer{Signer: s, Outbox: outbox, PublicURL: publicURL, Log: log}
}

const registerKeySQL = `
INSERT INTO receipt_keys (key_id, public_key, ephemeral) VALUES ($1, $2, $3)
ON CONFLICT (key_id) DO UPDATE SET last_used = now()`

// Register publishes the signer's public key in the database, where the
// key set and the verification page read it. A gateway calls it at
// start-up; IssueFor does it in its own transaction until then.
func (is *Issuer) Register(ctx context.Context, db pg.Querier) error {
	if _, err := db.Exec(ctx, registerKeySQL, is.Signer.ID(), []byte(is.Signer.Public()), is.Signer.Ephemeral); err != nil {
		return fmt.Errorf("receipts: register key: %w", err)
	}
	is.registered.Store(true)
	return nil
}

func (is *Issuer) now() time.Time {
	if is.Now != nil {
		return is.Now()
	}
	return time.Now()
}

// allocateSQL reads what the receipts certify and takes their numbers in
// one statement. The counters of a group are upserted in a fixed order
// (agency, series, year), so two settlements never wait on each other in
// a cycle, and each counter row is touched once per group, however many
// receipts the group issues: the row lock, held to commit, is the only
// serialisation between concurrent settlements of one agency.
const allocateSQL = `
WITH paid AS (
    SELECT p.id, p.portal_id, p.livemode, p.agency_code, p.kind::text AS kind, p.service_code, p.reference,
           coalesce(p.payer_name, '') AS payer_name, coalesce(p.payer_id_number, p.payer_tax_code, '') AS payer_id,
           p.amount, coalesce(p.settled_provider, '') AS provider, p.succeeded_at,
           extract(year FROM p.succeeded_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS year,
           a.name AS agency_name, coalesce(a.address, '') AS address, coalesce(a.tax_code, '') AS tax_code,
           s.name_vi AS service_name,
           coalesce((SELECT c.provider_txn_id FROM provider_callbacks c
                     WHERE c.payment_id = p.id AND c.outcome = 'settled' ORDER BY c.id LIMIT 1), '') AS txn
    FROM payments p
    JOIN agencies a ON a.code = p.agency_code
    JOIN services s ON s.code = p.service_code
    WHERE p.id = ANY($1::text[]) AND p.succeeded_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.payment_id = p.id)
),
keyed AS (
    SELECT paid.*, $2::text || '-' || lpad((year % 100)::text, 2, '0') || 'E' AS series FROM paid
),
wanted AS (
    SELECT agency_code, series, year, count(*) AS n FROM keyed GROUP BY agency_code, series, year
),
alloc AS (
    INSERT INTO receipt_counters AS rc (agency_code, series, year, last)
    SELECT agency_code, series, year, n FROM wanted ORDER BY agency_code, series, year
    ON CONFLICT (agency_code, series, year) DO UPDATE SET last = rc.last + EXCLUDED.last
    RETURNING agency_code, series, year, last
)
SELECT k.id, k.portal_id, k.livemode, k.agency_code, k.kind, k.service_code, k.reference, k.payer_name, k.payer_id,
       k.amount, k.provider, k.succeeded_at, k.year, k.agency_name, k.address, k.tax_code, k.service_name, k.txn,
       k.series, al.last - w.n + row_number() OVER (PARTITION BY k.agency_code, k.series, k.year ORDER BY k.id) AS number
FROM keyed k
JOIN wanted w USING (agency_code, series, year)
JOIN alloc al USING (agency_code, series, year)
ORDER BY k.agency_code, k.series, k.year, number`

const insertSQL = `
INSERT INTO receipts (id, payment_id, portal_id, livemode, agency_code, form, series, year, number, amount,
                      canonical, signature, key_id, issued_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::text[], $7::text[],
                     $8::smallint[], $9::bigint[], $10::numeric[], $11::text[], $12::text[], $13::text[], $14::timestamptz[])`

// IssueFor issues the receipts of the given payments that have succeeded
// and have none yet, inside tx, with their receipt.issued events. Called
// in the settling transaction, a receipt and its number commit with the
// settlement or not at all; called again for the same payments it issues
// nothing, so a follow-up sweep cannot double-issue.
func (is *Issuer) IssueFor(ctx context.Context, tx pgx.Tx, paymentIDs []string) ([]Receipt, error) {
	if len(paymentIDs) == 0 {
		return nil, nil
	}
	if !is.registered.Load() {
		if _, err := tx.Exec(ctx, registerKeySQL, is.Signer.ID(), []byte(is.Signer.Public()), is.Signer.Ephemeral); err != nil {
			return nil, fmt.Errorf("receipts: register key: %w", err)
		}
	}
	rows, err := tx.Query(ctx, allocateSQL, paymentIDs, DefaultSeriesPrefix)
	if err != nil {
		return nil, fmt.Errorf("receipts: allocate: %w", err)
	}
	issuedAt := is.now()
	var out []Receipt
	var cols insertColumns
	for rows.Next() {
		var p paidRow
		if err := rows.Scan(&p.id, &p.portal, &p.livemode, &p.agency, &p.kind, &p.service, &p.reference, &p.payerName, &p.payerID,
			&p.amount, &p.provider, &p.paidAt, &p.year, &p.agencyName, &p.address, &p.taxCode, &p.serviceName, &p.txn,
			&p.series, &p.number); err != nil {
			rows.Close()
			return nil, fmt.Errorf("receipts: allocate: %w", err)
		}
		r, err := is.sign(p, issuedAt)
		if err != nil {
			rows.Close()
			return nil, err
		}
		cols.add(p, r, issuedAt)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("receipts: allocate: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, insertSQL, cols.args()...); err != nil {
		return nil, fmt.Errorf("receipts: insert: %w", err)
	}
	evs := make([]events.Event, len(out))
	for i, r := range out {
		evs[i] = events.Event{Type: EventIssued, PortalID: cols.portal[i], Livemode: r.Livemode, PaymentID: r.Payment, Object: r}
	}
	if is.Outbox != nil {
		if err := is.Outbox.Emit(ctx, tx, evs...); err != nil {
			return nil, fmt.Errorf("receipts: events: %w", err)
		}
	}
	return out, nil
}

type paidRow struct {
	id, portal, agency, kind, service, reference, payerName, payerID string
	livemode                                                         bool
	amount                                                           decimal.Decimal
	provider                                                         string
	paidAt                                                           time.Time
	year                                                             int32
	agencyName, address, taxCode, serviceName, txn, series           string
	number                                                           int64
}

// sign builds a receipt's fields and signs their canonical form.
func (is *Issuer) sign(p paidRow, issuedAt time.Time) (Receipt, error) {
	words, err := Words(p.amount)
	if err != nil {
		return Receipt{}, err
	}
	f := Fields{
		V: Version, ID: ids.New("rcp", 24), Payment: p.id, Livemode: p.livemode,
		Form: DefaultForm, Series: p.series, Number: FormatNumber(p.number),
		AgencyCode: p.agency, AgencyName: p.agencyName, AgencyAddress: p.address, AgencyTaxCode: p.taxCode,
		PayerName: p.payerName, PayerID: MaskID(p.payerID),
		Kind: p.kind, ServiceCode: p.service, ServiceName: p.serviceName, Reference: p.reference,
		Amount: p.amount.String(), AmountWords: words, Currency: "VND",
		Method: p.provider, MethodName: methodName(p.provider), ProviderTxnID: p.txn,
		PaidAt: formatTime(p.paidAt), IssuedAt: formatTime(issuedAt), KeyID: is.Signer.ID(),
	}
	canon, err := Canonical(f)
	if err != nil {
		return Receipt{}, fmt.Errorf("receipts: canonical: %w", err)
	}
	r := Receipt{Object: "receipt", Fields: f, Canonical: string(canon), Signature: is.Signer.Sign(canon), Adjustments: []Adjustment{}}
	r.VerifyURL = is.PublicURL + r.VerifyPath()
	return r, nil
}

type insertColumns struct {
	id, payment, portal, agency, form, series, canonical, signature, keyID []string
	livemode                                                               []bool
	year                                                                   []int32
	number                                                                 []int64
	amount                                                                 []decimal.Decimal
	issuedAt                                                               []time.Time
}

func (c *insertColumns) add(p paidRow, r Receipt, at time.Time) {
	c.id, c.payment, c.portal = append(c.id, r.ID), append(c.payment, p.id), append(c.portal, p.portal)
	c.livemode, c.agency, c.form = append(c.livemode, p.livemode), append(c.agency, p.agency), append(c.form, r.Form)
	c.series, c.year, c.number = append(c.series, p.series), append(c.year, p.year), append(c.number, p.number)
	c.amount, c.canonical, c.signature = append(c.amount, p.amount), append(c.canonical, r.Canonical), append(c.signature, r.Signature)
	c.keyID, c.issuedAt = append(c.keyID, r.KeyID), append(c.issuedAt, at)
}

func (c *insertColumns) args() []any {
	return []any{c.id, c.payment, c.portal, c.livemode, c.agency, c.form, c.series, c.year, c.number, c.amount,
		c.canonical, c.signature, c.keyID, c.issuedAt}
}
