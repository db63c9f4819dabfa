package momo

import "strconv"

// The query and refund signature strings are [UNVERIFIED] in the spec
// (§3.3): implemented as written there, to be confirmed in the sandbox.

// QueryRequest is the /v2/gateway/api/query body.
type QueryRequest struct {
	PartnerCode string `json:"partnerCode"`
	RequestID   string `json:"requestId"`
	OrderID     string `json:"orderId"`
	Lang        string `json:"lang"`
	Signature   string `json:"signature"`
}

// Sign sets Signature over accessKey&orderId&partnerCode&requestId.
func (q *QueryRequest) Sign(accessKey, secretKey string) {
	q.Signature = sign(secretKey, raw(
		pair{"accessKey", accessKey},
		pair{"orderId", q.OrderID},
		pair{"partnerCode", q.PartnerCode},
		pair{"requestId", q.RequestID},
	))
}

// QueryResponse is MoMo's answer to query. Its signature is not verified
// here: the spec does not give its raw string.
type QueryResponse struct {
	PartnerCode  string     `json:"partnerCode"`
	RequestID    string     `json:"requestId"`
	OrderID      string     `json:"orderId"`
	ExtraData    string     `json:"extraData"`
	Amount       int64      `json:"amount"`
	TransID      int64      `json:"transId"`
	PayType      string     `json:"payType"`
	ResultCode   ResultCode `json:"resultCode"`
	Message      string     `json:"message"`
	ResponseTime int64      `json:"responseTime"`
	Signature    string     `json:"signature"`
}

// RefundRequest is the /v2/gateway/api/refund body. Amount is whole đồng.
type RefundRequest struct {
	PartnerCode string `json:"partnerCode"`
	OrderID     string `json:"orderId"` // a new id for the refund itself
	RequestID   string `json:"requestId"`
	Amount      int64  `json:"amount"`
	TransID     int64  `json:"transId"` // the payment's transId
	Lang        string `json:"lang"`
	Description string `json:"description"`
	Signature   string `json:"signature"`
}

// Sign sets Signature over
// accessKey&amount&description&orderId&partnerCode&requestId&transId.
func (r *RefundRequest) Sign(accessKey, secretKey string) {
	r.Signature = sign(secretKey, raw(
		pair{"accessKey", accessKey},
		pair{"amount", strconv.FormatInt(r.Amount, 10)},
		pair{"description", r.Description},
		pair{"orderId", r.OrderID},
		pair{"partnerCode", r.PartnerCode},
		pair{"requestId", r.RequestID},
		pair{"transId", strconv.FormatInt(r.TransID, 10)},
	))
}

// RefundResponse is MoMo's answer to refund.
type RefundResponse struct {
	PartnerCode  string     `json:"partnerCode"`
	OrderID      string     `json:"orderId"`
	RequestID    string     `json:"requestId"`
	Amount       int64      `json:"amount"`
	TransID      int64      `json:"transId"`
	ResultCode   ResultCode `json:"resultCode"`
	Message      string     `json:"message"`
	ResponseTime int64      `json:"responseTime"`
}
