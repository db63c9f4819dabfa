package receipts

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/civicpay/civicpay/gateway/pg"
)

const receiptColumns = `r.canonical, r.signature,
       coalesce((SELECT json_agg(json_build_array(a.canonical, a.signature) ORDER BY a.created_at, a.id)
                 FROM receipt_adjustments a WHERE a.receipt_id = r.id), '[]')`

// ForPayment reads the receipt of one payment of a portal.
func ForPayment(ctx context.Context, db pg.Querier, portalID string, livemode bool, paymentID, publicURL string) (Receipt, error) {
	list, err := query(ctx, db, publicURL, `SELECT `+receiptColumns+` FROM receipts r
		WHERE r.payment_id = $1 AND r.portal_id = $2 AND r.livemode = $3`, paymentID, portalID, livemode)
	if err != nil {
		return Receipt{}, err
	}
	if len(list) == 0 {
		return Receipt{}, ErrNotFound
	}
	return list[0], nil
}

// Find reads the receipts with a series and number, of one agency or (agency
// empty) of any: the verification page's question.
func Find(ctx context.Context, db pg.Querier, series string, number int64, agency, publicURL string) ([]Receipt, error) {
	return query(ctx, db, publicURL, `SELECT `+receiptColumns+` FROM receipts r
		WHERE r.series = $1 AND r.number = $2 AND ($3 = '' OR r.agency_code = $3) ORDER BY r.agency_code, r.year DESC`, series, number, agency)
}

func query(ctx context.Context, db pg.Querier, publicURL, sql string, args ...any) ([]Receipt, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("receipts: read: %w", err)
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		var canon, sig string
		var adjs [][2]string
		if err := rows.Scan(&canon, &sig, &adjs); err != nil {
			return nil, fmt.Errorf("receipts: read: %w", err)
		}
		r := Receipt{Object: "receipt", Canonical: canon, Signature: sig, Adjustments: []Adjustment{}}
		if err := fromCanonical(canon, &r.Fields); err != nil {
			return nil, err
		}
		r.VerifyURL = publicURL + r.VerifyPath()
		for _, a := range adjs {
			adj, err := adjustmentFrom(a[0], a[1])
			if err != nil {
				return nil, err
			}
			r.Adjustments = append(r.Adjustments, adj)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("receipts: read: %w", err)
	}
	return out, nil
}

// PublicKey is one published signing key, in the JWK form (RFC 8037).
type PublicKey struct {
	KeyID     string    `json:"kid"`
	KeyType   string    `json:"kty"`
	Curve     string    `json:"crv"`
	X         string    `json:"x"`
	Alg       string    `json:"alg"`
	Use       string    `json:"use"`
	Ephemeral bool      `json:"ephemeral"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"last_used"`
}

// Key returns the Ed25519 key of a published entry.
func (k PublicKey) Key() (ed25519.PublicKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("receipts: key %s: not an Ed25519 public key", k.KeyID)
	}
	return raw, nil
}

// Keys lists every key that ever signed a receipt, newest first: a key
// rotated out stays listed, or what it signed could no longer be checked.
func Keys(ctx context.Context, db pg.Querier) ([]PublicKey, error) {
	rows, err := db.Query(ctx, `SELECT key_id, public_key, ephemeral, created_at, last_used FROM receipt_keys ORDER BY created_at DESC, key_id`)
	if err != nil {
		return nil, fmt.Errorf("receipts: keys: %w", err)
	}
	defer rows.Close()
	out := []PublicKey{}
	for rows.Next() {
		var k PublicKey
		var pub []byte
		if err := rows.Scan(&k.KeyID, &pub, &k.Ephemeral, &k.Created, &k.LastUsed); err != nil {
			return nil, fmt.Errorf("receipts: keys: %w", err)
		}
		k.KeyType, k.Curve, k.Alg, k.Use = "OKP", "Ed25519", "EdDSA", "sig"
		k.X = base64.RawURLEncoding.EncodeToString(pub)
		out = append(out, k)
	}
	return out, rows.Err()
}

// Check verifies a receipt and its adjustments with a published key set,
// the way a third party would: the signature over the canonical bytes
// with the key the receipt names, and the shown fields read from those
// bytes.
func Check(keys []PublicKey, r Receipt) error {
	find := func(id string) (ed25519.PublicKey, error) {
		for _, k := range keys {
			if k.KeyID == id {
				return k.Key()
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrUnknownKey, id)
	}
	var f Fields
	if err := fromCanonical(r.Canonical, &f); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	pub, err := find(f.KeyID)
	if err != nil {
		return err
	}
	if err := Verify(pub, []byte(r.Canonical), r.Signature); err != nil {
		return err
	}
	if f != r.Fields {
		return fmt.Errorf("%w: the fields shown differ from the signed ones", ErrBadSignature)
	}
	for _, a := range r.Adjustments {
		var af AdjustmentFields
		if err := fromCanonical(a.Canonical, &af); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		pub, err := find(af.KeyID)
		if err != nil {
			return err
		}
		if err := Verify(pub, []byte(a.Canonical), a.Signature); err != nil {
			return fmt.Errorf("adjustment %s: %w", af.ID, err)
		}
		if af.Receipt != f.ID || af != a.AdjustmentFields {
			return fmt.Errorf("%w: adjustment %s does not belong to this receipt as shown", ErrBadSignature, af.ID)
		}
	}
	return nil
}
