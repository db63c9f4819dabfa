package payments

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/catalog"
)

// View is the JSON representation of a payment, the same in API responses,
// webhooks and events. Agency and Service are codes unless expanded.
type View struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Livemode            bool              `json:"livemode"`
	Status              Status            `json:"status"`
	Amount              decimal.Decimal   `json:"amount"`
	AmountRefunded      decimal.Decimal   `json:"amount_refunded"`
	AmountRefundPending decimal.Decimal   `json:"amount_refund_pending"`
	Currency            string            `json:"currency"`
	Kind                catalog.Kind      `json:"kind"`
	Service             any               `json:"service"`
	Agency              any               `json:"agency"`
	Reference           string            `json:"reference"`
	Quote               *string           `json:"quote"`
	Payer               Payer             `json:"payer"`
	Description         *string           `json:"description"`
	PaymentCode         string            `json:"payment_code"`
	ClientToken         string            `json:"client_token,omitempty"`
	ExpiresAt           time.Time         `json:"expires_at"`
	ReturnURL           *string           `json:"return_url"`
	Metadata            map[string]string `json:"metadata"`
	FailureCode         *string           `json:"failure_code"`
	LastAttemptError    *AttemptError     `json:"last_attempt_error"`
	Provider            *string           `json:"provider"`
	SucceededAt         *time.Time        `json:"succeeded_at"`
	CanceledAt          *time.Time        `json:"canceled_at"`
	CreatedAt           time.Time         `json:"created_at"`
	UpdatedAt           time.Time         `json:"updated_at"`
	Methods             []string          `json:"methods,omitempty"`
}

// View renders p for its owner. The payer's ID number is always masked.
// The client token is included for the portal to hand to its widget.
func (p Payment) View() View {
	meta := p.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return View{
		ID: p.ID, Object: "payment", Livemode: p.Livemode, Status: p.Status, Amount: p.Amount,
		AmountRefunded: p.AmountRefunded, AmountRefundPending: p.AmountRefundPending, Currency: p.Currency, Kind: p.Kind, Service: p.Service, Agency: p.Agency,
		Reference: p.Reference, Quote: p.QuoteID, Payer: p.Payer.Masked(), Description: p.Description,
		PaymentCode: p.PaymentCode, ClientToken: p.ClientToken, ExpiresAt: p.ExpiresAt.UTC(), ReturnURL: p.ReturnURL,
		Metadata: meta, FailureCode: p.FailureCode, LastAttemptError: p.LastAttemptError, Provider: p.SettledProvider, SucceededAt: p.SucceededAt,
		CanceledAt: p.CanceledAt, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
}

// EventView is the snapshot sent in events: no client token, which is a
// browser credential the portal's webhook endpoint has no use for.
func (p Payment) EventView() View {
	v := p.View()
	v.ClientToken = ""
	return v
}
