package vnpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
)

// Name is the provider name used in routes, ledger accounts and callbacks.
const Name = "vnpay"

// Adapter is VNPAY as a banks.Provider. Issuing is local: the signed pay
// URL is the order, and VNPAY learns of it when the payer opens it, so
// only querydr goes through the breaker.
type Adapter struct {
	PayEndpoint string // .../paymentv2/vpcpay.html
	APIEndpoint string // .../merchant_webapi/api/transaction
	TmnCode     string
	HashSecret  string
	ServerIP    string // vnp_IpAddr of our server calls and, lacking the payer's, of pay URLs
	Live        bool   // false for sandbox credentials
	Breaker     *breaker.Breaker
	Client      *http.Client
	Now         banks.Clock
	// CreatedAt finds when an order was issued: querydr must repeat the
	// order's vnp_CreateDate as vnp_TransactionDate. Nil means now.
	CreatedAt func(ctx context.Context, orderID string) (time.Time, error)
}

var _ banks.Provider = (*Adapter)(nil)

func (a *Adapter) Name() string { return Name }

func (a *Adapter) Methods() []banks.Method { return []banks.Method{banks.MethodVNPay} }

func (a *Adapter) serverIP() string {
	if a.ServerIP != "" {
		return a.ServerIP
	}
	return "127.0.0.1"
}

// Issue signs the pay URL. vnp_CreateDate is the attempt's creation time,
// so querydr can name it again later.
func (a *Adapter) Issue(_ context.Context, o banks.Order) (banks.Issued, error) {
	created := o.CreatedAt
	if created.IsZero() {
		created = a.Now.Time()
	}
	expire := created.Add(DefaultExpiry)
	if !o.ExpiresAt.IsZero() && o.ExpiresAt.Before(expire) {
		expire = o.ExpiresAt
	}
	u, err := PayURL(a.PayEndpoint, a.HashSecret, PayRequest{
		TmnCode: a.TmnCode, Amount: o.Amount, TxnRef: o.OrderID, OrderInfo: "Thanh toan " + o.PaymentCode,
		OrderType: "billpayment", CreateDate: created, ExpireDate: expire, IPAddr: a.serverIP(),
		Locale: "vn", ReturnURL: o.ReturnURL,
	})
	if err != nil {
		return banks.Issued{}, err
	}
	return banks.Issued{QRPayload: u, PayURL: u, ProviderRef: o.OrderID}, nil
}

// Query runs querydr. Reads are repeatable; each try is signed with a
// fresh request id, which VNPAY wants unique per day.
func (a *Adapter) Query(ctx context.Context, orderID string) (banks.Status, error) {
	created, err := a.createdAt(ctx, orderID)
	if err != nil {
		return banks.Status{}, err
	}
	var res QueryResponse
	err = a.Breaker.Do(ctx, breaker.Call{Op: "query", Repeatable: true}, func(ctx context.Context) error {
		var qerr error
		res, qerr = a.querydr(ctx, orderID, created)
		return qerr
	})
	if err != nil {
		return banks.Status{}, err
	}
	if res.ResponseCode == "91" {
		return banks.Status{}, nil
	}
	return banks.Status{
		Livemode: a.Live, Known: true, Succeeded: res.Succeeded(), Final: res.TransactionStatus != "01" && res.TransactionStatus != "",
		TxnID: res.TransactionNo, Amount: res.Amount,
	}, nil
}

func (a *Adapter) createdAt(ctx context.Context, orderID string) (time.Time, error) {
	if a.CreatedAt == nil {
		return a.Now.Time(), nil
	}
	t, err := a.CreatedAt(ctx, orderID)
	if err != nil {
		return time.Time{}, fmt.Errorf("vnpay query: date of order %s: %w", orderID, err)
	}
	return t, nil
}

// querydr is one signed try. Codes 00 and 91 (not found) are answers; 94
// (request repeated too fast) and 99 are VNPAY trouble; the rest refuse.
func (a *Adapter) querydr(ctx context.Context, orderID string, created time.Time) (QueryResponse, error) {
	now := a.Now.Time()
	q := QueryRequest{
		RequestID: strconv.FormatInt(now.UnixNano(), 36), TmnCode: a.TmnCode, TxnRef: orderID,
		OrderInfo: "Truy van " + orderID, TransactionDate: FormatTime(created), CreateDate: FormatTime(now),
		IPAddr: a.serverIP(),
	}
	q.Sign(a.HashSecret)
	body, err := json.Marshal(q)
	if err != nil {
		return QueryResponse{}, err
	}
	raw, err := breaker.Post(ctx, a.Client, a.APIEndpoint, "application/json", body)
	if err != nil {
		return QueryResponse{}, err
	}
	res, err := VerifyQueryResponse(a.HashSecret, raw)
	if err != nil {
		// An answer we cannot trust is no answer; asking again would get
		// the same one, so it is not retried.
		return QueryResponse{}, breaker.Permanent(fmt.Errorf("vnpay querydr answer: %w", err))
	}
	switch res.ResponseCode {
	case "00", "91":
		return res, nil
	case "94", "99":
		return res, fmt.Errorf("vnpay querydr: code %s %s", res.ResponseCode, res.Message)
	}
	return res, breaker.Rejected(fmt.Errorf("vnpay querydr: code %s %s", res.ResponseCode, res.Message))
}

// Probe is the half-open breaker's test call: querydr of an order that
// does not exist, which a healthy VNPAY answers with 91.
func (a *Adapter) Probe(ctx context.Context) error {
	_, err := a.querydr(ctx, "probe", a.Now.Time())
	if errors.Is(err, breaker.ErrRejected) {
		return nil
	}
	return err
}

// Refund is not offered: VNPAY restricts refunds in its sandbox and this
// gateway has no live VNPAY contract, so refunds are manual transfers.
func (a *Adapter) Refund(context.Context, banks.RefundRequest) (banks.RefundResult, error) {
	return banks.RefundResult{}, banks.ErrUnsupported
}

// ParseCallback verifies an IPN, which VNPAY sends as a GET query string.
// A suspicious payment (07) waits for an operator at VNPAY and is only
// acknowledged.
func (a *Adapter) ParseCallback(r *http.Request, body []byte) (banks.Callback, error) {
	raw := r.URL.RawQuery
	if raw == "" && r.Method == http.MethodPost {
		raw = string(body)
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return banks.Callback{}, fmt.Errorf("%w: query string: %v", banks.ErrMalformed, err)
	}
	n, err := ParseIPN(a.HashSecret, q)
	switch {
	case errors.Is(err, ErrSignature):
		return banks.Callback{}, banks.ErrSignature
	case err != nil:
		return banks.Callback{}, fmt.Errorf("%w: %w", banks.ErrMalformed, err)
	case n.TmnCode != a.TmnCode:
		return banks.Callback{}, fmt.Errorf("%w: IPN for merchant %q", banks.ErrMalformed, n.TmnCode)
	case n.Suspicious():
		return banks.Callback{}, fmt.Errorf("%w: response code 07 awaits VNPAY review", banks.ErrNotPayment)
	}
	return banks.Callback{
		Provider: Name, TxnID: txnID(n), PaymentID: banks.PaymentIDOf(n.TxnRef), OrderID: n.TxnRef,
		Amount: n.Amount, Currency: "VND", Succeeded: n.Succeeded(), ResultCode: n.ResponseCode,
		Livemode: a.Live, Raw: []byte(raw),
	}, nil
}

// txnID is vnp_TransactionNo, the dedupe key. VNPAY sends 0 for payments
// the customer cancelled before a transaction existed, so those get a key
// per order and code instead of all colliding on "0".
func txnID(n IPN) string {
	if n.TransactionNo != "" && n.TransactionNo != "0" {
		return n.TransactionNo
	}
	return "ref:" + n.TxnRef + ":" + n.ResponseCode
}

// WriteReply answers an IPN with VNPAY's RspCode. VNPAY resends until it
// gets 00 or 02, so every recorded outcome answers one of those, except
// the two VNPAY documents for unknown orders (01) and wrong amounts (04);
// a repeated IPN replays its first outcome and so gets the same code.
func (a *Adapter) WriteReply(w http.ResponseWriter, r banks.Reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ReplyFor(r).JSON())
}

// ReplyFor maps a gateway outcome to VNPAY's reply.
func ReplyFor(r banks.Reply) Reply {
	switch r.Outcome {
	case banks.OutcomeSettled, banks.OutcomeFailed:
		return ReplyConfirmed
	case banks.OutcomeIgnored:
		if r.Reason == banks.ReasonNotPayment {
			return ReplyConfirmed
		}
		return ReplyAlreadyConfirmed
	case banks.OutcomeException:
		switch r.Reason {
		case "unknown_reference":
			return ReplyOrderNotFound
		case "amount_mismatch":
			return ReplyInvalidAmount
		case "already_settled":
			return ReplyAlreadyConfirmed
		}
		return ReplyConfirmed
	case banks.OutcomeRejected:
		if r.Reason == banks.ReasonSignature {
			return ReplyInvalidSignature
		}
	}
	return ReplyUnknownError
}
