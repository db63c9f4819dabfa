package momo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/civicpay/civicpay/banks"
	"github.com/civicpay/civicpay/banks/breaker"
	"github.com/civicpay/civicpay/banks/vietqr"
	"github.com/civicpay/civicpay/banks/vnd"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// Name is the provider name used in routes, ledger accounts and callbacks.
const Name = "momo"

// Adapter is MoMo as a banks.Provider: captureWallet orders, IPNs, status
// queries and refunds, every call through the provider's breaker.
type Adapter struct {
	Endpoint    string // e.g. https://test-payment.momo.vn, no trailing slash
	PartnerCode string
	AccessKey   string
	SecretKey   string
	Live        bool // false for sandbox credentials
	Breaker     *breaker.Breaker
	Client      *http.Client
	Now         banks.Clock
}

var _ banks.Provider = (*Adapter)(nil)

func (a *Adapter) Name() string { return Name }

func (a *Adapter) Methods() []banks.Method { return []banks.Method{banks.MethodMoMo} }

// ResultError is a MoMo answer with a non-success resultCode. PartnerCode
// and OrderID are what the answer echoed, so a caller can tell an answer
// about its own order from one about nothing in particular.
type ResultError struct {
	Op          string
	Code        ResultCode
	Message     string
	PartnerCode string
	OrderID     string
}

func (e *ResultError) Error() string {
	return "momo " + e.Op + ": resultCode " + strconv.Itoa(int(e.Code)) + " " + e.Message
}

// classify tells the breaker whether a resultCode means MoMo is unwell
// (maintenance, unknown error: worth retrying, and counted) or refused
// this request (anything else: not retried, MoMo is fine).
func classify(op string, code ResultCode, msg string) error {
	err := &ResultError{Op: op, Code: code, Message: msg}
	switch code {
	case Success:
		return nil
	case SystemMaintenance, UnknownError:
		return err
	}
	return breaker.Rejected(err)
}

// Issue creates a captureWallet order. requestId is the order id, so a
// retried create (a lost answer, a timeout) is the same request to MoMo,
// which replays its first answer instead of creating a second order: the
// create is repeatable.
func (a *Adapter) Issue(ctx context.Context, o banks.Order) (banks.Issued, error) {
	amount, err := vnd.Int64(o.Amount)
	if err != nil {
		return banks.Issued{}, err
	}
	req := CreateRequest{
		PartnerCode: a.PartnerCode, RequestID: o.OrderID, Amount: amount, OrderID: o.OrderID,
		OrderInfo: orderInfo(o), RedirectURL: o.ReturnURL, IpnURL: o.CallbackURL,
		RequestType: CaptureWallet, Lang: "vi",
	}
	req.Sign(a.AccessKey, a.SecretKey)
	if err := req.Validate(); err != nil {
		return banks.Issued{}, err
	}
	var res CreateResponse
	if err := a.post(ctx, breaker.Call{Op: "create", Repeatable: true}, "/v2/gateway/api/create", req, &res); err != nil {
		return banks.Issued{}, err
	}
	if res.OrderID != o.OrderID || res.Amount != amount {
		return banks.Issued{}, breaker.Rejected(errors.New("momo create: answer is for another order or amount"))
	}
	qr := res.QRCodeURL
	if qr == "" {
		qr = res.PayURL
	}
	return banks.Issued{QRPayload: qr, Deeplink: res.Deeplink, PayURL: res.PayURL, ProviderRef: res.RequestID}, nil
}

// orderInfo is what the payer sees in the MoMo app: the payment code first,
// so support can find the payment from a screenshot.
func orderInfo(o banks.Order) string {
	s := o.PaymentCode
	if o.Description != "" {
		s += " " + vietqr.StripDiacritics(o.Description)
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// post signs nothing (the caller did); it sends JSON through the breaker
// and decodes the answer, classifying its resultCode.
func (a *Adapter) post(ctx context.Context, call breaker.Call, path string, req, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return a.Breaker.Do(ctx, call, func(ctx context.Context) error {
		return a.send(ctx, call.Op, path, body, out)
	})
}

// send is one try of post, outside the breaker. MoMo explains refusals in
// a JSON body even with a 4xx status, so the body is read either way.
func (a *Adapter) send(ctx context.Context, op, path string, body []byte, out any) error {
	raw, err := breaker.Post(ctx, a.Client, a.Endpoint+path, "application/json; charset=UTF-8", body)
	if err != nil && !errors.Is(err, breaker.ErrRejected) {
		return err
	}
	var head struct {
		ResultCode  *ResultCode `json:"resultCode"`
		Message     string      `json:"message"`
		PartnerCode string      `json:"partnerCode"`
		OrderID     string      `json:"orderId"`
	}
	if strictjson.Decode(raw, &head, strictjson.Options{}) != nil || head.ResultCode == nil {
		if err != nil {
			return err
		}
		return fmt.Errorf("momo %s: answer is not a MoMo answer", op)
	}
	if err := classify(op, *head.ResultCode, head.Message); err != nil {
		var re *ResultError
		if errors.As(err, &re) {
			re.PartnerCode, re.OrderID = head.PartnerCode, head.OrderID
		}
		return err
	}
	if err := strictjson.Decode(raw, out, strictjson.Options{}); err != nil {
		return fmt.Errorf("momo %s: %w", op, err)
	}
	return nil
}

// Query asks MoMo for an order's status. Reads are repeatable.
func (a *Adapter) Query(ctx context.Context, orderID string) (banks.Status, error) {
	q := QueryRequest{PartnerCode: a.PartnerCode, RequestID: requestID(orderID, "q", a.Now.Time()), OrderID: orderID, Lang: "vi"}
	q.Sign(a.AccessKey, a.SecretKey)
	var res QueryResponse
	err := a.post(ctx, breaker.Call{Op: "query", Repeatable: true}, "/v2/gateway/api/query", q, &res)
	var re *ResultError
	if errors.As(err, &re) && errors.Is(err, breaker.ErrRejected) {
		// A pending or failed order is an answer, not an error.
		return banks.Status{Livemode: a.Live, Known: re.Code != orderNotFound, Final: re.Code.Final() && re.Code != orderNotFound}, nil
	}
	if err != nil {
		return banks.Status{}, err
	}
	amount, _ := vnd.Parse(strconv.FormatInt(res.Amount, 10))
	return banks.Status{Livemode: a.Live, Known: true, Succeeded: res.ResultCode.Succeeded(), Final: res.ResultCode.Final(),
		TxnID: strconv.FormatInt(res.TransID, 10), Amount: amount}, nil
}

// orderNotFound is MoMo's "invalid or unknown orderId" [UNVERIFIED: from
// memory, spec §3.6].
const orderNotFound ResultCode = 42

// requestID makes a fresh MoMo requestId for a read, which MoMo wants
// unique per request; it stays within MoMo's 50 characters.
func requestID(orderID, kind string, now time.Time) string {
	s := orderID + "-" + kind + strconv.FormatInt(now.UnixMilli(), 36)
	if len(s) > 50 {
		s = s[len(s)-50:]
	}
	return s
}

// Probe is the half-open breaker's test call (the breaker runs it): a
// status query for an order that does not exist, which a healthy MoMo
// answers with a refusal.
func (a *Adapter) Probe(ctx context.Context) error {
	q := QueryRequest{PartnerCode: a.PartnerCode, RequestID: requestID("probe", "p", a.Now.Time()), OrderID: "probe", Lang: "vi"}
	q.Sign(a.AccessKey, a.SecretKey)
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	if err := a.send(ctx, "probe", "/v2/gateway/api/query", body, &QueryResponse{}); err != nil && !errors.Is(err, breaker.ErrRejected) {
		return err
	}
	return nil
}

// ParseCallback verifies an IPN and turns it into a Callback. Pending
// codes (1000, 7000, 9000, ...) move no money and are acknowledged only.
func (a *Adapter) ParseCallback(r *http.Request, body []byte) (banks.Callback, error) {
	n, err := ParseIPN(a.AccessKey, a.SecretKey, body)
	switch {
	case errors.Is(err, ErrSignature):
		return banks.Callback{}, banks.ErrSignature
	case err != nil:
		return banks.Callback{}, fmt.Errorf("%w: %w", banks.ErrMalformed, err)
	case n.PartnerCode != a.PartnerCode:
		return banks.Callback{}, fmt.Errorf("%w: IPN for partner %q", banks.ErrMalformed, n.PartnerCode)
	case !n.ResultCode.Final():
		return banks.Callback{}, fmt.Errorf("%w: resultCode %d is not final", banks.ErrNotPayment, n.ResultCode)
	}
	return banks.Callback{
		Provider: Name, TxnID: txnID(n), PaymentID: banks.PaymentIDOf(n.OrderID), OrderID: n.OrderID,
		Amount: n.Amount, Currency: "VND", Succeeded: n.ResultCode.Succeeded(),
		ResultCode: strconv.Itoa(int(n.ResultCode)), Message: n.Message, Livemode: a.Live, Raw: body,
	}, nil
}

// txnID is MoMo's transId, the dedupe key. A failure without a transId
// gets a key of its own per order and code, so it cannot collide with
// another order's.
func txnID(n IPN) string {
	if n.TransID != 0 {
		return strconv.FormatInt(n.TransID, 10)
	}
	return "order:" + n.OrderID + ":" + strconv.Itoa(int(n.ResultCode))
}

// WriteReply answers an IPN: MoMo wants 204 once the notification is
// recorded, whatever it said; a 5xx makes it send the IPN again.
func (a *Adapter) WriteReply(w http.ResponseWriter, r banks.Reply) {
	switch r.Outcome {
	case banks.OutcomeError:
		w.WriteHeader(http.StatusServiceUnavailable)
	case banks.OutcomeRejected:
		if r.Reason == banks.ReasonSignature {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
	default:
		w.WriteHeader(IPNStatus)
	}
}
