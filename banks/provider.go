// Package banks is how the gateway reaches banks and e-wallets: one small
// Provider interface, one package per provider speaking its real protocol
// (vietqr + bankfeed, vnpay, momo, zalopay), a circuit-breaker wrapper, and
// sandbox simulators. Settlement consumes the verified Callbacks providers
// produce; it never parses a provider's wire format itself.
package banks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Method is what the citizen chooses in the widget.
type Method string

const (
	MethodBankQR    Method = "bank_qr"
	MethodMoMo      Method = "momo"
	MethodZaloPay   Method = "zalopay"
	MethodVNPay     Method = "vnpay"
	MethodAnyWallet Method = "any_wallet"
	MethodAny       Method = "any"
)

// Beneficiary is the agency account money must reach.
type Beneficiary struct {
	BIN, BankName, Account, AccountName string
}

// Order is one attempt to collect a payment through one provider.
type Order struct {
	PaymentID   string
	OrderID     string // derived from the payment id and attempt number: OrderID(pay, n)
	Amount      decimal.Decimal
	Description string
	PaymentCode string
	Beneficiary Beneficiary
	ExpiresAt   time.Time
	ReturnURL   string
	CallbackURL string // where the provider must send its IPN
	// CreatedAt is when the attempt began (its payment_attempts row).
	// Providers that key an order on its date (VNPay vnp_CreateDate,
	// ZaloPay's yymmdd_ prefix) use it, so a later query can name the
	// same date again.
	CreatedAt time.Time
}

// Issued is what the citizen scans or opens.
type Issued struct {
	QRPayload   string
	Deeplink    string
	PayURL      string
	ProviderRef string
}

// Callback is a verified settlement notification, in the gateway's terms.
type Callback struct {
	Provider    string
	TxnID       string          // provider's transaction id: the dedupe key
	PaymentID   string          // when the provider echoes our order id
	PaymentCode string          // bank transfers: the code found in the content
	OrderID     string          // our order id as the provider sent it
	Account     string          // bank transfers: the receiving account
	Amount      decimal.Decimal // whole đồng
	Currency    string          // "VND"
	Succeeded   bool            // the provider collected the money
	ResultCode  string
	Message     string // the provider's words for a decline, if it gives any
	// BookedAt is when the bank booked a transfer (bank feeds); settlement
	// checks it, not the time of the report, against the payment's expiry.
	// Zero: the time of receipt.
	BookedAt time.Time
	// BankRef is the bank's own reference of a transfer: with Account, the
	// transfer's identity whichever feed reports it.
	BankRef  string
	Livemode bool
	Raw      []byte
}

// Outcome is what the gateway made of a callback; each provider answers
// it in its own dialect.
type Outcome string

const (
	OutcomeSettled   Outcome = "settled"   // payment succeeded now
	OutcomeFailed    Outcome = "failed"    // payment failed now
	OutcomeIgnored   Outcome = "ignored"   // a failure report for a payment already closed
	OutcomeException Outcome = "exception" // money kept for review: wrong amount, unknown, late…
	OutcomeRejected  Outcome = "rejected"  // bad signature or unparseable: nothing recorded
	OutcomeError     Outcome = "error"     // the gateway could not record it: provider should retry
)

// Reasons of a Reply that are not settlement's: why a callback was
// rejected before settlement, or acknowledged without it.
const (
	ReasonSignature  = "invalid_signature"
	ReasonMalformed  = "malformed"
	ReasonNotPayment = "not_a_payment"
)

// Reply is the outcome plus what the provider needs to know about it.
type Reply struct {
	Outcome Outcome
	Reason  string // exception reason, e.g. amount_mismatch, unknown_reference, already_settled
}

// Status is a provider's view of an order.
type Status struct {
	// Livemode is the mode of the adapter that answered: a live adapter
	// speaks of live money whatever the gateway's row says.
	Livemode  bool
	Known     bool
	Succeeded bool
	Final     bool
	TxnID     string
	Amount    decimal.Decimal
}

// RefundRequest returns money of a settled order.
type RefundRequest struct {
	RefundID string
	OrderID  string
	TxnID    string
	Amount   decimal.Decimal
	Reason   string
}

// RefundResult is the provider's answer to a refund, or to a question
// about one. Only a final answer (Final) may complete the refund: money
// reserved for a refund is released on a final failure alone, since a
// refund that is merely unanswered may still be paid.
type RefundResult struct {
	Succeeded bool
	// Pending is an answer that is not final: the provider is processing
	// the refund, or refused a repeated request id as a duplicate of one
	// it has. The refund is asked about again (RefundQuerier) until the
	// provider gives a final answer.
	Pending bool
	// NotFound, from a query, is a refund the provider never received;
	// sending it again with the same refund id is safe.
	NotFound    bool
	ProviderRef string
	Code        string
}

// Final reports whether the answer completes the refund, either way.
func (r RefundResult) Final() bool { return !r.Pending && !r.NotFound }

// RefundQuerier is a provider that can be asked how a refund it was sent
// ended, so that an ambiguous answer (a timeout, a lost reply, a
// "processing" code) is resolved by asking rather than by sending again.
type RefundQuerier interface {
	QueryRefund(ctx context.Context, r RefundRequest) (RefundResult, error)
}

// Provider is one bank or e-wallet.
type Provider interface {
	Name() string
	Methods() []Method
	Issue(ctx context.Context, o Order) (Issued, error)
	Query(ctx context.Context, orderID string) (Status, error)
	Refund(ctx context.Context, r RefundRequest) (RefundResult, error)
	// ParseCallback verifies the signature (in constant time) and parses
	// the notification; a bad signature is ErrSignature.
	ParseCallback(r *http.Request, body []byte) (Callback, error)
	// WriteReply answers the callback the way the provider expects.
	WriteReply(w http.ResponseWriter, r Reply)
}

// TransferFinder is a provider whose money arrives as bank transfers that
// no order can be asked about: what it can do instead is look for the
// transfer carrying a payment code in the receiving account's statement
// (bank feeds' transaction lists). Requery and reconciliation use it when
// the feed's webhooks never got through. The Callback found is the one the
// webhook would have produced, so settling it is idempotent with the
// webhook's.
type TransferFinder interface {
	FindTransfer(ctx context.Context, code, account string, since time.Time) (cb Callback, found bool, err error)
}

var (
	// ErrSignature is a callback whose signature does not verify.
	ErrSignature = errors.New("callback signature does not verify")
	// ErrUnsupported is an operation the provider does not offer.
	ErrUnsupported = errors.New("operation not supported by this provider")
	// ErrMalformed is a callback that verifies but cannot be understood.
	ErrMalformed = errors.New("malformed callback")
	// ErrNotPayment is a genuine notification that moves no money for us
	// (an outgoing transfer, a "still processing" status): acknowledge it
	// so the provider stops resending, and record nothing.
	ErrNotPayment = errors.New("notification is not a payment")
)

// OrderID derives the provider order id of a payment's nth attempt, so a
// retry of the same attempt reuses its order id and never creates a second
// order at the provider.
func OrderID(paymentID string, attempt int) string {
	return paymentID + "-" + itoa(attempt)
}

// PaymentIDOf recovers the payment id from an order id (with or without a
// provider prefix such as ZaloPay's yymmdd_).
func PaymentIDOf(orderID string) string {
	start := 0
	for i := 0; i+4 <= len(orderID); i++ {
		if orderID[i:i+4] == "pay_" {
			start = i
			break
		}
	}
	s := orderID[start:]
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '-' {
			return s[:i]
		}
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Fee is a provider's price: a percentage of the amount plus a fixed part.
type Fee struct {
	Percent decimal.Decimal // e.g. 1.1 for 1.1 %
	Fixed   decimal.Decimal // whole đồng
}

var hundred = decimal.NewFromInt(100)

// For computes the fee on amount: amount × percent / 100 + fixed, rounded
// half-up to whole đồng once, at the end. It never exceeds the amount.
func (f Fee) For(amount decimal.Decimal) decimal.Decimal {
	fee := amount.Mul(f.Percent).Div(hundred).Add(f.Fixed).Round(0)
	if fee.GreaterThan(amount) {
		return amount
	}
	return fee
}

// ParseFee reads a fee written "1.1%+1100", "1.5%" or "2000": a percentage,
// a fixed part in whole đồng, or both. Percentages run from 0 to 100.
func ParseFee(s string) (Fee, error) {
	s = strings.ReplaceAll(s, " ", "")
	pct, fixed, hasPct := strings.Cut(s, "%")
	switch {
	case !hasPct:
		pct, fixed = "0", s
	case fixed == "":
		fixed = "0"
	case fixed[0] == '+':
		fixed = fixed[1:]
	default:
		return Fee{}, errors.New(`want "<percent>%+<fixed đồng>", e.g. 1.1%+1100`)
	}
	p, ok := plainDecimal(pct, 12)
	if !ok || p.GreaterThan(hundred) {
		return Fee{}, errors.New("percent must be a number from 0 to 100")
	}
	f, ok := plainDecimal(fixed, 15)
	if !ok || !f.IsInteger() {
		return Fee{}, errors.New("the fixed part must be whole đồng, 0 or more")
	}
	return Fee{Percent: p, Fixed: f}, nil
}

// plainDecimal accepts digits with at most one '.', no sign or exponent.
func plainDecimal(s string, maxLen int) (decimal.Decimal, bool) {
	if s == "" || len(s) > maxLen || strings.Count(s, ".") > 1 || s[0] == '.' || s[len(s)-1] == '.' {
		return decimal.Decimal{}, false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return decimal.Decimal{}, false
		}
	}
	return decimal.RequireFromString(s), true
}

// String writes the fee the way ParseFee reads it.
func (f Fee) String() string {
	return f.Percent.String() + "%+" + f.Fixed.String()
}
