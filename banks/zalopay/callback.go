package zalopay

import (
	"encoding/json"
	"github.com/civicpay/civicpay/banks"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vnd"

	"github.com/civicpay/civicpay/internal/strictjson"
)

// Callback types.
const (
	TypeOrder     = 1
	TypeAgreement = 2
)

// Callback is a verified payment callback. ZaloPay only calls back once
// it has collected the money, so a verified Callback means paid; missed
// callbacks are found by polling query.
type Callback struct {
	Type           int
	AppID          int64
	AppTransID     string
	AppTime        time.Time
	AppUser        string
	Amount         decimal.Decimal // whole đồng
	EmbedData      string
	Item           string
	ZPTransID      int64 // ZaloPay's transaction id: the dedupe key
	ServerTime     time.Time
	Channel        int64
	MerchantUserID string
	UserFeeAmount  decimal.Decimal
	DiscountAmount decimal.Decimal
	Data           string // the signed JSON, kept for audit
}

type envelope struct {
	Data string `json:"data"`
	MAC  string `json:"mac"`
	Type int    `json:"type"`
}

type callbackData struct {
	AppID          json.Number `json:"app_id"`
	AppTransID     string      `json:"app_trans_id"`
	AppTime        json.Number `json:"app_time"`
	AppUser        string      `json:"app_user"`
	Amount         json.Number `json:"amount"`
	EmbedData      string      `json:"embed_data"`
	Item           string      `json:"item"`
	ZPTransID      json.Number `json:"zp_trans_id"`
	ServerTime     json.Number `json:"server_time"`
	Channel        json.Number `json:"channel"`
	MerchantUserID string      `json:"merchant_user_id"`
	UserFeeAmount  json.Number `json:"user_fee_amount"`
	DiscountAmount json.Number `json:"discount_amount"`
}

// ParseCallback verifies mac = HMAC-SHA256(key2, data) over the raw data
// string and only then decodes data, with numbers kept exact (UseNumber).
func ParseCallback(key2 string, body []byte) (Callback, error) {
	var env envelope
	if err := decode(body, &env); err != nil {
		return Callback{}, err
	}
	if !verify(key2, env.Data, env.MAC) {
		return Callback{}, ErrSignature
	}
	var d callbackData
	if err := decode([]byte(env.Data), &d); err != nil {
		return Callback{}, err
	}
	c, err := d.callback()
	if err != nil {
		return Callback{}, err
	}
	c.Type, c.Data = env.Type, env.Data
	return c, nil
}

func decode(b []byte, v any) error {
	if err := strictjson.Decode(b, v, strictjson.Options{UseNumber: true}); err != nil {
		return malformed("body", err.Error()) // a repeated key too: the mac may cover the other value
	}
	return nil
}

func (d callbackData) callback() (Callback, error) {
	c := Callback{AppTransID: d.AppTransID, AppUser: d.AppUser, EmbedData: d.EmbedData, Item: d.Item, MerchantUserID: d.MerchantUserID}
	ints := []struct {
		field string
		n     json.Number
		dst   *int64
	}{
		{"app_id", d.AppID, &c.AppID},
		{"zp_trans_id", d.ZPTransID, &c.ZPTransID},
		{"channel", d.Channel, &c.Channel},
	}
	for _, f := range ints {
		v, err := integer(f.field, f.n)
		if err != nil {
			return Callback{}, err
		}
		*f.dst = v
	}
	var err error
	if c.AppTime, err = millis("app_time", d.AppTime); err != nil {
		return Callback{}, err
	}
	if c.ServerTime, err = millis("server_time", d.ServerTime); err != nil {
		return Callback{}, err
	}
	if c.Amount, err = vnd.Parse(d.Amount.String()); err != nil {
		return Callback{}, malformed("amount", err.Error())
	}
	if c.UserFeeAmount, err = optionalFee("user_fee_amount", d.UserFeeAmount); err != nil {
		return Callback{}, err
	}
	if c.DiscountAmount, err = optionalFee("discount_amount", d.DiscountAmount); err != nil {
		return Callback{}, err
	}
	if c.AppTransID == "" {
		return Callback{}, malformed("app_trans_id", "missing")
	}
	return c, nil
}

// integer accepts only plain non-negative decimal integers; "1e3" is not
// an id.
func integer(field string, n json.Number) (int64, error) {
	v, ok := banks.PlainInt(n.String())
	if !ok {
		return 0, malformed(field, "not a plain non-negative integer")
	}
	return v, nil
}

func millis(field string, n json.Number) (time.Time, error) {
	v, err := integer(field, n)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(v), nil
}

func optionalFee(field string, n json.Number) (decimal.Decimal, error) {
	if n == "" {
		return decimal.Zero, nil
	}
	d, err := vnd.ParseNonNegative(n.String())
	if err != nil {
		return decimal.Decimal{}, malformed(field, err.Error())
	}
	return d, nil
}

// CallbackReply is the JSON body answering a callback. ZaloPay retries
// (up to 3 times) only on return_code 0.
type CallbackReply struct {
	ReturnCode    int    `json:"return_code"`
	ReturnMessage string `json:"return_message"`
}

// The replies ZaloPay's sample code uses.
var (
	ReplySuccess = CallbackReply{1, "success"}
	ReplyBadMAC  = CallbackReply{-1, "mac not equal"}
	ReplyRetry   = CallbackReply{0, "retry"} // we failed; please call again
)

// JSON encodes r for the HTTP response body.
func (r CallbackReply) JSON() []byte {
	b, _ := json.Marshal(r) // an int and a string cannot fail to marshal
	return b
}
