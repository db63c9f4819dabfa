package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/payments"
	"github.com/civicpay/civicpay/gateway/problem"
	"github.com/civicpay/civicpay/gateway/routing"
)

// qrRequest is POST /v1/payments/{id}/qr.
type qrRequest struct {
	Method string `json:"method"`
}

// qrView is what the widget renders. Absent parts are null, not omitted,
// so the widget can tell "none" from an old gateway.
type qrView struct {
	Method      string           `json:"method"`
	Provider    string           `json:"provider"`
	QRPayload   string           `json:"qr_payload"`
	Deeplink    *string          `json:"deeplink"`
	PayURL      *string          `json:"pay_url"`
	Amount      decimal.Decimal  `json:"amount"`
	PaymentCode string           `json:"payment_code"`
	ExpiresAt   time.Time        `json:"expires_at"`
	Beneficiary *beneficiaryView `json:"beneficiary"`
}

type beneficiaryView struct {
	BankBIN       string `json:"bank_bin"`
	BankName      string `json:"bank_name"`
	AccountNumber string `json:"account_number"`
	AccountName   string `json:"account_name"`
}

// issueQR serves the widget (client token of this payment) and the portal
// (its secret key) alike; both may only ask for a payment they hold.
func (s *Server) issueQR(c echo.Context) error {
	if s.deps.Router == nil {
		return problem.New(http.StatusServiceUnavailable, "providers_not_configured", "this gateway has no payment providers configured")
	}
	p, err := s.qrPayment(c)
	if err != nil {
		return err
	}
	var req qrRequest
	_, bad, err := readJSON(c, &req)
	if err != nil {
		return err
	}
	var errs invalid.Errors
	if req.Method == "" {
		errs.Add("method", "required", "one of bank_qr, momo, zalopay, vnpay, any_wallet, any")
	}
	if err := joinInvalid(bad, errs.Err()); err != nil {
		return err
	}
	method, err := routing.ParseMethod(req.Method)
	if err != nil {
		return err // invalid_method, as the table says
	}
	qr, err := s.deps.Router.Issue(c.Request().Context(), p.ID, method)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, viewQR(qr))
}

// qrPayment authenticates the caller and finds the payment it may see.
func (s *Server) qrPayment(c echo.Context) (payments.Payment, error) {
	ctx := c.Request().Context()
	if tok := bearer(c); strings.HasPrefix(tok, "ct_") {
		return payments.GetWithClientToken(ctx, s.deps.Pool, c.Param("id"), tok, s.now())
	}
	var p payments.Payment
	err := s.requireKey(func(c echo.Context) error {
		who := principal(c)
		var err error
		p, err = payments.Get(ctx, s.deps.Pool, who.PortalID, who.Livemode, c.Param("id"))
		return err
	})(c)
	return p, err
}

func viewQR(qr routing.QR) qrView {
	v := qrView{
		Method: string(qr.Method), Provider: qr.Provider, QRPayload: qr.QRPayload, Deeplink: nullable(qr.Deeplink),
		PayURL: nullable(qr.PayURL), Amount: qr.Amount, PaymentCode: qr.PaymentCode, ExpiresAt: qr.ExpiresAt.UTC(),
	}
	if b := qr.Beneficiary; b != nil {
		v.Beneficiary = &beneficiaryView{BankBIN: b.BIN, BankName: b.BankName, AccountNumber: b.Account, AccountName: b.AccountName}
	}
	return v
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
