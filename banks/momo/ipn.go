package momo

import (
	"encoding/json"
	"github.com/civicpay/civicpay/banks"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vnd"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// IPN is a verified payment notification.
type IPN struct {
	PartnerCode  string
	OrderID      string
	RequestID    string
	Amount       decimal.Decimal // whole đồng
	OrderInfo    string
	OrderType    string // "momo_wallet"
	TransID      int64  // MoMo's transaction id: the dedupe key
	ResultCode   ResultCode
	Message      string
	PayType      string // "qr", "webApp", ...
	ResponseTime time.Time
	ExtraData    string
}

// ipnWire keeps numbers as MoMo wrote them, since that text is what
// MoMo signed.
type ipnWire struct {
	PartnerCode  string      `json:"partnerCode"`
	OrderID      string      `json:"orderId"`
	RequestID    string      `json:"requestId"`
	Amount       json.Number `json:"amount"`
	OrderInfo    string      `json:"orderInfo"`
	OrderType    string      `json:"orderType"`
	TransID      json.Number `json:"transId"`
	ResultCode   json.Number `json:"resultCode"`
	Message      string      `json:"message"`
	PayType      string      `json:"payType"`
	ResponseTime json.Number `json:"responseTime"`
	ExtraData    string      `json:"extraData"`
	Signature    string      `json:"signature"`
}

// ParseIPN decodes and verifies the JSON MoMo POSTs to ipnUrl, over
// accessKey&amount&extraData&message&orderId&orderInfo&orderType&partnerCode&payType&requestId&responseTime&resultCode&transId.
//
// Decoding is strict about shape (one JSON object, right types, nothing
// after it) but tolerates unknown fields: MoMo adds optional ones
// (userFee, promotion details, ...) that it does not sign, and refusing
// them would reject genuine payments. The caller still has to match
// partnerCode, orderId and amount against its own order.
func ParseIPN(accessKey, secretKey string, body []byte) (IPN, error) {
	var w ipnWire
	if err := decodeStrict(body, &w); err != nil {
		return IPN{}, err
	}
	msg := raw(
		pair{"accessKey", accessKey},
		pair{"amount", w.Amount.String()},
		pair{"extraData", w.ExtraData},
		pair{"message", w.Message},
		pair{"orderId", w.OrderID},
		pair{"orderInfo", w.OrderInfo},
		pair{"orderType", w.OrderType},
		pair{"partnerCode", w.PartnerCode},
		pair{"payType", w.PayType},
		pair{"requestId", w.RequestID},
		pair{"responseTime", w.ResponseTime.String()},
		pair{"resultCode", w.ResultCode.String()},
		pair{"transId", w.TransID.String()},
	)
	if !verify(secretKey, msg, w.Signature) {
		return IPN{}, ErrSignature
	}
	return w.decode()
}

func decodeStrict(body []byte, v any) error {
	if err := strictjson.Decode(body, v, strictjson.Options{UseNumber: true}); err != nil {
		return malformed("body", err.Error()) // a repeated key too: the signature may cover the other value
	}
	return nil
}

func (w ipnWire) decode() (IPN, error) {
	n := IPN{
		PartnerCode: w.PartnerCode, OrderID: w.OrderID, RequestID: w.RequestID,
		OrderInfo: w.OrderInfo, OrderType: w.OrderType, Message: w.Message,
		PayType: w.PayType, ExtraData: w.ExtraData,
	}
	var err error
	if n.Amount, err = vnd.Parse(w.Amount.String()); err != nil {
		return IPN{}, malformed("amount", err.Error())
	}
	if n.TransID, err = integer("transId", w.TransID); err != nil {
		return IPN{}, err
	}
	code, err := integer("resultCode", w.ResultCode)
	if err != nil {
		return IPN{}, err
	}
	n.ResultCode = ResultCode(code)
	ms, err := integer("responseTime", w.ResponseTime)
	if err != nil {
		return IPN{}, err
	}
	n.ResponseTime = time.UnixMilli(ms)
	if n.OrderID == "" || n.PartnerCode == "" {
		return IPN{}, malformed("orderId/partnerCode", "missing")
	}
	return n, nil
}

// integer accepts only plain non-negative decimal integers, the way MoMo
// writes ids, codes and timestamps; "1e3" or "-0" are refused.
func integer(field string, n json.Number) (int64, error) {
	v, ok := banks.PlainInt(n.String())
	if !ok {
		return 0, malformed(field, "not a plain non-negative integer")
	}
	return v, nil
}
