package vnpay

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// QueryRequest is the querydr body, used to settle orders whose IPN never
// arrived. Dates are wire strings; fill them with FormatTime.
type QueryRequest struct {
	RequestID       string `json:"vnp_RequestId"` // unique per day
	Version         string `json:"vnp_Version"`
	Command         string `json:"vnp_Command"`
	TmnCode         string `json:"vnp_TmnCode"`
	TxnRef          string `json:"vnp_TxnRef"`
	OrderInfo       string `json:"vnp_OrderInfo"`
	TransactionNo   string `json:"vnp_TransactionNo,omitempty"`
	TransactionDate string `json:"vnp_TransactionDate"` // the payment's vnp_CreateDate
	CreateDate      string `json:"vnp_CreateDate"`      // now
	IPAddr          string `json:"vnp_IpAddr"`          // our server's IP
	SecureHash      string `json:"vnp_SecureHash"`
}

// Sign fills Version and Command and sets SecureHash over
// RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo,
// unencoded. TransactionNo is sent but not signed.
func (q *QueryRequest) Sign(secret string) {
	q.Version, q.Command = Version, "querydr"
	q.SecureHash = sign(secret, strings.Join([]string{
		q.RequestID, q.Version, q.Command, q.TmnCode, q.TxnRef,
		q.TransactionDate, q.CreateDate, q.IPAddr, q.OrderInfo,
	}, "|"))
}

// QueryResponse is a verified querydr answer.
type QueryResponse struct {
	ResponseID        string
	Command           string
	ResponseCode      string // 00 ok, 91 not found, 94 duplicate, 97 checksum, 99 other
	Message           string
	TmnCode           string
	TxnRef            string
	Amount            decimal.Decimal // whole đồng; zero when absent
	BankCode          string
	PayDate           time.Time // zero when absent
	TransactionNo     string
	TransactionType   string
	TransactionStatus string
	OrderInfo         string
	PromotionCode     string
	PromotionAmount   string
}

// Succeeded reports a found, completed payment.
func (r QueryResponse) Succeeded() bool {
	return r.ResponseCode == "00" && r.TransactionStatus == "00"
}

// VerifyQueryResponse checks the querydr response hash over
// ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|TransactionNo|TransactionType|TransactionStatus|OrderInfo|PromotionCode|PromotionAmount
// and decodes it. An unsigned response is refused (ErrSignature): it must
// not move an order, whatever it says.
func VerifyQueryResponse(secret string, body []byte) (QueryResponse, error) {
	f, err := decodeFields(body)
	if err != nil {
		return QueryResponse{}, err
	}
	order := []string{"vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
		"vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
		"vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount"}
	if !verifyPipe(secret, f[paramHash], f.list(order)...) {
		return QueryResponse{}, ErrSignature
	}
	r := QueryResponse{
		ResponseID: f["vnp_ResponseId"], Command: f["vnp_Command"], ResponseCode: f["vnp_ResponseCode"],
		Message: f["vnp_Message"], TmnCode: f["vnp_TmnCode"], TxnRef: f["vnp_TxnRef"],
		BankCode: f["vnp_BankCode"], TransactionNo: f["vnp_TransactionNo"],
		TransactionType: f["vnp_TransactionType"], TransactionStatus: f["vnp_TransactionStatus"],
		OrderInfo: f["vnp_OrderInfo"], PromotionCode: f["vnp_PromotionCode"], PromotionAmount: f["vnp_PromotionAmount"],
	}
	if r.Amount, r.PayDate, err = f.money(); err != nil {
		return QueryResponse{}, err
	}
	return r, nil
}

// fields holds a response body as the text VNPAY hashed: strings
// unquoted, numbers as written, null and absent as "".
type fields map[string]string

func decodeFields(body []byte) (fields, error) {
	var raw map[string]json.RawMessage
	if err := strictjson.Decode(body, &raw, strictjson.Options{}); err != nil || raw == nil {
		return nil, malformed("body", "not a JSON object with unique keys")
	}
	f := make(fields, len(raw))
	for k, v := range raw {
		s, ok := scalar(v)
		if !ok {
			return nil, malformed(k, "not a string or number")
		}
		f[k] = s
	}
	return f, nil
}

func scalar(v json.RawMessage) (string, bool) {
	switch {
	case string(v) == "null":
		return "", true
	case len(v) > 0 && v[0] == '"':
		var s string
		return s, json.Unmarshal(v, &s) == nil
	case len(v) > 0 && (v[0] == '-' || '0' <= v[0] && v[0] <= '9'):
		return string(v), true
	}
	return "", false
}

func (f fields) list(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = f[k]
	}
	return out
}

func (f fields) money() (decimal.Decimal, time.Time, error) {
	var amount decimal.Decimal
	var paid time.Time
	var err error
	if s := f["vnp_Amount"]; s != "" {
		if amount, err = fromWire("vnp_Amount", s); err != nil {
			return amount, paid, err
		}
	}
	if s := f["vnp_PayDate"]; s != "" {
		if paid, err = ParseTime(s); err != nil {
			return amount, paid, malformed("vnp_PayDate", "not yyyyMMddHHmmss")
		}
	}
	return amount, paid, nil
}
