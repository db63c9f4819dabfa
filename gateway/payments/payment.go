// Package payments is the payment lifecycle: creation from a portal's
// request (validated, idempotent, priced exactly), reading, listing with
// keyset pagination, cancelation and expiry. Every transition is a
// conditional UPDATE, so two racing changes can never both win.
package payments

import (
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
)

// Status is where a payment is in its life.
type Status string

const (
	RequiresPaymentMethod Status = "requires_payment_method"
	Pending               Status = "pending"
	Succeeded             Status = "succeeded"
	Failed                Status = "failed"
	Expired               Status = "expired"
	Canceled              Status = "canceled"
	Refunded              Status = "refunded"
	PartiallyRefunded     Status = "partially_refunded"
)

// Open says whether money may still arrive for the payment.
func (s Status) Open() bool { return s == RequiresPaymentMethod || s == Pending }

// Valid says whether s is a known status (for list filters).
func (s Status) Valid() bool {
	switch s {
	case RequiresPaymentMethod, Pending, Succeeded, Failed, Expired, Canceled, Refunded, PartiallyRefunded:
		return true
	}
	return false
}

// Payment is one amount owed to an agency, as stored.
type Payment struct {
	ID        string
	PortalID  string
	Livemode  bool
	Service   string
	Agency    string
	Kind      catalog.Kind
	Reference string
	QuoteID   *string
	Payer     Payer
	Amount    decimal.Decimal
	// AmountRefunded is what was paid back (refunds that succeeded);
	// AmountRefundPending is reserved for refunds still waiting for a
	// final answer. Both count against what is left to refund; only the
	// first moves the status.
	AmountRefunded      decimal.Decimal
	AmountRefundPending decimal.Decimal
	Currency            string
	Description         *string
	Status              Status
	PaymentCode         string
	ClientToken         string
	ExpiresAt           time.Time
	ReturnURL           *string
	Metadata            map[string]string
	FailureCode         *string
	// LastAttemptError is the provider's latest decline; the payment may
	// still be payable by another method.
	LastAttemptError *AttemptError
	SettledProvider  *string
	SucceededAt      *time.Time
	CanceledAt       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// AttemptError is a provider's decline of one attempt, as it said it.
type AttemptError struct {
	Provider string `json:"provider"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// Payer is who owes the money: a citizen (ID number) or a business (tax code).
type Payer struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"`
	TaxCode  string `json:"tax_code,omitempty"`
}

// Masked hides all but the last three characters of the ID number: it is
// personal data that lists, logs and browsers never need in full.
func (p Payer) Masked() Payer {
	p.IDNumber = MaskID(p.IDNumber)
	return p
}

// MaskID keeps the last three characters of a citizen ID number.
func MaskID(id string) string {
	if len(id) <= 3 {
		return id
	}
	b := make([]byte, len(id))
	for i := range b {
		b[i] = '*'
	}
	copy(b[len(b)-3:], id[len(id)-3:])
	return string(b)
}

// Domain errors; the HTTP edge maps each to its problem.
var (
	ErrNotFound         = errors.New("no such payment")
	ErrAgencyNotAllowed = errors.New("this portal may not collect for that agency")
	// ErrAgencyNotLive is a live payment for an agency with no active live
	// provider credentials: nobody could pay it.
	ErrAgencyNotLive     = errors.New("the agency has no active live provider credentials; it cannot take live payments yet")
	ErrAmountOutOfBounds = errors.New("amount is outside the service's bounds")
	ErrAmountMismatch    = errors.New("amount differs from the service's fixed amount or the quote")
	ErrQuoteRequired     = errors.New("this service's amount is computed: create a quote and pass quote")
	ErrQuoteUsed         = errors.New("that quote already paid for another payment")
	ErrTransition        = errors.New("the payment is not in a state that allows this")
	ErrTokenExpired      = errors.New("the client token has expired")
)

// TransitionError says which state refused the transition.
type TransitionError struct {
	Status Status
	Want   string
}

func (e *TransitionError) Error() string {
	return "payment is " + string(e.Status) + "; " + e.Want
}
func (e *TransitionError) Unwrap() error { return ErrTransition }
