package vnpay

import (
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/civicpay/civicpay/banks/vietqr"
	"github.com/civicpay/civicpay/banks/vnd"
)

// DefaultExpiry is used when PayRequest.ExpireDate is zero; VNPAY's demos
// use the same 15 minutes.
const DefaultExpiry = 15 * time.Minute

// Limits from the v2.1.0 parameter table.
const (
	maxAmountDigits = 12 // vnp_Amount, already ×100
	maxOrderInfo    = 255
	maxTxnRef       = 100
)

// PayRequest is one payment the customer is redirected to VNPAY for.
type PayRequest struct {
	TmnCode    string          // merchant website code issued by VNPAY
	Amount     decimal.Decimal // whole đồng; sent ×100
	TxnRef     string          // our order reference, unique per day
	OrderInfo  string          // shown to the payer; cleaned with OrderInfo
	OrderType  string          // category code, default "other"
	CreateDate time.Time
	ExpireDate time.Time // default CreateDate + DefaultExpiry
	IPAddr     string    // the payer's IP
	Locale     string    // "vn" (default) or "en"
	ReturnURL  string    // where VNPAY sends the browser back
	BankCode   string    // optional: VNPAYQR, VNBANK, INTCARD or a bank
}

// PayURL builds the signed redirect URL. base is the vpcpay.html endpoint
// and must carry no query of its own, since VNPAY signs only its own
// parameters and would see ours as tampering.
func PayURL(base, secret string, p PayRequest) (string, error) {
	u, err := url.Parse(base)
	if err != nil || !isWebURL(u) || u.RawQuery != "" || u.Fragment != "" {
		return "", invalid("base", "must be an absolute http(s) URL without query")
	}
	v, err := p.values()
	if err != nil {
		return "", err
	}
	return base + "?" + canonical(v, url.QueryEscape) + "&" + paramHash + "=" + SignParams(secret, v), nil
}

func (p PayRequest) values() (url.Values, error) {
	amount, err := wireAmount(p.Amount)
	if err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	expire := p.ExpireDate
	if expire.IsZero() {
		expire = p.CreateDate.Add(DefaultExpiry)
	}
	v := url.Values{
		"vnp_Version":    {Version},
		"vnp_Command":    {"pay"},
		"vnp_TmnCode":    {p.TmnCode},
		"vnp_Amount":     {amount},
		"vnp_CurrCode":   {"VND"},
		"vnp_TxnRef":     {p.TxnRef},
		"vnp_OrderInfo":  {OrderInfo(p.OrderInfo)},
		"vnp_OrderType":  {or(p.OrderType, "other")},
		"vnp_Locale":     {or(p.Locale, "vn")},
		"vnp_ReturnUrl":  {p.ReturnURL},
		"vnp_IpAddr":     {p.IPAddr},
		"vnp_CreateDate": {FormatTime(p.CreateDate)},
		"vnp_ExpireDate": {FormatTime(expire)},
	}
	if p.BankCode != "" {
		v.Set("vnp_BankCode", p.BankCode)
	}
	return v, nil
}

func (p PayRequest) check() error {
	info := OrderInfo(p.OrderInfo)
	u, err := url.Parse(p.ReturnURL)
	switch {
	case !isCode(p.TmnCode, 8):
		return invalid("TmnCode", "must be 1 to 8 letters or digits")
	case !isRef(p.TxnRef):
		return invalid("TxnRef", "must be 1 to 100 of [A-Za-z0-9._-]")
	case info == "" || len(info) > maxOrderInfo:
		return invalid("OrderInfo", "must have 1 to 255 characters after cleaning")
	case p.OrderType != "" && !isRef(p.OrderType):
		return invalid("OrderType", "must be a category code")
	case p.CreateDate.IsZero():
		return invalid("CreateDate", "missing")
	case !p.ExpireDate.IsZero() && !p.ExpireDate.After(p.CreateDate):
		return invalid("ExpireDate", "must be after CreateDate")
	case !validIP(p.IPAddr):
		return invalid("IPAddr", "must be an IP address")
	case p.Locale != "" && p.Locale != "vn" && p.Locale != "en":
		return invalid("Locale", `must be "vn" or "en"`)
	case err != nil || !isWebURL(u):
		return invalid("ReturnURL", "must be an absolute http(s) URL")
	case p.BankCode != "" && !isCode(p.BankCode, 20):
		return invalid("BankCode", "must be letters or digits")
	}
	return nil
}

// wireAmount is the ×100 form of a whole-đồng amount.
func wireAmount(d decimal.Decimal) (string, error) {
	s, err := vnd.Format(d)
	if err != nil {
		return "", invalid("Amount", err.Error())
	}
	if len(s)+2 > maxAmountDigits {
		return "", invalid("Amount", "exceeds VNPAY's 12-digit vnp_Amount")
	}
	return s + "00", nil
}

// fromWire undoes wireAmount, refusing what it could not have produced.
func fromWire(field, s string) (decimal.Decimal, error) {
	if !strings.HasSuffix(s, "00") {
		return decimal.Decimal{}, malformed(field, "not a whole number of đồng ×100")
	}
	d, err := vnd.Parse(s[:len(s)-2])
	if err != nil {
		return decimal.Decimal{}, malformed(field, err.Error())
	}
	return d, nil
}

// OrderInfo cleans text for vnp_OrderInfo: VNPAY wants Vietnamese without
// diacritics and no special characters, and characters the SDKs encode
// differently ('~', '*') would make signatures fragile. Everything outside
// letters, digits and " -_.,:/#()" becomes a space; runs collapse.
func OrderInfo(s string) string {
	s = vietqr.StripDiacritics(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && (isAlnumByte(byte(r)) || strings.ContainsRune(" -_.,:/#()", r)) {
			return r
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func isWebURL(u *url.URL) bool {
	return (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func validIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isAlnumByte(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

func isCode(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

func isRef(s string) bool {
	if s == "" || len(s) > maxTxnRef {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.' {
			return false
		}
	}
	return true
}
