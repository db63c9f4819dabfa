package vnpay

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Refund transaction types [UNVERIFIED in the spec: taken from SDK enums].
const (
	RefundFull    = "02"
	RefundPartial = "03"
)

// RefundRequest is the refund body. Amount is whole đồng; Sign writes the
// ×100 wire value, so the two can never disagree.
type RefundRequest struct {
	RequestID       string          `json:"vnp_RequestId"`
	Version         string          `json:"vnp_Version"`
	Command         string          `json:"vnp_Command"`
	TmnCode         string          `json:"vnp_TmnCode"`
	TransactionType string          `json:"vnp_TransactionType"` // RefundFull or RefundPartial
	TxnRef          string          `json:"vnp_TxnRef"`
	Amount          decimal.Decimal `json:"-"`
	WireAmount      int64           `json:"vnp_Amount"`        // set by Sign
	TransactionNo   string          `json:"vnp_TransactionNo"` // "0" when unknown
	TransactionDate string          `json:"vnp_TransactionDate"`
	CreateBy        string          `json:"vnp_CreateBy"` // operator who asked for it
	CreateDate      string          `json:"vnp_CreateDate"`
	IPAddr          string          `json:"vnp_IpAddr"`
	OrderInfo       string          `json:"vnp_OrderInfo"`
	SecureHash      string          `json:"vnp_SecureHash"`
}

// Sign fills Version, Command, WireAmount and TransactionNo ("0" if
// empty), then sets SecureHash over
// RequestId|Version|Command|TmnCode|TransactionType|TxnRef|Amount|TransactionNo|TransactionDate|CreateBy|CreateDate|IpAddr|OrderInfo.
func (r *RefundRequest) Sign(secret string) error {
	amount, err := wireAmount(r.Amount)
	if err != nil {
		return err
	}
	if r.TransactionType != RefundFull && r.TransactionType != RefundPartial {
		return invalid("TransactionType", "must be RefundFull or RefundPartial")
	}
	r.Version, r.Command = Version, "refund"
	r.WireAmount = r.Amount.IntPart() * 100
	if r.TransactionNo == "" {
		r.TransactionNo = "0"
	}
	r.SecureHash = sign(secret, strings.Join([]string{
		r.RequestID, r.Version, r.Command, r.TmnCode, r.TransactionType, r.TxnRef, amount,
		r.TransactionNo, r.TransactionDate, r.CreateBy, r.CreateDate, r.IPAddr, r.OrderInfo,
	}, "|"))
	return nil
}

// RefundResponse is a verified refund answer.
type RefundResponse struct {
	ResponseID        string
	Command           string
	ResponseCode      string // 00 ok, 91 not found, 94 already requested, 95 original not successful, 97, 99
	Message           string
	TmnCode           string
	TxnRef            string
	Amount            decimal.Decimal // whole đồng refunded; zero when absent
	BankCode          string
	PayDate           time.Time
	TransactionNo     string
	TransactionType   string
	TransactionStatus string
	OrderInfo         string
}

// VerifyRefundResponse checks the refund response hash over
// ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|TransactionNo|TransactionType|TransactionStatus|OrderInfo
// — the querydr list without the promotion fields. That order comes from
// the lehuygiang28/vnpay SDK, not from the spec, and is unconfirmed.
func VerifyRefundResponse(secret string, body []byte) (RefundResponse, error) {
	f, err := decodeFields(body)
	if err != nil {
		return RefundResponse{}, err
	}
	order := []string{"vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
		"vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
		"vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo"}
	if !verifyPipe(secret, f[paramHash], f.list(order)...) {
		return RefundResponse{}, ErrSignature
	}
	r := RefundResponse{
		ResponseID: f["vnp_ResponseId"], Command: f["vnp_Command"], ResponseCode: f["vnp_ResponseCode"],
		Message: f["vnp_Message"], TmnCode: f["vnp_TmnCode"], TxnRef: f["vnp_TxnRef"],
		BankCode: f["vnp_BankCode"], TransactionNo: f["vnp_TransactionNo"],
		TransactionType: f["vnp_TransactionType"], TransactionStatus: f["vnp_TransactionStatus"],
		OrderInfo: f["vnp_OrderInfo"],
	}
	if r.Amount, r.PayDate, err = f.money(); err != nil {
		return RefundResponse{}, err
	}
	return r, nil
}
