package zalopay

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
	"github.com/civicpay/civicpay/banks/vietqr"
	"github.com/civicpay/civicpay/banks/vnd"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// Name is the provider name used in routes, ledger accounts and callbacks.
const Name = "zalopay"

// Adapter is ZaloPay as a banks.Provider: v2 orders signed with key1,
// callbacks verified with key2, status queries; refunds are not offered.
type Adapter struct {
	Endpoint string // e.g. https://sb-openapi.zalopay.vn, no trailing slash
	AppID    int64
	Key1     string
	Key2     string
	AppUser  string // shown in ZaloPay's reports; default "civicpay"
	Live     bool   // false for sandbox credentials
	Breaker  *breaker.Breaker
	Client   *http.Client
	Now      banks.Clock
	// CreatedAt finds when an order was issued, to rebuild its yymmdd_
	// prefix for a query given only our order id; nil means today.
	CreatedAt func(ctx context.Context, orderID string) (time.Time, error)
}

var _ banks.Provider = (*Adapter)(nil)

func (a *Adapter) Name() string { return Name }

func (a *Adapter) Methods() []banks.Method { return []banks.Method{banks.MethodZaloPay} }

// ReturnError is a ZaloPay answer other than success.
type ReturnError struct {
	Op                  string
	ReturnCode, SubCode int
	Message             string
}

func (e *ReturnError) Error() string {
	return fmt.Sprintf("zalopay %s: return_code %d, sub_return_code %d %s", e.Op, e.ReturnCode, e.SubCode, e.Message)
}

// Sub-return codes that mean ZaloPay, not our request, is in trouble
// (spec §4.2): rate limit, system error, maintenance.
const (
	subRateLimit   = -429
	subSystemError = -500
	subMaintenance = -999
)

func classify(op string, code, sub int, msg string) error {
	if code == 1 {
		return nil
	}
	err := &ReturnError{op, code, sub, msg}
	switch sub {
	case subRateLimit, subSystemError, subMaintenance:
		return err
	}
	return breaker.Rejected(err)
}

// Issue creates an order. app_trans_id is the order id behind the date of
// the attempt, and ZaloPay refuses a second order with the same
// app_trans_id (-68), so retrying the create never makes two orders: the
// create is repeatable.
func (a *Adapter) Issue(ctx context.Context, o banks.Order) (banks.Issued, error) {
	now := a.Now.Time()
	at := o.CreatedAt
	if at.IsZero() {
		at = now
	}
	amount, err := vnd.Int64(o.Amount)
	if err != nil {
		return banks.Issued{}, err
	}
	embed := []byte("{}")
	if o.ReturnURL != "" {
		embed, _ = json.Marshal(map[string]string{"redirecturl": o.ReturnURL})
	}
	order := CreateOrder{
		AppID: a.AppID, AppUser: a.appUser(), AppTransID: TransID(at, o.OrderID), AppTime: at.UnixMilli(),
		Amount: amount, Description: description(o), EmbedData: string(embed), Item: "[]",
		CallbackURL: o.CallbackURL, ExpireDurationSeconds: expiry(o.ExpiresAt, now),
	}
	order.Sign(a.Key1)
	if err := order.Validate(now); err != nil {
		return banks.Issued{}, err
	}
	var res CreateResponse
	if err := a.post(ctx, breaker.Call{Op: "create", Repeatable: true}, "/v2/create", orderForm(order), &res, false); err != nil {
		return banks.Issued{}, err
	}
	if res.OrderURL == "" {
		return banks.Issued{}, breaker.Rejected(errors.New("zalopay create: no order_url in the answer"))
	}
	return banks.Issued{QRPayload: res.OrderURL, PayURL: res.OrderURL, ProviderRef: order.AppTransID}, nil
}

func (a *Adapter) appUser() string {
	if a.AppUser != "" {
		return a.AppUser
	}
	return "civicpay"
}

// description is shown to the payer; the payment code goes first.
func description(o banks.Order) string {
	s := "CivicPay " + o.PaymentCode
	if o.Description != "" {
		s += " " + vietqr.StripDiacritics(o.Description)
	}
	if len(s) > maxDescription {
		s = s[:maxDescription]
	}
	return s
}

// expiry keeps ZaloPay's order alive as long as the payment, within the
// 300 s .. 30 days ZaloPay accepts.
func expiry(expiresAt, now time.Time) int64 {
	if expiresAt.IsZero() {
		return 0
	}
	return min(max(int64(expiresAt.Sub(now)/time.Second), MinExpire), MaxExpire)
}

func orderForm(o CreateOrder) url.Values {
	v := url.Values{
		"app_id": {strconv.FormatInt(o.AppID, 10)}, "app_user": {o.AppUser}, "app_trans_id": {o.AppTransID},
		"app_time": {strconv.FormatInt(o.AppTime, 10)}, "amount": {strconv.FormatInt(o.Amount, 10)},
		"description": {o.Description}, "embed_data": {o.EmbedData}, "item": {o.Item}, "mac": {o.MAC},
	}
	if o.CallbackURL != "" {
		v.Set("callback_url", o.CallbackURL)
	}
	if o.ExpireDurationSeconds != 0 {
		v.Set("expire_duration_seconds", strconv.FormatInt(o.ExpireDurationSeconds, 10))
	}
	return v
}

// post sends a form, as ZaloPay's own samples do, through the breaker and
// classifies return_code / sub_return_code. For a query, codes 2 and 3 are
// the order's status rather than a refusal, so statuses decodes them too.
func (a *Adapter) post(ctx context.Context, call breaker.Call, path string, form url.Values, out any, statuses bool) error {
	return a.Breaker.Do(ctx, call, func(ctx context.Context) error {
		return a.send(ctx, call.Op, path, form, out, statuses)
	})
}

// send is one try of post, outside the breaker.
func (a *Adapter) send(ctx context.Context, op, path string, form url.Values, out any, statuses bool) error {
	raw, err := breaker.Post(ctx, a.Client, a.Endpoint+path, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return err
	}
	var head struct {
		ReturnCode    *int   `json:"return_code"`
		SubReturnCode int    `json:"sub_return_code"`
		Message       string `json:"return_message"`
	}
	if strictjson.Decode(raw, &head, strictjson.Options{}) != nil || head.ReturnCode == nil {
		return fmt.Errorf("zalopay %s: answer is not a ZaloPay answer", op)
	}
	err = classify(op, *head.ReturnCode, head.SubReturnCode, head.Message)
	if err != nil && !(statuses && errors.Is(err, breaker.ErrRejected)) {
		return err
	}
	if err := strictjson.Decode(raw, out, strictjson.Options{}); err != nil {
		return fmt.Errorf("zalopay %s: %w", op, err)
	}
	return nil
}

// Query asks ZaloPay for an order's status. orderID is our order id, or
// the app_trans_id itself (what a callback recorded).
func (a *Adapter) Query(ctx context.Context, orderID string) (banks.Status, error) {
	transID, err := a.transID(ctx, orderID)
	if err != nil {
		return banks.Status{}, err
	}
	var res QueryResponse
	if err := a.post(ctx, breaker.Call{Op: "query", Repeatable: true}, "/v2/query", a.queryForm(transID), &res, true); err != nil {
		return banks.Status{}, err
	}
	st := banks.Status{Livemode: a.Live, Known: true, Succeeded: res.ReturnCode == 1, Final: res.ReturnCode != 3 && !res.IsProcessing}
	if st.Succeeded {
		st.TxnID = strconv.FormatInt(res.ZPTransID, 10)
		st.Amount, _ = vnd.Parse(strconv.FormatInt(res.Amount, 10))
	}
	return st, nil
}

func (a *Adapter) queryForm(transID string) url.Values {
	q := QueryRequest{AppID: a.AppID, AppTransID: transID}
	q.Sign(a.Key1)
	return url.Values{"app_id": {strconv.FormatInt(q.AppID, 10)}, "app_trans_id": {q.AppTransID}, "mac": {q.MAC}}
}

func (a *Adapter) transID(ctx context.Context, orderID string) (string, error) {
	if len(orderID) > 7 && orderID[6] == '_' && isDigits(orderID[:6]) {
		return orderID, nil
	}
	at := a.Now.Time()
	if a.CreatedAt != nil {
		t, err := a.CreatedAt(ctx, orderID)
		if err != nil {
			return "", fmt.Errorf("zalopay query: date of order %s: %w", orderID, err)
		}
		at = t
	}
	return TransID(at, orderID), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Refund is not offered: ZaloPay's refund API is outside the spec this
// gateway was built from, so refunds are paid by manual transfer.
func (a *Adapter) Refund(context.Context, banks.RefundRequest) (banks.RefundResult, error) {
	return banks.RefundResult{}, banks.ErrUnsupported
}

// Probe is the half-open breaker's test call (the breaker runs it): a
// query for an order that does not exist, which a healthy ZaloPay answers.
func (a *Adapter) Probe(ctx context.Context) error {
	return a.send(ctx, "probe", "/v2/query", a.queryForm(TransID(a.Now.Time(), "probe")), &QueryResponse{}, true)
}

// ParseCallback verifies a callback with key2. ZaloPay calls back only
// when it has collected the money, so a verified order callback is a
// success; agreement callbacks (type 2) are not payments.
func (a *Adapter) ParseCallback(r *http.Request, body []byte) (banks.Callback, error) {
	c, err := ParseCallback(a.Key2, body)
	switch {
	case errors.Is(err, ErrSignature):
		return banks.Callback{}, banks.ErrSignature
	case err != nil:
		return banks.Callback{}, fmt.Errorf("%w: %w", banks.ErrMalformed, err)
	case c.AppID != a.AppID:
		return banks.Callback{}, fmt.Errorf("%w: callback for app %d", banks.ErrMalformed, c.AppID)
	case c.Type != TypeOrder:
		return banks.Callback{}, fmt.Errorf("%w: callback type %d", banks.ErrNotPayment, c.Type)
	}
	return banks.Callback{
		Provider: Name, TxnID: strconv.FormatInt(c.ZPTransID, 10), PaymentID: banks.PaymentIDOf(c.AppTransID),
		OrderID: c.AppTransID, Amount: c.Amount, Currency: "VND", Succeeded: true, ResultCode: "1",
		Livemode: a.Live, Raw: body,
	}, nil
}

// WriteReply answers a callback. ZaloPay calls again (up to 3 times) only
// on return_code 0, which is what a gateway error must say.
func (a *Adapter) WriteReply(w http.ResponseWriter, r banks.Reply) {
	reply := ReplySuccess
	switch r.Outcome {
	case banks.OutcomeError:
		reply = ReplyRetry
	case banks.OutcomeRejected:
		reply = ReplyBadMAC
		if r.Reason != banks.ReasonSignature {
			reply = CallbackReply{-1, "invalid data"}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply.JSON())
}
