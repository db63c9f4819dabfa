package momo

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// This file is MoMo's side of the protocol, for the sandbox simulator
// (banks/sandbox): checking what the gateway signed and signing what MoMo
// would send. It reuses this package's signing so the simulator and the
// adapter cannot drift apart.

// Verify reports whether r carries the signature MoMo would compute.
func (r CreateRequest) Verify(accessKey, secretKey string) bool {
	c := r
	c.Sign(accessKey, secretKey)
	return equalHex(c.Signature, r.Signature)
}

// Verify reports whether q carries the signature MoMo would compute.
func (q QueryRequest) Verify(accessKey, secretKey string) bool {
	c := q
	c.Sign(accessKey, secretKey)
	return equalHex(c.Signature, q.Signature)
}

// Verify reports whether r carries the signature MoMo would compute.
func (r RefundRequest) Verify(accessKey, secretKey string) bool {
	c := r
	c.Sign(accessKey, secretKey)
	return equalHex(c.Signature, r.Signature)
}

func equalHex(want, got string) bool {
	w, err1 := hex.DecodeString(want)
	g, err2 := hex.DecodeString(got)
	return err1 == nil && err2 == nil && hmac.Equal(w, g)
}

// IPNBody is an IPN as MoMo sends it, before signing.
type IPNBody struct {
	PartnerCode  string     `json:"partnerCode"`
	OrderID      string     `json:"orderId"`
	RequestID    string     `json:"requestId"`
	Amount       int64      `json:"amount"`
	OrderInfo    string     `json:"orderInfo"`
	OrderType    string     `json:"orderType"`
	TransID      int64      `json:"transId"`
	ResultCode   ResultCode `json:"resultCode"`
	Message      string     `json:"message"`
	PayType      string     `json:"payType"`
	ResponseTime int64      `json:"responseTime"`
	ExtraData    string     `json:"extraData"`
	Signature    string     `json:"signature"`
}

// Sign sets Signature the way MoMo signs IPNs (ParseIPN's raw string) and
// returns the JSON body.
func (b IPNBody) Sign(accessKey, secretKey string) []byte {
	b.Signature = sign(secretKey, raw(
		pair{"accessKey", accessKey},
		pair{"amount", strconv.FormatInt(b.Amount, 10)},
		pair{"extraData", b.ExtraData},
		pair{"message", b.Message},
		pair{"orderId", b.OrderID},
		pair{"orderInfo", b.OrderInfo},
		pair{"orderType", b.OrderType},
		pair{"partnerCode", b.PartnerCode},
		pair{"payType", b.PayType},
		pair{"requestId", b.RequestID},
		pair{"responseTime", strconv.FormatInt(b.ResponseTime, 10)},
		pair{"resultCode", strconv.Itoa(int(b.ResultCode))},
		pair{"transId", strconv.FormatInt(b.TransID, 10)},
	))
	out, _ := json.Marshal(b) // strings and integers cannot fail to marshal
	return out
}
