package receipts

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/ids"
)

// AdjustmentFields are what an adjustment certifies: a refund of part or
// all of a receipt's amount. The receipt itself is never edited; a reader
// subtracts its adjustments.
type AdjustmentFields struct {
	V             int    `json:"v"`
	ID            string `json:"id"`
	Kind          string `json:"kind"` // cancellation when nothing remains, else adjustment
	Receipt       string `json:"receipt"`
	ReceiptSeries string `json:"receipt_series"`
	ReceiptNumber string `json:"receipt_number"`
	AgencyCode    string `json:"agency_code"`
	Payment       string `json:"payment"`
	Refund        string `json:"refund"`
	Amount        string `json:"amount"`
	AmountWords   string `json:"amount_words"`
	Remaining     string `json:"remaining_amount"`
	IssuedAt      string `json:"issued_at"`
	KeyID         string `json:"key_id"`
}

// Adjustment is a stored adjustment with its signed form.
type Adjustment struct {
	Object string `json:"object"`
	AdjustmentFields
	Canonical string `json:"canonical"`
	Signature string `json:"signature"`
}

// Kinds of adjustment.
const (
	KindAdjustment   = "adjustment"
	KindCancellation = "cancellation"
)

var (
	// ErrNotFound is a payment without a receipt (not paid, or unknown).
	ErrNotFound = errors.New("receipts: no receipt for this payment")
	// ErrExceedsReceipt is an adjustment for more than the receipt still holds.
	ErrExceedsReceipt = errors.New("receipts: adjustment exceeds what remains of the receipt")
	// ErrBadAmount is an adjustment amount that is not a positive whole number of đồng.
	ErrBadAmount = errors.New("receipts: an adjustment amount must be a positive whole number of đồng")
)

const adjustTargetSQL = `
SELECT r.id, r.series, r.number, r.agency_code, r.portal_id, r.livemode, r.amount,
       coalesce((SELECT sum(a.amount) FROM receipt_adjustments a WHERE a.receipt_id = r.id), 0)
FROM payments p JOIN receipts r ON r.payment_id = p.id
WHERE p.id = $1
FOR UPDATE OF p`

const existingAdjustmentSQL = `SELECT canonical, signature FROM receipt_adjustments WHERE refund_id = $1`

const insertAdjustmentSQL = `
INSERT INTO receipt_adjustments (id, receipt_id, refund_id, kind, amount, canonical, signature, key_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// Adjust records, inside tx, that refund refundID gave back amount of the
// payment's receipt, and emits receipt.adjusted. The refund's completion
// calls it in the transaction that completes the refund; a second call
// for the same refund returns the first adjustment. The payment row is
// locked so two refunds of one payment adjust one after the other.
func (is *Issuer) Adjust(ctx context.Context, tx pgx.Tx, paymentID, refundID string, amount decimal.Decimal) (Adjustment, error) {
	if amount.Sign() <= 0 || !amount.IsInteger() {
		return Adjustment{}, ErrBadAmount
	}
	var canon, sig string
	switch err := tx.QueryRow(ctx, existingAdjustmentSQL, refundID).Scan(&canon, &sig); {
	case err == nil:
		return adjustmentFrom(canon, sig)
	case !errors.Is(err, pgx.ErrNoRows):
		return Adjustment{}, fmt.Errorf("receipts: adjust: %w", err)
	}
	var receiptID, series, agency, portal string
	var number int64
	var livemode bool
	var total, adjusted decimal.Decimal
	err := tx.QueryRow(ctx, adjustTargetSQL, paymentID).Scan(&receiptID, &series, &number, &agency, &portal, &livemode, &total, &adjusted)
	if errors.Is(err, pgx.ErrNoRows) {
		return Adjustment{}, ErrNotFound
	}
	if err != nil {
		return Adjustment{}, fmt.Errorf("receipts: adjust: %w", err)
	}
	remaining := total.Sub(adjusted).Sub(amount)
	if remaining.Sign() < 0 {
		return Adjustment{}, fmt.Errorf("%w: %s of %s left", ErrExceedsReceipt, total.Sub(adjusted), total)
	}
	kind := KindAdjustment
	if remaining.IsZero() {
		kind = KindCancellation
	}
	words, err := Words(amount)
	if err != nil {
		return Adjustment{}, err
	}
	at := is.now()
	f := AdjustmentFields{V: Version, ID: ids.New("adj", 24), Kind: kind, Receipt: receiptID, ReceiptSeries: series,
		ReceiptNumber: FormatNumber(number), AgencyCode: agency, Payment: paymentID, Refund: refundID,
		Amount: amount.String(), AmountWords: words, Remaining: remaining.String(), IssuedAt: formatTime(at), KeyID: is.Signer.ID()}
	raw, err := Canonical(f)
	if err != nil {
		return Adjustment{}, err
	}
	adj := Adjustment{Object: "receipt_adjustment", AdjustmentFields: f, Canonical: string(raw), Signature: is.Signer.Sign(raw)}
	if !is.registered.Load() {
		if _, err := tx.Exec(ctx, registerKeySQL, is.Signer.ID(), []byte(is.Signer.Public()), is.Signer.Ephemeral); err != nil {
			return Adjustment{}, fmt.Errorf("receipts: register key: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, insertAdjustmentSQL, f.ID, receiptID, refundID, kind, amount, adj.Canonical, adj.Signature, f.KeyID, at); err != nil {
		return Adjustment{}, fmt.Errorf("receipts: adjust: %w", err)
	}
	if is.Outbox != nil {
		ev := events.Event{Type: EventAdjusted, PortalID: portal, Livemode: livemode, PaymentID: paymentID, Object: adj}
		if err := is.Outbox.Emit(ctx, tx, ev); err != nil {
			return Adjustment{}, fmt.Errorf("receipts: events: %w", err)
		}
	}
	return adj, nil
}

func adjustmentFrom(canonical, signature string) (Adjustment, error) {
	a := Adjustment{Object: "receipt_adjustment", Canonical: canonical, Signature: signature}
	err := fromCanonical(canonical, &a.AdjustmentFields)
	return a, err
}
