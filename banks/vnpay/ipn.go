package vnpay

import (
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// IPN is a verified payment notification. The browser return URL carries
// the same signed parameters, so ParseIPN verifies it too; only the IPN
// may change order state, since the browser may never come back.
type IPN struct {
	TmnCode           string
	TxnRef            string
	Amount            decimal.Decimal // whole đồng
	OrderInfo         string
	ResponseCode      string // vnp_ResponseCode, payment result
	TransactionStatus string // vnp_TransactionStatus, VNPAY-side state
	TransactionNo     string // VNPAY's transaction id: the dedupe key
	BankCode          string
	BankTranNo        string
	CardType          string
	PayDate           time.Time // zero when VNPAY sent none
}

// Succeeded reports a completed payment. Both codes must agree: 00/00.
func (n IPN) Succeeded() bool { return n.ResponseCode == "00" && n.TransactionStatus == "00" }

// Suspicious is response code 07: money was taken but VNPAY flagged the
// transaction; an operator must approve or deny it in the merchant portal,
// so the order stays pending.
func (n IPN) Suspicious() bool { return n.ResponseCode == "07" }

// ParseIPN verifies and decodes an IPN (or return-URL) query. The hash is
// checked before any field is read, in constant time and in either hex
// case. A repeated vnp_ parameter is refused: we must not sign one value
// and act on another.
func ParseIPN(secret string, query url.Values) (IPN, error) {
	for k, vs := range query {
		if strings.HasPrefix(k, "vnp_") && len(vs) > 1 {
			return IPN{}, malformed(k, "repeated")
		}
	}
	if !verify(secret, query, query.Get(paramHash)) {
		return IPN{}, ErrSignature
	}
	return decodeIPN(query)
}

func decodeIPN(q url.Values) (IPN, error) {
	n := IPN{
		TmnCode:           q.Get("vnp_TmnCode"),
		TxnRef:            q.Get("vnp_TxnRef"),
		OrderInfo:         q.Get("vnp_OrderInfo"),
		ResponseCode:      q.Get("vnp_ResponseCode"),
		TransactionStatus: q.Get("vnp_TransactionStatus"),
		TransactionNo:     q.Get("vnp_TransactionNo"),
		BankCode:          q.Get("vnp_BankCode"),
		BankTranNo:        q.Get("vnp_BankTranNo"),
		CardType:          q.Get("vnp_CardType"),
	}
	for field, v := range map[string]string{"vnp_TmnCode": n.TmnCode, "vnp_TxnRef": n.TxnRef, "vnp_ResponseCode": n.ResponseCode} {
		if v == "" {
			return IPN{}, malformed(field, "missing")
		}
	}
	var err error
	if n.Amount, err = fromWire("vnp_Amount", q.Get("vnp_Amount")); err != nil {
		return IPN{}, err
	}
	if s := q.Get("vnp_PayDate"); s != "" {
		if n.PayDate, err = ParseTime(s); err != nil {
			return IPN{}, malformed("vnp_PayDate", "not yyyyMMddHHmmss")
		}
	}
	return n, nil
}
