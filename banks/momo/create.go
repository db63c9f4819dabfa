package momo

import (
	"regexp"
	"strconv"
)

// orderIDPattern is MoMo's documented orderId rule.
var orderIDPattern = regexp.MustCompile(`^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$`)

// CreateRequest is the /v2/gateway/api/create body. Amount is whole đồng;
// convert from decimal with vnd.Int64.
type CreateRequest struct {
	PartnerCode string `json:"partnerCode"`
	StoreID     string `json:"storeId,omitempty"`
	RequestID   string `json:"requestId"` // MoMo's idempotency key
	Amount      int64  `json:"amount"`
	OrderID     string `json:"orderId"`
	OrderInfo   string `json:"orderInfo"`
	RedirectURL string `json:"redirectUrl"`
	IpnURL      string `json:"ipnUrl"`
	RequestType string `json:"requestType"` // default CaptureWallet
	ExtraData   string `json:"extraData"`   // "" or base64 of a JSON object
	AutoCapture *bool  `json:"autoCapture,omitempty"`
	Lang        string `json:"lang"` // "vi" or "en"
	Signature   string `json:"signature"`
}

// Sign fills RequestType if empty and sets Signature over
// accessKey&amount&extraData&ipnUrl&orderId&orderInfo&partnerCode&redirectUrl&requestId&requestType.
// StoreID, AutoCapture and Lang are sent but not signed.
func (r *CreateRequest) Sign(accessKey, secretKey string) {
	if r.RequestType == "" {
		r.RequestType = CaptureWallet
	}
	r.Signature = sign(secretKey, raw(
		pair{"accessKey", accessKey},
		pair{"amount", strconv.FormatInt(r.Amount, 10)},
		pair{"extraData", r.ExtraData},
		pair{"ipnUrl", r.IpnURL},
		pair{"orderId", r.OrderID},
		pair{"orderInfo", r.OrderInfo},
		pair{"partnerCode", r.PartnerCode},
		pair{"redirectUrl", r.RedirectURL},
		pair{"requestId", r.RequestID},
		pair{"requestType", r.RequestType},
	))
}

// Validate catches what MoMo would reject after a 30-second round trip.
func (r CreateRequest) Validate() error {
	switch {
	case r.PartnerCode == "":
		return invalid("partnerCode", "missing")
	case r.RequestID == "" || len(r.RequestID) > 50:
		return invalid("requestId", "must have 1 to 50 characters")
	case len(r.OrderID) > 50 || !orderIDPattern.MatchString(r.OrderID):
		return invalid("orderId", "must match "+orderIDPattern.String())
	case r.Amount <= 0:
		return invalid("amount", "must be positive")
	case (r.RequestType == "" || r.RequestType == CaptureWallet) && (r.Amount < MinAmount || r.Amount > MaxAmount):
		return invalid("amount", "captureWallet accepts 1,000 to 50,000,000 đồng")
	case r.OrderInfo == "":
		return invalid("orderInfo", "missing")
	case r.RedirectURL == "" || r.IpnURL == "":
		return invalid("redirectUrl/ipnUrl", "missing")
	case r.Lang != "vi" && r.Lang != "en":
		return invalid("lang", `must be "vi" or "en"`)
	}
	return nil
}

// CreateResponse is MoMo's answer to create. It is not signed.
type CreateResponse struct {
	PartnerCode     string     `json:"partnerCode"`
	RequestID       string     `json:"requestId"`
	OrderID         string     `json:"orderId"`
	Amount          int64      `json:"amount"`
	ResponseTime    int64      `json:"responseTime"` // unix ms
	Message         string     `json:"message"`
	ResultCode      ResultCode `json:"resultCode"`
	PayURL          string     `json:"payUrl"`
	Deeplink        string     `json:"deeplink"`
	QRCodeURL       string     `json:"qrCodeUrl"`
	DeeplinkMiniApp string     `json:"deeplinkMiniApp"`
}
