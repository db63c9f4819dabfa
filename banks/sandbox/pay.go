package sandbox

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// PayRequest is "the payer paid" (or declined), as the control API and
// the checkout pages say it. QRPayload is whatever the gateway gave the
// widget — a VietQR payload or a wallet's checkout URL — so a test can pass
// it along without knowing how each provider names its orders.
type PayRequest struct {
	Provider  string `json:"provider,omitempty"`
	QRPayload string `json:"qr_payload,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	Feed      string `json:"feed,omitempty"` // vietqr: "casso" (default) or "sepay"
	Decline   bool   `json:"decline,omitempty"`
}

// PayResult is the payment and what the gateway answered to its callbacks.
type PayResult struct {
	Provider  string      `json:"provider"`
	OrderID   string      `json:"order_id"`
	TxnID     string      `json:"txn_id"`
	Status    string      `json:"status"`
	Callbacks []Delivered `json:"callbacks"`
}

// Errors of Pay, which the control API turns into 404 and 409.
var (
	ErrNoOrder     = errors.New("no such order at the sandbox provider")
	ErrNotPending  = errors.New("the order is already paid or failed")
	ErrBadPayload  = errors.New("not a payload or checkout URL this sandbox issued")
	ErrBadProvider = errors.New("unknown provider")
)

// Pay completes an order and sends its callbacks.
func (s *Server) Pay(req PayRequest) (PayResult, error) {
	provider, id, err := s.locate(req)
	if err != nil {
		return PayResult{}, err
	}
	if provider == VietQR {
		return s.payBank(req.QRPayload, req.Feed)
	}
	o, err := s.complete(provider, id, !req.Decline)
	if err != nil {
		return PayResult{}, err
	}
	f, _ := s.fault(provider)
	var ns []notice
	switch provider {
	case MoMo:
		ns = s.momoNotices(o, f)
	case ZaloPay:
		ns = s.zaloNotices(o, f)
	case VNPay:
		ns = s.vnpayNotices(o, f)
	}
	return PayResult{Provider: provider, OrderID: o.id, TxnID: strconv.FormatInt(o.txnID, 10), Status: o.status,
		Callbacks: s.deliver(provider, ns)}, nil
}

// locate finds which provider and order a request means.
func (s *Server) locate(req PayRequest) (provider, id string, err error) {
	q := strings.TrimSpace(req.QRPayload)
	switch {
	case strings.HasPrefix(q, "000201"):
		return VietQR, "", nil
	case q != "":
		return s.locateURL(q)
	case req.Provider == VietQR:
		return "", "", ErrBadPayload
	case !known(req.Provider):
		return "", "", ErrBadProvider
	case req.Provider == ZaloPay:
		return ZaloPay, s.zaloTransID(req.OrderID), nil
	}
	return req.Provider, req.OrderID, nil
}

func (s *Server) locateURL(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", ErrBadPayload
	}
	for _, p := range []string{MoMo, ZaloPay, VNPay} {
		if id, ok := strings.CutPrefix(u.Path, "/"+p+"/pay/"); ok && id != "" {
			return p, id, nil
		}
	}
	if u.Path == VNPayPayPath {
		id, err := s.vnpayRegister(u.Query())
		return VNPay, id, err
	}
	return "", "", ErrBadPayload
}

// complete moves a pending order to paid or failed and gives it a
// transaction id; the report gets a line.
func (s *Server) complete(provider, id string, paid bool) (order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[key(provider, id)]
	switch {
	case o == nil:
		return order{}, ErrNoOrder
	case o.status != "pending":
		return order{}, ErrNotPending
	}
	o.status, o.txnID = "failed", s.nextTxn()
	status := "failed"
	if paid {
		o.status, status = "paid", "success"
	}
	s.record(provider, strconv.FormatInt(o.txnID, 10), o.id, o.amount, status)
	return *o, nil
}

// callbackAmount is what a callback reports, honouring WrongAmount.
func callbackAmount(o order, f Fault) int64 {
	if f.WrongAmount {
		return o.amount + 1000
	}
	return o.amount
}

// signingKey is the key callbacks are signed with, honouring BadSignature.
func signingKey(k string, f Fault) string {
	if f.BadSignature {
		return "not-" + k
	}
	return k
}
