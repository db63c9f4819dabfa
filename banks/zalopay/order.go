package zalopay

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Limits from the v2 create-order table.
const (
	MinExpire        = 300       // seconds
	MaxExpire        = 2_592_000 // seconds (30 days)
	maxAppTransID    = 40
	maxAppUser       = 50
	maxDescription   = 256
	maxItem          = 2048
	appTimeTolerance = 15 * time.Minute
)

// TransID makes an app_trans_id: yymmdd of now in GMT+7, '_', id. ZaloPay
// rejects ids whose date prefix is not today in Vietnam, so build it from
// the same instant as AppTime.
func TransID(now time.Time, id string) string {
	return now.In(ICT).Format("060102") + "_" + id
}

// CreateOrder is the /v2/create body. EmbedData and Item are JSON text,
// signed exactly as sent.
type CreateOrder struct {
	AppID                 int64  `json:"app_id"`
	AppUser               string `json:"app_user"`
	AppTransID            string `json:"app_trans_id"` // see TransID
	AppTime               int64  `json:"app_time"`     // unix ms
	Amount                int64  `json:"amount"`       // whole đồng
	Description           string `json:"description"`
	EmbedData             string `json:"embed_data"` // JSON object, "{}" if empty
	Item                  string `json:"item"`       // JSON array, "[]" if empty
	CallbackURL           string `json:"callback_url,omitempty"`
	ExpireDurationSeconds int64  `json:"expire_duration_seconds,omitempty"`
	BankCode              string `json:"bank_code,omitempty"`
	MAC                   string `json:"mac"`
}

// Sign defaults EmbedData to "{}" and Item to "[]" and sets MAC over
// app_id|app_trans_id|app_user|amount|app_time|embed_data|item with key1.
func (o *CreateOrder) Sign(key1 string) {
	if o.EmbedData == "" {
		o.EmbedData = "{}"
	}
	if o.Item == "" {
		o.Item = "[]"
	}
	o.MAC = mac(key1,
		strconv.FormatInt(o.AppID, 10), o.AppTransID, o.AppUser,
		strconv.FormatInt(o.Amount, 10), strconv.FormatInt(o.AppTime, 10),
		o.EmbedData, o.Item)
}

// Validate catches what ZaloPay would reject, given the instant the order
// is sent.
func (o CreateOrder) Validate(now time.Time) error {
	switch {
	case o.AppID <= 0:
		return invalid("app_id", "missing")
	case o.AppUser == "" || len(o.AppUser) > maxAppUser:
		return invalid("app_user", "must have 1 to 50 characters")
	case len(o.AppTransID) > maxAppTransID || !strings.HasPrefix(o.AppTransID, TransID(now, "")):
		return invalid("app_trans_id", "must start with today's yymmdd_ in GMT+7, at most 40 characters")
	case absDuration(now.Sub(time.UnixMilli(o.AppTime))) > appTimeTolerance:
		return invalid("app_time", "must be within 15 minutes of now (unix ms)")
	case o.Amount <= 0:
		return invalid("amount", "must be positive")
	case len(o.Description) > maxDescription:
		return invalid("description", "longer than 256")
	case o.ExpireDurationSeconds != 0 && (o.ExpireDurationSeconds < MinExpire || o.ExpireDurationSeconds > MaxExpire):
		return invalid("expire_duration_seconds", "must be 300 to 2592000")
	case !isJSON(o.EmbedData, '{'):
		return invalid("embed_data", "must be a JSON object")
	case !isJSON(o.Item, '[') || len(o.Item) > maxItem:
		return invalid("item", "must be a JSON array of at most 2048 bytes")
	}
	return nil
}

func isJSON(s string, open byte) bool {
	s = strings.TrimSpace(s)
	return s == "" || s[0] == open && json.Valid([]byte(s))
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// CreateResponse is ZaloPay's answer to create.
type CreateResponse struct {
	ReturnCode       int    `json:"return_code"` // 1 success, 2 fail, 3 processing
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
	OrderURL         string `json:"order_url"`
	ZPTransToken     string `json:"zp_trans_token"`
	OrderToken       string `json:"order_token"`
	QRCode           string `json:"qr_code"`
}

// QueryRequest is the /v2/query body.
type QueryRequest struct {
	AppID      int64  `json:"app_id"`
	AppTransID string `json:"app_trans_id"`
	MAC        string `json:"mac"`
}

// Sign sets MAC over app_id|app_trans_id|key1: key1 is both the HMAC key
// and the last field, as in ZaloPay's sample code.
func (q *QueryRequest) Sign(key1 string) {
	q.MAC = mac(key1, strconv.FormatInt(q.AppID, 10), q.AppTransID, key1)
}

// QueryResponse is ZaloPay's answer to query. ReturnCode 1 is paid, 2
// failed, 3 still processing (or never paid: check IsProcessing).
type QueryResponse struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
	IsProcessing     bool   `json:"is_processing"`
	Amount           int64  `json:"amount"`
	DiscountAmount   int64  `json:"discount_amount"`
	ZPTransID        int64  `json:"zp_trans_id"`
	ServerTime       int64  `json:"server_time"`
}
