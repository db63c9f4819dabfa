package payments

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vietqr/paycode"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/ids"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
)

// Validate checks the parts of a request that need no database; the HTTP
// edge calls it before opening a transaction.
func (r *CreateRequest) Validate(now time.Time) error {
	_, errs := r.validateShape(now)
	return errs.Err()
}

// Create prices and records a new payment inside a transaction, given the
// service it names as looked up in the same transaction (usually batched
// with the idempotency claim: catalog.QueueGetService). The amount is
// decided here, never trusted from the portal alone: a fixed fee must
// match the catalogue, a declared amount must be within the service's
// bounds, and a computed one must equal the quote the payer was shown.
func Create(ctx context.Context, tx pg.Querier, who portals.Principal, r CreateRequest, svc catalog.ServiceLookup, now time.Time) (Payment, error) {
	p, err := prepare(ctx, tx, who, r, svc, now)
	if err != nil {
		return Payment{}, err
	}
	return translateInsert(insert(ctx, tx, p))
}

// prepare checks the request against its service and prices it: the
// payment to insert. Only a computed amount reads the database (the quote).
func prepare(ctx context.Context, tx pg.Querier, who portals.Principal, r CreateRequest, lookup catalog.ServiceLookup, now time.Time) (Payment, error) {
	declared, errs := r.validateShape(now)
	if len(errs) > 0 {
		return Payment{}, errs
	}
	if errors.Is(lookup.Err, catalog.ErrUnknownService) {
		return Payment{}, fmt.Errorf("%w: %s is not in GET /v1/services", catalog.ErrUnknownService, r.Service)
	}
	if lookup.Err != nil {
		return Payment{}, lookup.Err
	}
	svc := lookup.Service
	if errs := r.validateForService(svc); len(errs) > 0 {
		return Payment{}, errs
	}
	agency := svc.AgencyCode
	if r.Agency != nil {
		agency = *r.Agency
	}
	if !who.MayCollectFor(agency) {
		return Payment{}, ErrAgencyNotAllowed
	}
	if !who.Live(agency) {
		return Payment{}, ErrAgencyNotLive
	}
	amount, quoteExpires, err := price(ctx, tx, who, svc, r, declared, now)
	if err != nil {
		return Payment{}, err
	}
	expires := now.Add(DefaultExpiry)
	if r.ExpiresAt != nil {
		expires = r.ExpiresAt.UTC()
	}
	// A payment never outlives the price it was quoted at: tax interest
	// grows daily, so a payment kept open past its quote would collect a
	// frozen, too small amount.
	if quoteExpires != nil && quoteExpires.Before(expires) {
		expires = quoteExpires.UTC()
	}
	return Payment{
		ID: ids.Payment(), PortalID: who.PortalID, Livemode: who.Livemode, Service: svc.Code, Agency: agency,
		Kind: svc.Kind, Reference: r.Reference, QuoteID: r.Quote, Payer: *r.Payer, Amount: amount,
		Description: r.Description, PaymentCode: paycode.Generate(rand.Reader), ClientToken: ids.New("ct", 32),
		ExpiresAt: expires, ReturnURL: r.ReturnURL, Metadata: r.Metadata,
	}, nil
}

// translateInsert names the insert's failures the caller can act on.
func translateInsert(created Payment, err error) (Payment, error) {
	var ce *pg.ConstraintError
	if errors.As(pg.Translate(err), &ce) && ce.Constraint == "payments_quote_id_key" {
		return Payment{}, ErrQuoteUsed
	}
	return created, pg.Translate(err)
}

// price decides the amount to charge from the service's rule; a quoted
// amount comes with the quote's expiry.
func price(ctx context.Context, tx pg.Querier, who portals.Principal, svc catalog.Service, r CreateRequest, declared *decimal.Decimal, now time.Time) (decimal.Decimal, *time.Time, error) {
	switch svc.AmountRule {
	case catalog.RuleFixed:
		if declared != nil && !declared.Equal(*svc.FixedAmount) {
			return decimal.Decimal{}, nil, ErrAmountMismatch
		}
		return *svc.FixedAmount, nil, nil
	case catalog.RulePayerDeclared:
		if declared.LessThan(*svc.MinAmount) || declared.GreaterThan(*svc.MaxAmount) {
			return decimal.Decimal{}, nil, &BoundsError{Min: *svc.MinAmount, Max: *svc.MaxAmount}
		}
		return *declared, nil, nil
	default:
		total, expires, err := quoteTotal(ctx, tx, who, svc.Code, *r.Quote, now)
		if err != nil {
			return decimal.Decimal{}, nil, err
		}
		if declared != nil && !declared.Equal(total) {
			return decimal.Decimal{}, nil, ErrAmountMismatch
		}
		return total, &expires, nil
	}
}

// BoundsError says what the service accepts.
type BoundsError struct{ Min, Max decimal.Decimal }

func (e *BoundsError) Error() string {
	return "amount must be between " + e.Min.String() + " and " + e.Max.String() + " đồng for this service"
}
func (e *BoundsError) Unwrap() error { return ErrAmountOutOfBounds }

const quoteSQL = `SELECT service_code, total, expires_at FROM quotes WHERE id = $1 AND portal_id = $2 AND livemode = $3`

func quoteTotal(ctx context.Context, tx pg.Querier, who portals.Principal, service, id string, now time.Time) (decimal.Decimal, time.Time, error) {
	var svc string
	var total decimal.Decimal
	var expires time.Time
	err := tx.QueryRow(ctx, quoteSQL, id, who.PortalID, who.Livemode).Scan(&svc, &total, &expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return total, expires, invalid.Errors{{Name: "quote", Code: "unknown_quote", Detail: "no such quote for this portal and mode"}}
	case err != nil:
		return total, expires, err
	case svc != service:
		return total, expires, invalid.Errors{{Name: "quote", Code: "quote_service_mismatch", Detail: "the quote was made for service " + svc}}
	case !now.Before(expires):
		return total, expires, invalid.Errors{{Name: "quote", Code: "quote_expired", Detail: "the quote expired; create a new one"}}
	}
	return total, expires, nil
}
